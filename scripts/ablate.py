"""Does each tuning constant earn its place? Evaluate QA files with every constant as it is, then
with each one zeroed (one at a time), in one process on one index, and print the differences per
QA file (tune and test splits reported separately).

    python scripts/ablate.py --index /tmp/ix_sample --corpus corpus tests/data/qa/sample_tune.jsonl ...
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import assistant.offline  # noqa: F401,E402
from assistant.answer import evidence, extractive  # noqa: E402
from assistant.tools.eval import evaluate, load_qa  # noqa: E402
from eval_sets import arguments, open_assistant  # noqa: E402

KNOBS = [(evidence, "LEXICAL_WEIGHT"), (evidence, "QUESTION_PENALTY"), (extractive, "EXTRACTIVE_MARGIN")]
METRICS = ("recall@1", "keyword_accuracy", "lead_accuracy", "citation_precision", "abstention_recall",
           "false_abstention_rate")


def scores(assistant, items) -> dict:
    r = evaluate(assistant, items, mode="extractive", show_progress=False)
    return {m: (r["retrieval"] | r["answers"])[m] for m in METRICS}


def main() -> int:
    args = arguments(knobs={"help": "comma-separated names of the constants to zero (default: all)"}).parse_args()
    assistant = open_assistant(args.index, args.corpus, "extractive")
    sets = {Path(f).stem: load_qa(f) for f in args.qa}
    base = {name: scores(assistant, items) for name, items in sets.items()}
    for name, got in base.items():
        print(f"as is, {name}:", got, flush=True)
    for module, knob in [(m, k) for m, k in KNOBS if not args.knobs or k in args.knobs.split(",")]:
        value = getattr(module, knob)
        setattr(module, knob, 0)
        for name, items in sets.items():
            got = scores(assistant, items)
            diff = {m: round(got[m] - base[name][m], 4) for m in METRICS
                    if got[m] is not None and base[name][m] is not None}
            print(f"{knob} = 0 (is {value}), {name}:", diff, flush=True)
        setattr(module, knob, value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
