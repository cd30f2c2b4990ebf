"""Sections -> chunks sized in tokens, split on sentence boundaries, never crossing a section.

Each chunk is embedded with its section context (the title, and for media answers the question),
and its id is a hash of what gets embedded, so an unchanged chunk is never embedded twice."""

from __future__ import annotations

import hashlib

from assistant.models import Briefing, Chunk, Section
from assistant.text import Span, count_tokens, truncate_tokens


def _split_long(text: str, span: Span, limit: int) -> list[Span]:
    """A sentence longer than the limit, cut at word boundaries."""
    out: list[Span] = []
    start = span.start
    while start < span.end:
        piece = text[start:span.end]
        if count_tokens(piece) <= limit:
            out.append(Span(start, span.end))
            break
        # binary search the largest word-boundary prefix within the limit
        cuts = [i for i, ch in enumerate(piece) if ch == " "] or [len(piece)]
        lo, hi = 0, len(cuts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(piece[: cuts[mid]]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        cut = max(cuts[lo], 1)
        out.append(Span(start, start + cut))
        start += cut
        while start < span.end and text[start] == " ":
            start += 1
    return out


def _context(briefing: Briefing, section: Section, chunk_start: int, budget: int) -> str:
    if budget <= 0:
        return ""
    ctx = section.title
    if section.kind == "media_question":
        ex = next((e for e in reversed(section.exchanges) if e.question_start <= chunk_start), section.exchanges[0])
        if chunk_start >= ex.answer_start:  # an answer chunk: its question is context
            ctx = f"{section.title}. Question: {ex.question}"
    return truncate_tokens(ctx, budget)


def chunk_id(briefing_id: str, date: int, embed_text: str) -> str:
    h = hashlib.sha256(f"{briefing_id}\x1f{date}\x1f{embed_text}".encode()).hexdigest()
    return h[:24]


def chunk_section(briefing: Briefing, section: Section, max_tokens: int, context_tokens: int) -> list[Chunk]:
    text = briefing.text
    units: list[tuple[Span, int]] = []  # (span, tokens)
    for s in (Span(a, b) for a, b in section.sentences):
        n = count_tokens(s.of(text))
        if n > max_tokens:
            units.extend((p, count_tokens(p.of(text))) for p in _split_long(text, s, max_tokens))
        else:
            units.append((s, n))
    groups: list[list[Span]] = []
    current: list[Span] = []
    used = 0
    for span, n in units:
        new_paragraph = bool(current) and "\n\n" in text[current[-1].end : span.start]
        if current and (used + n > max_tokens or (new_paragraph and used >= 0.75 * max_tokens)):
            groups.append(current)
            current, used = [], 0
        current.append(span)
        used += n
    if current:
        groups.append(current)
    chunks = []
    for g in groups:
        start, end = g[0].start, g[-1].end
        body = text[start:end]
        context = _context(briefing, section, start, context_tokens)
        embed_text = f"{context}\n{body}" if context else body
        chunks.append(Chunk(
            id=chunk_id(briefing.id, briefing.date_int, embed_text), briefing_id=briefing.id,
            date=briefing.date_int, section_index=section.index, section_title=section.title,
            kind=section.kind, start=start, end=end, text=body, context=context,
        ))
    return chunks


def chunk_briefing(briefing: Briefing, max_tokens: int = 160, context_tokens: int = 48) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in briefing.sections:
        for c in chunk_section(briefing, section, max_tokens, context_tokens):
            if c.id not in seen:  # a verbatim repeated passage is indexed once
                seen.add(c.id)
                chunks.append(c)
    return chunks
