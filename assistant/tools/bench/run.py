"""The bench run: a temporary index, the corpus grown step by step, each step measured."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from assistant.config import Settings
from assistant.ingest.ingestor import Ingestor
from assistant.store.embed_runtimes import make_embedder, make_query_embedder
from assistant.store.embedding import MODEL_NAME, Embedder
from assistant.store.index import Index
from assistant.text import count_tokens
from assistant.tools.bench import measure
from assistant.tools.bench.report import notes, plot, step_line
from assistant.tools.bench.reuse import ReusingEmbedder
from assistant.tools.bench.results import BenchResult, Step
from assistant.tools.synthetic import Template, load_template, write_synthetic

# questions about the sample briefing (retrieval and answer latency, cold start)
QUESTIONS: tuple[str, ...] = (
    "Who convened the Paris conference on Libya?",
    "Who will represent France at the 2+2 meeting of the Security Cooperation Council?",
    "Which regional issues will the Russian and French ministers discuss?",
    "When will Lavrov meet the Chairperson of the African Union Commission?",
    "What will Lavrov discuss with the OSCE Chairperson-in-Office?",
    "Which party won the parliamentary elections in Nicaragua?",
    "What is Russia's assessment of the situation in Afghanistan?",
    "What is happening in southeastern Ukraine and Donbass?",
    "What did the ministry say about the conflict in the Tigray region of Ethiopia?",
    "What is the Russia-US draft resolution on international information security about?",
    "What was decided about the EUFOR Althea mandate in Bosnia and Herzegovina?",
    "What happened with the UN MINUSCA vehicle in the Central African Republic?",
    "How did Russia and the Philippines cooperate against COVID-19?",
    "What is the Intersputnik International Organisation of Space Communications?",
    "What is the Missiya Dobro programme?",
    "What is the situation around Sputnik Meedia in Estonia?",
    "Should the EU introduce sanctions against Belarus over the migrant crisis?",
    "What humanitarian aid will Russia send to Afghanistan?",
    "Who will the US Special Representative for Afghanistan meet in Moscow?",
    "Will Russia and Kazakhstan recognise each other's vaccination certificates?",
    "What is Russia's position on the withdrawal of foreign forces from Libya?",
    "How many countries were represented at the World Congress of Compatriots?",
)


@dataclass
class BenchContext:
    settings: Settings  # pointing at the temporary index
    root: Path
    corpus_dir: Path
    template: Template
    embedder: measure.TimedEmbedder  # the ingest's (copies vectors past the real-embedding limit)
    query_embedder: Embedder  # questions: always the real model
    torch_fp32: Embedder  # the plain torch fp32 encode reference
    index: Index
    questions: Sequence[str]
    seed: int
    log: Callable[[str], None]
    show_progress: bool


def run_step(ctx: BenchContext, done: int, size: int) -> Step:
    """Grow the corpus from ``done`` to ``size`` briefings and measure."""
    ctx.log(f"writing synthetic briefings {done + 1}..{size}")
    paths = write_synthetic(ctx.template, range(done + 1, size + 1), ctx.corpus_dir, ctx.seed)
    embed_before = ctx.embedder.seconds
    copied_before = getattr(ctx.embedder.inner, "copied", 0)
    t0 = time.perf_counter()
    report = Ingestor(ctx.index, ctx.settings).ingest(paths, show_progress=ctx.show_progress, synthetic=True)
    ingest_s = time.perf_counter() - t0
    embed_s = ctx.embedder.seconds - embed_before
    copied = getattr(ctx.embedder.inner, "copied", 0) - copied_before
    ids = {r.briefing_id for r in report.results if r.briefing_id}
    ctx.log(f"{size} briefings: {report.embedded} chunks embedded in {ingest_s:.1f} s; torch fp32 encode reference")
    n_ref, ref_rate = measure.encode_rate(ctx.torch_fp32, ctx.index, ids, ctx.settings.embedding.embed_batch_size)
    ctx.log(f"{size} briefings: retrieval and extractive answer latency ({len(ctx.questions)} questions)")
    retrieval = measure.retrieval_latency(ctx.index, ctx.query_embedder, ctx.settings, ctx.questions)
    answers = measure.answer_latency(ctx.index, ctx.query_embedder, ctx.settings, ctx.questions)
    rate = report.embedded / ingest_s if ingest_s > 0 and not copied else float("nan")
    return Step(
        briefings=len(ctx.index.snapshot.registry.briefings), chunks=len(ctx.index), embedded=report.embedded,
        ingest_seconds=round(ingest_s, 2), embed_seconds=round(embed_s, 2), chunks_per_s=round(rate, 1),
        torch_fp32_chunks=n_ref, torch_fp32_chunks_per_s=round(ref_rate, 1),
        ingest_vs_torch_fp32=round(rate / ref_rate, 4) if math.isfinite(ref_rate) and ref_rate > 0 else float("nan"),
        index_mb=measure.mb(ctx.index.disk_bytes()), rss_mb=measure.rss_mb(), peak_rss_mb=measure.peak_rss_mb(),
        retrieval_ms=retrieval.latency_ms, retrieval_parts_ms=retrieval.parts_ms,
        query_embed_ms=retrieval.query_embed_ms, answer_ms=answers.latency_ms, answered_ms=answers.answered_ms,
        abstained=answers.abstained, ingest_errors=[r.error or "" for r in report.failed], answered=answers.answered,
        copied_vectors=copied, chroma_server_rss_mb=measure.server_rss_mb(ctx.settings),
    )


def _sizes(sizes: Sequence[int]) -> list[int]:
    out = sorted(set(int(s) for s in sizes))
    if not out or out[0] < 1:
        raise ValueError(f"bench sizes must be positive integers, not {list(sizes)!r}")
    return out


def _torch_threads() -> int | None:
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


def machine_info(embedder: Embedder, torch_fp32: Embedder) -> dict:
    return {
        "cpus": os.cpu_count(),
        "torch_threads": _torch_threads(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "embedder": getattr(embedder, "variant", None) or embedder.name,
        "torch_fp32_embedder": torch_fp32.name,
    }


def _logger(show: bool) -> Callable[[str], None]:
    start = time.perf_counter()

    def log(msg: str) -> None:
        if show:
            print(f"[bench {time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return log


def run_bench(settings: Settings, sizes: Sequence[int], json_out: str | Path | None = None,
              plot_out: str | Path | None = None, show_progress: bool = True, *,
              embedder: Embedder | None = None, torch_fp32: Embedder | None = None, cold_start_run: bool = True,
              cold_start_each: bool = False, questions: Sequence[str] = QUESTIONS, seed: int = 0,
              keep_dir: bool = False, work_dir: str | Path | None = None, real_embed_limit: int | None = None,
              chroma_host: str | None = None, chroma_port: int | None = None) -> dict:
    """Benchmark on synthetic corpora of ``sizes`` briefings (grown incrementally in one
    temporary index). Returns the result as a dict (also written to ``json_out``); ``plot_out``
    gets a PNG of latency against corpus size. ``embedder`` defaults to the real model;
    ``torch_fp32`` is the plain sentence-transformers torch fp32 model whose encode of each step's
    chunks is the ingest's reference (default: ``embedder`` when it is that model, else one loaded
    for the purpose). The cold start (a fresh ``python -m assistant ask``, at the largest size or,
    with ``cold_start_each``, at every size) needs the real model and is skipped otherwise.
    ``keep_dir`` keeps the temporary corpus and index (created in ``work_dir``, default the
    system's temporary folder). ``real_embed_limit``: the ingest embeds this many chunks with the
    model and gives later chunks copies of real vectors (``reuse.ReusingEmbedder``; those steps
    report no ingest throughput); None embeds everything. ``chroma_host``/``chroma_port``: the
    vectors go to that Chroma server (``chroma run``), in a collection of the bench's own
    (``bench-<random>``) deleted at the end (kept with ``keep_dir``); nothing else on the server is
    read or changed. Default: an embedded store in the temporary index."""
    t_start = time.perf_counter()
    sizes = _sizes(sizes)
    log = _logger(show_progress)
    inner = embedder or make_embedder(settings)
    query = embedder or make_query_embedder(settings, inner)  # what an assistant embeds questions with
    reference = torch_fp32 or measure.torch_fp32_reference(inner, settings.embedding.torch_threads)
    root = Path(tempfile.mkdtemp(prefix="briefing-bench-", dir=work_dir))
    ctx: BenchContext | None = None
    try:
        log(f"temporary corpus and index in {root}; loading the embedding model")
        model_load_s = measure.warm_up(inner)
        if query is not inner:
            measure.warm_up(query)
        if reference is not inner:
            measure.warm_up(reference)
        ingest = ReusingEmbedder(inner, real_embed_limit) if real_embed_limit is not None else inner
        bench_settings = _bench_settings(settings, root, chroma_host, chroma_port)
        ctx = _context(bench_settings, settings, ingest, query, reference, questions, seed, log, show_progress)
        machine = {**machine_info(inner, reference), "vector_store": _store_label(bench_settings)}
        real_model = inner.name == MODEL_NAME
        steps = _run_steps(ctx, sizes, real_model and cold_start_run, cold_start_each)
        machine["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
        machine["torch_threads"] = _torch_threads()
        result = BenchResult(
            sizes=sizes, steps=steps, cold_start=steps[-1].cold_start, machine=machine,
            model_load_s=model_load_s, total_seconds=round(time.perf_counter() - t_start, 1),
            corpus=_corpus_info(ctx))
        result.notes = notes(result, real_model, cold_start_run)
        out = result.to_dict()
        _write_outputs(result, out, json_out, plot_out)
        return out
    finally:
        if ctx is not None and ctx.settings.store.chroma_host and not keep_dir:
            log(f"deleting the bench's collection {ctx.settings.store.collection} on {_store_label(ctx.settings)}")
            ctx.index.parts.vectors.drop_collection()
        if ctx is not None:
            ctx.index.parts.vectors.close()
            ctx.index.close()
        if keep_dir:
            server = ctx is not None and ctx.settings.store.chroma_host
            log(f"kept {root}" + (f" and collection {ctx.settings.store.collection}" if server else ""))
        else:
            shutil.rmtree(root, ignore_errors=True)


def _bench_settings(settings: Settings, root: Path, chroma_host: str | None, chroma_port: int | None) -> Settings:
    """A temporary index: an embedded Chroma store in it, or a new collection of the bench's own on
    the Chroma server named here; never the user's index, server or collection."""
    changes: dict = {"index_dir": root / "index", "chroma_host": chroma_host or None}
    if chroma_host:
        changes["collection"] = f"bench-{uuid.uuid4().hex[:12]}"
        if chroma_port:
            changes["chroma_port"] = chroma_port
    return settings.replace(**changes)


def _store_label(settings: Settings) -> str:
    store = settings.store
    return f"chroma server {store.chroma_host}:{store.chroma_port}" if store.chroma_host else "embedded chroma"


def _context(bench_settings: Settings, settings: Settings, embedder: Embedder, query_embedder: Embedder,
             torch_fp32: Embedder, questions: Sequence[str], seed: int, log: Callable[[str], None],
             show_progress: bool) -> BenchContext:
    """The temporary index, opened before anything is timed (its Chroma collection is made last)."""
    template = load_template(settings)
    count_tokens("warm up")  # load the tokenizer
    timed = measure.TimedEmbedder(embedder)
    index = Index(bench_settings, timed)
    index.collection()
    root = bench_settings.store.index_dir.parent
    return BenchContext(bench_settings, root, root / "corpus", template, timed, query_embedder,
                        torch_fp32, index, questions, seed, log, show_progress)


def _run_steps(ctx: BenchContext, sizes: list[int], cold: bool, cold_each: bool) -> list[Step]:
    steps: list[Step] = []
    done = 0
    for size in sizes:
        step = run_step(ctx, done, size)
        done = size
        if cold and (cold_each or size == sizes[-1]):
            ctx.log(f"{size} briefings: cold start (a new process answering one question)")
            question = (step.answered or ctx.questions)[0]  # one the corpus answers, not an abstention
            step.cold_start = measure.cold_start(ctx.settings.store.index_dir, question, step.briefings,
                                                 settings=ctx.settings)
        steps.append(step)
        ctx.log(step_line(step))
    return steps


def _write_outputs(result: BenchResult, out: dict, json_out: str | Path | None,
                   plot_out: str | Path | None) -> None:
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(json.dumps(out, indent=2), encoding="utf-8")
    if plot_out:
        plot(result, Path(plot_out))


def _corpus_info(ctx: BenchContext) -> dict:
    return {
        "sample": str(ctx.template.source),
        "seed": ctx.seed,
        "synthetic_label": "title contains [synthetic #N]; registry entries have synthetic=true",
        "chunk_tokens": ctx.settings.ingest.chunk_tokens,
        "embed_batch_size": ctx.settings.embedding.embed_batch_size,
        "questions": len(ctx.questions),
        "collection": ctx.settings.store.collection if ctx.settings.store.chroma_host else None,
        "real_embed_limit": getattr(ctx.embedder.inner, "limit", None),
        "chunks_embedded_for_real": getattr(ctx.embedder.inner, "real", None),
        "chunks_with_copied_vectors": getattr(ctx.embedder.inner, "copied", None),
    }
