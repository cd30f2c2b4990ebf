"""Copies of one briefing in search results (a mirror site's copy, a digest post of it): a passage
of a copy that a more official version of the same briefing also holds is one passage. The more
official version's chunk takes its place, with the better of the two scores, so that a search
never returns the same passage twice and answers cite the official transcript.

"Holds" means: a section of the more official version contains every number and every name (a
capitalised word inside a sentence; Russian ~ Russia) of the copy's passage and at least
``same_passage`` of its content terms (a mirror's verbatim copy holds all of them; a digest's
rewording of a sentence most of them). Two passages that differ in a name or a number are never
one passage. Which version is more official is decided in ``assistant.store.versions``; a
version the search's filters exclude is never used."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import Chunk, ChunkHit, Filters
from assistant.store.index import Index
from assistant.store.versions import CopyOf
from assistant.text import present, stem, terms
from assistant.text.terms import surface_words

MIN_TERMS = 4  # a passage of fewer content terms (a bare title) is never taken for another
CACHE_BRIEFINGS = 64  # versions whose chunk terms are kept in memory
CACHE_CHUNKS = 4096  # copies' chunks whose terms are kept in memory


@dataclass(frozen=True)
class _Section:
    index: int
    chunks: tuple[tuple[Chunk, frozenset[str]], ...]
    terms: frozenset[str]


_SENTENCE_BREAK = re.compile(r"[.!?;:\n]")


def _key_terms(text: str, words: frozenset[str]) -> frozenset[str]:
    """The numbers and names of a passage (stemmed like ``terms``): what must not differ."""
    names = {stem(w.lower()) for part in _SENTENCE_BREAK.split(text) for w in surface_words(part)[1:]
             if w[0].isupper()}
    return frozenset(w for w in words if w[0].isdigit() or w in names)


class CopyFolder:
    def __init__(self, index: Index, same_passage: float):
        self.index = index
        self.same_passage = same_passage
        self._sections: dict[str, tuple[_Section, ...]] = {}  # parsed file -> its sections' terms
        self._words: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # chunk id -> (terms, key terms)
        self._decided: dict[tuple, Chunk | None] = {}  # (chunk id, versions allowed, commit) -> the official chunk

    def _terms(self, chunk: Chunk) -> tuple[frozenset[str], frozenset[str]]:
        cached = self._words.get(chunk.id)
        if cached is None:
            if len(self._words) >= CACHE_CHUNKS:
                self._words.clear()
            words = frozenset(terms(chunk.text))
            cached = self._words[chunk.id] = (words, _key_terms(chunk.text, words))
        return cached

    def _outline(self, briefing_id: str) -> tuple[_Section, ...]:
        doc = self.index.snapshot.doc_of(briefing_id) or briefing_id
        cached = self._sections.get(doc)
        if cached is not None:
            return cached
        by_section: dict[int, list[tuple[Chunk, frozenset[str]]]] = {}
        for c in self.index.chunks_of(briefing_id):
            by_section.setdefault(c.section_index, []).append((c, frozenset(terms(c.text))))
        out = tuple(_Section(i, tuple(cs), frozenset().union(*(t for _, t in cs))) for i, cs in by_section.items())
        if len(self._sections) >= CACHE_BRIEFINGS:
            self._sections.clear()
        self._sections[doc] = out
        return out

    def official_chunk(self, chunk: Chunk, copy: CopyOf, filters: Filters | None = None) -> Chunk | None:
        """The chunk of a more official version holding the same passage as ``chunk``, or None
        (decided once per chunk, versions allowed and commit)."""
        allowed = tuple(b for b in copy.better  # the official version first
                        if filters is None or filters.empty or filters.accepts(b, chunk.date))
        memo = (chunk.id, allowed, self.index.snapshot.registry.commit)
        found = self._decided.get(memo, _UNDECIDED)
        if found is _UNDECIDED:
            found = self._find(chunk, allowed)
            if len(self._decided) >= CACHE_CHUNKS:
                self._decided.clear()
            self._decided[memo] = found
        return found

    def _find(self, chunk: Chunk, allowed: tuple[str, ...]) -> Chunk | None:
        words, key = self._terms(chunk)
        if len(words) < MIN_TERMS:
            return None
        for better in allowed:
            best, share = None, 0.0
            for section in self._outline(better):
                s = len(words & section.terms) / len(words)
                if s >= self.same_passage and s > share and all(present(k, section.terms)
                                                                for k in key - section.terms):
                    best, share = section, s
            if best is not None:
                return max(best.chunks, key=lambda ct: len(words & ct[1]))[0]
        return None

    def fold(self, hits: list[ChunkHit], filters: Filters | None = None) -> list[ChunkHit]:
        """``hits`` (best first) with every copy's passage that a more official version holds
        replaced by that version's chunk; a chunk found twice keeps its best scores."""
        copies = self.index.copies()
        if not copies or not any(copies.get(h.chunk.briefing_id, _OFFICIAL).rank for h in hits):
            return hits
        merged: dict[str, ChunkHit] = {}
        for h in hits:
            copy = copies.get(h.chunk.briefing_id)
            target = self.official_chunk(h.chunk, copy, filters) if copy is not None and copy.rank else None
            if target is not None:
                h = ChunkHit(chunk=target, dense=h.dense, bm25=h.bm25, fused=h.fused)
            prev = merged.get(h.chunk.id)
            if prev is not None:
                h = ChunkHit(chunk=prev.chunk, dense=max(prev.dense, h.dense), bm25=max(prev.bm25, h.bm25),
                             fused=max(prev.fused, h.fused))
            merged[h.chunk.id] = h
        return sorted(merged.values(), key=lambda h: h.fused, reverse=True)


_OFFICIAL = CopyOf("", 0, ())
_UNDECIDED = object()
