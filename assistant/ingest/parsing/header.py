"""The briefing's header: title line, date, speaker and place.

A header line names what the page is and who speaks, then where and when:
"Briefing by <office> <Name>, <Place>, <date>", "<Name> briefing, <date>", "Брифинг <кого>,
<Место>, <дата>". The words ("briefing", "by", offices) are lexicon data."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.ingest.parsing.lines import (MARKDOWN_HEADING, Line, content_lines, is_contents_heading,
                                            is_date_line, is_media_heading)
from assistant.text import find_date
from assistant.text.dates import find_date_span
from assistant.text.lexicon import alternation, word_set

_KIND = alternation("header_titles")
_LEADING_KIND = re.compile(rf"^#*\s*{_KIND}(?!\w)", re.IGNORECASE)
# "<who> briefing", "<who>'s weekly briefing (<Place>)"
_TRAILING_KIND = re.compile(rf"^#*\s*(?P<who>.+?)\s+{_KIND}\s*(?:\((?P<place>[^()]{{2,40}})\))?\s*$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$")
_CONNECTOR = re.compile(rf"(?<!\w){alternation('header_connectors')}\s+(?P<who>.+)$", re.IGNORECASE)
_INITIALS_NAME = re.compile(r"^(?:\w\.\s?){1,2}\w{2,}$")  # "M.V.Zakharova", "М.В.Захаровой"


@dataclass
class Header:
    title: str | None = None
    from_title_line: bool = False  # a "Briefing by ..." line, not just the first line of the text
    line: int | None = None  # index of the title line
    date: str | None = None
    speaker: str | None = None  # as the header says it ("Foreign Ministry Spokeswoman Maria Zakharova")
    place: str | None = None
    warnings: list[str] = field(default_factory=list)


def is_title_line(text: str) -> bool:
    """The header line: it starts with what the page is ("Briefing by", "Брифинг"), or names it
    next to a date ("#Zakharova briefing, 17 August 2022")."""
    if len(text) >= 300 or is_media_heading(text) or is_contents_heading(text):
        return False
    if _LEADING_KIND.match(text):
        return True
    trailing = _TRAILING_KIND.match(text.split(",", 1)[0])
    return trailing is not None and (find_date(text) is not None or bool(_POSSESSIVE.search(trailing["who"])))


def _who(part: str) -> str | None:
    """The speaker part of the header's first comma-separated part."""
    m = _CONNECTOR.search(part)
    if m:
        who = m.group("who")
    elif _LEADING_KIND.match(part):
        who = part[_LEADING_KIND.match(part).end():]
    else:
        m = _TRAILING_KIND.match(part)
        who = _POSSESSIVE.sub("", m.group("who")) if m else ""
    who = who.strip(" #,")
    return who if any(ch.isupper() for ch in who) else None


def _split_title(title: str) -> tuple[str | None, str | None, str | None]:
    """(date, speaker, place) of a header line: the date's words are cut out, what is before
    them is "<kind> <who>[, <place>]"."""
    found = find_date_span(title)
    head = title[: found[1]] if found else title
    parts = [p.strip() for p in head.split(",") if p.strip()]
    if not parts:
        return (found[0] if found else None), None, None
    place = None
    if len(parts) > 1 and len(parts[-1].split()) <= 4 and parts[-1][0].isupper() and not find_date(parts[-1]):
        place = parts[-1]
    elif (trailing := _TRAILING_KIND.match(parts[0])) and trailing["place"]:
        place = trailing["place"]
    return (found[0] if found else None), _who(parts[0]), place


def _resolve_date(h: Header, content: list[Line], source_name: str, date_hint: str | None) -> str | None:
    """The title line's date; else a date-and-time line's; else ``date_hint`` (given by the
    user); else the file name's; else the first date in the header area."""
    found = h.date or next((find_date(ln.text) for ln in content if is_date_line(ln.text)), None)
    if date_hint and found and date_hint != found:
        h.warnings.append(f"the date given ({date_hint}) differs from the page's date ({found}); "
                          f"the page's date is used")
    return (found or date_hint or find_date(source_name)
            or next((d for d in (find_date(ln.text) for ln in content) if d), None))


def _first_line_title(content: list[Line]) -> str | None:
    """Without a header line: the first line that is more than a date."""
    return next((MARKDOWN_HEADING.sub("", ln.text) for ln in content
                 if not is_date_line(ln.text) and (not find_date(ln.text) or len(ln.text) > 25)), None)


def _place_before_date(text: str) -> str | None:
    """The place of a date line under the header ("<Place>, Wednesday, 14 February 2024")."""
    found = find_date_span(text)
    parts = [p.strip() for p in text[: found[1]].split(",") if p.strip()] if found else []
    if len(parts) == 1 and len(parts[0].split()) <= 4 and parts[0][0].isupper():
        return parts[0]
    return None


def parse_header(lines: list[Line], source_name: str, date_hint: str | None = None) -> Header:
    """The header among ``lines`` (the part of the page before the table of contents)."""
    content = content_lines(lines)
    h = Header()
    title_line = next((ln for ln in content if is_title_line(ln.text)), None)
    if title_line is not None:
        h.title, h.from_title_line = MARKDOWN_HEADING.sub("", title_line.text).lstrip("#").strip(), True
        h.line = lines.index(title_line)
        h.date, h.speaker, h.place = _split_title(h.title)
        following = content[content.index(title_line) + 1:][:1]
        if following and not (h.date or h.place):  # "<Place>, Wednesday, …" below it
            h.place = _place_before_date(following[0].text)
    else:
        h.title = _first_line_title(content)
        h.date = find_date(h.title) if h.title else None
    h.date = _resolve_date(h, content, source_name, date_hint)
    return h


@lru_cache(maxsize=1)
def _role_words() -> frozenset[str]:
    words = word_set("person_titles") | word_set("institution_words") | word_set("speaker_roles")
    return frozenset(w.lower() for w in words)


def _name_word(word: str) -> bool:
    """A word that can be part of a person's name: capitalised, not an office, not an acronym."""
    acronym = word.isalpha() and word.isupper() and len(word) > 1
    return bool(word) and word[0].isupper() and word.lower() not in _role_words() and not acronym


def person_name(who: str) -> str:
    """The person in a header's speaker part: the capitalised words after the office
    ("Foreign Ministry Spokeswoman Maria Zakharova" -> "Maria Zakharova"; short lower-case
    particles inside a name are kept), or a name written with initials ("... М.В.Захаровой")."""
    tokens = [t.strip(",;()") for t in who.split()]
    if tokens and _INITIALS_NAME.match(tokens[-1]):
        return tokens[-1]
    name: list[str] = []
    for word in reversed(tokens):
        particle = word.isalpha() and word.islower() and len(word) <= 3 and bool(name)
        if not (_name_word(word) or particle):
            break
        name.insert(0, word)
    while name and not name[0][0].isupper():
        name.pop(0)
    return " ".join(name) or who


def _whole_word_in(short: str, long: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(short)}(?!\w)", long) is not None


def _inflected(a: str, b: str) -> bool:
    """The same name with another ending ("М.В.Захаровой", "М.В.Захарова")."""
    common = len(os.path.commonprefix([a, b]))
    return common >= 4 and max(len(a), len(b)) - common <= 2


def speaker_name(header_speaker: str | None, answer_names: Counter) -> str | None:
    """The speaker's name from the header, refined by the labels of the answers: the header's
    full name when a label is part of it ("Zakharova:"), the label's form when the header has
    the name inflected ("М.В.Захаровой" / "М.В.Захарова:"). None without a header speaker."""
    if not header_speaker:
        return None
    name = person_name(header_speaker)
    for label, _ in answer_names.most_common():
        if _whole_word_in(label, name):
            return name
        if _whole_word_in(name, label):
            return label
        if _inflected(label, name):
            return label
    return name
