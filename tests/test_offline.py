"""Offline by construction: ingesting and answering open no network connection."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from assistant.answer.assistant import Assistant
from assistant.store.embedding import MiniLMEmbedder
from assistant.ingest.ingestor import Ingestor
from assistant.offline import OFFLINE_ENV

from .conftest import SAMPLE

_connections: list[tuple[str, object]] = []
_recording = False


def _audit(event: str, args: tuple) -> None:
    if _recording and event in ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg"):
        _connections.append((event, args[1] if event != "socket.getaddrinfo" else args[0]))


sys.addaudithook(_audit)


class record_sockets:
    def __enter__(self):
        global _recording
        _connections.clear()
        _recording = True
        return _connections

    def __exit__(self, *exc):
        global _recording
        _recording = False


def test_offline_environment_is_set():
    import assistant  # noqa: F401

    for key, value in OFFLINE_ENV.items():
        assert key in os.environ, key
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["ANONYMIZED_TELEMETRY"] == "False"


def test_audit_hook_sees_connections():
    """The recorder works: a real connection attempt is seen."""
    with record_sockets() as seen:
        s = socket.socket()
        s.settimeout(0.2)
        try:
            s.connect(("127.0.0.1", 9))
        except OSError:
            pass
        finally:
            s.close()
    assert seen and seen[0][0] == "socket.connect"


@pytest.mark.model
def test_ingest_and_answer_make_no_connection(settings):
    """The real embedder and Chroma, from model load to answer, with no socket opened."""
    with record_sockets() as seen:
        embedder = MiniLMEmbedder()
        assistant = Assistant(settings, embedder=embedder)
        report = Ingestor(assistant.index, settings).ingest([SAMPLE], show_progress=False)
        answer = assistant.ask("Who convened the Paris conference on Libya?", mode="extractive")
    assert report.ok and "Macron" in answer.text
    assert seen == [], f"network activity during ingest/answer: {seen[:5]}"


@pytest.mark.model
def test_local_llm_talks_to_loopback_only(settings, tmp_path):
    settings = settings.replace(**{"llm": "local", "llm_max_tokens": 48})
    assistant = Assistant(settings, embedder=MiniLMEmbedder())
    Ingestor(assistant.index, settings).ingest([SAMPLE], show_progress=False)
    with record_sockets() as seen:
        answer = assistant.ask("Who convened the Paris conference on Libya?", mode="local")
    assert answer.text and not answer.abstained
    hosts = {addr[0] for event, addr in seen if event == "socket.connect" and isinstance(addr, tuple)}
    lookups = {str(host) for event, host in seen if event == "socket.getaddrinfo"}
    assert hosts <= {"127.0.0.1"} and lookups <= {"127.0.0.1"}, (hosts, lookups)
