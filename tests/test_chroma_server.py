"""The scale path: the same index code against a Chroma server (``chroma run``) on loopback."""

from __future__ import annotations

import pytest

from assistant.answer.assistant import Assistant
from assistant.store.index import Index
from assistant.ingest.ingestor import Ingestor

from .conftest import SAMPLE
from .fakes import EvidenceEchoChat, HashEmbedder


pytestmark = pytest.mark.server


def test_index_on_a_chroma_server(settings, chroma_server):
    settings = settings.replace(**{"chroma_host": chroma_server.host, "chroma_port": chroma_server.port,
                                           "min_dense_score": 0.0})  # the hashing embedder scores low
    embedder = HashEmbedder()
    index = Index(settings, embedder)
    report = Ingestor(index, settings).ingest([SAMPLE], show_progress=False)
    assert report.ok
    assert not (settings.store.index_dir / "chroma").exists()  # vectors live on the server
    stored = set(index.collection().get(include=[])["ids"])
    assert stored == set(index.snapshot.chunks)
    assistant = Assistant(settings, embedder=embedder, index=index, chat_models={"local": EvidenceEchoChat()})
    answer = assistant.ask("How many passports were issued in Afghanistan in one month?", mode="extractive")
    assert "90,000" in answer.text and answer.citations[0].ref.section_title == "Update on Afghanistan"
    # a second client (another replica) sees the same vectors
    other = Index(settings, HashEmbedder())
    assert set(other.collection().get(include=[])["ids"]) == stored
