"""What a question says about *which briefings* it is about, as opposed to its topic.

"At the briefing of 6 July 2022, where was Lavrov to attend the G20 meeting?" is about the
briefing of 6 July 2022 (a date filter) and about Lavrov and the G20 (the topic). Dates — full
dates in the usual English forms, months, years, ranges ("between March and May 2022", "since
2022", "before 2020") and briefings relative to the newest indexed one ("the latest briefing") —
become a date range; their words are taken out of the text the answer-or-abstain check reads. A
bare year or month may date the fact instead ("How many passports were issued in 2021?"): its
briefings are searched first, and a passage of another briefing answers only if it names that
date (``FactDate``).
Questions about the briefings themselves ("When did the ministry last comment on X?", "Which
briefings mentioned X?", "Timeline of X") get an intent.

Date strings are found with one pattern built from the month table of the lexicon and parsed by
``dateutil``; phrases and intents are lexicon data."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal, Sequence

from dateutil import parser as date_parser

from assistant.models import Filters
from assistant.text.dates import ENGLISH_MONTH_ABBREVIATIONS, ENGLISH_MONTHS, MONTHS, WEEKDAY, date_to_int, long_date
from assistant.text.lexicon import word_map, word_set
from assistant.text.terms import QUESTION_WORDS, STOPWORDS, surface_words

Intent = Literal["fact", "last", "first", "which", "timeline"]

_MONTH = "(?:" + "|".join(ENGLISH_MONTHS) + "|(?:" + "|".join(ENGLISH_MONTH_ABBREVIATIONS) + r")\.?)"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"(?P<day>{WEEKDAY}?(?:\b\d{{1,2}}{_ORD}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}{_ORD},?\s+\d{{4}}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b\d{1,2}[./]\d{1,2}[./]\d{4}\b))"
    rf"|(?P<month>\b{_MONTH}\s+(?:of\s+)?\d{{4}}\b)"
    rf"|(?P<bare>\b{_MONTH}\b)(?=\s*(?:and|to|-|–|through)\s+{_MONTH}\s+\d{{4}})"
    r"|(?P<year>(?<![\d,.])\b(?:19|20)\d{2}\b(?!\d|[,.]\d))",
    re.IGNORECASE)
_RANGE = re.compile(r"\b(?:between|from)\s*$", re.IGNORECASE)
_RANGE_JOIN = re.compile(r"^\s*(?:and|to|till|until|through|-|–)\s*$", re.IGNORECASE)


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


@dataclass(frozen=True)
class FactDate:
    """A date a question gives the fact rather than the briefing ("exported in 2021", "in March
    2021"): a passage of a briefing outside it answers only if it names it — the year, or the
    month, written as a month of the lexicon's table (its year is often left out: "the liberation
    on April 10" at an anniversary). Exact words: "marched" names no month, nor "may" in lower
    case."""

    year: int
    month: int | None = None

    def label(self) -> str:
        return str(self.year) if self.month is None else f"{ENGLISH_MONTHS[self.month - 1]} {self.year}"

    def named_in(self, text: str) -> bool:
        if self.month is None:
            return str(self.year) in _YEAR_IN_TEXT.findall(text)
        return any(w[:1].isupper() and MONTHS.get(w.lower().rstrip(".")) == self.month for w in surface_words(text))


@dataclass(frozen=True)
class DateMention:
    start: int  # span in the question
    end: int
    first: dt.date  # the days it covers
    last: dt.date
    kind: Literal["day", "month", "year"] = "day"

    def fact_date(self) -> FactDate:
        """This mention as the date of a fact: its year, or its month (a day's too)."""
        return FactDate(self.first.year, None if self.kind == "year" else self.first.month)


@dataclass(frozen=True)
class Scope:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    relative: int | None = None  # briefings back from the newest (0 = the latest briefing)
    intent: Intent = "fact"
    spans: tuple[tuple[int, int], ...] = field(default=())  # scope words in the question
    # a range, or a date said to be the briefing's: only those briefings; a bare month or year
    # ("issued in 2021") may date the fact rather than the briefing: those briefings first; a day
    # with no briefing words is the briefing's when one was held that day, else the event's
    strict: bool = True
    # what a passage outside the scope's briefings must name to answer: the bare dates that date
    # the fact ("exported in 2021")
    fact_dates: tuple[FactDate, ...] = ()

    @property
    def dated(self) -> bool:
        return self.date_from is not None or self.date_to is not None or self.relative is not None

    @property
    def one_day(self) -> bool:
        return self.date_from is not None and self.date_from == self.date_to

    def topic(self, question: str) -> str:
        """The question without its scope words (what the answer-or-abstain check reads); for a
        question across briefings, only what it is about ("the grain deal")."""
        start = _scope_clause_end(question, self.spans)
        out = outside_spans(question, self.spans, start, len(question))
        text = re.sub(r"\s{2,}", " ", " ".join(p.strip() for p in out if p.strip())).strip()
        if self.intent != "fact":
            drop = word_set("across_words")
            kept = [w for w in re.findall(r"[\w’'.-]+", text) if w.lower().strip(".") not in drop]
            text = " ".join(kept).strip(" .,;:?")
        return text

    def describe(self) -> str:
        """"the briefing of 6 July 2022", "briefings from 1 April 2021 to 30 April 2021", …"""
        if self.one_day:
            return f"the briefing of {long_date(self.date_from.isoformat())}"
        if self.date_from and self.date_to:
            return f"briefings from {long_date(self.date_from.isoformat())} to {long_date(self.date_to.isoformat())}"
        if self.date_from:
            return f"briefings since {long_date(self.date_from.isoformat())}"
        if self.date_to:
            return f"briefings up to {long_date(self.date_to.isoformat())}"
        return "all briefings"


def _scope_clause_end(question: str, spans: list[tuple[int, int]]) -> int:
    """Where a leading clause that only scopes the question ends ("On 20 October 2021, how
    many…", "At the briefing of 6 July 2022, who…"): a clause before the first comma holding a date
    span, whose other words are function words or words naming a briefing, and which does not
    start with a question word; 0 when there is none."""
    comma = question.find(",")
    inside = [(a, b) for a, b in spans if b <= comma]  # not "July 6, 2022", whose comma this is
    if comma < 0 or not inside:
        return 0
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", " ".join(outside_spans(question, inside, 0, comma)))]
    allowed = STOPWORDS | word_set("briefing_words")
    asks = bool(words) and words[0] in QUESTION_WORDS  # "What did they say on 6 July 2022, …" asks
    return comma + 1 if not asks and all(w in allowed for w in words) else 0


def outside_spans(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> list[str]:
    """The pieces of ``text[start:end]`` outside ``spans``."""
    out, last = [], start
    for a, b in sorted(spans):
        if b > last and a < end:
            out.append(text[last:max(a, last)])
            last = b
    out.append(text[last:end])
    return out


def _interval(kind: str, text: str) -> tuple[dt.date, dt.date] | None:
    text = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text.replace(" of ", " "), flags=re.IGNORECASE)
    try:
        if kind == "year":
            y = int(text)
            return dt.date(y, 1, 1), dt.date(y, 12, 31)
        if kind == "day":
            dotted = bool(re.search(r"\d{1,2}[./]\d{1,2}[./]\d{4}", text))
            d = date_parser.parse(text, dayfirst=dotted, default=dt.datetime(1900, 1, 1)).date()
            return d, d
        if kind == "month":
            d = date_parser.parse(text, default=dt.datetime(1900, 1, 1)).date()
            return d.replace(day=1), d.replace(day=calendar.monthrange(d.year, d.month)[1])
    except (ValueError, OverflowError):
        return None
    return None


def date_mentions(question: str) -> list[DateMention]:
    """The dates a question names, with the days each covers. A bare month ("between March and
    May 2022") takes the year of the date that follows it."""
    found: list[tuple[int, int, str, str]] = [(m.start(), m.end(), m.lastgroup, m.group()) for m in _DATE.finditer(question)]
    out: list[DateMention] = []
    for i, (a, b, kind, text) in enumerate(found):
        if kind == "bare":
            year = next((re.search(r"\d{4}", t).group() for _, _, k, t in found[i + 1:] if k in ("month", "day")), None)
            if year is None:
                continue
            kind, text = "month", f"{text} {year}"
        span = _interval(kind, text)
        if span:
            out.append(DateMention(a, b, *span, kind=kind))
    return out


def _phrase_before(question: str, start: int) -> tuple[str | None, int]:
    """The scope phrase right before a date ("since", "before", …) and where it starts."""
    before = question[:start]
    for phrase, role in sorted(word_map("scope_phrases").items(), key=lambda kv: -len(kv[0])):
        m = re.search(rf"\b{re.escape(phrase)}\s*$", before, re.IGNORECASE)
        if m:
            return role, m.start()
    return None, start




def _dates(question: str, mentions: list[DateMention]) -> tuple[dt.date | None, dt.date | None,
                                                               list[tuple[int, int]], bool]:
    """(from, to, scope spans, strict) from the question's date mentions."""
    if not mentions:
        return None, None, [], True
    about_briefings = word_set("briefing_words")
    strict = any(w.lower() in about_briefings for w in re.findall(r"\w+", question))
    spans = [(m.start, m.end) for m in mentions]
    if len(mentions) >= 2:
        a, b = mentions[0], mentions[1]
        if _RANGE_JOIN.match(question[a.end:b.start]):
            lead = _RANGE.search(question[:a.start])
            if lead:
                spans.append((lead.start(), a.start))
            spans.append((a.end, b.start))
            return a.first, b.last, spans, True
    first, last = min(m.first for m in mentions), max(m.last for m in mentions)
    if len(mentions) == 1:
        role, at = _phrase_before(question, mentions[0].start)
        if role is not None:
            spans.append((at, mentions[0].start))
        if role == "from":
            return mentions[0].first, None, spans, True
        if role == "to":
            return None, mentions[0].first - dt.timedelta(days=1), spans, True
    return first, last, spans, strict


def _relative(question: str) -> tuple[int | None, list[tuple[int, int]]]:
    for phrase, back in word_map("relative_briefings").items():
        m = re.search(rf"\b(?:the\s+)?{re.escape(phrase)}\b", question, re.IGNORECASE)
        if m:
            return int(back), [(m.start(), m.end())]
    return None, []


def _intent(question: str) -> Intent:
    for pattern, intent in word_map("intents").items():
        if re.search(pattern, question, re.IGNORECASE):
            return intent  # type: ignore[return-value]
    return "fact"


def parse_scope(question: str) -> Scope:
    mentions = date_mentions(question)
    date_from, date_to, spans, strict = _dates(question, mentions)
    relative, rel_spans = _relative(question)
    intent = _intent(question)
    if relative is not None and intent == "last":
        intent = "fact"  # "What did the latest briefing say …" is about one briefing
    fact_dates = () if strict else tuple(dict.fromkeys(m.fact_date() for m in mentions))
    return Scope(date_from, date_to, relative, intent, tuple(spans + rel_spans), strict, fact_dates)


def resolve_relative(scope: Scope, dates: Sequence[str]) -> Scope:
    """"The latest briefing" -> its date, among the indexed briefing dates (ISO strings)."""
    if scope.relative is None:
        return scope
    ordered = sorted({d for d in dates if d}, reverse=True)
    if scope.relative >= len(ordered):
        return scope
    day = dt.date.fromisoformat(ordered[scope.relative])
    return Scope(day, day, None, scope.intent, scope.spans, True)


def nearest_dates(day: dt.date, dates: Sequence[str], n: int = 2) -> list[str]:
    """The indexed briefing dates closest to ``day`` (the one before and the one after)."""
    known = sorted({d for d in dates if d})
    before = [d for d in known if d < day.isoformat()][-1:]
    after = [d for d in known if d > day.isoformat()][:1]
    out = before + after
    return out[:n] if out else known[-n:]


@dataclass(frozen=True)
class SearchPlan:
    """How to search for a question: the filters to try in order (a non-strict scope falls back
    to the user's filters alone, where a passage must name the fact's date), what to tell the user
    about the scope, and why nothing can be searched (no indexed briefing in the asked range)."""

    attempts: tuple[Filters | None, ...]
    scope: str | None = None
    missing: str | None = None
    widened_from: int = 0  # the first attempt outside the scope's dates
    fact_dates: tuple[FactDate, ...] = ()  # what a passage found from ``widened_from`` on must name

    def required(self, attempt: int) -> tuple[FactDate, ...]:
        """The dates a supporting passage of this attempt must name (``FactDate``)."""
        return self.fact_dates if attempt >= self.widened_from else ()


def _meet(scope: Scope, user: Filters | None) -> Filters:
    """The scope's date range within the user's filters."""
    los = [d for d in (scope.date_from, user.date_from if user else None) if d]
    his = [d for d in (scope.date_to, user.date_to if user else None) if d]
    return Filters(briefing_ids=user.briefing_ids if user else (), date_from=max(los, default=None),
                   date_to=min(his, default=None))


def _missing(scope: Scope, dates: Sequence[str]) -> str:
    near = ", ".join(long_date(d) for d in nearest_dates(scope.date_from or scope.date_to, dates))
    what = f"on {long_date(scope.date_from.isoformat())}" if scope.one_day else scope.describe().replace(
        "briefings ", "", 1)
    return f"No briefing {what} is indexed" + (f"; nearest: {near}" if near else "")


def plan_search(scope: Scope, user: Filters | None, dates: Sequence[str]) -> SearchPlan:
    if not (scope.date_from or scope.date_to):
        return SearchPlan((user,))
    scoped = _meet(scope, user)
    dated = Filters(date_from=scoped.date_from, date_to=scoped.date_to)  # the dates alone
    if not any(dated.accepts("", date_to_int(d)) for d in dates if d):
        if scope.strict:
            return SearchPlan((), missing=_missing(scope, dates))
        return SearchPlan((user,), scope=f"{_missing(scope, dates)}; searched all briefings",
                          fact_dates=scope.fact_dates)
    if scope.strict or scope.one_day:
        return SearchPlan((scoped,), scope=f"Searched {scope.describe()}")
    return SearchPlan((scoped, user), scope=f"Searched {scope.describe()} first", widened_from=1,
                      fact_dates=scope.fact_dates)
