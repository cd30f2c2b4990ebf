"""Two processes through the web: process A serves the web chat on an index; process B runs the
command line (``ingest FILE``, then ``remove ID``) on the same index. A's ``/ask`` answers a
question about the new briefing (instead of abstaining) within 3 s of B's commit, and stops
citing it within 3 s of the removal — without a restart. Both processes use the hashing embedder
(the real model: ``scripts/measure_web_sync.py``); A is polled with a deadline, never slept on.

A has itself added a briefing first (as an upload in the chat does), which B then removes: after
that, A's Chroma client could no longer read the vectors B added ("Error finding id") and every
question failed until a restart; A now reopens its client and searches again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("gradio_client")

from gradio_client import Client  # noqa: E402

from assistant.ingest.ingestor import Ingestor  # noqa: E402
from assistant.store.index import Index  # noqa: E402

from .conftest import ROOT, SAMPLE  # noqa: E402
from .fakes import HashEmbedder  # noqa: E402
from .web_helpers import GOOD_BRIEFING  # noqa: E402

NEW_ID = "2021-12-01-narnia"
QUESTION = "Which museum will the Narnian minister visit in Saint Petersburg?"
OWN_ID = "2021-12-08-archenland"  # added by A itself
OWN_QUESTION = "Which museum will the Archenlandish minister visit in Saint Petersburg?"
OWN_BRIEFING = (GOOD_BRIEFING.replace("Narnian", "Archenlandish").replace("Narnia", "Archenland")
                .replace("December 1, 2021", "December 8, 2021"))
TARGET_S = 3.0

PRELUDE = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
import assistant.offline
"""

# A: the web chat (fake models) on the index, which first adds a briefing itself (argv[3]) through
# its own index; prints its address, then serves until the test closes its stdin
SERVER = PRELUDE + """
from assistant.config import Settings
from assistant.ingest.ingestor import Ingestor
from assistant.store.index import Index
from tests.fakes import HashEmbedder
from tests.web_helpers import launch, make_assistant
settings = Settings(index_dir=sys.argv[1], cache_dir=sys.argv[2], llm="extractive", _env_file=None)
index = Index(settings, HashEmbedder())
assert Ingestor(index, settings).ingest([sys.argv[3]], show_progress=False).ok
demo, url = launch(make_assistant(settings, index), settings)
print(json.dumps({"url": url}), flush=True)
sys.stdin.read()  # until the test closes it
"""

# B: the command line, with the hashing embedder in place of the real model
CLI = PRELUDE + """
import assistant.store.embedding
from assistant.tools import cli
from tests.fakes import HashEmbedder

class FakeMiniLM(HashEmbedder):
    def __init__(self, threads=None):
        super().__init__()

assistant.store.embedding.MiniLMEmbedder = FakeMiniLM
import assistant.store.embed_runtimes
assistant.store.embed_runtimes.make_embedder = lambda settings, runtime=None: FakeMiniLM()
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "t": time.time()}), flush=True)
"""


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_cli(*argv: str) -> float:
    """B: one command; the time it finished (its commit is done by then)."""
    out = subprocess.run([sys.executable, "-c", CLI, *argv], capture_output=True, text=True, timeout=300,
                         env=_env(), cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, out.stderr[-3000:]
    return result["t"]


def cites_new(result: dict) -> bool:
    return not result["abstained"] and any(c["briefing_id"] == NEW_ID for c in result["citations"])


def poll(client: Client, predicate, timeout: float, question: str = QUESTION) -> tuple[float, dict]:
    """Ask A until ``predicate(result)``; the time it first held and that result."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = client.predict(question, api_name="/ask")
        if predicate(result):
            return time.time(), result
    raise AssertionError(f"not within {timeout} s; last answer: {result}")


def test_the_web_chat_answers_from_a_briefing_another_process_ingests_and_forgets_its_removal(tmp_path, settings):
    base = Index(settings, HashEmbedder())
    assert Ingestor(base, settings).ingest([SAMPLE], show_progress=False).ok
    base.close()
    new_file = tmp_path / f"{NEW_ID}.txt"
    new_file.write_text(GOOD_BRIEFING, encoding="utf-8")
    own_file = tmp_path / f"{OWN_ID}.txt"
    own_file.write_text(OWN_BRIEFING, encoding="utf-8")
    index_dir = str(settings.store.index_dir)

    server = subprocess.Popen([sys.executable, "-c", SERVER, index_dir, str(tmp_path / "cache-a"), str(own_file)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=_env(), cwd=ROOT)
    try:
        line = server.stdout.readline()
        assert line, server.stderr.read()[-3000:]
        client = Client(json.loads(line)["url"], verbose=False)
        before = client.predict(QUESTION, api_name="/ask")
        assert before["abstained"], before  # A has answered from its view of the index before B writes
        own = client.predict(OWN_QUESTION, api_name="/ask")
        assert [c["briefing_id"] for c in own["citations"]] == [OWN_ID], own

        run_cli("--index", index_dir, "remove", OWN_ID)  # what A added, removed by B
        poll(client, lambda r: r["abstained"], 30, OWN_QUESTION)

        ingested = run_cli("--index", index_dir, "ingest", "--quiet", str(new_file))
        answered, result = poll(client, cites_new, 30)
        assert "Hermitage" in result["answer"]

        removed = run_cli("--index", index_dir, "remove", NEW_ID)
        forgotten, result = poll(client, lambda r: not any(c["briefing_id"] == NEW_ID for c in r["citations"]), 30)
        assert result["abstained"], result
    finally:
        server.stdin.close()
        server.kill()
        server.wait(timeout=30)
    latency_add, latency_remove = answered - ingested, forgotten - removed
    print(f"web chat sees another process's ingest after {latency_add:.2f} s, its removal after {latency_remove:.2f} s")
    assert latency_add < TARGET_S and latency_remove < TARGET_S
