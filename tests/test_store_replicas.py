"""Readers follow the committed registry: a briefing ingested (or removed) by one process is
retrieved (or no longer) by another process that keeps its index open, within a few seconds and
without a restart — dense search included, although the other process's embedded Chroma client
caches its vector index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.ingest.ingestor import Ingestor
from assistant.store.index import Index

from .conftest import ROOT, SAMPLE
from .fakes import HashEmbedder

NEW_ID = "2021-12-01-quokka"
WORD = "Quokkastan"

PRELUDE = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
import assistant.offline
from assistant.config import Settings
from assistant.store.index import Index
from tests.fakes import HashEmbedder
settings = Settings(index_dir=sys.argv[1], llm="extractive", _env_file=None)
embedder = HashEmbedder()
"""

# B: keeps one Index open and polls through the retriever (which refreshes the index), printing
# when the new briefing appears in dense search, in BM25 and in the answer path, and when it goes.
READER = PRELUDE + f"""
from assistant.answer.retrieval import Retriever
from assistant.text import terms
import assistant.store.index
assistant.store.index.UNSEEN_LIMIT = int(sys.argv[2])  # 0: Chroma is reopened rather than searched exactly
index = Index(settings, embedder)
retriever = Retriever(index, embedder, settings)
question = "{WORD}"

def state():
    sections = retriever.search(question).sections  # refreshes the index first
    qv = embedder.encode([question])[0]
    dense = any(index.chunk(h.chunk_id).briefing_id == "{NEW_ID}" for h in index.dense_search(qv, 10))
    sparse = any(index.chunk(c).briefing_id == "{NEW_ID}" for c, _ in index.bm25_search(terms(question), 10))
    answer = bool(sections) and sections[0].ref.briefing_id == "{NEW_ID}"
    listed = "{NEW_ID}" in {{e.briefing_id for e in index.briefings()}}
    return {{"dense": dense, "bm25": sparse, "answer": answer, "listed": listed}}

print(json.dumps({{"ready": state(), "t": time.time()}}), flush=True)
seen = None
deadline = time.time() + 600  # killed by the test when it is done
while time.time() < deadline:
    s = state()
    if s != seen:
        print(json.dumps({{"state": s, "t": time.time()}}), flush=True)
        seen = s
    time.sleep(0.05)
"""

WRITER = PRELUDE + """
from assistant.ingest.ingestor import Ingestor
index = Index(settings, embedder)
if sys.argv[2] == "ingest":
    report = Ingestor(index, settings).ingest([sys.argv[3]], show_progress=False)
    assert report.ok, report.failed
else:
    Ingestor(index, settings).remove(sys.argv[3])
print(json.dumps({"t": time.time()}), flush=True)
"""


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300,
                         env=_env(), cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wait_for(proc, predicate, timeout: float) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"the reader stopped: {proc.stderr.read()[-3000:]}")
        msg = json.loads(line)
        if predicate(msg):
            return msg
    raise AssertionError("timed out")


@pytest.fixture
def new_briefing(tmp_path) -> Path:
    text = SAMPLE.read_text(encoding="utf-8").replace("Afghanistan", WORD).replace("10 November 2021", "1 December 2021")
    path = tmp_path / f"{NEW_ID}.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("unseen_limit", [32, 0], ids=["exact-search", "reopen-chroma"])
def test_a_second_process_sees_an_ingest_and_a_removal(settings, new_briefing, unseen_limit):
    base = Index(settings, HashEmbedder())
    assert Ingestor(base, settings).ingest([SAMPLE], show_progress=False).ok
    base.close()
    index_dir = str(settings.store.index_dir)
    reader = subprocess.Popen([sys.executable, "-c", READER, index_dir, str(unseen_limit)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
    try:
        ready = _wait_for(reader, lambda m: "ready" in m, 120)
        assert not any(ready["ready"].values())  # B has searched (its Chroma client is open) before A writes

        added = _run(WRITER, index_dir, "ingest", str(new_briefing))
        seen = _wait_for(reader, lambda m: m.get("state") and all(m["state"].values()), 30)
        latency_add = seen["t"] - added["t"]

        removed = _run(WRITER, index_dir, "remove", NEW_ID)
        gone = _wait_for(reader, lambda m: m.get("state") and not any(m["state"].values()), 30)
        latency_remove = gone["t"] - removed["t"]
    finally:
        reader.kill()
        reader.wait(timeout=10)
    print(f"visibility latency ({unseen_limit=}): ingest {latency_add:.2f} s, removal {latency_remove:.2f} s")
    assert latency_add < 3.0 and latency_remove < 3.0


def test_refresh_is_one_stat_at_most_every_interval(settings, monkeypatch):
    index = Index(settings.replace(refresh_interval_s=60.0), HashEmbedder())
    calls = []
    real = index.parts.registry.stat_token
    monkeypatch.setattr(index.parts.registry, "stat_token", lambda: calls.append(1) or real())
    for _ in range(100):
        index.refresh()
    assert calls == []  # within the interval: no system call at all
    index.refresh(force=True)
    assert len(calls) == 1


def test_another_index_in_the_same_process_sees_a_commit_at_once(settings, new_briefing):
    reader = Index(settings.replace(refresh_interval_s=60.0), HashEmbedder())
    writer = Index(settings, HashEmbedder())
    assert Ingestor(writer, settings).ingest([new_briefing], show_progress=False).ok
    assert [e.briefing_id for e in reader.briefings()] == [NEW_ID]
    assert WORD in reader.briefing(NEW_ID).text


def test_a_reader_finishes_its_question_on_the_registry_it_started_with(settings, sample_copy):
    """A replaced or removed version's text stays readable for ``retire_grace_s`` (a reader may
    be in the middle of a question when another process commits), then it is deleted."""
    from assistant.text import terms

    writer = Index(settings, HashEmbedder())
    assert Ingestor(writer, settings).ingest([sample_copy], show_progress=False).ok
    reader = Index(settings, HashEmbedder())
    bid = reader.briefings()[0].briefing_id
    [(cid, _)] = reader.bm25_search(terms("Russian Direct Investment Fund Sputnik doses"), 1)
    old_doc = reader.snapshot.registry.briefings[bid].doc_file

    sample_copy.write_text(sample_copy.read_text().replace("2.8 million doses", "3.1 million doses"))
    assert Ingestor(writer, settings).ingest([sample_copy], show_progress=False).results[0].status == "updated"
    # the reader, still on the registry it searched, reads what it found: the old version
    assert "2.8 million doses" in reader.chunk(cid).text and "2.8 million doses" in reader.briefing(bid).text
    assert reader.section_ref(bid, reader.chunk(cid).section_index).section_title
    reader.refresh(force=True)  # its next question: the new version
    assert "3.1 million doses" in reader.briefing(bid).text and reader.chunk(cid) is None

    writer.remove(bid)
    assert old_doc in writer.snapshot.registry.retired
    assert writer.parts.docs.docs_of(bid)  # kept for the grace period
    quick = Index(settings.replace(retire_grace_s=0.0), HashEmbedder())
    with quick.writing():
        pass  # the next write deletes what was retired long enough ago
    assert not quick.parts.docs.docs_of(bid) and not quick.snapshot.registry.retired
