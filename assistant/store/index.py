"""The hybrid index: Chroma (dense vectors) + BM25 segments + briefing text on disk, listed by a
registry of ingested files.

Layout of ``ASSISTANT_INDEX_DIR``::

    registry.json                 what is ingested: the commit point of every change
    briefings/<id>.<h>.<p>.json   parsed briefing + its chunks + its entry, one file per version
    docs.sqlite3                  the same text, read on demand (nothing per briefing in memory)
    bm25/seg-*.npz                BM25 segments (term frequencies of the chunks of some files)
    chroma/                       embedded Chroma store (absent when a Chroma server is used)
    .lock                         held by the one process that writes

Writes follow the commit protocol of ``assistant.store.writer``. Readers see one committed
registry at a time (``snapshot``) and pick up what another process committed within
``refresh_interval_s`` (one stat call, at most that often); the view is checked cheaply whenever it
is opened, and a damaged index is refused with a one-line message naming the problem and
``briefing-assistant check --repair``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from assistant.config import Settings
from assistant.errors import NotInIndex
from assistant.models import Briefing, Chunk, Filters, SectionRef
from assistant.store.bm25 import SegmentStore
from assistant.store.docstore import DocStore, DocStoreError
from assistant.store.embedding import Embedder
from assistant.store.merger import Merger
from assistant.store.registry import (PARSER_VERSION, Registry, RegistryEntry, RegistryFile, embedder_variant,
                                      pipeline_of)
from assistant.store.vectors import DenseHit, VectorStore, VectorStoreError
from assistant.store.versions import BriefingVersions, CopyOf, copies_of, group_versions
from assistant.store.view import Parts, View, damaged, open_view, read_registry
from assistant.text.dates import date_to_int

__all__ = ["Index", "DenseHit", "Registry", "RegistryEntry", "PARSER_VERSION", "open_parts"]

UNSEEN_LIMIT = 32  # briefings another process added that are searched exactly before Chroma is reopened
_LOCAL_COMMITS: dict[str, str] = {}  # index folder -> the last commit any Index of this process made


def open_parts(settings: Settings, embedder: Embedder) -> Parts:
    root = Path(settings.store.index_dir)
    root.mkdir(parents=True, exist_ok=True)
    (root / "briefings").mkdir(exist_ok=True)
    store = settings.store
    variant = embedder_variant(embedder)
    return Parts(root, RegistryFile(root / "registry.json"),
                 DocStore(root / "docs.sqlite3", store.doc_cache_briefings, store.chunk_cache_size,
                          store.outline_cache_size),
                 SegmentStore(root / "bm25"), VectorStore(settings, root, variant), variant)


class Index:
    def __init__(self, settings: Settings, embedder: Embedder):
        from assistant.store.writer import Writer

        self.settings = settings
        self.embedder = embedder
        self.parts = open_parts(settings, embedder)
        self.root = self.parts.root
        self._key = str(self.root.resolve())
        self._lock = threading.RLock()
        self._view = open_view(self.parts)
        self._checked_at = time.monotonic()
        self._local_seen = _LOCAL_COMMITS.get(self._key)
        self._vectors_checked: str | None = None
        self._copies: tuple[str, dict[str, CopyOf]] = ("", {})
        self._writer = Writer(self)
        self._merger = Merger(self)

    # ---------------------------------------------------------------- paths & pipeline
    @property
    def registry_path(self) -> Path:
        return self.parts.registry.path

    @property
    def pipeline(self) -> str:
        ingest = self.settings.ingest
        return pipeline_of(ingest.chunk_tokens, ingest.context_tokens, self.embedder.name)

    def collection(self):
        return self.parts.vectors.collection()

    # ---------------------------------------------------------------- the view
    @property
    def snapshot(self) -> View:
        """The committed registry this process answers from (``.registry``, ``.chunks``)."""
        return self._view

    def _publish(self, view: View) -> None:
        self._view = view
        _LOCAL_COMMITS[self._key] = view.registry.commit

    def refresh(self, force: bool = False) -> None:
        """Pick up a change another process (or another ``Index`` here) committed: one stat call,
        at most every ``refresh_interval_s``. ``IndexDamaged`` when the new state is damaged.
        Skipped while this process writes: the writer keeps the view current."""
        local = _LOCAL_COMMITS.get(self._key)
        if not (force or local != self._local_seen
                or time.monotonic() - self._checked_at >= self.settings.store.refresh_interval_s):
            return
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._checked_at, self._local_seen = time.monotonic(), local
            view = self._view
            token = self.parts.registry.stat_token()
            if token == view.token:
                return
            reg = read_registry(self.parts)
            if reg.commit == view.registry.commit and reg.generation == view.registry.generation:
                self._view = view.with_registry(reg, token)
            else:
                self._view = open_view(self.parts, view)
            self.parts.vectors.sync(self._view.registry.vectors_commit)
        finally:
            self._lock.release()

    def check_vectors(self) -> None:
        """Chroma holds at least one vector per live chunk (checked once per commit)."""
        view = self._view
        if self._vectors_checked == view.registry.commit or not view.registry.briefings:
            return
        try:
            count = self.parts.vectors.count()
        except VectorStoreError as err:
            raise damaged(self.root, [str(err)]) from None
        if count < view.registry.chunk_total:
            raise damaged(self.root, [f"Chroma holds {count} vectors, the registry lists {view.registry.chunk_total} "
                                      f"chunks"])
        self._vectors_checked = view.registry.commit

    # ---------------------------------------------------------------- reading
    def briefings(self) -> list[RegistryEntry]:
        self.refresh()
        return list(self._view.by_date)

    def versions(self) -> list[BriefingVersions]:
        """Every briefing once, with its versions (copies from other pages), the official first."""
        return group_versions(self.briefings())

    def copies(self) -> dict[str, CopyOf]:
        """briefing id -> its place among the copies of its briefing (briefings with copies only),
        computed once per commit."""
        registry = self._view.registry
        commit, copies = self._copies
        if commit != registry.commit or not commit:
            copies = copies_of(registry.briefings.values())
            self._copies = (registry.commit, copies)
        return copies

    def briefing(self, briefing_id: str) -> Briefing:
        for attempt in range(2):
            view = self._view
            entry = view.registry.briefings.get(briefing_id)
            try:
                briefing = self.parts.docs.briefing(entry.doc_file) if entry else None
            except DocStoreError as err:
                raise damaged(self.root, [str(err)]) from None
            if briefing is not None:
                return briefing
            self.refresh(force=True)  # removed or replaced by another process since this view
        raise NotInIndex(f"no briefing {briefing_id!r} in the index")

    def section_ref(self, briefing_id: str, section_index: int) -> SectionRef:
        """Where a section is (briefing header, section title, kind and span), without reading the
        whole briefing: what a search result names."""
        for attempt in range(2):
            doc = self._view.doc_of(briefing_id)
            try:
                outline = self.parts.docs.outline(doc) if doc else None
            except DocStoreError as err:
                raise damaged(self.root, [str(err)]) from None
            if outline is not None:
                index, title, kind, start, end = outline.sections[section_index]
                return SectionRef(briefing_id=briefing_id, briefing_date=outline.date,
                                  briefing_title=outline.title, speaker=outline.speaker, section_index=index,
                                  section_title=title, section_kind=kind, start=start, end=end)
            self.refresh(force=True)
        raise NotInIndex(f"no briefing {briefing_id!r} in the index")

    def chunk(self, chunk_id: str) -> Chunk | None:
        try:
            return self._view.chunk(chunk_id)
        except DocStoreError as err:
            raise damaged(self.root, [str(err)]) from None

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """The chunks of these ids that a live version holds (one query for all cache misses)."""
        try:
            return self._view.read_chunks(chunk_ids)
        except DocStoreError as err:
            raise damaged(self.root, [str(err)]) from None

    def chunks_of(self, briefing_id: str) -> list[Chunk]:
        """The chunks of one briefing, in text order."""
        doc = self._view.doc_of(briefing_id)
        if doc is None:
            raise NotInIndex(f"no briefing {briefing_id!r} in the index")
        return self.parts.docs.chunks_of(doc)

    def __len__(self) -> int:
        return self._view.chunk_total

    def is_current(self, briefing_id: str, content_hash: str) -> bool:
        e = self._view.registry.briefings.get(briefing_id)
        return e is not None and e.content_hash == content_hash and e.pipeline == self.pipeline

    def entry_for_source(self, source_key: str) -> RegistryEntry | None:
        return next((e for e in self._view.registry.briefings.values() if e.path == source_key), None)

    # ---------------------------------------------------------------- search
    def dense_search(self, query_vec: np.ndarray, k: int, filters: Filters | None = None) -> list[DenseHit]:
        view = self._view
        total = view.chunk_total
        if not total:
            return []
        self.check_vectors()
        try:
            try:
                hits = self._dense_hits(view, query_vec, min(k, total + 16), filters)
            except VectorStoreError:
                # the open client's vector index is older than what another process flushed to
                # disk ("Error finding id"): reopen it (it then holds everything) and search again
                if not self.parts.vectors.reopen():
                    raise
                hits = self._dense_hits(view, query_vec, min(k, total + 16), filters)
            live = self.parts.docs.held_by(view.live_docs, [cid for cid, _ in hits])
        except (VectorStoreError, DocStoreError) as err:
            raise damaged(self.root, [str(err)]) from None
        best: dict[str, float] = {}
        for cid, score in hits:
            if cid in live and score > best.get(cid, -2.0):
                best[cid] = score
        return [DenseHit(cid, score) for cid, score in sorted(best.items(), key=lambda x: -x[1])[:k]]

    def warm_up(self) -> None:
        """Search once, so that the vector store loads its segment now rather than in the first question."""
        unit = np.zeros(self.embedder.dim, dtype=np.float32)
        unit[0] = 1.0
        self.dense_search(unit, 1)

    def _dense_hits(self, view: View, query_vec: np.ndarray, n: int,
                    filters: Filters | None) -> list[tuple[str, float]]:
        unseen = self.parts.vectors.unseen(view.live_docs.keys(), UNSEEN_LIMIT)
        hits = self.parts.vectors.search(query_vec, n, filters)
        if unseen:
            hits += self._exact_hits(view, query_vec, unseen, filters)
        return hits

    def _exact_hits(self, view: View, query_vec: np.ndarray, docs: list[str],
                    filters: Filters | None) -> list[tuple[str, float]]:
        """Vectors another process added since this process's Chroma client was opened."""
        wanted = {}
        for doc in docs:
            entry = view.registry.briefings[view.live_docs[doc]]
            if filters is None or filters.empty or filters.accepts(entry.briefing_id, date_to_int(entry.date)):
                wanted[doc] = sorted(self.parts.docs.chunk_ids(doc))
        return self.parts.vectors.exact_search(query_vec, wanted)

    def bm25_search(self, query_terms: list[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        view = self._view
        if not query_terms:
            return []
        accept = None
        if filters is not None and not filters.empty:
            entries = view.registry.briefings

            def accept(briefing_id: str) -> bool:
                e = entries.get(briefing_id)
                return e is not None and filters.accepts(briefing_id, date_to_int(e.date))

        return view.bm25.search(query_terms, k, accept)

    # ---------------------------------------------------------------- writing
    def writing(self) -> Iterator[None]:
        """Exclusive write access: one thread here, one process on this index folder."""
        return self._writer.writing()

    def stored_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these chunk ids already have a vector in Chroma (they are not embedded again)."""
        try:
            return self.parts.vectors.stored_ids(ids)
        except VectorStoreError as err:
            raise damaged(self.root, [str(err)]) from None

    def embed(self, chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
        """Vectors of chunks, in one encode call (sentence-transformers sorts them by length)."""
        if not chunks:
            return {}
        vectors = self.embedder.encode([c.embed_text for c in chunks],
                                       batch_size=max(self.settings.embedding.embed_batch_size, 1))
        return {c.id: v for c, v in zip(chunks, vectors)}

    def add(self, briefing: Briefing, chunks: Sequence[Chunk], source_key: str,
            vectors: dict[str, np.ndarray] | None = None) -> tuple[str, int]:
        """Add or replace one briefing (inside ``writing()``); ``source_key`` is the resolved path
        (or ``upload:NAME``). ``vectors`` may bring precomputed vectors of new chunks (embedded
        together with other files'); the others are embedded here. Returns (status, number of
        chunks embedded)."""
        with self.writing():
            return self._writer.add(briefing, chunks, source_key, vectors)

    def remove(self, briefing_id: str) -> RegistryEntry:
        with self.writing():
            entry = self._writer.remove(briefing_id)
        self.merge_segments()
        return entry

    def merge_segments(self, held: bool = False) -> int:
        """Merge BM25 segments until no merge is due (commits never merge); how many were made.
        ``held``: the caller is inside ``writing()``."""
        return self._merger.run(held)

    def merge_in_background(self) -> None:
        """The same in a background thread: the caller (a web upload) does not wait for it."""
        self._merger.start()

    def wait_for_merges(self) -> None:
        self._merger.wait()

    def disk_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.root.rglob("*") if f.is_file())

    def close(self) -> None:
        """Release the text store (tests, tools), after background merges; the index can be used
        again afterwards."""
        self._merger.wait()
        self.parts.docs.close()
