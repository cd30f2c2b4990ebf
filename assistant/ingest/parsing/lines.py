"""Lines of a normalised text and what a line can be: boilerplate, a heading, a contents
header, a question or an answer label."""

from __future__ import annotations

import re
from dataclasses import dataclass


BOILERPLATE = re.compile(
    r"^(?:back to top|to the top|top of page|asset publisher|additional materials|advanced settings"
    r"|print version|share|print|photo ?gallery|video|(?:•\s*)?(?:[a-z]{2}-[a-z]{2}\d*\s*)+)$",
    re.IGNORECASE,
)
TOC_HEADER = re.compile(r"^(?:table of contents|contents)\s*:?$", re.IGNORECASE)
MEDIA_HEADER = re.compile(r"^answers to (?:media |journalists'? |the media'?s? )?questions\s*:?$", re.IGNORECASE)
QUESTION_LINE = re.compile(r"^(?:question|q)(?:\s*\([^)]{0,80}\))?\s*[:.]\s*", re.IGNORECASE)
ANSWER_LINE = re.compile(r"^((?:[A-Z][\w'’.-]+\s){0,3}[A-Z][\w'’.-]+)(?:\s*\([^)]{0,60}\))?\s*:\s+")
LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[•·*\-–—])\s+")
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
SENTENCE_FINAL = tuple(".!?…;:,")


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # end of the stripped content
    text: str  # stripped

    @property
    def blank(self) -> bool:
        return not self.text


def split_lines(text: str) -> list[Line]:
    lines, pos = [], 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip())
        content = raw.strip()
        lines.append(Line(pos + lead, pos + lead + len(content), content))
        pos += len(raw) + 1
    return lines


def is_boilerplate(line: Line) -> bool:
    return bool(line.text) and bool(BOILERPLATE.match(line.text))


def content_lines(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.text and not is_boilerplate(ln)]


def looks_like_heading(line: Line, nxt: Line | None) -> bool:
    """A heading-like line: short, no sentence punctuation at its end, followed by text."""
    t = line.text
    if not t or is_boilerplate(line) or QUESTION_LINE.match(t) or ANSWER_LINE.match(t):
        return False
    if MARKDOWN_HEADING.match(t):
        return True
    if t.endswith(SENTENCE_FINAL) or len(t.split()) > 40 or len(t) < 3:
        return False
    if not (t[0].isupper() or t[0].isdigit() or t[0] in "«\"'“"):
        return False
    return nxt is not None and len(nxt.text) > len(t) // 2
