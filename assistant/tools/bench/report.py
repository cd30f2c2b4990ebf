"""What the bench says: a log line per step, the notes (what the numbers say and what limits
them, from the measurements) and the plot of latency and throughput against corpus size."""

from __future__ import annotations

from pathlib import Path

from assistant.tools.bench.results import BenchResult, Step


def step_line(s: Step) -> str:
    return (f"{s.briefings} briefings, {s.chunks} chunks: ingest {s.chunks_per_s} chunks/s "
            f"(torch fp32 encode {s.torch_fp32_chunks_per_s}/s), index {s.index_mb} MB, RSS {s.rss_mb} MB, "
            f"retrieval p50/p95 {s.retrieval_ms.p50}/{s.retrieval_ms.p95} ms (query embedding "
            f"{s.query_embed_ms.p50}/{s.query_embed_ms.p95} ms), answer p50 {s.answer_ms.p50} ms")


def notes(r: BenchResult, real_model: bool, cold_start_run: bool) -> str:
    """What the numbers say and what limits them, from the measurements."""
    first, last = r.steps[0], r.steps[-1]
    out = [
        f"Synthetic corpus from {Path(r.corpus['sample']).name}: dates, section subset and order, sentence "
        f"order, numbers, months, place/person names and some wording perturbed per briefing; labelled by "
        f"'[synthetic #N]' in the title and synthetic=true in the registry.",
        _ingest_note(next((s for s in reversed(r.steps) if not s.copied_vectors), last),
                     r.machine.get("torch_fp32_embedder")),
        f"Retrieval p50 {first.retrieval_ms.p50} ms at {first.briefings} briefing(s) -> {last.retrieval_ms.p50} "
        f"ms at {last.briefings} ({last.chunks} chunks); at the last step the query embedding alone takes "
        f"{last.query_embed_ms.p50} ms p50 / {last.query_embed_ms.p95} ms p95 (query_embed_ms), Chroma "
        f"{last.retrieval_parts_ms['dense']} ms, BM25 {last.retrieval_parts_ms['bm25']} ms (p50). Extractive "
        f"answers: p50 {last.answer_ms.p50} ms over all questions, {last.answered_ms.p50} ms over the "
        f"{len(last.answered)} answered (the others abstain, which skips evidence selection); evidence "
        f"selection embeds the candidate sections' sentences (cached per process, so these are first-time costs).",
        f"RSS {last.rss_mb} MB after the last step (peak {last.peak_rss_mb} MB) in the bench process, which "
        f"also holds the torch fp32 reference model and the bench's own vectors: the embedder(s), Chroma's "
        f"HNSW graph, and bounded LRU caches of chunks and briefings (their text stays in docs.sqlite3 on "
        f"disk); index {last.index_mb} MB on disk.",
        _server_note(r, last),
        _copied_note(r),
    ]
    errors = [e for s in r.steps for e in s.ingest_errors]
    if errors:
        out.append(f"{len(errors)} synthetic file(s) failed to ingest, e.g. {errors[0]}")
    out.append(_cold_start_note(r, real_model, cold_start_run))
    out += _machine_notes(r.machine)
    return " ".join(x for x in out if x)


def _ingest_note(last: Step, reference: str | None) -> str:
    share = last.embed_seconds / last.ingest_seconds if last.ingest_seconds else float("nan")
    return (f"Ingest at {last.briefings} briefings (the last step embedded by the model): {last.chunks_per_s} chunks/s (chunks_per_s) = {last.ingest_vs_torch_fp32:.0%} "
            f"of a plain sentence-transformers torch fp32 encode of the same chunks in the same run "
            f"({last.torch_fp32_chunks_per_s}/s, torch_fp32_chunks_per_s, by {reference or 'the torch model'}); "
            f"{share:.0%} of the ingest time is in the embedder (new chunks of 8 files at a time in one call), "
            f"the rest is reading/parsing/chunking, Chroma writes, the registry and the BM25 index (one new "
            f"segment per file, merged with its like-sized neighbours).")


def _server_note(r: BenchResult, last: Step) -> str:
    store = r.machine.get("vector_store", "")
    if not store.startswith("chroma server"):
        return ""
    rss = f"; the server's RSS {last.chroma_server_rss_mb} MB" if last.chroma_server_rss_mb is not None else ""
    return (f"Vectors on the {store} (collection {r.corpus.get('collection')}, deleted at the end): the HNSW "
            f"graph lives in the server process, not in the bench's RSS, and index_mb excludes it{rss}.")


def _copied_note(r: BenchResult) -> str:
    copied = [s for s in r.steps if s.copied_vectors]
    if not copied:
        return "Every chunk was embedded by the model."
    return (f"Real-embedding limit {r.corpus.get('real_embed_limit')} chunks: {r.corpus.get('chunks_embedded_for_real')} "
            f"chunks were embedded by the model, {r.corpus.get('chunks_with_copied_vectors')} got a copy of a real "
            f"vector (steps {', '.join(str(s.briefings) for s in copied)}: no ingest throughput). At those steps "
            f"the index has its full size, so RSS, retrieval latency and cold start are measured on it; questions "
            f"are always embedded by the model, but what such an index retrieves is not meaningful.")


def _cold_start_note(r: BenchResult, real_model: bool, cold_start_run: bool) -> str:
    cs = r.cold_start
    if cs and cs.error is None:
        return (f"Cold start at {cs.briefings} briefings: {r.cold_start_s} s from process start to the answer "
                f"(cold_start_s), {cs.seconds_to_exit} s to exit, peak RSS of that process and its model process "
                f"{cs.rss_mb} MB (embedder loaded, no LLM); {cs.answer_total_ms} ms of it inside the question, "
                f"which waits for the models loading in the model process since the start; the rest is Python "
                f"start, imports and opening the index; the model files were already in the OS file cache.")
    if cs:
        return f"Cold start failed: {cs.error}"
    if not real_model:
        return "Cold start skipped: it needs the real embedding model."
    if not cold_start_run:
        return "Cold start skipped on request."
    return ""


def _machine_notes(m: dict) -> list[str]:
    out = [f"Machine: {m['cpus']} CPUs, torch threads {m['torch_threads']}, load average {m['load_avg_1m']} "
           f"at start and {m.get('load_avg_1m_end')} at the end; other processes slow every number down. "
           f"MB = 2^20 bytes."]
    busy = max(m["load_avg_1m"], m.get("load_avg_1m_end") or 0) >= 0.75 * (m["cpus"] or 1)
    if busy and (m["torch_threads"] or 1) > 1:
        out.append("The machine was busy while torch used several threads: its threads then wait for each other "
                   "and a single query embedding can take hundreds of ms instead of ~15; compare with "
                   "ASSISTANT_TORCH_THREADS=1, or run on an idle machine.")
    return out


def _style_axis(ax, sizes: list[int], ylabel: str, title: str) -> None:
    ax.set_ylim(bottom=0)
    ax.set_xlabel("corpus size (synthetic briefings, log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(v) for v in sizes])
    ax.minorticks_off()
    ax.margins(x=0.08)


def plot(r: BenchResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [s.briefings for s in r.steps]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax.plot(x, [s.retrieval_ms.p50 for s in r.steps], "o-", label="retrieval p50")
    ax.plot(x, [s.retrieval_ms.p95 for s in r.steps], "s--", label="retrieval p95")
    ax.plot(x, [s.query_embed_ms.p50 for s in r.steps], "d:", label="query embedding p50")
    ax.plot(x, [s.answer_ms.p50 for s in r.steps], "^-", label="extractive answer p50")
    for s in r.steps:
        ax.annotate(f"{s.chunks} chunks", (s.briefings, s.retrieval_ms.p50), textcoords="offset points",
                    xytext=(0, -13), ha="center", fontsize=7, color="gray")
    ax2.plot(x, [s.chunks_per_s for s in r.steps], "o-", label="ingest (chunks/s)")
    ax2.plot(x, [s.torch_fp32_chunks_per_s for s in r.steps], "s--", label="torch fp32 encode (chunks/s)")
    _style_axis(ax, x, "latency (ms)", "Query latency vs corpus size")
    _style_axis(ax2, x, "chunks per second", "Ingest throughput of each step")
    m = r.machine
    fig.suptitle(f"briefing-assistant bench — {m['embedder']}, {m['cpus']} CPUs, torch threads "
                 f"{m['torch_threads']}, load avg {m['load_avg_1m']}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
