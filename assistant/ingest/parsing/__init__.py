"""Briefing text -> structured ``Briefing``: header metadata, table of contents, statement sections
and media-question sections (titles aligned from the table of contents).

Works on the plain-text transcripts of the ministry's site (old and new layouts, English and
Russian), on the same page as HTML, on mirrors that lack the table of contents or the "Back to
top" markers, on digest posts ("#Topic" paragraphs), on pages that start inside the contents or
are cut short (the contents list is then kept as a section and the briefing carries a warning),
and falls back to "paragraphs under the nearest heading-like line" for any other text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from assistant.errors import InputError, ParseError
from assistant.ingest.parsing.header import Header, parse_header, speaker_name
from assistant.ingest.parsing.html import html_to_text, looks_like_html
from assistant.ingest.parsing.lines import (ANSWER_LINE, BOILERPLATE, BULLET, HASHTAG_HEADING, HEADING_NUMBER,
                                            PAGE_END, QUESTION_LINE, Line, content_lines, contents_title,
                                            is_media_heading, split_lines, strip_item)
from assistant.ingest.parsing.media import Piece, align_pieces, derived_title, split_pieces, title_above_question
from assistant.ingest.parsing.statements import statement_sections, unmatched_after
from assistant.ingest.parsing.toc import Toc, parse_toc
from assistant.models import Briefing, Exchange, Layout, Section
from assistant.text import find_date, normalise, sentence_spans

__all__ = ["ANSWER_LINE", "BOILERPLATE", "QUESTION_LINE", "ParseError", "html_to_text", "looks_like_html", "parse_text"]

HEADER_LINES = 40  # without a table of contents, the header is looked for in this many lines
BODY_MISSING = "body missing after the table of contents"


def _bullet_len(sentence: str) -> int:
    """Length of the bullet ("• ", "▪️ ") a sentence starts with: left out of its span."""
    m = BULLET.match(sentence)
    return m.end() if m else 0


def _with_spans(text: str, section: Section) -> Section:
    """The section with its sentence spans (boilerplate lines such as "Back to top" left out)
    and the spans of the speaker labels that open its turns."""
    sentences = []
    for s in sentence_spans(text, section.body_start, section.end):
        start = s.start + _bullet_len(s.of(text))
        if text[start:s.end].strip() and not BOILERPLATE.match(s.of(text).strip()):
            sentences.append((start, s.end))
    labels = []
    for e in section.exchanges:
        for start, pattern in ((e.question_start, QUESTION_LINE), (e.answer_start, ANSWER_LINE)):
            line_end = text.find("\n", start)
            m = pattern.match(text[start:line_end if line_end >= 0 else len(text)])
            if m and m.end():
                labels.append((start, start + m.end()))
    return section.model_copy(update={"sentences": tuple(sentences), "labels": tuple(labels)})


def _body_bounds(lines: list[Line], toc: Toc | None, header: Header) -> tuple[int, int]:
    """[from, to) of the body: after the table of contents (or the header line), up to the first
    line that ends the page's text ("Related materials", "©...")."""
    if toc:
        start = toc.end_line
    else:
        start = header.line + 1 if header.from_title_line and header.line is not None else 0
    end = next((i for i in range(start, len(lines)) if lines[i].text and PAGE_END.match(lines[i].text)), len(lines))
    return start, end


def _media_start(body: list[Line]) -> int | None:
    """Where the answers to media questions start: their heading; else the first question (or the
    title line right above it, on mirrors)."""
    heading = next((i for i, ln in enumerate(body) if is_media_heading(ln.text)), None)
    if heading is not None:
        return heading
    first = next((i for i, ln in enumerate(body) if QUESTION_LINE.match(ln.text)), None)
    if first is None:
        return None
    above = next((i for i in range(first - 1, -1, -1) if body[i].text), None)
    return above if above is not None and title_above_question(body, above) else first


def _statements(lines: list[Line], toc_titles: list[str]) -> list[Section]:
    return [Section(index=0, title=title, kind="statement", start=head.start, end=body[-1].end,
                    body_start=body[0].start, title_from_toc=from_toc)
            for title, from_toc, body, head in statement_sections(lines, toc_titles)]


def _media(pieces: list[Piece], titles: list[str]) -> list[Section]:
    sections = []
    for title, group in align_pieces(pieces, titles):
        exchanges = tuple(
            Exchange(question=p.question, answer=p.answer,
                     question_start=p.q_lines[0].start, question_end=p.q_lines[-1].end,
                     answer_start=p.a_lines[0].start if p.a_lines else p.q_lines[-1].end,
                     answer_end=p.a_lines[-1].end if p.a_lines else p.q_lines[-1].end)
            for p in group)
        own = HEADING_NUMBER.sub("", group[0].heading.text) if group[0].heading is not None else None
        sections.append(Section(index=0, title=title or own or derived_title(group[0].question),
                                kind="media_question", start=group[0].start, end=group[-1].end,
                                body_start=group[0].body_start, exchanges=exchanges,
                                title_from_toc=title is not None))
    return sections


def _contents_section(lines: list[Line], toc: Toc) -> Section:
    """The table of contents as a section of its own (kind "contents"): what a page cut short
    still tells about the briefing. Each item is one sentence."""
    items = [lines[i] for i in toc.item_lines]
    head = lines[toc.start_line]
    return Section(index=0, title=contents_title(toc.heading), kind="contents", start=head.start,
                   end=items[-1].end, body_start=items[0].start, title_from_toc=True,
                   sentences=tuple((ln.start + len(ln.text) - len(strip_item(ln.text)), ln.end) for ln in items))


def _cut_short(toc: Toc | None, sections: list[Section], page_ends: bool) -> str | None:
    """The warning for a page whose body stops before the last titles of its contents. A page
    that reaches its closing furniture ("Additional materials") is whole even if the last title
    of its contents found no section of its own."""
    if not toc or (page_ends and sections):
        return None
    used = [s.title for s in sections if s.title_from_toc]
    if sections and not used:
        return None  # the body's headings are not the contents' titles: nothing to compare
    if not unmatched_after(toc.titles, used):
        return None
    return f"body cut short after '{sections[-1].title}'" if sections else BODY_MISSING


def _header_only(lines: list[Line], start: int, end: int, header: Header) -> list[Section]:
    """A page with a header and text but no headings: one section under the header's title."""
    body = content_lines(lines[start:end])
    if not (header.from_title_line and body and header.title):
        return []
    return [Section(index=0, title=header.title, kind="statement", start=body[0].start, end=body[-1].end,
                    body_start=body[0].start)]


def _check_hint(date_hint: str | None) -> str | None:
    if not date_hint:
        return None
    iso = find_date(str(date_hint))
    if iso is None:
        raise InputError(f"the date {date_hint!r} is not a date like 2022-03-03")
    return iso


def _sections(lines: list[Line], toc: Toc | None, header: Header, body_from: int,
              body_to: int) -> tuple[list[Section], list[Piece]]:
    """Statement and media-question sections of the body (or one section under the header's
    title when the body has no headings at all), and the question/answer pieces found."""
    body = lines[body_from:body_to]
    media_idx = _media_start(body)
    if media_idx is None:
        media_idx = len(body)
    toc_statements = toc.statements if toc else []
    sections = _statements(body[:media_idx], toc_statements)
    pieces = split_pieces(body[media_idx:])
    # without an "Answers to media questions" heading, the contents' trailing titles are the questions'
    media_titles = (toc.media if toc and toc.media
                    else unmatched_after(toc_statements, [s.title for s in sections if s.title_from_toc]))
    sections += _media(pieces, media_titles)
    if not sections and not toc:
        sections = _header_only(lines, body_from, body_to, header)
    return sections, pieces


def _layout(text: str, toc: Toc | None, sections: list[Section]) -> Layout:
    """How the page is laid out (which copy of a briefing is the official one is decided from it):
    a table of contents; "#Topic" headings (a digest post); other headings; none."""
    if toc:
        return "contents"
    heads = [text[s.start:s.body_start].strip() for s in sections if s.kind == "statement" and s.body_start > s.start]
    if heads and all(HASHTAG_HEADING.match(h) for h in heads):
        return "digest"
    if len(sections) > 1 or any(s.kind == "media_question" for s in sections) or heads:
        return "headings"
    return "text"


def _nothing_to_cite(source: str, header: Header) -> ParseError:
    problem = ("a header but no text after it" if header.from_title_line else
               "no recognisable structure (no headings, table of contents or Question/answer markers found)")
    return ParseError(f"{source}: {problem}")


def parse_text(text: str, *, source: str, briefing_id: str, content_hash: str,
               fmt: str = "transcript", date_hint: str | None = None) -> Briefing:
    """Parse already-decoded text. ``date_hint`` (``YYYY-MM-DD``, given by the user) dates a page
    whose text has no date. Raises ParseError when there is nothing citable."""
    text = normalise(text)
    lines = split_lines(text)
    toc = parse_toc(lines)
    header = parse_header(lines[: toc.start_line] if toc else lines[:HEADER_LINES], Path(source).name,
                          _check_hint(date_hint))
    body_from, body_to = _body_bounds(lines, toc, header)
    sections, pieces = _sections(lines, toc, header, body_from, body_to)
    sections = [_with_spans(text, s) for s in sections]
    warnings = list(header.warnings)
    cut = _cut_short(toc, sections, page_ends=body_to < len(lines))
    if cut and toc:
        warnings.append(cut)
        sections.insert(0, _contents_section(lines, toc))
    if not sections:
        raise _nothing_to_cite(source, header)
    sections = [s.model_copy(update={"index": i}) for i, s in enumerate(sections)]
    answer_names: Counter = Counter(p.speaker for p in pieces if p.speaker)
    title = header.title or (sections[0].title if fmt == "text" else Path(source).stem)
    return Briefing(
        id=briefing_id, date=header.date, title=title,
        speaker=speaker_name(header.speaker, answer_names), place=header.place, source=source,
        content_hash=content_hash, format=fmt if fmt != "transcript" or toc or pieces else "text",
        text=text, sections=tuple(sections), warnings=tuple(warnings), layout=_layout(text, toc, sections),
    )
