"""The scale path: the same index code against a Chroma server (``chroma run``) on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from assistant.answer.assistant import Assistant
from assistant.store.index import Index
from assistant.ingest.ingestor import Ingestor

from .conftest import SAMPLE
from .fakes import EvidenceEchoChat, HashEmbedder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    exe = shutil.which("chroma")
    if exe is None:
        pytest.skip("the chroma CLI (from the chromadb package) is not on PATH")
    port = _free_port()
    log = open(tmp_path / "chroma.log", "w")
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp_path / "chroma.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_index_on_a_chroma_server(settings, chroma_server):
    settings = settings.replace(**{"chroma_host": "127.0.0.1", "chroma_port": chroma_server,
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
