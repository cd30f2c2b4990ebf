"""Statement sections: the body headings, matched to the table of contents when there is one
(exactly, or fuzzily for a typo), else heading-like lines; in a digest post, its "#Hashtag"
lines."""

from __future__ import annotations

import re
from collections import Counter

from assistant.ingest.parsing.lines import (HASHTAG_HEADING, HEADING_NUMBER, MARKDOWN_HEADING, Line, content_lines,
                                            is_boilerplate, looks_like_heading, same_title, title_key)

Head = tuple[int, str, bool]  # (line index, title, from_toc)


def _toc_heads(lines: list[Line], toc_titles: list[str]) -> list[Head]:
    """Lines that repeat a title of the table of contents, in its order (a title may be
    skipped); an exact match is preferred to a fuzzy one (a typo, or marks around the heading),
    which keeps the better title of the two (``_spelling``)."""
    heads: list[Head] = []
    wanted = [title_key(t) for t in toc_titles]
    page_words: Counter[str] = Counter()  # counted at the first fuzzy match
    k = 0
    for idx, ln in enumerate(lines):
        if k >= len(wanted) or not ln.text or len(ln.text) > 400 or is_boilerplate(ln):
            continue
        hit, exact = _title_hit(ln.text, toc_titles, wanted, k)
        if hit is None:
            continue
        if not exact:
            page_words = page_words or Counter(w for x in lines for w in _words(x.text))
        heads.append((idx, toc_titles[hit] if exact else _spelling(_clean_heading(ln.text), toc_titles[hit],
                                                                     page_words), True))
        k = hit + 1
    return heads


def _title_hit(text: str, toc_titles: list[str], keys: list[str], k: int) -> tuple[int | None, bool]:
    """The first title from number ``k`` on that the line repeats exactly (folded), else the first
    it repeats fuzzily; and whether the match is exact."""
    key = title_key(text)
    hit = next((kk for kk in range(k, len(keys)) if key == keys[kk]), None)
    if hit is not None:
        return hit, True
    return next((kk for kk in range(k, len(keys)) if same_title(text, toc_titles[kk])), None), False


def _spelling(heading: str, listed: str, page_words: Counter[str]) -> str:
    """Of a body heading and its contents title that match fuzzily: the contents' title when
    their words are the same (the heading differs in its marks or punctuation: "**Title**",
    "Title:"); when their words differ (a typo), the one whose own words the page uses more
    often ("policy" is written in the text, "polics" only in the list), the heading on a tie, as
    it is what the cited text sits under."""
    mine, theirs = set(_words(heading)), set(_words(listed))
    if mine == theirs or sum(page_words[w] for w in theirs - mine) > sum(page_words[w] for w in mine - theirs):
        return listed
    return heading.strip("*_ ").rstrip(":").strip()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", title_key(text))


def _clean_heading(text: str) -> str:
    """A heading line without its markdown marks or number."""
    return HEADING_NUMBER.sub("", MARKDOWN_HEADING.sub("", text)).strip()


def _heading_like(lines: list[Line], stop: int | None = None) -> list[Head]:
    """Heading-like lines of ``lines[:stop]``; only the "#Hashtag" lines when there are several
    (a digest post, whose bullets and topic list are not headings)."""
    region = lines[:stop] if stop is not None else lines
    tags = [(i, HASHTAG_HEADING.match(ln.text)) for i, ln in enumerate(region)]
    tags = [(i, m.group(1), False) for i, m in tags if m]
    if len(tags) >= 2:
        return tags
    nonblank = [i for i, ln in enumerate(region) if ln.text and not is_boilerplate(ln)]
    heads: list[Head] = []
    for pos, idx in enumerate(nonblank):
        nxt = region[nonblank[pos + 1]] if pos + 1 < len(nonblank) else None
        if looks_like_heading(region[idx], nxt):
            heads.append((idx, _clean_heading(region[idx].text), False))
    return heads


def statement_sections(lines: list[Line], toc_titles: list[str]) -> list[tuple[str, bool, list[Line], Line]]:
    """(title, from_toc, body lines, title line) for the statement part of the body. With a table
    of contents, headings before its first title (a page whose contents list starts part-way)
    are taken from heading-like lines."""
    heads = _toc_heads(lines, toc_titles) if toc_titles else []
    if heads:
        heads = _heading_like(lines, heads[0][0]) + heads
    else:
        heads = _heading_like(lines)
    out = []
    for h, (idx, title, from_toc) in enumerate(heads):
        stop = heads[h + 1][0] if h + 1 < len(heads) else len(lines)
        body = content_lines(lines[idx + 1 : stop])
        if body:
            out.append((title, from_toc, body, lines[idx]))
    return out


def unmatched_after(toc_titles: list[str], used: list[str]) -> list[str]:
    """The titles of the table of contents after the last one used (in its order)."""
    last = max((i for i, t in enumerate(toc_titles) if t in used), default=-1)
    return toc_titles[last + 1:]

