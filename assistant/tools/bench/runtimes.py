"""Embedder runtimes compared in one process, on the same texts, interleaved (the machine is shared):
ingest throughput (chunks/s at the ingest batch size), single-query latency, and agreement with
torch fp32 (cosine of the vectors, top-1 chunk of each question).

    python -m assistant.tools.bench.runtimes [--runtimes torch-fp32,openvino-fp32,...] [--rounds 2]
        [--texts 640] [--json docs/bench-runtimes.json]

Texts: the chunks of the sample briefing and of the archive fixtures (``tests/data/archive`` when
present), as ingest embeds them; queries: the bench's questions. Each round, every runtime encodes
each slice of 64 chunks in a rotating order, then every query; ratios are against torch fp32 in
the same round."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.config import Settings, get_settings
from assistant.store.embed_export import RUNTIMES
from assistant.store.embed_runtimes import make_embedder
from assistant.store.embedding import Embedder
from assistant.tools.bench.run import QUESTIONS

REFERENCE = "torch-fp32"


@dataclass
class RuntimeRow:
    runtime: str
    variant: str
    load_s: float  # first load in this process (export excluded when cached)
    chunks_per_s: list[float] = field(default_factory=list)  # one per round
    vs_torch: list[float] = field(default_factory=list)  # chunks/s over torch's in the same round
    query_ms_p50: list[float] = field(default_factory=list)
    query_vs_torch: list[float] = field(default_factory=list)  # query p50 over torch's (lower is faster)
    cos_mean: float = float("nan")
    cos_min: float = float("nan")
    top1_agree: int = 0
    top1_of: int = 0


def chunk_texts(settings: Settings, limit: int = 640) -> list[str]:
    """Embed texts of the sample's and the archive fixtures' chunks, as ingest makes them."""
    from assistant.ingest.chunking import chunk_briefing
    from assistant.ingest.ingestor import parse_file

    root = Path(settings.sample_corpus_dir)
    files = sorted(root.glob("*.txt")) + sorted((root.parent / "tests" / "data" / "archive").glob("*"))
    texts: list[str] = []
    for path in files:
        try:
            briefing = parse_file(path, settings)
        except Exception:  # noqa: BLE001 - fixtures of unreadable files are there on purpose
            continue
        texts += [c.embed_text for c in chunk_briefing(briefing, settings.ingest.chunk_tokens,
                                                       settings.ingest.context_tokens)]
    return texts[:limit]


def _rotate(names: list[str], k: int) -> list[str]:
    k %= len(names)
    return names[k:] + names[:k]


def _round(embedders: dict[str, Embedder], texts: Sequence[str], queries: Sequence[str], r: int,
           batch: int) -> tuple[dict[str, float], dict[str, float]]:
    spent = dict.fromkeys(embedders, 0.0)
    for i in range(0, len(texts), batch):
        for name in _rotate(list(embedders), r + i // batch):
            t0 = time.perf_counter()
            embedders[name].encode(texts[i:i + batch], batch_size=batch)
            spent[name] += time.perf_counter() - t0
    times: dict[str, list[float]] = {n: [] for n in embedders}
    for j, q in enumerate(queries):
        for name in _rotate(list(embedders), r + j):
            t0 = time.perf_counter()
            embedders[name].encode([q], batch_size=1)
            times[name].append((time.perf_counter() - t0) * 1000)
    return ({n: len(texts) / s for n, s in spent.items()}, {n: statistics.median(v) for n, v in times.items()})


def compare(settings: Settings, runtimes: Sequence[str], rounds: int = 2, log=print, texts_limit: int = 640) -> dict:
    names = [REFERENCE] + [r for r in runtimes if r != REFERENCE]
    texts, queries = chunk_texts(settings, texts_limit), list(QUESTIONS)
    embedders: dict[str, Embedder] = {}
    rows: dict[str, RuntimeRow] = {}
    for name in names:
        embedder = make_embedder(settings, name)
        t0 = time.perf_counter()
        embedder.encode(texts[:8])
        embedders[name] = embedder
        rows[name] = RuntimeRow(name, getattr(embedder, "variant", embedder.name), round(time.perf_counter() - t0, 2))
        log(f"{name}: loaded in {rows[name].load_s} s")
    vectors = {n: e.encode(texts) for n, e in embedders.items()}
    qvecs = {n: e.encode(queries) for n, e in embedders.items()}
    ref_top1 = (qvecs[REFERENCE] @ vectors[REFERENCE].T).argmax(1)
    for n, row in rows.items():
        cos = (vectors[n] * vectors[REFERENCE]).sum(1)
        row.cos_mean, row.cos_min = round(float(cos.mean()), 5), round(float(cos.min()), 5)
        row.top1_agree = int(((qvecs[n] @ vectors[n].T).argmax(1) == ref_top1).sum())
        row.top1_of = len(queries)
    loads = [round(os.getloadavg()[0], 2)]
    batch = settings.embedding.embed_batch_size
    for r in range(rounds):
        rates, lat = _round(embedders, texts, queries, r, batch)
        for n, row in rows.items():
            row.chunks_per_s.append(round(rates[n], 1))
            row.vs_torch.append(round(rates[n] / rates[REFERENCE], 3))
            row.query_ms_p50.append(round(lat[n], 2))
            row.query_vs_torch.append(round(lat[n] / lat[REFERENCE], 3))
        loads.append(round(os.getloadavg()[0], 2))
        log(f"round {r + 1}: " + ", ".join(f"{n} {rates[n]:.1f}/s {lat[n]:.1f} ms" for n in names))
    return {"texts": len(texts), "queries": len(queries), "batch_size": batch, "rounds": rounds,
            "cpus": os.cpu_count(), "threads": settings.embedding.torch_threads or os.cpu_count(),
            "load_avg_1m_per_round": loads, "rows": [asdict(r) for r in rows.values()]}


def table(result: dict) -> str:
    """Markdown: medians over the rounds, ratios against torch fp32 in the same round."""
    lines = ["| runtime | chunks/s | × torch (per round) | query p50 ms | query time vs torch | cos mean / min | "
             "top-1 agree |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['runtime']} | {statistics.median(r['chunks_per_s']):.1f} | "
                     f"{' / '.join(f'{v:.2f}' for v in r['vs_torch'])} | {statistics.median(r['query_ms_p50']):.1f} | "
                     f"{' / '.join(f'{v:.2f}' for v in r['query_vs_torch'])} | {r['cos_mean']:.4f} / "
                     f"{r['cos_min']:.4f} | {r['top1_agree']}/{r['top1_of']} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma-separated runtimes")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--texts", type=int, default=640, help="chunks encoded per runtime and round")
    ap.add_argument("--json", help="write the result here")
    args = ap.parse_args(argv)
    result = compare(get_settings(), [r.strip() for r in args.runtimes.split(",") if r.strip()], args.rounds,
                     log=lambda m: print(m, file=sys.stderr, flush=True), texts_limit=args.texts)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(table(result))
    return 0


if __name__ == "__main__":
    import assistant.offline  # noqa: F401

    raise SystemExit(main())
