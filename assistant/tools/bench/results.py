"""The bench's typed results: percentiles, one step (one corpus size), the cold start, the whole run."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Sequence

from assistant.tools.stats import percentile


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float

    @classmethod
    def of(cls, values: Sequence[float], digits: int = 2) -> "Percentiles":
        """p50 and p95 by the shared ``percentile``, rounded to ``digits``; NaN when nothing was measured."""
        p50, p95 = percentile(values, 50), percentile(values, 95)
        if p50 is None or p95 is None:
            return cls(float("nan"), float("nan"))
        return cls(round(p50, digits), round(p95, digits))


@dataclass
class ColdStart:
    briefings: int
    question: str
    seconds_to_answer: float | None  # process start -> the answer's JSON complete on stdout
    seconds_to_exit: float | None  # process start -> process exit
    answer_total_ms: float | None  # the child's own timing of the question
    abstained: bool | None
    error: str | None = None
    rss_mb: float | None = None  # peak RSS of the child and its model process (embedder loaded, index open, no LLM)


@dataclass
class Step:
    briefings: int
    chunks: int
    embedded: int  # chunks embedded in this step
    ingest_seconds: float
    embed_seconds: float  # of ingest_seconds, inside the embedder
    chunks_per_s: float  # ingest rate: chunks embedded / ingest seconds (NaN when vectors were copied)
    torch_fp32_chunks: int  # chunks of this step encoded by the torch fp32 reference
    torch_fp32_chunks_per_s: float  # plain sentence-transformers torch fp32 encode of those chunks
    ingest_vs_torch_fp32: float  # chunks_per_s / torch_fp32_chunks_per_s
    index_mb: float
    rss_mb: float
    peak_rss_mb: float
    retrieval_ms: Percentiles
    retrieval_parts_ms: dict[str, float]  # p50 of embed_query / dense / bm25 (the retriever's timings)
    query_embed_ms: Percentiles  # the query embedding alone (time inside the embedder during retrieval)
    answer_ms: Percentiles  # extractive answers, all questions
    answered_ms: Percentiles  # extractive answers, the questions not abstained on
    abstained: int  # of the extractive answers
    ingest_errors: list[str] = field(default_factory=list)
    copied_vectors: int = 0  # chunks of this step given a copy of a real vector (see reuse.py)
    chroma_server_rss_mb: float | None = None  # the Chroma server's RSS when the bench uses one on this machine
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

    @property
    def cold_start_s(self) -> float | None:
        """Seconds from a new process's start to its first answer (None when not measured or failed)."""
        return self.cold_start.seconds_to_answer if self.cold_start else None

    def to_dict(self) -> dict:
        return _no_nan({
            "sizes": self.sizes,
            "steps": [s.to_dict() for s in self.steps],
            "cold_start_s": self.cold_start_s,
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
