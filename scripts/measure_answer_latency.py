"""Extractive answer latency in a fresh process (empty caches), with or without the related-words
check (``answer/related.py``); run both in turn, twice, to compare on a shared machine.

    python scripts/measure_answer_latency.py INDEX QA.jsonl... [--without-related]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index", type=Path)
    ap.add_argument("qa", nargs="+", type=Path)
    ap.add_argument("--without-related", action="store_true")
    args = ap.parse_args()
    os.environ["ASSISTANT_INDEX_DIR"] = str(args.index)
    os.environ["ASSISTANT_MODEL_PROCESS"] = "false"
    from assistant.answer.assistant import Assistant

    assistant = Assistant.from_settings()
    if args.without_related:
        assistant.related = None
    questions = [json.loads(line)["question"] for f in args.qa for line in f.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    assistant.ask("warm up: what was said about Libya?", mode="extractive")  # models loaded, not the caches
    times = []
    for q in questions:
        t0 = time.perf_counter()
        assistant.ask(q, mode="extractive")
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    label = "without related words" if args.without_related else "with related words"
    print(f"{label}: {len(times)} questions, p50 {statistics.median(times):.1f} ms, "
          f"p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms, mean {statistics.mean(times):.1f} ms")


if __name__ == "__main__":
    main()
