"""How long finding the home country takes (``answerability.home_country``, once per commit in the
assistant) over the titles of an index's registry.

    python scripts/measure_home_country.py INDEX_DIR [ROUNDS]
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
from assistant.answer.answerability import home_country  # noqa: E402


def main(index: Path, rounds: int) -> None:
    entries = json.loads((index / "registry.json").read_text(encoding="utf-8"))["briefings"].values()
    titles = [e.get("title") or "" for e in entries]
    for _ in range(rounds):
        start = time.perf_counter()
        home = home_country(titles)
        print(f"{len(titles)} titles: {home} in {(time.perf_counter() - start) * 1000:.1f} ms")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5)
