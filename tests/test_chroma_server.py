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


def test_two_collections_on_one_server_stay_apart(settings, chroma_server):
    """Each collection has its own client in a process (the bench's must never write into the user's)."""
    on_server = settings.replace(**{"chroma_host": chroma_server.host, "chroma_port": chroma_server.port})
    user = Index(on_server, HashEmbedder())
    assert Ingestor(user, on_server).ingest([SAMPLE], show_progress=False).ok
    other_settings = on_server.replace(**{"index_dir": settings.store.index_dir.parent / "other",
                                          "collection": "bench-test"})
    other = Index(other_settings, HashEmbedder())
    assert other.collection().name == "bench-test" and other.parts.vectors.count() == 0
    assert user.parts.vectors.count() == len(user.snapshot.chunks) > 0
