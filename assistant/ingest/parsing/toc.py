"""The table of contents: statement titles and media-question titles.

It opens with a contents heading ("Table of contents", "Table of Contents:", "Содержание", one
typed with look-alike letters) or, without one, is a list of items ("1. ...", "- ...") whose
titles come back later as headings (a page that starts inside the contents, a contents list
without a heading). Numbering may have gaps; "Answers to media questions" may be a heading, a
numbered item with a nested list, or missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.ingest.parsing.lines import (HASHTAG_HEADING, LIST_ITEM, QUESTION_LINE, Line, is_boilerplate,
                                            is_contents_heading, is_media_heading, same_title, strip_item,
                                            title_key)

HEADLESS_SEARCH = 80  # lines searched for a contents list without a heading


@dataclass
class Toc:
    statements: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    start_line: int = 0  # the contents heading, or the first item of a list without one
    end_line: int = 0  # index of the first line after the table of contents
    heading: str | None = None  # the heading's text, None for a bare list
    item_lines: list[int] = field(default_factory=list)  # indices of the items (and the media heading)

    @property
    def titles(self) -> list[str]:
        return self.statements + self.media


def _ends_contents(lines: list[Line], i: int, toc: Toc, numbered_from: int) -> bool:
    """Whether line ``i`` is past the table of contents: the body repeating the first title, an
    unnumbered line after numbered items, a question, or a paragraph."""
    ln = lines[i]
    item = strip_item(ln.text)
    is_item = bool(LIST_ITEM.match(ln.text))
    titles = toc.titles
    if titles and not is_item and title_key(item) == title_key(titles[0]):
        return True  # the body starts by repeating the first title
    if titles and not is_item and any(LIST_ITEM.match(lines[k].text) for k in range(numbered_from, i)):
        return True  # an unnumbered line after numbered items (unless no item is numbered)
    return bool(QUESTION_LINE.match(ln.text)) or len(item) > 400 or (item.endswith((".", "?", "!")) and len(item) > 200)


def _read_items(lines: list[Line], first: int, toc: Toc) -> Toc:
    """Fill ``toc`` with the items from line ``first`` on."""
    target = toc.statements
    i = first
    while i < len(lines):
        ln = lines[i]
        if ln.blank or is_boilerplate(ln):
            i += 1
            continue
        if is_media_heading(ln.text):
            target = toc.media
            toc.item_lines.append(i)
            i += 1
            continue
        if _ends_contents(lines, i, toc, first):
            break
        target.append(strip_item(ln.text))
        toc.item_lines.append(i)
        i += 1
    toc.end_line = i
    return toc


def _comes_back(lines: list[Line], toc: Toc) -> bool:
    """Whether some title of a bare list is repeated later as a line of its own (the body's
    heading): what tells a contents list from any other list."""
    later = [ln.text for ln in lines[toc.end_line:]
             if ln.text and len(ln.text) < 300 and not HASHTAG_HEADING.match(ln.text)]
    return any(same_title(t, line) for t in toc.titles for line in later)


def _headless(lines: list[Line]) -> Toc | None:
    """A contents list without a heading near the top, before any question."""
    limit = min(len(lines), HEADLESS_SEARCH)
    i = 0
    while i < limit:
        ln = lines[i]
        if QUESTION_LINE.match(ln.text):
            return None
        if LIST_ITEM.match(ln.text):
            toc = _read_items(lines, i, Toc(start_line=i))
            if len(toc.titles) >= 2 and _comes_back(lines, toc):
                return toc
            i = max(toc.end_line, i + 1)
            continue
        i += 1
    return None


def parse_toc(lines: list[Line]) -> Toc | None:
    start = next((i for i, ln in enumerate(lines) if is_contents_heading(ln.text)), None)
    if start is None:
        return _headless(lines)
    heading = strip_item(lines[start].text).rstrip(":").strip()
    toc = _read_items(lines, start + 1, Toc(start_line=start, heading=heading))
    return toc if toc.titles else None
