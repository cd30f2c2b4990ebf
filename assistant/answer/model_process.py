"""The answer-time models in a second process, so that they load on another core while this one
imports the vector store and opens the index (a cold start is otherwise their sum: each load holds
the interpreter lock, or waits for it, and threads cannot overlap them).

``ModelProcess(settings)`` starts ``python -m assistant.answer.model_process``. The child loads the
query embedder first (a question needs it first), then spaCy's entity recogniser, then serves
requests one at a time: pickled ``(operation, argument)`` on its standard input, pickled
``(ok, result or error text)`` on its standard output. Both ends are this package, so pickle is
safe here; nothing from a document is unpickled, only texts and the results computed from them.

``RemoteEmbedder`` and ``remote_entities`` use it and fall back to loading the model in this
process, with a warning, when the child cannot start or stops; the child ends when its standard
input closes (``close()``, or this process exiting)."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from typing import Any, Callable, Sequence

import numpy as np

from assistant.answer.entities import EntityTagger
from assistant.errors import ModelError

log = logging.getLogger(__name__)


class ModelProcessGone(ModelError):
    """The child cannot serve (it failed to start, or stopped)."""


class ModelProcess:
    def __init__(self, settings: Any, command: Sequence[str] | None = None):
        """``command`` runs another child speaking the same protocol (tests)."""
        self._lock = threading.Lock()
        self._gone: str | None = None
        try:
            self._proc: subprocess.Popen | None = subprocess.Popen(
                list(command or [sys.executable, "-m", __name__]), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            pickle.dump(settings, self._proc.stdin)
            self._proc.stdin.flush()
        except (OSError, pickle.PicklingError) as err:
            self._proc = None
            self._gone = f"it could not start ({type(err).__name__}: {err})"

    def call(self, operation: str, argument: Any) -> Any:
        """The child's result of ``operation`` on ``argument``; ``ModelProcessGone`` when the child
        cannot serve, ``ModelError`` naming the child's error when the operation failed there."""
        with self._lock:
            if self._gone is None:
                assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
                try:
                    pickle.dump((operation, argument), self._proc.stdin)
                    self._proc.stdin.flush()
                    ok, result = pickle.load(self._proc.stdout)
                except (OSError, EOFError, pickle.UnpicklingError) as err:
                    self._gone = f"it stopped ({type(err).__name__}: {err}; exit code {self._proc.poll()})"
                else:
                    if not ok:
                        raise ModelError(f"the model process failed: {result}")
                    return result
            raise ModelProcessGone(f"the model process cannot serve: {self._gone}")

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            self._gone = self._gone or "it was closed"
        if proc is None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


class _Fallback:
    """Calls ``remote`` until the model process is gone, then ``local`` (once warned)."""

    def __init__(self, what: str, remote: Callable, local: Callable):
        self._what, self._remote, self._local, self._warned = what, remote, local, False

    def __call__(self, *args):
        if not self._warned:
            try:
                return self._remote(*args)
            except ModelProcessGone as gone:
                log.warning("%s; loading the %s in this process", gone, self._what)
                self._warned = True
        return self._local(*args)


class RemoteEmbedder:
    """The query embedder ``local`` (not loaded here), run by the model process."""

    def __init__(self, process: ModelProcess, local: Any):
        self.name, self.dim = local.name, local.dim
        self.variant = getattr(local, "variant", local.name)
        self._encode = _Fallback("query embedder", lambda texts: process.call("encode", texts),
                                 lambda texts: local.encode(texts))

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts))

    def load(self) -> None:
        self._encode(["warm up"])


def remote_entities(process: ModelProcess, local: EntityTagger | None = None) -> EntityTagger:
    """An entity tagger whose model runs in the model process (its cache stays here); ``local``
    (loaded only if the process is gone) tags here instead."""
    fallback = local or EntityTagger()
    return EntityTagger(tag=_Fallback("entity recogniser", lambda text: process.call("entities", text),
                                      fallback.entities))


def start_models(settings: Any) -> ModelProcess | None:
    """The model process for ``settings`` (None when ``answer.model_process`` is off). Start it
    before importing the rest of the pipeline: it then loads while this process imports."""
    return ModelProcess(settings) if settings.answer.model_process else None


def _load(embedder: Any, tagger: EntityTagger) -> None:
    """The query embedder (a question needs it first), then spaCy."""
    for load in (lambda: embedder.encode(["warm up"]), tagger.warm_up):
        try:
            load()
        except Exception:  # noqa: BLE001 - the request that needs the model gets the error
            log.exception("the model process could not load a model")


def _serve() -> None:
    """The child: answer requests until standard input closes, while the models load."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is for the parent; EOF ends this
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to standard error, not into the replies
    requests = sys.stdin.buffer
    settings = pickle.load(requests)
    from assistant.store import embed_runtimes

    embedder = embed_runtimes.make_query_embedder(settings)
    tagger = EntityTagger()
    handlers: dict[str, Callable[[Any], Any]] = {"encode": embedder.encode, "entities": tagger.entities}
    threading.Thread(target=_load, args=(embedder, tagger), name="load", daemon=True).start()
    while True:  # a request for a model still loading waits for it (each loads under its own lock)
        try:
            operation, argument = pickle.load(requests)
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (True, handlers[operation](argument))
        except Exception as err:  # noqa: BLE001 - sent back, raised in the asking process
            reply = (False, f"{type(err).__name__}: {err}")
        pickle.dump(reply, replies)
        replies.flush()


if __name__ == "__main__":
    _serve()
