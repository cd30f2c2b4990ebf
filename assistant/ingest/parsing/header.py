"""The briefing's header: title line, date, speaker and place."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.ingest.parsing.lines import MARKDOWN_HEADING, Line, content_lines
from assistant.text import find_date


TITLE_LINE = re.compile(
    r"^(?:(?:press )?briefing|comment|statement|remarks|transcript|interview|news conference"
    r"|speech|answers? to)\b", re.IGNORECASE)


@dataclass
class Header:
    title: str | None = None
    from_title_line: bool = False  # a "Briefing by ..." line, not just the first line of the text
    date: str | None = None
    speaker: str | None = None
    place: str | None = None


def parse_header(lines: list[Line], source_name: str) -> Header:
    content = [ln.text for ln in content_lines(lines)]
    h = Header()
    h.title = next((t for t in content if TITLE_LINE.match(t) and len(t) < 300), None)
    h.from_title_line = h.title is not None
    if h.title is None:
        h.title = next((MARKDOWN_HEADING.sub("", t) for t in content if not find_date(t) or len(t) > 25), None)
    if h.title:
        h.date = find_date(h.title)
        # "Briefing by <speaker>, <place>, <date>"
        m = re.match(r"^.*?\bby\s+(?P<who>[^,]+)(?:,\s*(?P<place>[^,]+?))?(?:,\s*[^,]*(?:,\s*)?\d{4})?\s*$", h.title)
        if m:
            h.speaker = m.group("who").strip()
            place = (m.group("place") or "").strip()
            if place and not find_date(place) and len(place.split()) <= 4:
                h.place = place
    if h.date is None:
        h.date = next((d for d in map(find_date, content) if d), None) or find_date(source_name)
    return h


def speaker_name(header_speaker: str | None, answer_names: Counter) -> str | None:
    """Prefer the bare name used in the answers ("Maria Zakharova") when the header's speaker
    ("Foreign Ministry Spokeswoman Maria Zakharova") contains it."""
    for name, _ in answer_names.most_common():
        if header_speaker is None or name in header_speaker:
            return name
    return header_speaker
