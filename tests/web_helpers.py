"""Shared by the web chat's tests (test_web_*.py, test_browser.py): questions on the sample
briefing, hostile text, an app launched on a free port, and an assistant whose answers the test
drives with events instead of sleeps."""

from __future__ import annotations

import re
from contextlib import contextmanager
import threading
import types
from pathlib import Path

from assistant.answer.assistant import Assistant
from assistant.config import Settings
from assistant.ingest.ingestor import Ingestor
from assistant.store.index import Index
from assistant.tools.chroma_server import free_port
from assistant.web import app as web_app

from .conftest import SAMPLE
from .fakes import EvidenceEchoChat, HashEmbedder

LIBYA = "Who convened the Paris conference on Libya?"
TIGRAY = "Which armed group has joined the Tigray Defence Forces in the fighting against the Ethiopian army?"
VENEZUELA = "What did the spokeswoman say about the elections in Venezuela?"
SAMPLE_ID = "2021-11-10-briefing-zakharova"
WAIT_S = 30  # how long an event may take before a test fails (never decides an outcome)

XSS_SCRIPT = "<script>window.__pwned=1</script>"
XSS_IMG = '<img src=x onerror="window.__pwned=1">'
XSS_LINK = "[click me](javascript:alert(1)) ![x](http://example.invalid/x.png)"

# a small briefing in the shape of the real ones (also used by scripts/measure_web_sync.py)
GOOD_BRIEFING = (Path(__file__).resolve().parent / "data" / "web" / "2021-12-01-narnia.txt").read_text(encoding="utf-8")

HOSTILE_BRIEFING = f"""Briefing by Foreign Ministry Spokeswoman, Moscow, December 2, 2021

Wardrobe summit {XSS_SCRIPT}

The wardrobe summit on glacier diplomacy will open in Cair Paravel on December 9 {XSS_IMG} and its delegates will sign a glacier protection charter {XSS_SCRIPT}.

Answers to media questions:

Question: Who will chair the glacier protection charter talks {XSS_IMG}?

Maria Zakharova: The glacier protection charter talks will be chaired by the Narnian envoy Tumnus {XSS_LINK}.
"""

DANGEROUS = re.compile(r"<\s*(script|img|iframe|svg|a\b|object|embed|style|link)|javascript:\S*\"|\son\w+\s*=\s*\"",
                       re.IGNORECASE)


def assert_inert(markup: str) -> None:
    """No live tag or handler from untrusted text: everything it brought is escaped."""
    found = DANGEROUS.search(markup)
    assert found is None, f"live markup {found.group(0)!r} in: {markup[:400]}"


def make_settings(root: Path, **updates) -> Settings:
    values = {"index_dir": root / "index", "cache_dir": root / "cache", "llm": "extractive", **updates}
    return Settings(_env_file=None, **values)


class ControlledAssistant(Assistant):
    """The real pipeline (fake models), with its stream driven by the test through events: each
    answer sets ``started``, meets the other answers at ``barrier`` (concurrent answers must all
    get there), yields the unverified ``draft`` deltas and waits for ``release`` before the
    pipeline's own deltas and ``Answer`` — for every question, or only for ``only``. Unset, it
    is the plain pipeline. ``ask`` (the /ask API) goes through ``stream`` too."""

    only: str | None = None
    started: threading.Event | None = None
    barrier: threading.Barrier | None = None
    draft: str | None = None
    release: threading.Event | None = None

    def reset(self) -> None:
        """Back to the plain pipeline; an answer still waiting is let go."""
        if self.release is not None:
            self.release.set()
        if self.barrier is not None:
            self.barrier.abort()
        self.only = self.started = self.barrier = self.draft = self.release = None

    def stream(self, question, history=None, filters=None, mode=None):
        items = super().stream(question, history, filters, mode)
        if self.only is not None and question != self.only:
            yield from items
            return
        if self.started is not None:
            self.started.set()
        if self.barrier is not None:
            self.barrier.wait(WAIT_S)  # BrokenBarrierError when the answers do not overlap
        if self.draft:
            yield from re.findall(r"\S+\s*", self.draft)
        if self.release is not None and not self.release.wait(WAIT_S):
            raise TimeoutError("the test did not release the answer")
        yield from items


def make_assistant(settings: Settings, index: Index | None = None) -> ControlledAssistant:
    """The pipeline with the fake models, on ``index`` or on a new one holding the sample."""
    embedder = index.embedder if index is not None else HashEmbedder()
    if index is None:
        index = Index(settings, embedder)
        report = Ingestor(index, settings).ingest([SAMPLE], show_progress=False)
        assert report.ok, report.failed
    chat = EvidenceEchoChat()
    return ControlledAssistant(settings, embedder=embedder, index=index, chat_models={"local": chat, "openai": chat})


@contextmanager
def served_app(folder: Path, **updates):
    """A served app with the fake models on a new index holding the sample: (assistant, url)."""
    settings = make_settings(folder, **updates)
    assistant = make_assistant(settings)
    demo, url = launch(assistant, settings)
    try:
        yield assistant, url
    finally:
        demo.close()


def launch(assistant: Assistant, settings: Settings):
    demo = web_app.build_app(assistant, settings)
    _, url, _ = web_app.launch_app(demo, settings, host="127.0.0.1", port=free_port(), prevent_thread_lock=True,
                                   quiet=True)
    return demo, url


def run_in_thread(fn, *args) -> tuple[threading.Thread, list]:
    """``fn(*args)`` in a thread; the list receives its result or its exception."""
    out: list = []

    def target():
        try:
            out.append(fn(*args))
        except BaseException as err:  # noqa: BLE001 - handed to the test
            out.append(err)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, out


def request(session: str = "s1"):
    """What Gradio injects as ``gr.Request`` (only the session is read)."""
    return types.SimpleNamespace(session_hash=session)


def last_text(chat: list) -> str:
    return chat[-1]["content"]
