"""The table of contents: statement titles and media-question titles."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.ingest.parsing.lines import LIST_ITEM, MEDIA_HEADER, QUESTION_LINE, TOC_HEADER, Line, is_boilerplate
from assistant.text import canonical_title


@dataclass
class Toc:
    statements: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    start_line: int = 0  # the "Table of contents" line
    end_line: int = 0  # index of the first line after the table of contents


def _clean_item(text: str) -> str:
    return LIST_ITEM.sub("", text).strip()


def parse_toc(lines: list[Line]) -> Toc | None:
    start = next((i for i, ln in enumerate(lines) if TOC_HEADER.match(ln.text)), None)
    if start is None:
        return None
    toc = Toc(start_line=start)
    target = toc.statements
    first_title: str | None = None
    i = start + 1
    while i < len(lines):
        ln = lines[i]
        if ln.blank or is_boilerplate(ln):
            i += 1
            continue
        if MEDIA_HEADER.match(ln.text):
            target = toc.media
            i += 1
            continue
        item = _clean_item(ln.text)
        if first_title and canonical_title(item) == canonical_title(first_title) and not LIST_ITEM.match(ln.text):
            break  # the body starts by repeating the first title
        if not LIST_ITEM.match(ln.text) and (toc.statements or toc.media):
            # an unnumbered line after numbered items ends the table of contents, unless the
            # whole table is unnumbered (HTML lists converted without numbers)
            if any(LIST_ITEM.match(lines[k].text) for k in range(start + 1, i)):
                break
        if QUESTION_LINE.match(ln.text) or len(item) > 400 or item.endswith((".", "?", "!")) and len(item) > 200:
            break
        target.append(item)
        first_title = first_title or item
        i += 1
    toc.end_line = i
    return toc if (toc.statements or toc.media) else None
