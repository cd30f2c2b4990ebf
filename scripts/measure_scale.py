"""Issue 11 on a large index, in this checkout: retrieval latency (and its parts) in process, and
the web upload of new briefings (embedder loaded, Chroma's graph loaded, as in the chat).

    python scripts/measure_scale.py retrieval IX            # 22 bench questions x 3, after warm-up
    python scripts/measure_scale.py upload COPY_OF_IX F...  # Ingestor.ingest_uploads, one file at a time

Run it from two checkouts on the same index to compare code (the machine is shared: alternate
them). A 2,000-briefing index: ``briefing-assistant bench --sizes 2000 --real-embed-limit 1000
--keep-in DIR``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from assistant.config import Settings  # noqa: E402
from assistant.tools.stats import percentile  # noqa: E402


def retrieval(index_dir: str, rounds: int = 3) -> None:
    from assistant.answer.assistant import Assistant
    from assistant.tools.bench import QUESTIONS

    assistant = Assistant.from_settings(Settings(index_dir=index_dir, llm="extractive"))
    assistant.warm_up("extractive")
    for q in QUESTIONS:
        assistant.retrieve(q)
    total, parts = [], {"embed_query": [], "dense": [], "bm25": []}
    for _ in range(rounds):
        for q in QUESTIONS:
            t = time.perf_counter()
            result = assistant.retriever.search(q)
            total.append(time.perf_counter() - t)
            for name, values in parts.items():
                values.append(result.timings.get(name, 0.0))
    ms = {name: round(percentile(v, 50) * 1000, 1) for name, v in parts.items()}
    print(f"retrieval p50 {percentile(total, 50) * 1000:.1f} ms, p95 {percentile(total, 95) * 1000:.1f} ms; "
          f"p50 parts {ms}; load {os.getloadavg()[0]:.2f}")


def upload(index_dir: str, files: list[str]) -> None:
    from assistant.ingest.ingestor import Ingestor
    from assistant.store.embed_runtimes import make_embedder
    from assistant.store.index import Index

    settings = Settings(index_dir=index_dir)
    t0 = time.perf_counter()
    embedder = make_embedder(settings)
    embedder.load()
    index = Index(settings, embedder)
    index.dense_search(embedder.encode(["What did the spokeswoman say about Libya?"])[0], 10)  # the graph
    print(f"ready after {time.perf_counter() - t0:.2f} s")
    for f in files:
        t = time.perf_counter()
        [r] = Ingestor(index, settings).ingest_uploads([(Path(f).name, Path(f).read_bytes())]).results
        print(f"{Path(f).name}: {r.status}, {r.chunks} chunks, {time.perf_counter() - t:.2f} s; "
              f"load {os.getloadavg()[0]:.2f}")
    index.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["retrieval", "upload"])
    p.add_argument("index")
    p.add_argument("files", nargs="*")
    args = p.parse_args()
    retrieval(args.index) if args.what == "retrieval" else upload(args.index, args.files)


if __name__ == "__main__":
    main()
