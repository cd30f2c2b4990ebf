"""Briefing text -> structured ``Briefing``: header metadata, table of contents, statement sections
and media-question sections (titles aligned from the table of contents).

Works on the plain-text transcripts of the ministry's site, on the same page as HTML, on mirrors
that lack the table of contents or the "Back to top" markers or are cut short, and falls back to
"paragraphs under the nearest heading-like line" for any other text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from assistant.ingest.parsing.header import parse_header, speaker_name
from assistant.ingest.parsing.html import html_to_text, looks_like_html
from assistant.ingest.parsing.lines import (ANSWER_LINE, BOILERPLATE, MEDIA_HEADER, QUESTION_LINE, split_lines)
from assistant.ingest.parsing.media import align_pieces, derived_title, split_pieces
from assistant.ingest.parsing.statements import statement_sections
from assistant.ingest.parsing.toc import parse_toc
from assistant.errors import ParseError
from assistant.models import Briefing, Exchange, Section
from assistant.text import normalise, sentence_spans

__all__ = ["ANSWER_LINE", "BOILERPLATE", "QUESTION_LINE", "ParseError", "html_to_text", "looks_like_html", "parse_text"]


def _with_spans(text: str, section: Section) -> Section:
    """The section with its sentence spans (boilerplate lines such as "Back to top" left out)
    and the spans of the speaker labels that open its turns."""
    sentences = tuple((s.start, s.end) for s in sentence_spans(text, section.body_start, section.end)
                      if not BOILERPLATE.match(s.of(text).strip()))
    labels = []
    for e in section.exchanges:
        for start, pattern in ((e.question_start, QUESTION_LINE), (e.answer_start, ANSWER_LINE)):
            line_end = text.find("\n", start)
            m = pattern.match(text[start:line_end if line_end >= 0 else len(text)])
            if m and m.end():
                labels.append((start, start + m.end()))
    return section.model_copy(update={"sentences": sentences, "labels": tuple(labels)})


def parse_text(text: str, *, source: str, briefing_id: str, content_hash: str,
               fmt: str = "transcript") -> Briefing:
    """Parse already-decoded text. Raises ParseError when there is nothing citable."""
    text = normalise(text)
    lines = split_lines(text)
    name = Path(source).name
    toc = parse_toc(lines)
    header = parse_header(lines[: toc.start_line] if toc else lines[:40], name)
    body_from = toc.end_line if toc else 0
    if not toc:
        # skip the header: the body starts at the first line after the title line
        title_idx = next((i for i, ln in enumerate(lines) if header.from_title_line and ln.text == header.title), None)
        body_from = title_idx + 1 if title_idx is not None and title_idx < 15 else 0
    media_idx = next((i for i in range(body_from, len(lines)) if MEDIA_HEADER.match(lines[i].text)), None)
    if media_idx is None:
        # mirrors without the header still have "Question:" lines
        media_idx = next((i for i in range(body_from, len(lines)) if QUESTION_LINE.match(lines[i].text)), None)
    statement_lines = lines[body_from:media_idx] if media_idx is not None else lines[body_from:]
    media_lines = lines[media_idx:] if media_idx is not None else []

    sections: list[Section] = []
    for title, from_toc, body, head in statement_sections(statement_lines, toc.statements if toc else []):
        sections.append(Section(index=len(sections), title=title, kind="statement", start=head.start,
                                end=body[-1].end, body_start=body[0].start, title_from_toc=from_toc))
    pieces = split_pieces(media_lines)
    answer_names: Counter = Counter(p.speaker for p in pieces if p.speaker)
    for title, group in align_pieces(pieces, toc.media if toc else []):
        exchanges = tuple(
            Exchange(question=p.question, answer=p.answer,
                     question_start=p.q_lines[0].start, question_end=p.q_lines[-1].end,
                     answer_start=p.a_lines[0].start if p.a_lines else p.q_lines[-1].end,
                     answer_end=p.a_lines[-1].end if p.a_lines else p.q_lines[-1].end)
            for p in group)
        sections.append(Section(index=len(sections), title=title or derived_title(group[0].question),
                                kind="media_question", start=group[0].start, end=group[-1].end,
                                body_start=group[0].start, exchanges=exchanges,
                                title_from_toc=title is not None))
    sections = [_with_spans(text, s) for s in sections]
    if not sections:
        raise ParseError(f"{source}: no recognisable structure (no headings, table of contents or "
                         f"Question/answer markers found)")
    title = header.title or (sections[0].title if fmt == "text" else Path(source).stem)
    return Briefing(
        id=briefing_id, date=header.date, title=title,
        speaker=speaker_name(header.speaker, answer_names), place=header.place, source=source,
        content_hash=content_hash, format=fmt if fmt != "transcript" or toc or pieces else "text",
        text=text, sections=tuple(sections),
    )
