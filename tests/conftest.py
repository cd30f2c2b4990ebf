from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import assistant.offline  # noqa: F401
from assistant.answer.assistant import Assistant
from assistant.config import Settings
from assistant.store.index import Index
from assistant.ingest.ingestor import Ingestor
from assistant.tools.chroma_server import ChromaServer, chroma_executable

from .fakes import EvidenceEchoChat, HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "2021-11-10-briefing-zakharova.txt"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", llm="extractive",
                    _env_file=None)


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def index(settings, embedder) -> Index:
    return Index(settings, embedder)


def indexed(settings: Settings, embedder, *paths: Path) -> Index:
    """A new index holding ``paths``, every one ingested without error."""
    idx = Index(settings, embedder)
    report = Ingestor(idx, settings).ingest(list(paths), show_progress=False)
    assert report.ok, report.failed
    return idx


@pytest.fixture
def sample_index(settings, embedder) -> Index:
    return indexed(settings, embedder, SAMPLE)


@pytest.fixture
def fake_assistant(settings, embedder, sample_index) -> Assistant:
    """The whole pipeline on the sample, with the hashing embedder and an echoing chat model."""
    return Assistant(settings, embedder=embedder, index=sample_index,
                     chat_models={"local": EvidenceEchoChat(), "openai": EvidenceEchoChat()})


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    shutil.copy(SAMPLE, d / SAMPLE.name)
    return d / SAMPLE.name


@pytest.fixture
def chroma_server(tmp_path):
    """A Chroma server (``chroma run``) on a free loopback port with its own data folder, ready
    (its heartbeat polled with a deadline) and stopped after the test; skipped without the
    ``chroma`` command."""
    if chroma_executable() is None:
        pytest.skip("the chroma command (from the chromadb package) is not on PATH")
    with ChromaServer(tmp_path / "chroma-server") as server:
        yield server
