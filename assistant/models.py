"""Typed records for each stage of the pipeline:
text -> Briefing/Section -> Chunk -> (index) -> ChunkHit/SectionHit -> EvidenceItem -> Answer/Citation."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.errors import InputError
from assistant.text.dates import date_to_int

# "contents": the table of contents of a page whose body is missing or cut short (each item a sentence)
SectionKind = Literal["statement", "media_question", "contents"]
# how each kind is named to users (``inspect``, the web chat's sources and section viewer)
KIND_LABELS: dict[str, str] = {"statement": "Statement", "media_question": "Answer to a media question",
                               "contents": "Table of contents (the page's body is missing or cut short)"}
# how a page is laid out, which decides which copy of a briefing is the official transcript:
# "contents": a transcript with its table of contents; "headings": a transcript whose sections are
# only marked by headings (a mirror site); "digest": a post of "#Topic" paragraphs; "text": no headings
Layout = Literal["contents", "headings", "digest", "text"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Exchange(_Model):
    """One question and its answer inside a media-question section (a follow-up is a second one)."""

    question: str
    answer: str
    question_start: int
    question_end: int
    answer_start: int
    answer_end: int


class Section(_Model):
    index: int
    title: str
    kind: SectionKind
    start: int  # span of the whole section in the normalised source text
    end: int
    body_start: int  # where the section's text begins (after a statement's title line)
    exchanges: tuple[Exchange, ...] = ()
    title_from_toc: bool = False
    # computed once at ingest, so that answer-time code never re-parses a section:
    sentences: tuple[tuple[int, int], ...] = ()  # sentence spans of the body, boilerplate lines left out
    labels: tuple[tuple[int, int], ...] = ()  # speaker labels opening a turn ("Question:", "<Name>:")

    def label_end(self, start: int) -> int:
        """Where the text of a sentence starting at ``start`` begins after its speaker label
        (``start`` when it has none)."""
        return next((b for a, b in self.labels if a == start), start)

    def goes_on(self, position: int) -> tuple[int, int] | None:
        """The span of the sentence after sentence ``position`` when the same speaker goes on:
        it exists and opens no new turn (no speaker label); never in a contents list, whose next
        line is another topic. The specifics often follow the sentence that matches a question."""
        if self.kind == "contents" or not 0 <= position < len(self.sentences) - 1:
            return None
        after = self.sentences[position + 1]
        return after if self.label_end(after[0]) == after[0] else None

    @property
    def question(self) -> str | None:
        return self.exchanges[0].question if self.exchanges else None

    @property
    def answer(self) -> str | None:
        return "\n\n".join(e.answer for e in self.exchanges) if self.exchanges else None


class Briefing(_Model):
    id: str
    date: str | None  # ISO yyyy-mm-dd
    title: str
    speaker: str | None = None
    place: str | None = None
    source: str  # path or upload name
    content_hash: str
    format: Literal["transcript", "html", "text"] = "transcript"
    text: str  # normalised source text: every span refers to it
    sections: tuple[Section, ...]
    synthetic: bool = False
    # what the parser noticed but could not fix ("body cut short after '<title>'")
    warnings: tuple[str, ...] = ()
    layout: Layout = "text"

    @property
    def cut_short(self) -> bool:
        """The page's body is missing or cut short: its contents list is kept as a section."""
        return any(s.kind == "contents" for s in self.sections)

    @property
    def date_int(self) -> int:
        return date_to_int(self.date)

    def summary(self) -> dict:
        """The structure without the text (``inspect --json``)."""
        out = {
            "id": self.id,
            "date": self.date,
            "title": self.title,
            "speaker": self.speaker,
            "place": self.place,
            "layout": self.layout,
            "sections": [],
        }
        for s in self.sections:
            item = {"title": s.title, "kind": s.kind, "kind_label": KIND_LABELS[s.kind], "start": s.start,
                    "end": s.end}
            if s.kind == "media_question":
                item["question"] = s.question
            out["sections"].append(item)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


class Chunk(_Model):
    id: str
    briefing_id: str
    date: int
    section_index: int
    section_title: str
    kind: SectionKind
    start: int
    end: int
    text: str
    context: str  # section title (and the question, for media answers) embedded with the text

    @property
    def embed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


def _parse_date(value: Any, label: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise InputError(f"the {label!r} date must be text like 2021-11-10")
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise InputError(f"the {label!r} date {value!r} is not a date like 2021-11-10") from None


def _parse_ids(ids: Any) -> tuple[str, ...]:
    ids = ids or ()
    if isinstance(ids, str):
        ids = (ids,)
    if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) for i in ids):
        raise InputError("briefing_ids must be a list of briefing ids")
    return tuple(i.strip() for i in ids if i.strip())


class Filters(_Model):
    briefing_ids: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @field_validator("briefing_ids", mode="before")
    @classmethod
    def _tuple(cls, v):
        if v is None:
            return ()
        if isinstance(v, str):
            return (v,)
        return tuple(v)

    @classmethod
    def parse(cls, value: "Filters | Mapping[str, Any] | None" = None, **fields: Any) -> "Filters | None":
        """Filters from what a user or a client sent (``{"briefing_ids", "date_from", "date_to"}``,
        dates as ``YYYY-MM-DD`` text or dates): the one place they are checked. ``None`` when
        nothing is filtered; ``InputError`` with a readable message when a value is wrong."""
        if isinstance(value, Filters):
            return None if value.empty else value
        raw = {**dict(value or {}), **fields}
        unknown = set(raw) - set(cls.model_fields)
        if unknown:
            raise InputError(f"unknown filter {sorted(unknown)[0]!r} (briefing_ids, date_from, date_to)")
        f = cls(briefing_ids=_parse_ids(raw.get("briefing_ids")),
                date_from=_parse_date(raw.get("date_from"), "from"), date_to=_parse_date(raw.get("date_to"), "to"))
        if f.date_from and f.date_to and f.date_from > f.date_to:
            raise InputError(f"the 'from' date {f.date_from} is after the 'to' date {f.date_to}")
        return None if f.empty else f

    @property
    def empty(self) -> bool:
        return not self.briefing_ids and self.date_from is None and self.date_to is None

    def accepts(self, briefing_id: str, date: int) -> bool:
        if self.briefing_ids and briefing_id not in self.briefing_ids:
            return False
        if self.date_from and date < date_to_int(self.date_from):
            return False
        if self.date_to and date > date_to_int(self.date_to):
            return False
        return True


class ChunkHit(_Model):
    chunk: Chunk
    dense: float = 0.0  # cosine similarity (0 if the dense retriever missed it)
    bm25: float = 0.0
    fused: float = 0.0


class SectionRef(_Model):
    """Where a passage is: a section of a briefing (what a citation points at)."""

    briefing_id: str
    briefing_date: str | None
    briefing_title: str
    speaker: str | None = None  # the briefing's speaker (from its header)
    section_index: int
    section_title: str
    section_kind: SectionKind
    start: int
    end: int

    @property
    def label(self) -> str:
        """``2021-11-10 — Update on Afghanistan``: how a section is named everywhere."""
        return f"{self.briefing_date or 'undated'} — {self.section_title}"

    def to_json(self) -> dict:
        return {**self.model_dump(), "label": self.label}


class SectionHit(_Model):
    ref: SectionRef
    score: float  # fused
    dense: float  # best chunk cosine similarity
    bm25: float
    chunks: tuple[ChunkHit, ...]


class EvidenceItem(_Model):
    number: int
    ref: SectionRef
    text: str
    start: int
    end: int
    score: float
    position: int = 0  # sentence number within its section
    label: int = 0  # length of the speaker label the sentence opens with ("Question: ")
    continues: bool = False  # the sentence before it is the same speaker's (``Section.goes_on``)
    exchange: int = -1  # the media question and answer it belongs to (-1: none, a statement)
    asked: bool = False  # part of a journalist's question, not of the answer
    voice: str | None = None  # who says it: its turn's speaker label, else the briefing's speaker; None: a journalist

    @property
    def body(self) -> str:
        """The sentence without its speaker label."""
        return self.text[self.label:]


class Citation(_Model):
    number: int
    ref: SectionRef
    quote: str  # exact substring of the normalised source text
    start: int
    end: int

    @classmethod
    def from_evidence(cls, number: int, ev: EvidenceItem) -> "Citation":
        return cls(number=number, ref=ev.ref, quote=ev.text, start=ev.start, end=ev.end)

    def to_json(self) -> dict:
        return {"number": self.number, **self.ref.to_json(), "quote": self.quote, "start": self.start,
                "end": self.end}


class TimelineEntry(_Model):
    """One briefing's word on a topic, in a cross-briefing answer: what it said (``text``, phrased
    only from that briefing's evidence) and the passage cited."""

    citation: Citation
    text: str

    def to_json(self) -> dict:
        c = self.citation
        return {"briefing_date": c.ref.briefing_date, "section_title": c.ref.section_title, "text": self.text,
                "quote": c.quote, "start": c.start, "end": c.end, "number": c.number,
                "briefing_id": c.ref.briefing_id}


class Answer(_Model):
    question: str
    standalone_question: str
    text: str
    citations: tuple[Citation, ...] = ()
    lead: str | None = None  # the phrase that answers, copied from the first cited passage
    scope: str | None = None  # the briefings searched, when the question named them ("the briefing of 6 July 2022")
    timeline: tuple[TimelineEntry, ...] = ()  # questions across briefings: one entry per briefing, by date
    abstained: bool = False
    mode: str = "extractive"
    closest: tuple[SectionRef, ...] = ()  # the nearest sections, listed on abstention
    notice: str | None = None  # e.g. "the local model timed out; showing the passages instead"
    timings: dict[str, float] = Field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "notice": self.notice,
            "citations": [c.to_json() for c in self.citations],
            "closest_sections": [c.to_json() for c in self.closest],
            "lead": self.lead,
            "scope": self.scope,
            "timeline": [e.to_json() for e in self.timeline],
            "timings": self.timings,
        }
