"""Processes sharing one index folder through the web: two web-chat processes (A and A2) and the
command line (B). A uploads a briefing (the web upload's own code, ``ingest_files``) while both
serve: A2 answers from it without a restart. B (``remove ID``) removes it, then ``ingest FILE``s
a new briefing and removes that too: both web chats answer a question about the new briefing
(instead of abstaining) within 3 s of B's commit, and stop citing it within 3 s of the removal.
Once with the embedded Chroma store in the index folder, once with a Chroma server (``chroma
run``) all three processes share. Every process uses the hashing embedder (the real model:
``scripts/measure_web_sync.py``); the web chats are polled with a deadline, never slept on.

A removal by B of what A itself added once broke A: its Chroma client could no longer read the
vectors B added ("Error finding id") and every question failed until a restart; A now reopens
its client and searches again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("gradio_client")

from gradio_client import Client  # noqa: E402

from assistant.ingest.ingestor import Ingestor  # noqa: E402
from assistant.store.index import Index  # noqa: E402

from .conftest import ROOT, SAMPLE  # noqa: E402
from .fakes import HashEmbedder  # noqa: E402
from .web_helpers import GOOD_BRIEFING, LIBYA, SAMPLE_ID  # noqa: E402

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

# A web chat (fake models) on the index (a Chroma server from ASSISTANT_CHROMA_*): prints its
# address, then uploads each file named on a line of stdin through the web upload's code and
# prints when that was committed and the ids it added, until the test closes stdin
SERVER = PRELUDE + """
from assistant.config import Settings
from assistant.store.index import Index
from assistant.web.uploads import ingest_files
from tests.fakes import HashEmbedder
from tests.web_helpers import launch, make_assistant
settings = Settings(index_dir=sys.argv[1], cache_dir=sys.argv[2], llm="extractive", _env_file=None)
index = Index(settings, HashEmbedder())
demo, url = launch(make_assistant(settings, index), settings)
print(json.dumps({"url": url}), flush=True)
for line in sys.stdin:
    before = {e.briefing_id for e in index.briefings()}
    rows = ingest_files(index, settings, [line.strip()])
    added = sorted({e.briefing_id for e in index.briefings()} - before)
    print(json.dumps({"rows": rows, "added": added, "t": time.time()}), flush=True)
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


def _env(store: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return {**env, **store}


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def store_env(request) -> dict[str, str]:
    """The environment naming the vector store every process uses: the index folder's embedded
    Chroma store, or a Chroma server started for the test."""
    if request.param == "embedded":
        return {}
    server = request.getfixturevalue("chroma_server")
    return {"ASSISTANT_CHROMA_HOST": server.host, "ASSISTANT_CHROMA_PORT": str(server.port)}


class WebChat:
    """One web-chat process (``SERVER``) and a client of its ``/ask``."""

    def __init__(self, index_dir: str, cache: Path, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, index_dir, str(cache)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        self.client: Client | None = None

    def connect(self) -> "WebChat":
        """Once the process serves (it prints its address)."""
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()[-3000:]
        self.client = Client(json.loads(line)["url"], verbose=False)
        return self

    def ask(self, question: str) -> dict:
        return self.client.predict(question, api_name="/ask")

    def upload(self, path: Path) -> tuple[float, list[str]]:
        """The web upload's ingest of ``path`` in this process: (when it was committed, ids added)."""
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()[-3000:]
        out = json.loads(line)
        assert [status for _, status, _ in out["rows"]] == ["added"], out
        return out["t"], out["added"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait(timeout=30)


def run_cli(env: dict, *argv: str) -> float:
    """B: one command; the time it finished (its commit is done by then)."""
    out = subprocess.run([sys.executable, "-c", CLI, *argv], capture_output=True, text=True, timeout=300,
                         env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, out.stderr[-3000:]
    return result["t"]


def cites(briefing_id: str):
    return lambda r: not r["abstained"] and any(c["briefing_id"] == briefing_id for c in r["citations"])


def forgot(briefing_id: str):
    return lambda r: r["abstained"] and not any(c["briefing_id"] == briefing_id for c in r["citations"])


def poll(chat: WebChat, predicate, timeout: float, question: str) -> tuple[float, dict]:
    """Ask a web chat until ``predicate(result)``; the time it first held and that result."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = chat.ask(question)
        if predicate(result):
            return time.time(), result
    raise AssertionError(f"not within {timeout} s; last answer: {result}")


def poll_all(chats: list[WebChat], predicate, question: str, since: float) -> list[float]:
    """Every web chat, polled until ``predicate`` holds: the seconds from ``since`` for each (the
    second chat's are counted from ``since`` too, so they are an upper bound)."""
    return [poll(chat, predicate, 30, question)[0] - since for chat in chats]


def test_two_web_chats_answer_from_what_one_uploads_or_another_process_ingests_and_forget_removals(
        tmp_path, settings, store_env):
    env = _env(store_env)
    base = Index(settings.replace(**_store_settings(store_env)), HashEmbedder())
    assert Ingestor(base, base.settings).ingest([SAMPLE], show_progress=False).ok
    base.close()
    new_file = tmp_path / f"{NEW_ID}.txt"
    new_file.write_text(GOOD_BRIEFING, encoding="utf-8")
    own_file = tmp_path / f"{OWN_ID}.txt"
    own_file.write_text(OWN_BRIEFING, encoding="utf-8")
    index_dir = str(settings.store.index_dir)

    chats: list[WebChat] = []
    try:
        chats += [WebChat(index_dir, tmp_path / "cache-a", env), WebChat(index_dir, tmp_path / "cache-a2", env)]
        a, a2 = [chat.connect() for chat in chats]  # both started at once
        for chat in chats:  # both answer from the index, and neither knows the briefings added below
            assert chat.ask(LIBYA)["citations"][0]["briefing_id"] == SAMPLE_ID
            assert chat.ask(QUESTION)["abstained"] and chat.ask(OWN_QUESTION)["abstained"]

        uploaded, (own_id,) = a.upload(own_file)  # a web upload through A ...
        assert cites(own_id)(a.ask(OWN_QUESTION))
        delays = {"upload": poll_all([a2], cites(own_id), OWN_QUESTION, uploaded)}  # ... is answered by A2

        removed = run_cli(env, "--index", index_dir, "remove", own_id)  # what A added, removed by B
        delays["remove upload"] = poll_all(chats, forgot(own_id), OWN_QUESTION, removed)

        ingested = run_cli(env, "--index", index_dir, "ingest", "--quiet", str(new_file))
        delays["ingest"] = poll_all(chats, cites(NEW_ID), QUESTION, ingested)
        assert all("Hermitage" in chat.ask(QUESTION)["answer"] for chat in chats)

        removed = run_cli(env, "--index", index_dir, "remove", NEW_ID)
        delays["remove"] = poll_all(chats, forgot(NEW_ID), QUESTION, removed)
    finally:
        for chat in chats:
            chat.close()
    if store_env:
        assert not (settings.store.index_dir / "chroma").exists()  # the vectors were on the server
    print(", ".join(f"{what}: {' / '.join(f'{d:.2f}' for d in ds)} s" for what, ds in delays.items()))
    assert max(max(ds) for ds in delays.values()) < TARGET_S, delays


def _store_settings(store_env: dict[str, str]) -> dict:
    if not store_env:
        return {}
    return {"chroma_host": store_env["ASSISTANT_CHROMA_HOST"], "chroma_port": int(store_env["ASSISTANT_CHROMA_PORT"])}
