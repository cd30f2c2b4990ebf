"""Changing the index: the commit protocol.

Every change follows the same order: mark the briefing ``pending`` in the registry, embed and add
its new chunks to Chroma, write its parsed file, its text rows and its BM25 segment, then
atomically replace ``registry.json`` (the commit), then clean up what the old version left behind
and clear ``pending``. An interruption at any point leaves the previous index usable: readers only
ever see what the committed registry lists, and the next writer finishes the clean-up of the
``pending`` briefing. Nothing of a briefing that is not the pending one is ever deleted, so a
damaged registry cannot cause the loss of other briefings. The text rows of a replaced or removed
version are retired rather than deleted, and deleted ``retire_grace_s`` later: a reader in the
middle of a question on the previous registry still finds them."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from assistant.errors import IndexUnavailable, NotInIndex
from assistant.models import Briefing, Chunk
from assistant.store.bm25 import build_segment, merge_plan, merge_segments, new_segment_name
from assistant.store.parsed import briefing_id_of, doc_file_name, write_parsed
from assistant.store.registry import Registry, RegistryEntry, briefing_fields, remove_stale_temp_files
from assistant.store.view import View, open_view
from assistant.text import terms

if TYPE_CHECKING:
    from assistant.store.index import Index

COMPACT_BELOW = 0.5  # a segment with fewer live documents than this share is rewritten


@contextlib.contextmanager
def folder_lock(root: Path) -> Iterator[None]:
    """The index folder's write lock (``.lock``), or ``IndexUnavailable`` when another process
    holds it."""
    lock_file = open(root / ".lock", "a+")
    try:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexUnavailable(f"{root}: another process is writing to this index; "
                                   f"try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    finally:
        lock_file.close()


class Writer:
    def __init__(self, index: "Index"):
        self.ix = index
        self.parts = index.parts
        self.depth = 0

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Exclusive write access: one thread here, one process on this index folder."""
        with self.ix._lock:
            if self.depth:
                self.depth += 1
                try:
                    yield
                finally:
                    self.depth -= 1
                return
            with folder_lock(self.parts.root):
                self.ix.refresh(force=True)
                self.ix.check_vectors()
                self.recover()
                self.depth = 1
                try:
                    yield
                finally:
                    self.depth = 0

    # ---------------------------------------------------------------- registry writes
    def publish(self, reg: Registry) -> View:
        """Commit ``reg`` (already ``committed()``) and make it this process's view."""
        self.parts.registry.write(reg)
        view = open_view(self.parts, self.ix._view, check=False, registry=reg)
        view.token = self.parts.registry.stat_token()
        self.parts.vectors.saw(view.live_docs)  # this process's Chroma client holds what it added
        self.ix._publish(view)
        return view

    def mark_pending(self, briefing_id: str | None, retire: Sequence[str] = ()) -> None:
        """Record the briefing whose change starts (or None: it is finished). ``retire``: text
        rows no committed version uses any more; they are deleted ``retire_grace_s`` later, so
        that a reader still answering from the previous registry finds its text."""
        view = self.ix._view
        now = time.time()
        retired = {**view.registry.retired, **{d: now for d in retire}}
        expired = [d for d, t in retired.items() if now - t >= self.ix.settings.store.retire_grace_s]
        self.parts.docs.drop(expired)
        for d in expired:
            del retired[d]
        reg = view.registry.model_copy(update={"pending": briefing_id, "retired": retired})
        self.parts.registry.write(reg)
        self.ix._publish(view.with_registry(reg, self.parts.registry.stat_token()))

    # ---------------------------------------------------------------- recovery & clean-up
    def recover(self) -> None:
        """Finish the clean-up of a change that was interrupted (under the write lock)."""
        remove_stale_temp_files(self.parts.root, self.parts.briefings_dir, self.parts.segments.folder)
        reg = self.ix._view.registry
        if reg.pending is not None:
            self.mark_pending(None, self.clean_up(reg.pending))
        elif reg.retired:
            self.mark_pending(None)  # deletes the rows retired long enough ago
        self.drop_unused_segments()

    def clean_up(self, briefing_id: str) -> list[str]:
        """Remove what is left of ``briefing_id`` outside its committed version: vectors and parsed
        files of other versions (or of all, when it is no longer listed); their text rows are
        returned, to be retired."""
        entry = self.ix._view.registry.briefings.get(briefing_id)
        keep_doc = entry.doc_file if entry else None
        live = self.parts.docs.chunk_ids(keep_doc) if keep_doc else set()
        self.parts.vectors.delete([i for i in self.parts.vectors.ids_of(briefing_id) if i not in live])
        for f in self.parts.briefings_dir.glob(f"{briefing_id}.*.json"):
            if briefing_id_of(f.name) == briefing_id and f.name != keep_doc:
                f.unlink(missing_ok=True)
        return [d for d in self.parts.docs.docs_of(briefing_id) if d != keep_doc]

    def drop_unused_segments(self) -> None:
        used = {e.bm25_segment for e in self.ix._view.registry.briefings.values()}
        for name, path in self.parts.segments.files().items():
            if name not in used:
                path.unlink(missing_ok=True)

    # ---------------------------------------------------------------- changes
    def add(self, briefing: Briefing, chunks: Sequence[Chunk], source_key: str,
            vectors: dict[str, np.ndarray] | None = None) -> tuple[str, int]:
        ix = self.ix
        old = ix._view.registry.briefings.get(briefing.id)
        present = ix.stored_ids([c.id for c in chunks])
        to_embed = [c for c in chunks if c.id not in present]
        self.mark_pending(briefing.id)
        vectors = dict(vectors or {})
        vectors.update(ix.embed([c for c in to_embed if c.id not in vectors]))
        self.parts.vectors.upsert(to_embed, vectors)
        entry = self._entry(briefing, chunks, source_key)
        size = write_parsed(self.parts.briefings_dir, entry, briefing, chunks)
        self.parts.docs.put(entry.doc_file, briefing, chunks)
        segment = build_segment(new_segment_name(), ((c.id, briefing.id, terms(c.embed_text)) for c in chunks))
        self.parts.segments.save(segment)
        entry = entry.model_copy(update={"doc_bytes": size, "bm25_segment": segment.name})
        reg = ix._view.registry
        self.publish(reg.committed(briefings={**reg.briefings, briefing.id: entry}, pending=briefing.id,
                                   embed_model=self.parts.variant))
        self.mark_pending(None, self.clean_up(briefing.id))  # after the commit point
        self.drop_unused_segments()
        return ("updated" if old else "added"), len(to_embed)

    def _entry(self, briefing: Briefing, chunks: Sequence[Chunk], source_key: str) -> RegistryEntry:
        pipeline = self.ix.pipeline
        return RegistryEntry(
            briefing_id=briefing.id, path=source_key, content_hash=briefing.content_hash, pipeline=pipeline,
            chunk_count=len(chunks), ingested_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            doc_file=doc_file_name(briefing.id, briefing.content_hash, pipeline), **briefing_fields(briefing))

    def remove(self, briefing_id: str) -> RegistryEntry:
        reg = self.ix._view.registry
        entry = reg.briefings.get(briefing_id)
        if entry is None:
            known = ", ".join(sorted(reg.briefings)) or "none"
            raise NotInIndex(f"no briefing {briefing_id!r} in the index (known: {known})")
        briefings = {k: v for k, v in reg.briefings.items() if k != briefing_id}
        self.publish(reg.committed(briefings=briefings, pending=briefing_id))
        self.mark_pending(None, self.clean_up(briefing_id))
        self.drop_unused_segments()
        return entry

    # ---------------------------------------------------------------- BM25 merges
    def merge_step(self) -> bool:
        """One merge, if the tiered policy (or a mostly dead segment) asks for one; False when
        none is due. Commits never merge: ``Index.merge_segments`` calls this, one merge per
        hold of the write lock, after the commits of an ingest or in a background thread."""
        factor = max(self.ix.settings.store.bm25_merge_factor, 2)
        bm25 = self.ix._view.bm25
        sizes = {s.name: int(m.sum()) for s, m in zip(bm25.segments, bm25.live)}
        sparse = [s.name for s, m in zip(bm25.segments, bm25.live) if m.sum() < COMPACT_BELOW * s.n_docs]
        plan = merge_plan(sizes, factor) or sparse[:1]
        if plan:
            self._merge(plan)
        return bool(plan)

    def _merge(self, names: list[str]) -> None:
        view = self.ix._view
        parts = [(s, m) for s, m in zip(view.bm25.segments, view.bm25.live) if s.name in names]
        merged = merge_segments(new_segment_name(), parts)
        self.parts.segments.save(merged)
        reg = view.registry
        moved = {bid: e.model_copy(update={"bm25_segment": merged.name}) for bid, e in reg.briefings.items()
                 if e.bm25_segment in names}
        self.publish(reg.committed(briefings={**reg.briefings, **moved}))
        self.drop_unused_segments()
