#!/usr/bin/python3
"""Writes seahelm_prompts/<task>.json: the instruct prompts SEA-HELM's own
dataloader code renders for the sample rows in data/samples, in the golden
format of tests/tasks/prompt_golden_test.cc.

The prompts come from HuggingFaceDataloader.prompt_formatter and
AbstractDataloader.generate_formatted_conversation at SEA-HELM 6844e6c, fed
each row the way prepare_conversations_for_inference does (turn 1, zero-shot).
Few-shot base prompts are not written: their example loading goes through
Hugging Face `datasets`, which Debian does not package.

Usage: PYTHONPATH=SEAHELM /usr/bin/python3 tests/parity/gen_seahelm_prompts.py
"""
import json
import os
import sys
import types

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEAHELM = next((p for p in sys.path if os.path.isfile(os.path.join(p, "src", "seahelm_evaluation.py"))), None)
if SEAHELM is None:
    sys.exit("put a SEA-HELM 6844e6c checkout on PYTHONPATH (no src/seahelm_evaluation.py found)")
TASKS = {"sentiment": "nlu/sentiment_analysis", "qa": "nlu/question_answering", "nli": "nlr/nli"}

# The dataloader modules import Hugging Face `datasets` at the top; the
# formatting code used here never calls it.
if "datasets" not in sys.modules:
    try:
        import datasets  # noqa: F401
    except ImportError:
        sys.modules["datasets"] = types.SimpleNamespace(Dataset=object)

from src.dataloaders.huggingface_dataloader import HuggingFaceDataloader  # noqa: E402


def render(task, task_dir):
    with open(os.path.join(SEAHELM, "seahelm_tasks", task_dir, "config.yaml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)[task]
    loader = object.__new__(HuggingFaceDataloader)  # no dataset files: rows are passed in below
    loader.example_dataset = None
    out = {"task": task, "source": "seahelm-dataloader", "data_dir": "data/samples", "shots": 0, "languages": {}}
    for lang, specific in cfg["languages"].items():
        path = os.path.join(ROOT, "data", "samples", task, lang, "test.jsonl")
        if not os.path.exists(path):
            continue
        loader.specific_task_config = specific
        formatter = loader.get_prompt_formatter(turn=1, fewshot_as_multiturn=True)
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        prompts = {}
        for idx, row in enumerate(rows):
            conversation = formatter(row, idx)
            prompts[str(row["id"])] = [[m["role"], m["content"]] for m in conversation]
        out["languages"][lang] = {"instruct": prompts}
    with open(os.path.join(ROOT, "tests", "parity", "seahelm_prompts", task + ".json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    for task, task_dir in TASKS.items():
        render(task, task_dir)
