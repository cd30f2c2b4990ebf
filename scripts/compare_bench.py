"""Embedded Chroma store against a Chroma server: a Markdown table from ``bench --json`` outputs of
both modes (issue 11, past one machine). Each cell lists every run's value (in the order given);
the ratio is server / embedded of the runs' means.

    python scripts/compare_bench.py --embedded e1.json e2.json --server s1.json s2.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Callable

Metric = Callable[[dict], "float | None"]


def _cold(key: str) -> Metric:
    return lambda s: (s.get("cold_start") or {}).get(key)


METRICS: list[tuple[str, Metric]] = [
    ("ingest chunks/s (model)", lambda s: s["chunks_per_s"]),
    ("ingest chunks/s (all, vectors copied past the limit)",
     lambda s: s["embedded"] / s["ingest_seconds"] if s["ingest_seconds"] else None),
    ("retrieval p50 ms", lambda s: s["retrieval_ms"]["p50"]),
    ("retrieval p95 ms", lambda s: s["retrieval_ms"]["p95"]),
    ("Chroma search p50 ms", lambda s: s["retrieval_parts_ms"]["dense"]),
    ("query embedding p50 ms", lambda s: s["query_embed_ms"]["p50"]),
    ("RSS of the assistant MB", lambda s: s["rss_mb"]),
    ("RSS of the Chroma server MB", lambda s: s.get("chroma_server_rss_mb")),
    ("cold start s (to the answer)", _cold("seconds_to_answer")),
    ("cold start: peak RSS MB", _cold("rss_mb")),
]


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) < 1 else f"{v:.1f}"


def _cell(values: list[float | None]) -> str:
    return " / ".join(_fmt(v) for v in values)


def _ratio(emb: list[float | None], srv: list[float | None]) -> str:
    e, s = [v for v in emb if v is not None], [v for v in srv if v is not None]
    if not e or not s or not statistics.mean(e):
        return "—"
    return f"{statistics.mean(s) / statistics.mean(e):.2f}"


def table(embedded: list[dict], server: list[dict]) -> str:
    sizes = sorted({s["briefings"] for r in embedded + server for s in r["steps"]})
    lines = ["| briefings | metric | embedded | server | server / embedded |", "| --- | --- | --- | --- | --- |"]
    for size in sizes:
        chunks = next(s["chunks"] for r in embedded + server for s in r["steps"] if s["briefings"] == size)
        for name, metric in METRICS:
            emb = [metric(s) for r in embedded for s in r["steps"] if s["briefings"] == size]
            srv = [metric(s) for r in server for s in r["steps"] if s["briefings"] == size]
            if all(v is None for v in emb + srv):
                continue
            row = [f"{size:,} ({chunks:,} chunks)", name, _cell(emb), _cell(srv), _ratio(emb, srv)]
            lines.append("| " + " | ".join(row) + " |")
    loads = [f"{m.get('vector_store', 'embedded chroma')}: {m['load_avg_1m']} → {m.get('load_avg_1m_end')}"
             for m in (r["machine"] for r in embedded + server)]
    return "\n".join(lines) + "\n\nLoad average (1 min) at start → end of each run: " + "; ".join(loads) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--embedded", nargs="+", type=Path, required=True)
    ap.add_argument("--server", nargs="+", type=Path, required=True)
    args = ap.parse_args()
    load = lambda paths: [json.loads(p.read_text(encoding="utf-8")) for p in paths]  # noqa: E731
    print(table(load(args.embedded), load(args.server)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
