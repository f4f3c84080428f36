#!/usr/bin/env python3
"""Writes the rendered-prompt golden files for tests/tasks/prompt_golden_test.cc.

Follows SEA-HELM's prompt construction (docs SPEC-seahelm-tasks.md 5.1) literally,
with Python's own str.format and str.strip, over the task YAML and the sample rows:

  instruct: one user message, strip(preamble.format(answer_tag=tag) + "\\n\\n"
            + task_template.format(**prompts[0]))
  base:     for each of the first N example rows e: user task_template.format(
            **e.prompts[0], answer_tag=tag), assistant answer_template.format(**e,
            **e.prompts[0], answer_tag=tag) (a list label is replaced by its first
            element); then user task_template.format(**prompts[0]); the formatted
            preamble is joined to the first user message and only that one is stripped.

Usage (from the repository root):
  python3 tests/tasks/golden/make_golden.py [--seahelm ../shared/seahelm/seahelm_tasks]
Outputs tests/tasks/golden/<source>/<task>.json:
  {"task", "source", "data_dir", "shots", "languages": {lang: {"instruct"|"base": {row_id: [[role, content], ...]}}}}
"""
import argparse
import glob
import json
import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'tests', 'tasks', 'golden')
DATA = os.path.join(ROOT, 'data', 'samples')

# Our families rendered by PromptTask (IFEval is zero-shot only; MT-Bench is multi-turn).
OURS = ['sentiment', 'qa', 'toxicity', 'translation-en-xx', 'translation-xx-en', 'abssum', 'causal', 'nli']
ZERO_SHOT_ONLY = ['if-eval', 'ifeval']
SEAHELM = ['sentiment', 'qa', 'nli']


def read_jsonl(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def instruct(p, row):
    tag = p['answer_tag']
    content = (p['preamble'].format(answer_tag=tag) + '\n\n' + p['task_template'].format(**row['prompts'][0])).strip()
    return [['user', content]]


def base(p, row, examples):
    tag = p['answer_tag']
    msgs = []
    for e in examples:
        e = dict(e)
        if isinstance(e['label'], list):
            e['label'] = e['label'][0]
        msgs.append(['user', p['task_template'].format(**e['prompts'][0], answer_tag=tag)])
        msgs.append(['assistant', p['answer_template'].format(**e, **e['prompts'][0], answer_tag=tag)])
    msgs.append(['user', p['task_template'].format(**row['prompts'][0])])
    msgs[0][1] = (p['preamble'].format(answer_tag=tag) + '\n\n' + msgs[0][1]).strip()
    return msgs


def render(task, node, source, shots_base, kinds):
    out = {'task': task, 'source': source, 'data_dir': 'data/samples', 'shots': shots_base, 'languages': {}}
    for lang, lc in node['languages'].items():
        test = os.path.join(DATA, task, lang, 'test.jsonl')
        if not os.path.exists(test):
            continue
        rows = read_jsonl(test)
        p = lc['prompt_template']
        by_kind = {}
        if 'instruct' in kinds:
            by_kind['instruct'] = {str(r['id']): instruct(p, r) for r in rows}
        if 'base' in kinds:
            examples = read_jsonl(os.path.join(DATA, task, lang, 'examples.jsonl'))[:shots_base]
            by_kind['base'] = {str(r['id']): base(p, r, examples) for r in rows}
        out['languages'][lang] = by_kind
    os.makedirs(os.path.join(OUT, source), exist_ok=True)
    with open(os.path.join(OUT, source, task + '.json'), 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')


def load_ours():
    merged = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'tasks', '*.yaml'))):
        if os.path.basename(path) in ('task_config.yaml', 'constants.yaml'):
            continue
        with open(path, encoding='utf-8') as f:
            merged.update(yaml.safe_load(f) or {})
    return merged


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seahelm', default=os.path.join(ROOT, '..', 'shared', 'seahelm', 'seahelm_tasks'))
    args = ap.parse_args()
    ours = load_ours()
    for task in OURS:
        render(task, ours[task], 'ours', ours[task]['fewshot_num_examples']['base'], ['instruct', 'base'])
    for task in ZERO_SHOT_ONLY:
        render(task, ours[task], 'ours', 0, ['instruct'])
    if os.path.isdir(args.seahelm):
        sea = {}
        for path in glob.glob(os.path.join(args.seahelm, '**', 'config.yaml'), recursive=True):
            with open(path, encoding='utf-8') as f:
                sea.update(yaml.safe_load(f))
        for task in SEAHELM:
            render(task, sea[task], 'seahelm', sea[task]['fewshot_num_examples']['base'], ['instruct', 'base'])


if __name__ == '__main__':
    main()
