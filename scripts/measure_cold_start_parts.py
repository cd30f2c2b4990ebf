"""Where a cold start's seconds go: the steps of `briefing-assistant ask` run one after another in
a fresh process (no background loading, so each step's own cost shows), with the index opening,
the first vector-store use and the evidence selection timed inside the question.

    python scripts/measure_cold_start_parts.py INDEX_DIR ["question"]
    python scripts/measure_cold_start_parts.py --gil INDEX_DIR

Run it a few times: the machine is shared, and the first run also warms the OS file cache.
``--gil`` tells whether loading in a background thread could overlap: it runs a busy Python
thread while Chroma loads its segment and while spaCy loads, and prints the share of its solo
speed that thread kept (near 0%: the load holds the interpreter lock, and threads cannot help)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
STEPS: list[tuple[str, float]] = []
INSIDE: list[tuple[str, float]] = []


def _step(name: str, since: list[float]) -> None:
    now = time.perf_counter()
    STEPS.append((name, now - since[0]))
    since[0] = now


def _timed(obj, attr: str, label: str) -> None:
    original = getattr(obj, attr)

    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            INSIDE.append((label, time.perf_counter() - t))

    setattr(obj, attr, wrapper)


def _spinner_share(job) -> tuple[float, float]:
    """(seconds of ``job``, share of a busy thread's solo speed it kept meanwhile)."""
    import threading

    count, stop = [0], [False]

    def spin():
        while not stop[0]:
            count[0] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(0.5)
    solo = count[0] / 0.5
    count[0] = 0
    t = time.perf_counter()
    job()
    seconds = time.perf_counter() - t
    stop[0] = True
    thread.join()
    return seconds, count[0] / seconds / solo


def gil(index_dir: str) -> int:
    """Imports and opening happen first; only the two loads run beside the busy thread."""
    import importlib

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.answer.entities import PACKAGE, UNUSED_PIPES
    from assistant.store.embedding import without_torch

    client = chromadb.PersistentClient(path=str(Path(index_dir) / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_collection(client.list_collections()[0].name)
    with without_torch():
        model = importlib.import_module(PACKAGE)
    for name, job in (("Chroma loads its segment", collection.count),
                      ("spaCy loads its entity recogniser", lambda: model.load(exclude=list(UNUSED_PIPES)))):
        seconds, share = _spinner_share(job)
        print(f"{name:40} {seconds:5.2f} s; a busy thread kept {share:4.0%} of its speed")
    return 0


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if sys.argv[1] == "--gil":
        return gil(sys.argv[2])
    os.environ["ASSISTANT_INDEX_DIR"] = sys.argv[1]
    question = sys.argv[2] if len(sys.argv) > 2 else "Who convened the Paris conference on Libya?"
    since = [T0]
    import assistant.config  # noqa: F401  (pydantic, pydantic-settings)
    _step("import the configuration", since)
    import chromadb  # noqa: F401
    _step("import chromadb", since)
    from assistant.answer.assistant import Assistant
    from assistant.answer.evidence import EvidenceBuilder
    from assistant.store import check
    from assistant.store.vectors import VectorStore
    from assistant.text import count_tokens
    _step("import the assistant", since)
    _timed(check, "quick_problems", "  index check (stat calls, chunk counts)")
    _timed(VectorStore, "count", "  first vector-store use (Chroma loads its segment)")
    _timed(EvidenceBuilder, "build", "  evidence selection")
    assistant = Assistant.from_settings(preload=False)
    _step("open the index", since)
    assistant.entities.warm_up()
    _step("load spaCy's entity recogniser", since)
    getattr(assistant.embedder, "load", lambda: assistant.embedder.encode(["warm up"]))()
    _step("load the query embedder", since)
    count_tokens("warm up")
    _step("load the token counter", since)
    answer = assistant.ask(question, mode="extractive")
    _step("answer the question", since)
    for name, seconds in STEPS:
        print(f"{name:52} {seconds:6.2f} s")
    for name, seconds in INSIDE:
        print(f"{name:52} {seconds:6.2f} s")
    print(f"{'total':52} {time.perf_counter() - T0:6.2f} s  ({'refused' if answer.abstained else 'answered'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
