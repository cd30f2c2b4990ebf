"""What readers see: one committed registry with its BM25 segments, opened after the cheap part of
the consistency check. A view is immutable; a change publishes a new one, so a question is
answered against one registry from start to end."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from assistant.errors import IndexDamaged
from assistant.models import Briefing, Chunk
from assistant.store.bm25 import Bm25Index, SegmentError, SegmentStore
from assistant.store.docstore import DocStore, DocStoreError
from assistant.store.registry import REPAIR_HINT, Registry, RegistryEntry, RegistryFile, RegistryProblem
from assistant.store.vectors import VectorStore


@dataclass
class Parts:
    """The files of one index folder, opened once per ``Index``."""

    root: Path
    registry: RegistryFile
    docs: DocStore
    segments: SegmentStore
    vectors: VectorStore
    variant: str  # the embedder's variant, compared with the one the registry records

    @property
    def briefings_dir(self) -> Path:
        return self.root / "briefings"


def damaged(root: Path, problems: list[str]) -> IndexDamaged:
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return IndexDamaged(f"{root}: {problems[0]}{more}; {REPAIR_HINT}")


class ChunkMap(Mapping[str, Chunk]):
    """The live chunks of a view, read from disk when asked for (``snapshot.chunks``; iterating
    or copying it reads every chunk: tools and tests only)."""

    def __init__(self, view: "View"):
        self._view = view

    def __getitem__(self, chunk_id: str) -> Chunk:
        chunk = self._view.chunk(chunk_id)
        if chunk is None:
            raise KeyError(chunk_id)
        return chunk

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and self._view.chunk(chunk_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._view.bm25.chunk_ids())

    def __len__(self) -> int:
        return self._view.chunk_total


@dataclass(eq=False)
class View:
    registry: Registry
    token: tuple | None  # the registry file's stat when it was read
    bm25: Bm25Index
    docs: DocStore
    live_docs: dict[str, str] = field(default_factory=dict)  # parsed file -> briefing id

    @property
    def chunks(self) -> ChunkMap:
        return ChunkMap(self)

    # one view is one committed registry: what is derived from it is computed once
    @cached_property
    def by_date(self) -> tuple[RegistryEntry, ...]:
        """Every registry entry, by date then id."""
        return tuple(sorted(self.registry.briefings.values(), key=lambda e: (e.date or "", e.briefing_id)))

    @cached_property
    def chunk_total(self) -> int:
        return self.registry.chunk_total

    def doc_of(self, briefing_id: str) -> str | None:
        entry = self.registry.briefings.get(briefing_id)
        return entry.doc_file if entry else None

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.docs.chunk(chunk_id, self.live_docs)

    def read_chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        return self.docs.chunks(chunk_ids, self.live_docs)

    def briefing(self, briefing_id: str) -> Briefing | None:
        doc = self.doc_of(briefing_id)
        return self.docs.briefing(doc) if doc else None

    def with_registry(self, registry: Registry, token: tuple | None) -> "View":
        """The same commit with another uncommitted detail (``pending``)."""
        return View(registry, token, self.bm25, self.docs, self.live_docs)


def open_view(parts: Parts, previous: View | None = None, check: bool = True,
              registry: Registry | None = None) -> View:
    """The view of the committed registry, built from ``previous`` (only what changed is read
    and checked). ``IndexDamaged`` when the cheap check finds a problem; a writer replacing files
    while we read them makes us read again."""
    from assistant.store.check import quick_problems

    for attempt in range(5):
        token = parts.registry.stat_token()
        try:
            reg = registry if registry is not None else read_registry(parts)
            problems = quick_problems(parts, reg, previous) if check else []
            if not problems:
                return _build(parts, reg, token, previous, check)
        except (SegmentError, DocStoreError) as err:
            problems = [str(err)]
        if registry is not None or parts.registry.stat_token() == token:
            raise damaged(parts.root, problems)
    raise damaged(parts.root, problems)


def read_registry(parts: Parts) -> Registry:
    from assistant.store.check import leftover_data

    try:
        reg = parts.registry.read()
    except RegistryProblem as err:
        raise damaged(parts.root, [str(err)]) from None
    if reg is None:
        left = leftover_data(parts)
        if left:
            raise damaged(parts.root, [f"registry.json is missing but {left}"])
        reg = Registry(embed_model=parts.variant)
    return reg


def _build(parts: Parts, reg: Registry, token: tuple | None, previous: View | None, check: bool) -> View:
    names = sorted({e.bm25_segment for e in reg.briefings.values()})
    segments = [parts.segments.get(n) for n in names]
    briefings = reg.briefings

    def is_live(briefing_id: str, segment: str) -> bool:
        entry = briefings.get(briefing_id)
        return entry is not None and entry.bm25_segment == segment

    bm25 = Bm25Index.over(segments, is_live, previous.bm25 if previous is not None else None)
    if check:
        _check_bm25_counts(parts, reg, bm25, previous)
    parts.segments.keep_only(set(names))
    return View(reg, token, bm25, parts.docs, {e.doc_file: e.briefing_id for e in briefings.values()})


def _check_bm25_counts(parts: Parts, reg: Registry, bm25: Bm25Index, previous: View | None) -> None:
    counts = bm25.chunk_counts()
    for e in reg.briefings.values():
        if previous is not None and e.doc_file in previous.live_docs:
            continue
        n = counts.get(e.briefing_id, 0)
        if n != e.chunk_count:
            raise SegmentError(f"BM25 holds {n} chunks of {e.briefing_id}, the registry lists {e.chunk_count}")
