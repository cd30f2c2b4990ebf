"""Retrieval latency with and without folding copies of one briefing, in one run: the sample, the
archive fixtures and tests/data/copies ingested with the real embedder, then every question of the
given QA files searched with folding on and off, alternately (the query vector computed once, so
both sides time the same search), several rounds. Prints p50/p95 of each and their ratio, and how
many searches the folding changed.

    python scripts/measure_copies.py --index /tmp/i9copies tests/data/qa/archive_tune.jsonl \
        tests/data/qa/archive_test.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
import assistant.offline  # noqa: F401,E402
from assistant.answer.retrieval import Retriever  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.ingest.ingestor import Ingestor  # noqa: E402
from assistant.store.embedding import MiniLMEmbedder  # noqa: E402
from assistant.store.index import Index  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPORA = [ROOT / "corpus", ROOT / "tests" / "data" / "archive", ROOT / "tests" / "data" / "copies"]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("qa", nargs="+")
    p.add_argument("--index", required=True)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    settings = Settings(index_dir=Path(args.index), llm="extractive", _env_file=None)
    embedder = MiniLMEmbedder(settings.embedding.torch_threads)
    index = Index(settings, embedder)
    report = Ingestor(index, settings).ingest([str(c) for c in CORPORA], show_progress=False)
    assert report.ok, report.failed
    on = Retriever(index, embedder, settings)
    off = Retriever(index, embedder, settings.replace(fold_copies=False))
    questions = [json.loads(line)["question"] for f in args.qa for line in open(f, encoding="utf-8") if line.strip()]
    vectors = [on.embed_query(q) for q in questions]
    for q, v in zip(questions[:5], vectors):  # warm-up: caches, Chroma, BM25
        on.search(q, query_vec=v), off.search(q, query_vec=v)
    times: dict[str, list[float]] = {"fold": [], "no fold": []}
    changed = 0
    for r in range(args.rounds):
        for i, (q, v) in enumerate(zip(questions, vectors)):
            order = (("fold", on), ("no fold", off)) if (i + r) % 2 == 0 else (("no fold", off), ("fold", on))
            refs = {}
            for name, retriever in order:
                t0 = time.perf_counter()
                result = retriever.search(q, query_vec=v)
                times[name].append(time.perf_counter() - t0)
                refs[name] = [(s.ref.briefing_id, s.ref.section_index) for s in result.sections]
            changed += r == 0 and refs["fold"] != refs["no fold"]
    p50 = {k: statistics.median(v) * 1000 for k, v in times.items()}
    for name, values in times.items():
        print(f"{name:8s} p50 {p50[name]:.2f} ms  p95 {pct(values, 0.95) * 1000:.2f} ms  ({len(values)} searches)")
    print(f"ratio fold / no fold (p50): {p50['fold'] / p50['no fold']:.3f}; "
          f"{changed} of {len(questions)} questions got other sections; {len(index.copies())} briefings have copies")
    index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
