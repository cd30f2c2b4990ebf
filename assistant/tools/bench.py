"""``briefing-assistant bench``: ingest throughput, index size, retrieval and answer latency,
memory and cold start on synthetic corpora of growing size.

The corpora are made from the sample transcript by ``assistant.synthetic`` (perturbed copies
labelled ``[synthetic #N]``) and go through the real reader, parser, chunker and index.

Everything is written to a temporary folder with its own index (never the user's index); the
corpus grows step by step (1, then 9 more, ...), so the total work is that of the largest size."""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import psutil

from assistant.config import Settings
from assistant.store.embedding import MODEL_NAME, Embedder, MiniLMEmbedder
from assistant.store.index import Index
from assistant.ingest.ingestor import Ingestor
from assistant.tools.synthetic import Template, load_template, write_synthetic
from assistant.text import count_tokens

# --------------------------------------------------------------------------------------------
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

# --------------------------------------------------------------------------------------------
# measurements


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Percentiles":
        if not values:
            return cls(float("nan"), float("nan"))
        return cls(round(float(np.percentile(values, 50)), 2), round(float(np.percentile(values, 95)), 2))


@dataclass
class ColdStart:
    briefings: int
    question: str
    seconds_to_answer: float | None  # process start -> the answer's JSON complete on stdout
    seconds_to_exit: float | None  # process start -> process exit
    answer_total_ms: float | None  # the child's own timing of the question
    abstained: bool | None
    error: str | None = None


@dataclass
class Step:
    briefings: int
    chunks: int
    embedded: int  # chunks embedded in this step
    ingest_seconds: float
    embed_seconds: float  # of ingest_seconds, inside the embedder
    chunks_per_s: float
    raw_encode_chunks: int
    raw_encode_chunks_per_s: float
    ingest_vs_raw: float
    index_mb: float
    rss_mb: float
    peak_rss_mb: float
    retrieval_ms: Percentiles
    retrieval_parts_ms: dict[str, float]  # p50 of embed_query / dense / bm25
    answer_ms: Percentiles  # extractive answers, all questions
    answered_ms: Percentiles  # extractive answers, the questions not abstained on
    abstained: int  # of the extractive answers
    ingest_errors: list[str] = field(default_factory=list)
    answered: tuple[str, ...] = ()  # questions answered in this step (not in the output)
    cold_start: ColdStart | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["answered"]
        return out


@dataclass
class BenchResult:
    sizes: list[int]
    steps: list[Step]
    cold_start: ColdStart | None
    machine: dict
    model_load_s: float
    total_seconds: float
    corpus: dict
    notes: str = ""

    def to_dict(self) -> dict:
        return _no_nan({
            "sizes": self.sizes,
            "steps": [s.to_dict() for s in self.steps],
            "cold_start_s": self.cold_start.seconds_to_answer if self.cold_start else None,
            "cold_start": asdict(self.cold_start) if self.cold_start else None,
            "model_load_s": self.model_load_s,
            "total_seconds": self.total_seconds,
            "machine": self.machine,
            "corpus": self.corpus,
            "notes": self.notes,
        })


def _no_nan(value):
    """NaN (nothing measured) -> None, so the JSON is standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


class TimedEmbedder:
    """Passes calls through to an embedder and adds up the time spent in it."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.texts = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return self.inner.encode(texts, batch_size=batch_size)
        finally:
            self.seconds += time.perf_counter() - t0
            self.texts += len(texts)


def _mb(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


def rss_mb() -> float:
    return _mb(psutil.Process().memory_info().rss)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return _mb(max(peak, psutil.Process().memory_info().rss))


def raw_encode_rate(embedder: Embedder, index: Index, briefing_ids: set[str], batch_size: int,
                    limit: int = 300) -> tuple[int, float]:
    """(chunks, chunks/s) of a plain ``encode`` of up to ``limit`` chunks of these briefings."""
    chunks = sorted((c for c in index.snapshot.chunks.values() if c.briefing_id in briefing_ids),
                    key=lambda c: (c.briefing_id, c.start))[:limit]
    if not chunks:
        return 0, float("nan")
    t0 = time.perf_counter()
    embedder.encode([c.embed_text for c in chunks], batch_size=batch_size)
    return len(chunks), len(chunks) / (time.perf_counter() - t0)


def retrieval_latency(index: Index, embedder: Embedder, settings: Settings, questions: Sequence[str],
                      rounds: int = 2) -> tuple[Percentiles, dict[str, float]]:
    from assistant.answer.retrieval import Retriever

    retriever = Retriever(index, embedder, settings)
    for q in questions[:2]:  # warm-up
        retriever.search(q)
    totals: list[float] = []
    parts: dict[str, list[float]] = {"embed_query": [], "dense": [], "bm25": []}
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            r = retriever.search(q)
            totals.append((time.perf_counter() - t0) * 1000)
            for name, values in parts.items():
                values.append(r.timings[name] * 1000)
    return Percentiles.of(totals), {k: round(float(np.median(v)), 2) for k, v in parts.items()}


@dataclass(frozen=True)
class AnswerStats:
    latency_ms: Percentiles  # all questions (an abstention skips the evidence step: faster)
    answered_ms: Percentiles  # the questions answered
    answered: tuple[str, ...]  # questions answered (not abstained), in order
    abstained: int


def answer_latency(index: Index, embedder: Embedder, settings: Settings, questions: Sequence[str]) -> AnswerStats:
    """Extractive answers with a fresh ``Assistant`` (its sentence-vector cache starts empty)."""
    from assistant.answer.assistant import Assistant

    assistant = Assistant(settings, embedder=embedder, index=index)
    times, answered = {}, []
    for q in questions:
        t0 = time.perf_counter()
        answer = assistant.ask(q, mode="extractive")
        times[q] = (time.perf_counter() - t0) * 1000
        if not answer.abstained:
            answered.append(q)
    return AnswerStats(Percentiles.of(list(times.values())), Percentiles.of([times[q] for q in answered]),
                       tuple(answered), len(questions) - len(answered))


def _child_env() -> dict[str, str]:
    """The child imports this same package and uses the embedded store of the temporary index."""
    env = dict(os.environ)
    env["ASSISTANT_CHROMA_HOST"] = ""  # not a server (an empty value also overrides a .env file)
    env["ASSISTANT_LLM"] = "extractive"
    env["PYTHONUNBUFFERED"] = "1"
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def cold_start(index_dir: Path, question: str, briefings: int, timeout_s: float = 600.0) -> ColdStart:
    """Time ``python -m assistant --index DIR ask QUESTION --llm extractive --json`` end to end."""
    cmd = [sys.executable, "-m", "assistant", "--index", str(index_dir), "ask", question,
           "--llm", "extractive", "--json"]
    stderr_lines: list[str] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_child_env())
    drain = threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True)
    drain.start()
    timer = threading.Timer(timeout_s, proc.kill)
    timer.start()
    out, answered_at, answer = "", None, None
    result = ColdStart(briefings, question, None, None, None, None)
    try:
        for line in proc.stdout:
            out += line
            if answered_at is None and line.startswith("}"):
                try:
                    answer = json.loads(out)
                    answered_at = time.perf_counter() - t0
                except ValueError:
                    pass
        code = proc.wait()
    finally:
        timer.cancel()
    exited_at = time.perf_counter() - t0
    drain.join(timeout=5)
    result.seconds_to_exit = round(exited_at, 2)
    if code != 0 or answer is None:
        tail = "".join(stderr_lines).strip().splitlines()[-1:] or [f"exit code {code}"]
        result.error = tail[0][:300]
        return result
    total = answer.get("timings", {}).get("total_ms")
    result.seconds_to_answer = round(answered_at, 2)
    result.answer_total_ms = round(total, 1) if total is not None else None
    result.abstained = bool(answer.get("abstained"))
    return result


# --------------------------------------------------------------------------------------------
# the run


@dataclass
class BenchContext:
    settings: Settings  # pointing at the temporary index
    root: Path
    corpus_dir: Path
    template: Template
    embedder: TimedEmbedder
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
    t0 = time.perf_counter()
    report = Ingestor(ctx.index, ctx.settings).ingest(paths, show_progress=ctx.show_progress, synthetic=True)
    ingest_s = time.perf_counter() - t0
    embed_s = ctx.embedder.seconds - embed_before
    ids = {r.briefing_id for r in report.results if r.briefing_id}
    ctx.log(f"{size} briefings: {report.embedded} chunks embedded in {ingest_s:.1f} s; raw encode reference")
    n_raw, raw_rate = raw_encode_rate(ctx.embedder.inner, ctx.index, ids, ctx.settings.embedding.embed_batch_size)
    ctx.log(f"{size} briefings: retrieval and extractive answer latency ({len(ctx.questions)} questions)")
    retrieval, parts = retrieval_latency(ctx.index, ctx.embedder, ctx.settings, ctx.questions)
    answers = answer_latency(ctx.index, ctx.embedder, ctx.settings, ctx.questions)
    rate = report.embedded / ingest_s if ingest_s > 0 else float("nan")
    return Step(
        briefings=len(ctx.index.snapshot.registry.briefings), chunks=len(ctx.index), embedded=report.embedded,
        ingest_seconds=round(ingest_s, 2), embed_seconds=round(embed_s, 2), chunks_per_s=round(rate, 1),
        raw_encode_chunks=n_raw, raw_encode_chunks_per_s=round(raw_rate, 1),
        ingest_vs_raw=round(rate / raw_rate, 4) if math.isfinite(raw_rate) and raw_rate > 0 else float("nan"),
        index_mb=_mb(ctx.index.disk_bytes()), rss_mb=rss_mb(), peak_rss_mb=peak_rss_mb(),
        retrieval_ms=retrieval, retrieval_parts_ms=parts, answer_ms=answers.latency_ms,
        answered_ms=answers.answered_ms, abstained=answers.abstained, ingest_errors=[r.error or "" for r in report.failed],
        answered=answers.answered,
    )


def _sizes(sizes: Sequence[int]) -> list[int]:
    out = sorted(set(int(s) for s in sizes))
    if not out or out[0] < 1:
        raise ValueError(f"bench sizes must be positive integers, not {list(sizes)!r}")
    return out


def _torch_threads() -> int | None:
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


def machine_info(embedder: Embedder) -> dict:
    return {
        "cpus": os.cpu_count(),
        "torch_threads": _torch_threads(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "embedder": embedder.name,
    }


def _warm_up(embedder: Embedder) -> float:
    """Load the model (and run its first call) before anything is timed."""
    t0 = time.perf_counter()
    embedder.encode(["Briefing by the Foreign Ministry Spokeswoman."], batch_size=1)
    return round(time.perf_counter() - t0, 2)


def _logger(show: bool) -> Callable[[str], None]:
    start = time.perf_counter()

    def log(msg: str) -> None:
        if show:
            print(f"[bench {time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return log


def run_bench(settings: Settings, sizes: Sequence[int], json_out: str | Path | None = None,
              plot_out: str | Path | None = None, show_progress: bool = True, *,
              embedder: Embedder | None = None, cold_start_run: bool = True, cold_start_each: bool = False,
              questions: Sequence[str] = QUESTIONS, seed: int = 0, keep_dir: bool = False,
              work_dir: str | Path | None = None) -> dict:
    """Benchmark on synthetic corpora of ``sizes`` briefings (grown incrementally in one
    temporary index). Returns the result as a dict (also written to ``json_out``); ``plot_out``
    gets a PNG of latency against corpus size. ``embedder`` defaults to the real model; the cold
    start (a fresh ``python -m assistant ask``, at the largest size or, with ``cold_start_each``,
    at every size) needs the real model and is skipped otherwise. ``keep_dir`` keeps the
    temporary corpus and index (created in ``work_dir``, default the system's temporary folder)."""
    t_start = time.perf_counter()
    sizes = _sizes(sizes)
    log = _logger(show_progress)
    inner = embedder or MiniLMEmbedder(settings.embedding.torch_threads)
    root = Path(tempfile.mkdtemp(prefix="briefing-bench-", dir=work_dir))
    try:
        log(f"temporary corpus and index in {root}; loading the embedding model")
        model_load_s = _warm_up(inner)
        ctx = _context(settings, root, inner, questions, seed, log, show_progress)
        machine = machine_info(inner)
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
        if keep_dir:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _context(settings: Settings, root: Path, embedder: Embedder, questions: Sequence[str], seed: int,
             log: Callable[[str], None], show_progress: bool) -> BenchContext:
    """A temporary index (embedded Chroma store, never a server or the user's index), opened
    before anything is timed."""
    bench_settings = settings.replace(**{"index_dir": root / "index", "chroma_host": None})
    timed = TimedEmbedder(embedder)
    index = Index(bench_settings, timed)
    index.collection()
    count_tokens("warm up")  # load the tokenizer
    return BenchContext(bench_settings, root, root / "corpus", load_template(settings), timed, index, questions,
                        seed, log, show_progress)


def _run_steps(ctx: BenchContext, sizes: list[int], cold: bool, cold_each: bool) -> list[Step]:
    steps: list[Step] = []
    done = 0
    for size in sizes:
        step = run_step(ctx, done, size)
        done = size
        if cold and (cold_each or size == sizes[-1]):
            ctx.log(f"{size} briefings: cold start (a new process answering one question)")
            question = (step.answered or ctx.questions)[0]  # one the corpus answers, not an abstention
            step.cold_start = cold_start(ctx.settings.store.index_dir, question, step.briefings)
        steps.append(step)
        ctx.log(_step_line(step))
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
    }


def _step_line(s: Step) -> str:
    return (f"{s.briefings} briefings, {s.chunks} chunks: ingest {s.chunks_per_s} chunks/s "
            f"(raw encode {s.raw_encode_chunks_per_s}/s), index {s.index_mb} MB, RSS {s.rss_mb} MB, "
            f"retrieval p50/p95 {s.retrieval_ms.p50}/{s.retrieval_ms.p95} ms, answer p50 {s.answer_ms.p50} ms")


def notes(r: BenchResult, real_model: bool, cold_start_run: bool) -> str:
    """What the numbers say and what limits them, from the measurements."""
    first, last = r.steps[0], r.steps[-1]
    share = last.embed_seconds / last.ingest_seconds if last.ingest_seconds else float("nan")
    out = [
        f"Synthetic corpus from {Path(r.corpus['sample']).name}: dates, section subset and order, sentence "
        f"order, numbers, months, place/person names and some wording perturbed per briefing; labelled by "
        f"'[synthetic #N]' in the title and synthetic=true in the registry.",
        f"Ingest at the last step: {last.chunks_per_s} chunks/s = {last.ingest_vs_raw:.0%} of a plain encode "
        f"of the same chunks ({last.raw_encode_chunks_per_s}/s); {share:.0%} of the ingest time is in the "
        f"embedder (new chunks of 8 files at a time in one call), the rest is reading/parsing/chunking, "
        f"Chroma writes, the registry and the BM25 index (rebuilt once per ingest run).",
        f"Retrieval p50 {first.retrieval_ms.p50} ms at {first.briefings} briefing(s) -> {last.retrieval_ms.p50} "
        f"ms at {last.briefings} ({last.chunks} chunks); at the last step the query embedding takes "
        f"{last.retrieval_parts_ms['embed_query']} ms, Chroma {last.retrieval_parts_ms['dense']} ms, BM25 "
        f"{last.retrieval_parts_ms['bm25']} ms (p50). Extractive answers: p50 {last.answer_ms.p50} ms over all "
        f"questions, {last.answered_ms.p50} ms over the {len(last.answered)} answered (the others abstain, "
        f"which skips evidence selection); evidence selection embeds the candidate sections' sentences "
        f"(cached per process, so these are first-time costs).",
        f"RSS {last.rss_mb} MB after the last step (peak {last.peak_rss_mb} MB): the model, torch's "
        f"allocator caches from encoding batches, Chroma, and the index snapshot (every briefing's text and "
        f"chunks) held in memory; index {last.index_mb} MB on disk.",
    ]
    errors = [e for s in r.steps for e in s.ingest_errors]
    if errors:
        out.append(f"{len(errors)} synthetic file(s) failed to ingest, e.g. {errors[0]}")
    cs = r.cold_start
    if cs and cs.error is None:
        out.append(f"Cold start at {cs.briefings} briefings: {cs.seconds_to_answer} s from process start to the "
                   f"answer, {cs.seconds_to_exit} s to exit; {cs.answer_total_ms} ms of it inside the question "
                   f"(the embedding model and most libraries load lazily there), the rest is Python start, "
                   f"imports and reading the index; the model files were already in the OS file cache.")
    elif cs:
        out.append(f"Cold start failed: {cs.error}")
    elif not real_model:
        out.append("Cold start skipped: it needs the real embedding model.")
    elif not cold_start_run:
        out.append("Cold start skipped on request.")
    m = r.machine
    out.append(f"Machine: {m['cpus']} CPUs, torch threads {m['torch_threads']}, load average {m['load_avg_1m']} "
               f"at start and {m.get('load_avg_1m_end')} at the end; other processes slow every number down. "
               f"MB = 2^20 bytes.")
    busy = max(m["load_avg_1m"], m.get("load_avg_1m_end") or 0) >= 0.75 * (m["cpus"] or 1)
    if busy and (m["torch_threads"] or 1) > 1:
        out.append("The machine was busy while torch used several threads: its threads then wait for each other "
                   "and a single query embedding can take hundreds of ms instead of ~15; compare with "
                   "ASSISTANT_TORCH_THREADS=1, or run on an idle machine.")
    return " ".join(out)


# --------------------------------------------------------------------------------------------
# plot


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
    ax.plot(x, [s.answer_ms.p50 for s in r.steps], "^-", label="extractive answer p50")
    for s in r.steps:
        ax.annotate(f"{s.chunks} chunks", (s.briefings, s.retrieval_ms.p50), textcoords="offset points",
                    xytext=(0, -13), ha="center", fontsize=7, color="gray")
    ax2.plot(x, [s.chunks_per_s for s in r.steps], "o-", label="ingest (chunks/s)")
    ax2.plot(x, [s.raw_encode_chunks_per_s for s in r.steps], "s--", label="raw encode (chunks/s)")
    _style_axis(ax, x, "latency (ms)", "Query latency vs corpus size")
    _style_axis(ax2, x, "chunks per second", "Ingest throughput of each step")
    m = r.machine
    fig.suptitle(f"briefing-assistant bench — {m['embedder']}, {m['cpus']} CPUs, torch threads "
                 f"{m['torch_threads']}, load avg {m['load_avg_1m']}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
