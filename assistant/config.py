"""The one configuration object. Read once from ``ASSISTANT_*`` environment variables (and an
optional ``.env`` file); everything else receives a ``Settings`` instance explicitly."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMMode = Literal["local", "openai", "extractive"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """A top-level project folder (``prompts``, ``corpus``): inside an installed wheel it is bundled
    under ``assistant/_bundled``; in a source checkout or editable install it sits next to the
    package."""
    bundled = _PACKAGE_DIR / "_bundled" / name
    return bundled if bundled.is_dir() else _PACKAGE_DIR.parent / name


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "briefing-assistant"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", frozen=True
    )

    # --- storage -------------------------------------------------------------------------
    index_dir: Path = Field(Path("index"), description="Where the index lives (Chroma, BM25, registry).")
    chroma_host: str | None = Field(None, description="Use a Chroma server instead of the embedded store.")
    chroma_port: int = 8000
    collection: str = Field("briefing_chunks", min_length=3)
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused.")

    # --- chunking / embedding ---------------------------------------------------------------
    chunk_tokens: int = Field(160, ge=32, le=230, description="Max cl100k tokens of body text per chunk.")
    context_tokens: int = Field(48, ge=0, le=96, description="Max tokens of section context per chunk.")
    embed_batch_size: int = Field(64, ge=1)
    torch_threads: int | None = Field(None, description="Torch intra-op threads (default: all cores).")

    # --- retrieval / evidence ---------------------------------------------------------------
    candidates: int = Field(40, ge=5, description="Chunks fetched from each retriever before fusion.")
    fusion: Literal["rrf", "dense", "bm25", "weighted"] = "weighted"
    rrf_k: int = Field(60, ge=1)
    top_sections: int = Field(5, ge=1)
    evidence_sections: int = Field(1, ge=1, description="Sections evidence sentences are drawn from.")
    evidence_tokens: int = Field(260, ge=40, description="Token budget of the numbered evidence.")
    evidence_sentences: int = Field(4, ge=1, description="Evidence sentences given to the LLM.")
    check_sections: int = Field(3, ge=1, description="Top sections checked for the answer-or-abstain decision.")

    # --- answerability ----------------------------------------------------------------------
    min_dense_score: float = Field(0.30, description="Cosine similarity below which we abstain.")
    min_term_coverage: float = Field(0.5, description="Share of the question's key terms the evidence must contain.")
    min_dense_unmatched: float = Field(0.6, description="Similarity needed when none of the question's "
                                                        "non-name terms occur in the section.")

    # --- LLM ------------------------------------------------------------------------------
    llm: LLMMode = "local"
    llm_model_path: Path | None = Field(None, description="Any GGUF instead of the bundled model.")
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    llm_ctx: int = 4096
    llm_parallel: int = Field(1, ge=1, description="Concurrent generation slots of the local server.")
    llm_max_tokens: int = 160
    llm_temperature: float = 0.0
    llm_timeout_s: float = Field(60.0, gt=0, description="After this the extractive answer is shown.")
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr = SecretStr("not-needed")

    # --- web chat ---------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = Field(None, description="user:password to require a login in the web chat.")
    max_upload_files: int = 20

    debug: bool = Field(False, description="Show tracebacks instead of one-line errors.")

    # --- resources ------------------------------------------------------------------------
    prompts_dir: Path = Field(default_factory=lambda: resource_dir("prompts"))
    sample_corpus_dir: Path = Field(default_factory=lambda: resource_dir("corpus"))

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
