"""How many files of each layout set parse as their EXPECTED.json says (date, speaker, place,
section titles; for a page cut short, the titles that exist and the contents list), with the code
of any checkout, so that two versions can be compared on the same sets:

    python scripts/score_layouts.py [CHECKOUT] [SET_FOLDER...]

CHECKOUT defaults to this one; the sets default to tests/data/blind/set*. The test of the current
code is tests/test_layouts_blind.py, which also checks the known gaps still ingest.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CHECKOUT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE
sys.path.insert(0, str(CHECKOUT))
import assistant.offline  # noqa: E402,F401
from assistant.ingest.ingestor import parse_document  # noqa: E402
from assistant.ingest.sources import read_source  # noqa: E402


def parses_as_expected(case: dict, folder: Path) -> bool:
    b = parse_document(read_source(folder / case["file"], 10_000_000), "b")
    if (b.date, b.speaker, b.place) != (case["date"], case["speaker"], case["place"]):
        return False
    titles = [s.title for s in b.sections if s.kind != "contents"]
    if not case["cut_short"]:
        return titles == case["sections"] and not b.warnings
    contents = [s for s in b.sections if s.kind == "contents"]
    items = [b.text[a:e] for a, e in contents[0].sentences] if len(contents) == 1 else []
    return titles == case["sections"][:len(titles)] and all(t in items for t in case["sections"])


def main(folders: list[Path]) -> None:
    for folder in folders:
        cases = json.loads((folder / "EXPECTED.json").read_text(encoding="utf-8"))
        ok = 0
        for case in cases:
            try:
                ok += parses_as_expected(case, folder / "corpus")
            except Exception:  # noqa: BLE001 - a file the code cannot parse counts as not parsed
                pass
        print(f"{folder.name}: {ok} of {len(cases)} files parse as expected ({CHECKOUT})")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[2:]] or sorted((HERE / "tests/data/blind").glob("set*")))
