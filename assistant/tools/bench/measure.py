"""The bench's measurements: memory, the torch fp32 encode reference, retrieval and answer
latency (with the query embedding alone), and the cold start of a new process."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import psutil

import assistant as assistant_package
from assistant.config import Settings
from assistant.store.embedding import Embedder, MiniLMEmbedder
from assistant.store.index import Index
from assistant.tools.bench.results import ColdStart, Percentiles
from assistant.tools.chroma_server import listening_pid, process_rss_mb
from assistant.tools.stats import percentile


class TimedEmbedder:
    """Passes calls through to an embedder and adds up the time spent in it."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.name = inner.name
        self.variant = getattr(inner, "variant", None) or inner.name  # what the registry records
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


def warm_up(embedder: Embedder) -> float:
    """Load the model (and run its first call) before anything is timed; the seconds it took."""
    t0 = time.perf_counter()
    embedder.encode(["Briefing by the Foreign Ministry Spokeswoman."], batch_size=1)
    return round(time.perf_counter() - t0, 2)


def mb(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


def rss_mb() -> float:
    return mb(psutil.Process().memory_info().rss)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return mb(max(peak, psutil.Process().memory_info().rss))


def torch_fp32_reference(embedder: Embedder, threads: int | None = None) -> Embedder:
    """The plain sentence-transformers torch fp32 model: ``embedder`` itself when it is that one,
    else a ``MiniLMEmbedder`` of its own (loaded when first used)."""
    return embedder if isinstance(embedder, MiniLMEmbedder) else MiniLMEmbedder(threads)


def encode_rate(embedder: Embedder, index: Index, briefing_ids: set[str], batch_size: int,
                limit: int = 300) -> tuple[int, float]:
    """(chunks, chunks/s) of a plain ``encode`` of up to ``limit`` chunks of these briefings."""
    chunks = [c for bid in sorted(briefing_ids) for c in sorted(index.chunks_of(bid), key=lambda c: c.start)][:limit]
    if not chunks:
        return 0, float("nan")
    t0 = time.perf_counter()
    embedder.encode([c.embed_text for c in chunks], batch_size=batch_size)
    return len(chunks), len(chunks) / (time.perf_counter() - t0)


@dataclass(frozen=True)
class RetrievalStats:
    latency_ms: Percentiles  # whole searches
    parts_ms: dict[str, float]  # p50 of the retriever's own timings: embed_query / dense / bm25
    query_embed_ms: Percentiles  # time inside the embedder during each search: the query embedding alone


def retrieval_latency(index: Index, embedder: Embedder, settings: Settings, questions: Sequence[str],
                      rounds: int = 2) -> RetrievalStats:
    from assistant.answer.retrieval import Retriever

    timed = TimedEmbedder(embedder)
    retriever = Retriever(index, timed, settings)
    for q in questions[:2]:  # warm-up
        retriever.search(q)
    totals: list[float] = []
    embeds: list[float] = []
    parts: dict[str, list[float]] = {"embed_query": [], "dense": [], "bm25": []}
    for _ in range(rounds):
        for q in questions:
            in_embedder = timed.seconds
            t0 = time.perf_counter()
            r = retriever.search(q)
            totals.append((time.perf_counter() - t0) * 1000)
            embeds.append((timed.seconds - in_embedder) * 1000)
            for name, values in parts.items():
                values.append(r.timings[name] * 1000)
    return RetrievalStats(Percentiles.of(totals), {k: round(percentile(v, 50), 2) for k, v in parts.items()},
                          Percentiles.of(embeds, digits=3))


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


def server_rss_mb(settings: Settings) -> float | None:
    """RSS of the Chroma server the settings name, when it runs on this machine (else None)."""
    store = settings.store
    if not store.chroma_host or store.chroma_host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return process_rss_mb(listening_pid(store.chroma_port))


def _child_env(settings: Settings | None = None) -> dict[str, str]:
    """The child imports this same package and uses the bench's vector store (the embedded store of
    the temporary index, or the bench's collection on the Chroma server), embedder runtime and
    model cache."""
    env = dict(os.environ)
    host = ""  # not a server (an empty value also overrides a .env file)
    if settings is not None:
        env["ASSISTANT_EMBEDDING_RUNTIME"] = settings.embedding.embedding_runtime
        env["ASSISTANT_CACHE_DIR"] = str(settings.cache_dir)
        store = settings.store
        if store.chroma_host:
            host = store.chroma_host
            env.update(ASSISTANT_CHROMA_PORT=str(store.chroma_port), ASSISTANT_COLLECTION=store.collection)
    env["ASSISTANT_CHROMA_HOST"] = host
    env["ASSISTANT_LLM"] = "extractive"
    env["PYTHONUNBUFFERED"] = "1"
    package_root = str(Path(assistant_package.__file__).resolve().parent.parent)  # the folder holding assistant/
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _watch_rss(proc: subprocess.Popen, peak: list[int], every_s: float = 0.05) -> None:
    """Sample the RSS of the child and its own children (the model process) until it exits;
    ``peak[0]`` holds the largest sum, in bytes."""
    try:
        child = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = child.memory_info().rss
            for grandchild in child.children(recursive=True):
                try:
                    total += grandchild.memory_info().rss
                except psutil.Error:  # it ended meanwhile
                    pass
            peak[0] = max(peak[0], total)
            time.sleep(every_s)
    except psutil.Error:
        pass


def cold_start(index_dir: Path, question: str, briefings: int, timeout_s: float = 600.0,
               settings: Settings | None = None) -> ColdStart:
    """Time ``python -m assistant --index DIR ask QUESTION --llm extractive --json`` end to end."""
    cmd = [sys.executable, "-m", "assistant", "--index", str(index_dir), "ask", question,
           "--llm", "extractive", "--json"]
    stderr_lines: list[str] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_child_env(settings))
    drain = threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True)
    drain.start()
    peak = [0]  # the child's own peak RSS (ru_maxrss of children counts the bench's RSS at the fork)
    threading.Thread(target=_watch_rss, args=(proc, peak), daemon=True).start()
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
    result.rss_mb = mb(peak[0]) if peak[0] else None
    return result
