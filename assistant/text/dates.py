"""Dates: the one month table (``lexicon/months.tsv``), finding a date in a line of text, dates
as integers (Chroma range filters take numbers only) and as labels for people."""

from __future__ import annotations

import datetime as dt
import re

from assistant.text.lexicon import alternation, word_map

MONTHS: dict[str, int] = {name: int(n) for name, n in word_map("months").items()}
ENGLISH_MONTHS: tuple[str, ...] = tuple(name.capitalize() for name in MONTHS if name.isascii())[:12]
ENGLISH_MONTH_ABBREVIATIONS: tuple[str, ...] = tuple(name.capitalize() for name in MONTHS if name.isascii())[12:]
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
ENGLISH_MONTH_PATTERN = "(?:" + "|".join(ENGLISH_MONTHS) + ")"

# a weekday before a date is part of it ("Wednesday, 14 February 2024")
WEEKDAY = rf"(?:\b{alternation('weekdays')}\.?,?\s+)"
_ORDINAL = r"(?:st|nd|rd|th)?"  # "28th September 2023"
_DATE_PATTERNS = [
    re.compile(rf"{WEEKDAY}?\b(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m>{MONTH_PATTERN})\.?,?\s+(?P<y>\d{{4}})",
               re.IGNORECASE),
    re.compile(rf"{WEEKDAY}?\b(?P<m>{MONTH_PATTERN})\.?\s+(?P<d>\d{{1,2}}){_ORDINAL},?\s+(?P<y>\d{{4}})",
               re.IGNORECASE),
    re.compile(rf"{WEEKDAY}?\b(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})\b", re.IGNORECASE),
    # day first, as the ministry and European sites write it ("21.09.2022", "27/05/2020")
    re.compile(rf"{WEEKDAY}?\b(?P<d>\d{{1,2}})(?P<sep>[./])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}})\b", re.IGNORECASE),
]

# a date written out ("November 4", "4 November 2021", "2021", "2022-2023"), whose digits are not counts
DATE_EXPRESSION = re.compile(
    rf"\b(?:{ENGLISH_MONTH_PATTERN}\s+\d{{1,2}}(?:[-–]\d{{1,2}})?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:[-–]\d{{1,2}})?\s+{ENGLISH_MONTH_PATTERN}(?:\s+\d{{4}})?"
    r"|(?:19|20)\d{2}(?:[-–](?:19|20)?\d{2})?)\b")


def find_date_span(text: str) -> tuple[str, int, int] | None:
    """The first full date in ``text`` as (ISO string, start, end of the date's words), or None."""
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            month = m.group("m")
            month_no = int(month) if month.isdigit() else MONTHS[month.lower()]
            try:
                return dt.date(int(m.group("y")), month_no, int(m.group("d"))).isoformat(), m.start(), m.end()
            except ValueError:
                break
    return None


def find_date(text: str) -> str | None:
    """The first full date in ``text`` (``10 November 2021``, ``November 10, 2021``,
    ``2021-11-10``, ``10.11.2021``, ``10 ноября 2021``) as an ISO string, or None."""
    found = find_date_span(text)
    return found[0] if found else None


def date_to_int(iso: str | dt.date | None) -> int:
    """ISO date -> 20211110 (Chroma range filters take numbers only); 0 when unknown."""
    if iso is None or iso == "":
        return 0
    if isinstance(iso, dt.date):
        return iso.year * 10000 + iso.month * 100 + iso.day
    return int(iso.replace("-", ""))


def long_date(iso: str | None, weekday: bool = False) -> str:
    """``2021-11-10`` -> ``10 November 2021`` (``Wednesday 10 November 2021`` with ``weekday``;
    ``undated`` when unknown)."""
    if not iso:
        return "undated"
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    day = f"{d.strftime('%A')} " if weekday else ""
    return f"{day}{d.day} {ENGLISH_MONTHS[d.month - 1]} {d.year}"
