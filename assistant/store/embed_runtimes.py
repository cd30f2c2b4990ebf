"""The embedder the settings ask for: torch (sentence-transformers) or an exported copy of the same
model run by OpenVINO or onnxruntime (``ASSISTANT_EMBEDDING_RUNTIME``).

An exported embedder returns what ``SentenceTransformer.encode(normalize_embeddings=True)`` with
``max_seq_length = 256`` returns: truncation to 256 tokens, padding per batch to its longest text,
mean pooling over the attention mask (inside the graph), L2 normalisation. Its ``variant``
(``all-MiniLM-L6-v2`` for every fp32 runtime, ``all-MiniLM-L6-v2/onnx-int8`` for a quantised one)
is known without loading anything, so the registry can refuse an index whose vectors were made
with other numbers ("re-embed needed").

Falling back to torch: when the runtime's package is not installed, the torch embedder is used
from the start (its variant is the torch one). When the export or the model load fails later,
an fp32 runtime continues on torch (the vectors agree to cosine 1.0000) with a warning; an int8
runtime raises ``ModelError`` instead, since its vectors differ from torch's."""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from assistant.errors import ModelError
from assistant.store.embed_export import RUNTIMES, RuntimeSpec, build_artifact, packaged_model_dir
from assistant.store import embedding
from assistant.store.embedding import EMBED_DIM, MODEL_NAME, Embedder, MiniLMEmbedder

log = logging.getLogger(__name__)

MAX_SEQ_LENGTH = 256


def runtime_variant(spec: RuntimeSpec) -> str:
    """What the registry records: the numbers the vectors are made of, not the engine. Every fp32
    runtime computes the vectors torch computes (cosine 1.0000, checked by a test), so all of them
    are the model's name and an index moves between them without re-embedding; a quantised runtime
    adds its name ("re-embed needed" when it meets an fp32 index)."""
    return MODEL_NAME if spec.precision == "fp32" else f"{MODEL_NAME}/{spec.name}"


class Tokenizer:
    """The model's fast tokenizer, truncating to 256 and not padding (the packaged
    ``tokenizer.json`` pads and truncates every text to 128; batches are padded here)."""

    def __init__(self, model_dir: Path, max_length: int = MAX_SEQ_LENGTH):
        from tokenizers import Tokenizer as HFTokenizer

        self._tok = HFTokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.enable_truncation(max_length=max_length)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch([str(t) for t in texts])]

    @staticmethod
    def pad(ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        """Right-pad a batch to its longest item (pad id 0) and make the three model inputs."""
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, x in enumerate(ids):
            input_ids[i, :len(x)] = x
            mask[i, :len(x)] = 1
        return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}


PAD_SHARE = 0.85  # a batch ends before a text shorter than this share of the batch's longest


def length_batches(lengths: Sequence[int], batch_size: int, share: float = PAD_SHARE) -> list[np.ndarray]:
    """Indices of ``lengths`` in batches of at most ``batch_size``, longest first; a batch also ends
    where the next text is shorter than ``share`` of its first, so little is computed on padding
    (a briefing's chunks are 50-230 tokens: batches of 64 padded to their longest spend ~40 % of
    the model's time on padding)."""
    order = np.argsort([-n for n in lengths], kind="stable")
    batches, start = [], 0
    for i in range(1, len(order) + 1):
        if i == len(order) or i - start == batch_size or lengths[order[i]] < share * lengths[order[start]]:
            batches.append(order[start:i])
            start = i
    return batches


def encode_sorted(tokenizer: Tokenizer, infer: Callable[[dict[str, np.ndarray]], np.ndarray],
                  texts: Sequence[str], batch_size: int, dim: int = EMBED_DIM) -> np.ndarray:
    """Batches of similar length (longest first) through ``infer`` (inputs -> mean-pooled rows);
    L2-normalised float32 rows in input order."""
    ids = tokenizer.ids(texts)
    out = np.empty((len(ids), dim), dtype=np.float32)
    for idx in length_batches([len(x) for x in ids], batch_size):
        out[idx] = infer(Tokenizer.pad([ids[i] for i in idx]))
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def _openvino_infer(path: Path, threads: int) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    import openvino as ov

    compiled = ov.Core().compile_model(str(path), "CPU", {
        "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads})
    local = threading.local()  # one infer request per thread

    def infer(inputs: dict[str, np.ndarray]) -> np.ndarray:
        request = getattr(local, "request", None)
        if request is None:
            request = local.request = compiled.create_infer_request()
        return request.infer(inputs)[0]

    return infer


def _onnxruntime_infer(path: Path, threads: int) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return lambda inputs: session.run(None, inputs)[0]


class ExportedEmbedder:
    """all-MiniLM-L6-v2 exported for ``spec``'s engine; loads (and exports, the first time) on
    ``load()`` or the first ``encode``; thread-safe."""

    name = MODEL_NAME
    dim = EMBED_DIM

    def __init__(self, spec: RuntimeSpec, cache_dir: Path, threads: int | None = None,
                 model_dir: Path | None = None):
        self.spec = spec
        self.variant = runtime_variant(spec)
        self.cache_dir = Path(cache_dir)
        self._threads = int(threads or os.cpu_count() or 1)
        self._model_dir = model_dir
        self._lock = threading.Lock()
        self._infer: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None
        self._tokenizer: Tokenizer | None = None
        self.fallback: MiniLMEmbedder | None = None
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        return self._infer is not None or self.fallback is not None

    def load(self) -> None:
        """Export (once, into the cache) and load the model; idempotent."""
        if self.loaded:
            return
        with self._lock:
            if self.loaded:
                return
            t0 = time.perf_counter()
            model_dir = self._model_dir or packaged_model_dir()
            try:
                path = build_artifact(self.spec, model_dir, self.cache_dir)
                self._tokenizer = Tokenizer(model_dir)
                opener = _openvino_infer if self.spec.engine == "openvino" else _onnxruntime_infer
                self._infer = opener(path, self._threads)
            except Exception as err:  # noqa: BLE001 - any failure of the export or of the engine
                if self.spec.precision != "fp32":
                    raise ModelError(f"{self.cache_dir}: the {self.spec.name} embedder cannot be built or "
                                     f"loaded ({type(err).__name__}: {err}); set ASSISTANT_EMBEDDING_RUNTIME="
                                     f"torch-fp32 and run: briefing-assistant check --repair") from err
                log.warning("%s: the %s embedder cannot be built or loaded (%s: %s); using torch fp32, whose "
                            "vectors are the same", self.cache_dir, self.spec.name, type(err).__name__, err)
                fallback = embedding.MiniLMEmbedder(self._threads)
                fallback.load()
                self.fallback = fallback
            self.load_seconds = time.perf_counter() - t0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        if self.fallback is not None:
            return self.fallback.encode(texts, batch_size=batch_size)
        assert self._tokenizer is not None and self._infer is not None
        return encode_sorted(self._tokenizer, self._infer, texts, batch_size, self.dim)


def runtime_spec(name: str) -> RuntimeSpec:
    if name not in RUNTIMES:
        raise ModelError(f"ASSISTANT_EMBEDDING_RUNTIME must be one of {', '.join(RUNTIMES)}, not {name!r}")
    return RUNTIMES[name]


def make_embedder(settings: Any, runtime: str | None = None) -> Embedder:
    """The embedder of ``settings.embedding.embedding_runtime`` (or ``runtime``); torch when the
    runtime's package is not installed."""
    spec = runtime_spec(runtime or settings.embedding.embedding_runtime)
    threads = settings.embedding.torch_threads
    if spec.engine == "torch":
        return embedding.MiniLMEmbedder(threads)
    missing = [m for m in spec.modules if importlib.util.find_spec(m) is None]
    if missing:
        log.warning("the %s embedder needs %s, which is not installed; using torch fp32",
                    spec.name, ", ".join(missing))
        return embedding.MiniLMEmbedder(threads)
    return ExportedEmbedder(spec, Path(settings.cache_dir), threads)


def make_query_embedder(settings: Any, ingest: Embedder | None = None) -> Embedder:
    """The embedder of questions and evidence sentences: ``settings.embedding.query_runtime`` when
    it makes the vectors the ingest runtime makes (the index's variant), else the ingest runtime's
    own embedder (``ingest`` when given, so one model is loaded)."""
    query, bulk = (runtime_spec(settings.embedding.query_runtime),
                   runtime_spec(settings.embedding.embedding_runtime))
    if query.name == bulk.name or runtime_variant(query) != runtime_variant(bulk):
        return ingest if ingest is not None else make_embedder(settings)
    return make_embedder(settings, query.name)
