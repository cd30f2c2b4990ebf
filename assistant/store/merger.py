"""BM25 segment merges, off the commit path.

A commit writes one small segment per file and never merges (an ingest's time does not depend on
how many segments the archive has). Merges run afterwards, one per hold of the write lock, so a
writer waiting for the lock waits for one merge at most: ``run`` right after an ingest (CLI, API),
or ``start`` in a background thread (web uploads), which returns at once. Readers never wait for a
merge: they answer from the committed view, and a merge publishes a new view (the same live
chunks, fewer segments) like any commit. A merge interrupted by a kill leaves an unlisted segment
file, which the next writer deletes."""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from typing import TYPE_CHECKING

from assistant.errors import IndexUnavailable

if TYPE_CHECKING:
    from assistant.store.index import Index

log = logging.getLogger(__name__)


class Merger:
    def __init__(self, index: "Index"):
        self.ix = index
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False  # a commit came while the thread was finishing: look once more

    def run(self, held: bool = False) -> int:
        """Merge until no merge is due; how many were made. ``held``: the caller holds the write
        lock (an ingest between its groups of files). When another process has taken the lock
        meanwhile, this stops: that writer merges after its own commits."""
        done = 0
        while True:
            try:
                with nullcontext() if held else self.ix.writing():
                    if not self.ix._writer.merge_step():
                        return done
            except IndexUnavailable:
                return done
            done += 1

    def start(self) -> threading.Thread:
        """Merge in a background thread (one per index at a time; a call while it runs makes it
        look again before it stops)."""
        with self._guard:
            if self._thread is not None:
                self._again = True
                return self._thread
            self._thread = threading.Thread(target=self._loop, name="bm25-merge", daemon=True)
            self._thread.start()
            return self._thread

    def _loop(self) -> None:
        while True:
            try:
                self.run()
            except Exception:  # noqa: BLE001 - a failed merge loses nothing; the next one retries
                log.warning("BM25 segment merge failed", exc_info=True)
            with self._guard:
                if not self._again:
                    self._thread = None
                    return
                self._again = False

    def wait(self) -> None:
        """Until the background merges (if any) have finished."""
        thread = self._thread
        if thread is not None:
            thread.join()
