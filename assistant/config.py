"""The one configuration object, nested by concern and read once from ``ASSISTANT_*`` environment
variables (and an optional ``.env`` file); everything else receives a ``Settings`` instance.

Every field keeps a flat environment name — ``ASSISTANT_INDEX_DIR`` sets ``settings.store.index_dir``,
``ASSISTANT_LLM`` sets ``settings.generation.llm`` — and ``Settings(index_dir=...)`` or
``settings.replace(llm="extractive")`` take the same flat names."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Fusion = Literal["rrf", "dense", "bm25", "weighted"]
EmbeddingRuntime = Literal["torch-fp32", "openvino-fp32", "onnx-fp32", "onnx-int8", "onnx-int8-perchannel"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """A top-level project folder (``prompts``, ``corpus``): inside an installed wheel it is bundled
    under ``assistant/_bundled``; in a source checkout or editable install it sits next to the
    package."""
    bundled = _PACKAGE_DIR / "_bundled" / name
    return bundled if bundled.is_dir() else _PACKAGE_DIR.parent / name


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "briefing-assistant"


class _Group(BaseSettings):
    """A group of settings; its fields are read from flat ``ASSISTANT_<FIELD>`` variables."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore", frozen=True)


class StoreSettings(_Group):
    index_dir: Path = Field(Path("index"), description="Index folder: Chroma store, BM25, registry, parsed briefings.")
    chroma_host: str | None = Field(None, description="Host of a Chroma server (`chroma run`) instead of the "
                                                      "embedded store.")
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    collection: str = Field("briefing_chunks", min_length=3, description="Chroma collection name.")
    refresh_interval_s: float = Field(1.0, ge=0, description="Readers check at most this often (one stat call) "
                                                             "whether another process committed a change to the "
                                                             "index, and then reload it.")
    doc_cache_briefings: int = Field(32, ge=0, description="Parsed briefings (text and sections) kept in memory, "
                                                           "least recently used first out; the others are read "
                                                           "from docs.sqlite3 when a question needs them.")
    chunk_cache_size: int = Field(4096, ge=0, description="Chunks kept in memory, least recently used first out.")
    outline_cache_size: int = Field(4096, ge=0, description="Briefing outlines (header, section titles and spans: "
                                                            "what search results name) kept in memory, least "
                                                            "recently used first out.")
    retire_grace_s: float = Field(300.0, ge=0, description="The text of a replaced or removed briefing is kept "
                                                          "this many seconds for readers still answering from the "
                                                          "previous version of the index, then deleted.")
    bm25_merge_factor: int = Field(8, ge=2, description="BM25 segments (one per ingested file) of a similar size "
                                                        "are merged into one when this many have accumulated.")


MB = 1024 * 1024  # one megabyte as every limit counts it (and as Gradio's upload check does)


class IngestSettings(_Group):
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this many MB (of 1,048,576 bytes: "
                                                        "the upload box and the ingestor count alike) are refused.")

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)
    chunk_tokens: int = Field(160, ge=32, le=230, description="Max cl100k tokens of body text per chunk.")
    context_tokens: int = Field(48, ge=0, le=96, description="Max tokens of section context embedded with a chunk.")


class EmbeddingSettings(_Group):
    embedding_runtime: EmbeddingRuntime = Field(
        "openvino-fp32", description="How all-MiniLM-L6-v2 runs: `openvino-fp32` (OpenVINO, the same vectors as "
        "torch, faster on CPU), `torch-fp32` (sentence-transformers), `onnx-fp32` (onnxruntime), `onnx-int8` / "
        "`onnx-int8-perchannel` (onnxruntime, weights quantized to int8: faster, other vectors). The exported "
        "models are built once, offline, from the packaged model into `ASSISTANT_CACHE_DIR`/embedders; without "
        "the runtime's package torch is used. Changing it changes the vectors' variant: an index built with "
        "another one says \"re-embed needed\" (`briefing-assistant check --repair`).")
    query_runtime: EmbeddingRuntime = Field(
        "onnx-fp32", description="How questions and evidence sentences are embedded at answer time (the "
        "ingest uses `embedding_runtime`). onnxruntime embeds one short text faster than OpenVINO, which is "
        "faster on ingest batches. Used only when it makes the same vectors as `embedding_runtime` (every "
        "fp32 runtime does); otherwise questions are embedded by `embedding_runtime`.")
    embed_batch_size: int = Field(64, ge=1, description="Texts per embedding batch at ingest.")
    torch_threads: int | None = Field(None, description="Intra-op threads of the embedder, whatever its runtime "
                                                        "(default: all cores).")


class RetrievalSettings(_Group):
    candidates: int = Field(40, ge=5, description="Chunks fetched from each retriever before fusion.")
    fusion: Fusion = Field("weighted", description="How dense and BM25 hits are fused: min-max weighted sum, "
                                                   "reciprocal rank fusion, or one retriever alone.")
    rrf_k: int = Field(60, ge=1, description="The k of reciprocal rank fusion.")
    top_sections: int = Field(5, ge=1, description="Sections returned by a search.")
    fold_copies: bool = Field(True, description="A passage that a mirror or digest copy of a briefing shares with a "
                                                "more official version of it (same date and speaker) is returned "
                                                "once, from the more official version.")
    same_passage: float = Field(0.85, gt=0, le=1, description="Share of a copy's passage's content terms (and "
                                                              "all its numbers and names) a section of the more "
                                                              "official version must hold for the two to be one "
                                                              "passage.")


class AnswerSettings(_Group):
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with a message.")
    model_process: bool = Field(True, description="When the chat or the CLI starts, load the query embedder and "
                                "spaCy's entity recogniser in a second process, on another core, while this one "
                                "opens the index (a faster cold start); off: they load in this process.")
    timeline_entries: int = Field(12, ge=1, description="Most briefings listed in an answer across briefings.")
    timeline_pool: int = Field(5, ge=1, description="Questions across briefings fetch this many times "
                                                   "`candidates` chunks, so that many briefings are seen.")
    evidence_sections: int = Field(1, ge=1, description="Sections evidence sentences are drawn from.")
    evidence_tokens: int = Field(260, ge=40, description="Token budget of the numbered evidence.")
    evidence_sentences: int = Field(4, ge=1, description="Evidence sentences given to the LLM.")
    check_sections: int = Field(5, ge=1, description="Top sections checked for the answer-or-abstain decision "
                                                     "(5: all that a search returns by default).")
    min_dense_score: float = Field(0.30, description="Cosine similarity below which we abstain.")
    min_term_coverage: float = Field(0.5, description="Share of the question's key terms the section must contain.")
    min_dense_unmatched: float = Field(0.6, description="Similarity needed when none of the question's non-name "
                                                        "terms occur in the section.")


class GenerationSettings(_Group):
    llm: str = Field("local", description="Answer mode: `local` (bundled GGUF via xllamacpp), `openai` (any "
                                          "OpenAI-compatible server) or `extractive` (quotes, no LLM).")
    llm_model_path: Path | None = Field(None, description="Any GGUF instead of the bundled model.")
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 2, description="llama.cpp threads.")
    llm_ctx: int = Field(4096, description="Context window of the local server.")
    llm_parallel: int = Field(1, ge=1, description="Concurrent generation slots of the local server.")
    llm_max_tokens: int = Field(160, description="Longest answer generated, in tokens.")
    llm_temperature: float = Field(0.0, description="Sampling temperature.")
    llm_timeout_s: float = Field(60.0, gt=0, description="After this the extractive answer is shown.")
    openai_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (vLLM, Ollama, "
                                                          "llama.cpp server, OpenAI).")
    openai_model: str = Field("gpt-4o-mini", description="Model name on that server.")
    openai_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key of that server.")


    @field_validator("llm")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        from assistant.answer.modes import MODES

        if value not in MODES:
            raise ValueError(f"ASSISTANT_LLM must be one of {', '.join(MODES)}, not {value!r}")
        return value


class WebSettings(_Group):
    host: str = Field("127.0.0.1", description="Address the web chat listens on.")
    port: int = Field(7860, description="Port of the web chat.")
    auth: str | None = Field(None, description="`user:password` to require a login in the web chat.")
    max_upload_files: int = Field(20, description="Files one upload may hold.")
    session_answers: int = Field(1, ge=1, description="Answers one browser session (or API client) may have in "
                                                      "progress at once; a further question gets a message.")
    max_login_failures: int = Field(5, ge=1, description="Failed logins from one client address before its "
                                                         "further attempts are refused for a while.")
    login_lockout_s: float = Field(300.0, gt=0, description="How long, in seconds, logins from a client address "
                                                            "are refused after too many failures.")

    @field_validator("auth")
    @classmethod
    def _auth_has_colon(cls, value: str | None) -> str | None:
        if value is not None and ":" not in value:
            raise ValueError("ASSISTANT_AUTH must look like user:password")
        return value

    @property
    def auth_pair(self) -> tuple[str, str] | None:
        if not self.auth:
            return None
        user, _, password = self.auth.partition(":")
        return user, password


_GROUPS: dict[str, type[_Group]] = {
    "store": StoreSettings, "ingest": IngestSettings, "embedding": EmbeddingSettings,
    "retrieval": RetrievalSettings, "answer": AnswerSettings, "generation": GenerationSettings, "web": WebSettings,
}
_FIELD_GROUP = {name: group for group, cls in _GROUPS.items() for name in cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore", frozen=True)

    store: StoreSettings = Field(default_factory=StoreSettings, description="Where and how the index is kept.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="File limits and chunking.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="The sentence embedder.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Hybrid search.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Evidence and answer-or-abstain.")
    generation: GenerationSettings = Field(default_factory=GenerationSettings, description="The LLM backends.")
    web: WebSettings = Field(default_factory=WebSettings, description="The web chat.")

    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Where the bundled GGUF is assembled "
                                                                            "once, and the embedding model "
                                                                            "exported for its runtime "
                                                                            "(`embedders/`).")
    prompts_dir: Path = Field(default_factory=lambda: resource_dir("prompts"), description="Prompt files.")
    sample_corpus_dir: Path = Field(default_factory=lambda: resource_dir("corpus"),
                                    description="Briefings ingested into an empty index when the web chat starts.")
    debug: bool = Field(False, description="Show tracebacks instead of one-line errors.")

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data: Any) -> Any:
        """``Settings(index_dir=...)``: flat field names go to their group, which still reads the
        environment for the fields not given."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        routed: dict[str, dict[str, Any]] = {}
        for name in [k for k in data if k in _FIELD_GROUP]:
            routed.setdefault(_FIELD_GROUP[name], {})[name] = data.pop(name)
        for group, values in routed.items():
            current = data.get(group)
            if isinstance(current, _Group):
                data[group] = current.model_copy(update=values)
            else:
                data[group] = _GROUPS[group](**{**(current or {}), **values})
        return data

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some fields changed, by their flat names (``replace(llm="extractive")``)."""
        top = {k: v for k, v in changes.items() if k not in _FIELD_GROUP}
        groups: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            if name in _FIELD_GROUP:
                groups.setdefault(_FIELD_GROUP[name], {})[name] = value
        for group, values in groups.items():
            top[group] = getattr(self, group).model_copy(update=values)
        return self.model_copy(update=top)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
