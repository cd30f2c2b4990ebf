"""The bench's embedder for corpora too large to embed on this machine within the run.

Embedding 2,000 synthetic briefings (~170,000 chunks) with the real model takes over an hour on 2
cores. The bench therefore has the ingest embed for real the first ``limit`` chunks (the small steps:
their throughput is measured) and gives every later chunk a copy of a real vector — the one of an
earlier chunk picked by a hash of the new chunk's text. The index at the large steps then
has its full size (Chroma's HNSW graph, BM25, the registry and docstore, and the registry's
embedder variant are those of a real index), so memory, retrieval latency and cold start are
measured on it; questions (retrieval, evidence, answers) always use the real model. What such an index retrieves for
a question is not meaningful, and a step with copied vectors reports no ingest throughput."""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from assistant.store.embedding import Embedder


class ReusingEmbedder:
    """The real embedder for the first ``limit`` distinct texts, copies of its vectors after."""

    def __init__(self, inner: Embedder, limit: int):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.variant = getattr(inner, "variant", None) or inner.name
        self.limit = limit
        self.real = 0  # texts embedded by the model
        self.copied = 0  # texts given a copy of another text's vector
        self._pool: list[np.ndarray] = []

    def load(self) -> None:
        load = getattr(self.inner, "load", None)
        if load is not None:
            load()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        room = max(self.limit - self.real, 0)
        if len(texts) <= room:
            vectors = self.inner.encode(texts, batch_size=batch_size)
            self._remember(vectors)
            return vectors
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if room:
            out[:room] = self.inner.encode(texts[:room], batch_size=batch_size)
            self._remember(out[:room])
        if not self._pool:
            raise ValueError("ReusingEmbedder: no real vector to copy yet (limit 0?)")
        for i in range(room, len(texts)):
            h = int.from_bytes(hashlib.blake2b(texts[i].encode("utf-8"), digest_size=8).digest(), "little")
            out[i] = self._pool[h % len(self._pool)]
        self.copied += len(texts) - room
        return out

    def _remember(self, vectors: np.ndarray) -> None:
        self.real += len(vectors)
        self._pool.extend(np.array(v, dtype=np.float32) for v in vectors)
