#!/usr/bin/python3
"""Writes seahelm_scores.jsonl: expected scores computed by SEA-HELM's own
metric classes, for bhasa's scorer parity tests (tests/metrics/parity_test.cc).

Reference code (none of it is part of this repository):
  SEA-HELM        github.com/aisingapore/SEA-HELM at 6844e6c5cae439a413281df31271d388fcbad12f
  sacrebleu       github.com/mjpost/sacrebleu tag v2.6.0 (sacrebleu/version.py written by hand)
  PyThaiNLP       github.com/PyThaiNLP/pythainlp tag v5.2.0 (its words_th.txt equals
                  ../shared/thai-dict/words_th.txt)
  pyonmttok       github.com/OpenNMT/Tokenizer at fd2d95b, bindings/python built against
                  Debian's ICU 72 and libsentencepiece
  Debian bookworm python3 3.11.2, python3-numpy 1.24.2, python3-pandas 1.5.3,
                  python3-sklearn 1.2.1, python3-nltk, python3-six, python3-absl

Usage (the four snapshots on PYTHONPATH):
  PYTHONPATH=SEAHELM:SACREBLEU:PYTHAINLP:PYONMTTOK /usr/bin/python3 \
      tests/parity/gen_seahelm_fixtures.py > tests/parity/seahelm_scores.jsonl

Each output line is one case: a SEA-HELM task metric class run on a few rows
through its own evaluate_responses() (answer extraction, per-row scores, the
aggregate). Row inputs include the adversarial classes the scorers once
differed on (Python IGNORECASE, OpenNMT numbers and marks).
"""
import json
import os
import sys
import types

import yaml

SEAHELM = next((p for p in sys.path if os.path.isfile(os.path.join(p, "src", "seahelm_evaluation.py"))), None)
if SEAHELM is None:
    sys.exit("put a SEA-HELM 6844e6c checkout on PYTHONPATH (no src/seahelm_evaluation.py found)")

# src.dataloaders.base_dataloader imports Hugging Face `datasets` for a type
# annotation only; the metric classes never touch it.
if "datasets" not in sys.modules:
    try:
        import datasets  # noqa: F401
    except ImportError:
        sys.modules["datasets"] = types.SimpleNamespace(Dataset=object)

import pandas as pd  # noqa: E402

from src.task_config import TaskConfig  # noqa: E402


class Rows:
    """What a SEA-HELM metric class reads from its dataloader: the dataframe
    and update_individual_scores (same body as AbstractDataloader's)."""

    def __init__(self, responses, labels):
        self.dataframe = pd.DataFrame({"responses": [[r] for r in responses], "label": labels})

    def update_individual_scores(self, scores):
        self.dataframe["individual_scores"] = scores


def load_config(task_dir):
    with open(os.path.join(SEAHELM, "seahelm_tasks", task_dir, "config.yaml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    name = next(iter(cfg))
    return name, cfg[name]


def metric_class(cfg):
    import importlib.util
    path = os.path.join(SEAHELM, cfg["metric_file"])
    spec = importlib.util.spec_from_file_location("m_" + cfg["metric_class"], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, cfg["metric_class"])


def run_case(task_dir, scorer, lang, responses, labels, overrides=None, per_row_chrf=True):
    name, cfg = load_config(task_dir)
    cfg = dict(cfg, **(overrides or {}))
    task_config = TaskConfig(config=cfg, task_name=name, lang=lang, seed=1234)
    rows = Rows(responses, labels)
    metric = metric_class(cfg)(rows, task_config)
    result = metric.evaluate_responses()[name]
    df = rows.dataframe
    out_rows = []
    for i in range(len(df)):
        row = {"response": responses[i], "label": labels[i],
               "cleaned": df["cleaned_responses"].iloc[i]}
        if "individual_scores" in df:
            row["scores"] = df["individual_scores"].iloc[i]
        out_rows.append(row)
    if scorer == "chrf" and per_row_chrf:  # per-row chrF++ as sacrebleu's sentence score
        from sacrebleu.metrics import CHRF  # here, so the IFEval timing needs no sacrebleu
        chrf = CHRF(word_order=2)
        for row in out_rows:
            row["scores"] = {"normalized_chrf_score": chrf.sentence_score(row["cleaned"], [row["label"]]).score}
    answer_tag = cfg["languages"][lang]["prompt_template"]["answer_tag"]
    return {"scorer": scorer, "task": name, "lang": lang, "answer_tag": answer_tag,
            "rows": out_rows, "metrics": {k: v for k, v in result.items() if not isinstance(v, (list, dict))}}


QA = {  # (response, gold answers)
    "id": [
        ("Jawaban: masa Neolitikum.", ["masa Neolitikum"]),
        ("**Jawaban:**\n```\nabad ke-7\n```", ["abad ke-7", "abad ketujuh"]),
        ("Saya kira jawabannya Presiden Joko Widodo", ["Joko Widodo", "Jokowi"]),
        ("", ["kosong"]),
        ("Jawaban:\u3000\u00a0 10\u00b2 km, kira-kira", ["10\u00b2 km"]),
        ("jawaban: huruf kecil", ["huruf kecil"]),
        ("Jawaban: \u201cJakarta\u201d \u2014 ibu kota", ["Jakarta"]),
    ],
    "vi": [
        ("Câu trả lời: Hà Nội là thủ đô.", ["Hà Nội"]),
        ("CÂU TRẢ LỜİ: Sài Gòn", ["Sài Gòn"]),
        ("Câu trả lời: Tie\u0302\u0301ng Việt", ["Tiếng Việt", "tiếng Việt"]),
        ("Câu trả lời: HÀ NỘI", ["Hà Nội"]),
    ],
    "th": [
        ("คำตอบ: กรุงเทพมหานคร", ["กรุงเทพมหานคร"]),
        ("คำตอบ: ฉันกินข้าวที่บ้าน", ["กินข้าว", "ฉันกินข้าวที่บ้าน"]),
        ("คำตอบ: ประเทศไทย ๒๕๖๗", ["ประเทศไทย"]),
        ("คำตอบ: รัฐบาลประกาศมาตรการใหม่", ["มาตรการใหม่"]),
    ],
    "ta": [
        ("பதில்: தமிழ்நாடு அரசு", ["தமிழ்நாடு"]),
        ("பதில்: 2024ஆம் ஆண்டு", ["2024ஆம் ஆண்டு"]),
    ],
}

SUMMARIES = {
    "id": [
        ("Rangkuman: Luas tanah 10 km.", "Luas tanah 10\u00b2 km."),
        ("Rangkuman: Presiden Jokowi berkata hari ini.\nCatatan", "Presiden Jokowi berkata pada hari ini."),
        ("Rangkuman: Harga naik \u00bd persen pada \u2460 Januari", "Harga naik setengah persen pada 1 Januari"),
        ("Rangkuman: Abad \u216b adalah masa \u216bb", "Abad XII adalah masa lalu"),
        ("Rangkuman: kata \u0301awal dan \uffed tanda \uffe8 pipa \u2581 garis", "kata awal dan tanda pipa garis"),
        ("", "Sesuatu yang tidak dijawab."),
        ("Rangkuman: 中文 dan abc123def", "中文abc 123 def"),
        ("Tanpa tag: semua teks dipakai. (1) satu; (2) dua!", "Semua teks dipakai satu dua"),
    ],
    "vi": [
        ("Bản tóm tắt: Hà Nội có 10\u00b2 người.", "Hà Nội có 10 người."),
        ("Bản tóm tắt: Tie\u0302\u0301ng Vie\u0323\u0302t rất hay", "Tiếng Việt rất hay"),
        ("Bản tóm tắt: Giá tăng \u00bd lần", "Giá tăng một nửa lần"),
    ],
    "ta": [
        ("சுருக்கம்: தமிழ்நாடு அரசு 2024ஆம் ஆண்டு", "தமிழ்நாடு அரசு 2024 ஆம் ஆண்டு"),
        ("சுருக்கம்: \u0bcdதனி குறி", "தனி குறி"),
    ],
    "th": [
        ("บทสรุป: ฉันไป กินข้าว", "ฉันกินข้าว"),
        ("บทสรุป: รัฐบาลประกาศมาตรการใหม่ ๒๕๖๗", "รัฐบาลประกาศมาตรการใหม่"),
        ("บทสรุป: กรุงเทพมหานคร 10\u00b2 กม.", "กรุงเทพมหานคร 10 กม."),
    ],
}

TRANSLATIONS = {
    "id": [
        ("Terjemahan: Saya pergi ke pasar.", "Saya pergi ke pasar kemarin."),
        ("Terjemahan:\n  Dia membaca buku.", "Dia sedang membaca buku."),
        ("", "Kosong."),
        ("Terjemahan: Luas 10\u00b2 km", "Luas 10 km"),
    ],
    "vi": [
        ("Bản dịch: Tôi đi chợ.", "Tôi đi chợ hôm qua."),
        ("Bản dịch: Tie\u0302\u0301ng Việt", "Tiếng Việt"),
    ],
    "th": [
        ("คำแปล: ฉันกินข้าว", "ฉันกินข้าวแล้ว"),
        ("คำแปล: สวัสดีครับ", "สวัสดี"),
    ],
}

SENTIMENT = {
    "id": [
        ("**Jawaban:** negatif", "Negatif"), ("Jawaban: `Positif`", "Positif"),
        ("Sentimennya positif. Jawaban: Netral", "Netral"), ("Netral.", "Positif"),
        ("JAWABAN: POSİTİF", "Positif"), ("jawaban: Negatif Negatif", "Negatif"),
    ],
    "vi": [
        ("CÂU TRẢ LỜİ: TÍCH CỰC", "Tích cực"), ("Câu trả lời: tiêu cực", "Tiêu cực"),
        ("Câu trả lời: Trung lập", "Trung lập"), ("Không biết", "Tích cực"),
    ],
}

NLI = {
    "id": [
        ("Jawaban: A", "A"), ("Jawaban: b", "B"), ("jawaban:\n\n  C) karena", "C"), ("Jawaban: (B)", "A"),
    ],
}


def bootstrap_rows():
    """Forty summaries with varied overlap, enough for the bootstrap to matter."""
    words = ["presiden", "berkata", "hari", "ini", "pasar", "naik", "turun", "harga", "beras", "kota",
             "jakarta", "banjir", "hujan", "deras", "warga", "mengungsi", "sekolah", "libur", "besok", "pagi"]
    rows = []
    for i in range(40):
        ref = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(6 + i % 5))
        pred = " ".join(words[(i * 5 + k * 3) % len(words)] for k in range(4 + i % 7))
        rows.append(("Rangkuman: " + pred, ref))
    return rows


def main():
    cases = []
    for lang, rows in QA.items():
        cases.append(run_case("nlu/question_answering", "qa", lang, *map(list, zip(*rows))))
    for lang, rows in SUMMARIES.items():
        cases.append(run_case("nlg/abstractive_summarization", "rouge_l", lang, *map(list, zip(*rows))))
    cases.append(run_case("nlg/abstractive_summarization", "rouge_l", "id", *map(list, zip(*bootstrap_rows()))))
    for lang, rows in TRANSLATIONS.items():
        cases.append(run_case("nlg/translation", "chrf", lang, *map(list, zip(*rows)),
                              overrides={"use_chrf_metric": True, "use_metricx_metric": False}))
    for lang, rows in SENTIMENT.items():
        cases.append(run_case("nlu/sentiment_analysis", "classification", lang, *map(list, zip(*rows))))
    for lang, rows in NLI.items():
        cases.append(run_case("nlr/nli", "classification", lang, *map(list, zip(*rows))))
    for case in cases:
        print(json.dumps(case, ensure_ascii=False, default=float))


if __name__ == "__main__":
    main()
