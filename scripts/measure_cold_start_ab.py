"""Cold start with and without the model process, alternating, in one run (the machine is shared:
compare the two columns of the same run, not runs of different days).

    python scripts/measure_cold_start_ab.py INDEX_DIR [PAIRS] ["question"]

Each start is ``measure.cold_start`` (what the bench runs: ``python -m assistant --index DIR ask Q
--llm extractive --json`` in a fresh process); it prints each start, then min / median / max of
seconds to the answer and the peak RSS of the process and its model process."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from assistant.tools.bench.measure import cold_start  # noqa: E402

QUESTION = "Which party won the parliamentary elections in Nicaragua?"


def main(index: Path, pairs: int, question: str) -> None:
    runs: dict[str, list[tuple[float, float]]] = {"true": [], "false": []}
    for i in range(pairs):
        for flag in ("true", "false"):
            os.environ["ASSISTANT_MODEL_PROCESS"] = flag
            r = cold_start(index, question, 0)
            if r.error or r.seconds_to_answer is None:
                raise SystemExit(f"{index}: the cold start failed: {r.error}")
            runs[flag].append((r.seconds_to_answer, r.rss_mb or 0.0))
            print(f"pair {i + 1} model process {flag:5}: {r.seconds_to_answer} s to the answer, "
                  f"abstained {r.abstained}, RSS {r.rss_mb} MB", flush=True)
    for flag, label in (("true", "with the model process"), ("false", "in one process")):
        secs = [s for s, _ in runs[flag]]
        rss = [m for _, m in runs[flag]]
        print(f"{label:24} {min(secs):.2f} / {statistics.median(secs):.2f} / {max(secs):.2f} s, "
              f"RSS {min(rss):.0f}-{max(rss):.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 8,
         sys.argv[3] if len(sys.argv) > 3 else QUESTION)
