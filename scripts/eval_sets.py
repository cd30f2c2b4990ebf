"""Evaluate several QA files against one index in one process (one model load), and print one
row per file: retrieval recall, keyword accuracy, refusals, citation precision, consistency.

    python scripts/eval_sets.py --index /tmp/ix --corpus corpus tests/data/archive \
        --mode extractive --out docs/eval tests/data/qa/*.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
import assistant.offline  # noqa: F401,E402
from assistant.answer.assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.ingest.ingestor import Ingestor  # noqa: E402
from assistant.tools.eval import evaluate, load_qa, to_markdown  # noqa: E402

COLUMNS = ("recall@1", "recall@3", "keyword_accuracy", "citation_precision", "abstention_recall",
           "false_abstention_rate", "inconsistent_sentences", "answer_p50")


def row(name: str, result: dict) -> str:
    r, a, lat = result["retrieval"], result["answers"], result["latency_ms"]
    values = {**r, **a, "answer_p50": lat["answer_p50"]}
    return " | ".join([name] + [("—" if values.get(c) is None else f"{values[c]:.3g}") for c in COLUMNS])


def arguments(**extra: dict) -> argparse.ArgumentParser:
    """QA files, the index and the files to ingest into it first (shared with ablate.py)."""
    p = argparse.ArgumentParser()
    p.add_argument("qa", nargs="+")
    p.add_argument("--index", required=True)
    p.add_argument("--corpus", nargs="*", default=[], help="put it after the QA files")
    for name, options in extra.items():
        p.add_argument(f"--{name}", **options)
    return p


def open_assistant(index: str, corpus: list[str], mode: str) -> Assistant:
    """The assistant on ``index``, with ``corpus`` ingested first (unchanged files cost nothing)."""
    settings = Settings(index_dir=Path(index), llm=mode, _env_file=None)
    assistant = Assistant(settings)
    if corpus:
        report = Ingestor(assistant.index, settings).ingest(corpus, show_progress=False)
        for r in report.failed:
            print("ingest error:", r.error, file=sys.stderr)
    return assistant


def main() -> int:
    args = arguments(mode={"default": "extractive"}, out={}).parse_args()
    assistant = open_assistant(args.index, args.corpus, args.mode)
    assistant.warm_up(args.mode)
    print(" | ".join(("set",) + COLUMNS))
    for qa in args.qa:
        result = evaluate(assistant, load_qa(qa), mode=args.mode, show_progress=False)
        print(row(Path(qa).stem, result), flush=True)
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            stem = f"{Path(qa).stem}-{args.mode}"
            (out / f"{stem}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
            (out / f"{stem}.md").write_text(to_markdown(result, qa), encoding="utf-8")
    assistant.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
