"""Does another embedder runtime keep retrieval quality? Compares ``scripts/eval_sets.py --out``
folders of one QA run per runtime against the torch fp32 one: recall@1, recall@3 and keyword
accuracy per QA set (the runtime passes when each is within ``--tolerance`` of torch's on every
set), and top-1 passage agreement (the same first retrieved section, question by question).

    python -m assistant.tools.bench.agreement /tmp/eval/torch-fp32 /tmp/eval/openvino-fp32 ...
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

METRICS = (("retrieval", "recall@1"), ("retrieval", "recall@3"), ("answers", "keyword_accuracy"))


@dataclass(frozen=True)
class SetComparison:
    qa_set: str
    reference: dict[str, float]
    candidate: dict[str, float]
    top1_same: int
    questions: int

    @property
    def largest_change(self) -> float:
        return max(abs(self.candidate[m] - self.reference[m]) for m in self.reference)


def _load(folder: Path) -> dict[str, dict]:
    return {p.name.removesuffix(".json"): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(Path(folder).glob("*.json"))}


def _metrics(result: dict) -> dict[str, float]:
    return {name: float(result[group][name]) for group, name in METRICS}


def _top1(result: dict) -> dict[str, tuple | None]:
    return {q["id"]: (tuple(sorted(q["retrieved"][0].items())) if q["retrieved"] else None)
            for q in result["per_question"]}


def compare(reference: Path, candidate: Path) -> list[SetComparison]:
    ref, cand = _load(reference), _load(candidate)
    if not ref or set(ref) != set(cand):
        raise ValueError(f"{candidate}: its QA sets {sorted(cand)} differ from {reference}'s {sorted(ref)}")
    out = []
    for name in ref:
        a, b = _top1(ref[name]), _top1(cand[name])
        out.append(SetComparison(name, _metrics(ref[name]), _metrics(cand[name]),
                                 sum(1 for q in a if a[q] == b.get(q)), len(a)))
    return out


def table(reference: Path, candidates: Sequence[Path], tolerance: float = 0.01) -> str:
    lines = ["| runtime | QA set | recall@1 | recall@3 | keyword acc. | top-1 passage agreement | within ±"
             f"{tolerance} |", "| --- | --- | --- | --- | --- | --- | --- |"]
    verdicts = []
    for folder in candidates:
        rows = compare(reference, folder)
        passed = all(r.largest_change <= tolerance + 1e-9 for r in rows)
        verdicts.append(f"{Path(folder).name}: {'passes' if passed else 'FAILS'}")
        for r in rows:
            cells = [f"{r.candidate[m]:.3f} ({r.candidate[m] - r.reference[m]:+.3f})" for _, m in METRICS]
            lines.append(f"| {Path(folder).name} | {r.qa_set.removesuffix('-extractive')} | {' | '.join(cells)} | "
                         f"{r.top1_same}/{r.questions} | {'yes' if r.largest_change <= tolerance + 1e-9 else 'no'} |")
    return "\n".join(lines + ["", "; ".join(verdicts)])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference", type=Path, help="eval_sets.py --out folder of torch fp32")
    ap.add_argument("candidates", type=Path, nargs="+")
    ap.add_argument("--tolerance", type=float, default=0.01)
    args = ap.parse_args(argv)
    print(table(args.reference, args.candidates, args.tolerance))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
