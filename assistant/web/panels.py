"""HTML of the right-hand column: the sources panel (one entry per citation, or the closest
sections of an abstention) and the section viewer (the whole section, the quoted passage
highlighted). Every piece of briefing text is escaped."""

from __future__ import annotations

from typing import Sequence

from assistant.errors import NotInIndex
from assistant.models import Answer, Briefing, Citation, Section, SectionRef
from assistant.text import long_date
from assistant.web.render import KIND_LABELS, UNDATED, esc

SOURCES_EMPTY = ('<div class="ba-panel ba-sources-panel"><div class="ba-panel-title">Sources</div>'
                 '<div class="ba-empty">Ask a question: every passage the answer relies on is listed here, '
                 'with the briefing date and section title.</div></div>')
VIEWER_EMPTY = ('<div class="ba-panel ba-viewer"><div class="ba-panel-title">Section</div>'
                '<div class="ba-empty">Choose a source to read its whole section, with the quoted passage '
                'highlighted.</div></div>')
Span = tuple[int, int]


# ================================================================================== sources panel
def _closest_entry(i: int, ref: SectionRef, t_attr: str) -> str:
    return (f'<button type="button" class="ba-src ba-src-closest" data-key="s{i}"{t_attr}>'
            f'<span class="ba-src-title">{esc(ref.label)}</span>'
            f'<span class="ba-src-brief">{esc(ref.briefing_title)}</span></button>')


def _citation_entry(c: Citation, t_attr: str) -> str:
    kind = KIND_LABELS.get(c.ref.section_kind, c.ref.section_kind)
    return (f'<button type="button" class="ba-src" data-key="c{c.number}"{t_attr}>'
            f'<span class="ba-src-title"><span class="ba-num">[{c.number}]</span> {esc(c.ref.label)}</span>'
            f'<span class="ba-src-brief">{esc(c.ref.briefing_title)} · {esc(kind)}</span>'
            f'<span class="ba-quote">“{esc(c.quote)}”</span></button>')


def render_sources(question: str, answer: Answer | None, turn_no: int | None = None) -> str:
    """The sources of one turn: citations ``[n] date — section`` with quotes, or on abstention
    the closest sections. Entries are buttons carrying ``data-key`` (``c<n>`` / ``s<i>``)."""
    if answer is None:
        return SOURCES_EMPTY
    t_attr = f' data-turn="{turn_no}"' if turn_no is not None else ""
    rows = [f'<div class="ba-panel-title">Sources</div><div class="ba-for">for “{esc(question)}”</div>']
    if answer.abstained:
        rows.append('<div class="ba-empty">No passage answers this question.'
                    + (" Closest sections:" if answer.closest else "") + "</div>")
        rows += [_closest_entry(i, ref, t_attr) for i, ref in enumerate(answer.closest)]
    else:
        rows += [_citation_entry(c, t_attr) for c in answer.citations]
        if not answer.citations:
            rows.append('<div class="ba-empty">This answer cites no passage.</div>')
    return f'<div class="ba-panel ba-sources-panel"{t_attr}>{"".join(rows)}</div>'


# ================================================================================== section viewer
def _section(briefing: Briefing, index: int) -> Section | None:
    if 0 <= index < len(briefing.sections) and briefing.sections[index].index == index:
        return briefing.sections[index]
    return next((s for s in briefing.sections if s.index == index), None)


def _shown_start(text: str, section: Section, first_span: int) -> int:
    """Where the shown text begins: a statement's title line is already in the header, so show
    its body (unless a span starts before it), without leading blank lines."""
    s0 = section.start
    if s0 < section.body_start <= first_span:
        s0 = section.body_start
    while s0 < min(first_span, section.end) and text[s0] in "\n ":
        s0 += 1
    return s0


def _marked_spans(s0: int, s1: int, highlight: Span | None, others: Sequence[Span]) -> list[tuple[int, int, str]]:
    """The highlighted span and the non-overlapping other cited spans inside ``[s0, s1]``."""
    spans: list[tuple[int, int, str]] = []
    if highlight and s0 <= highlight[0] < highlight[1] <= s1:
        spans.append((highlight[0], highlight[1], "mark"))
    for a, b in others:
        if s0 <= a < b <= s1 and all(b <= x or a >= y for x, y, _ in spans):
            spans.append((a, b, "also"))
    return sorted(spans)


def _view_head(briefing: Briefing, section: Section) -> str:
    kind = KIND_LABELS.get(section.kind, section.kind)
    return (f'<div class="ba-view-head">'
            f'<div class="ba-view-date">{esc(briefing.date or UNDATED)}'
            f'<span class="ba-view-long"> · {esc(long_date(briefing.date, weekday=True))}</span></div>'
            f'<div class="ba-view-sec">{esc(section.title)}</div>'
            f'<div class="ba-view-brief">{esc(briefing.title)} · {esc(kind)}</div></div>')


def render_section(briefing: Briefing, section: Section, highlight: Span | None = None,
                   others: Sequence[Span] = (), note: str | None = None) -> str:
    """The whole section, escaped, with ``highlight`` (a span of ``briefing.text``) in ``<mark>``
    and other cited spans of the same section underlined."""
    text = briefing.text
    first_span = min([a for a, _ in [*([highlight] if highlight else []), *others]], default=section.end)
    s0, s1 = _shown_start(text, section, first_span), section.end
    out, pos = [], s0
    for a, b, kind in _marked_spans(s0, s1, highlight, others):
        tag = '<mark class="ba-hl">{}</mark>' if kind == "mark" else '<span class="ba-also">{}</span>'
        out += [esc(text[pos:a]), tag.format(esc(text[a:b]))]
        pos = b
    out.append(esc(text[pos:s1]))
    note_html = f'<div class="ba-notice">{esc(note)}</div>' if note else ""
    return (f'<div class="ba-panel ba-viewer">{_view_head(briefing, section)}{note_html}'
            f'<div class="ba-view-body">{"".join(out)}</div></div>')


def _gone(what: str) -> str:
    return f'<div class="ba-panel ba-viewer"><div class="ba-empty">{esc(what)} is no longer in the index.</div></div>'


def _ref_for(answer: Answer, key: str | None) -> tuple[SectionRef, Citation | None] | None:
    """``c<n>``: citation n; ``s<i>``: closest section i (of an abstention)."""
    if not key or len(key) < 2 or key[0] not in "cs" or not key[1:].isdigit():
        return None
    num = int(key[1:])
    if key[0] == "c":
        cited = next((c for c in answer.citations if c.number == num), None)
        return (cited.ref, cited) if cited else None
    return (answer.closest[num], None) if num < len(answer.closest) else None


def _quote_span(briefing: Briefing, section: Section, cited: Citation) -> tuple[Span | None, str | None]:
    """Where the quote is now (the briefing may have been re-ingested since the answer)."""
    if briefing.text[cited.start:cited.end] == cited.quote:
        return (cited.start, cited.end), None
    found = briefing.text.find(cited.quote, section.start, section.end)
    if found >= 0:
        return (found, found + len(cited.quote)), None
    return None, "This briefing changed since the answer was given; the quote is no longer in it."


def render_source(index, answer: Answer | None, key: str | None) -> str:
    """The section behind source ``key`` of ``answer``, read from ``index``."""
    found = _ref_for(answer, key) if answer is not None else None
    if found is None:
        return VIEWER_EMPTY
    ref, cited = found
    try:
        briefing = index.briefing(ref.briefing_id)
    except NotInIndex:
        return _gone(f"The briefing “{ref.briefing_title}”")
    section = _section(briefing, ref.section_index)
    if section is None:
        return _gone("That section")
    if cited is None:
        return render_section(briefing, section)
    span, note = _quote_span(briefing, section, cited)
    others = [(c.start, c.end) for c in answer.citations
              if c is not cited and c.ref.briefing_id == ref.briefing_id and c.ref.section_index == ref.section_index]
    return render_section(briefing, section, span, others, note)


def first_source(index, answer: Answer) -> str:
    """The viewer shown with a new answer: its first citation's section."""
    return render_source(index, answer, "c1") if answer.citations else VIEWER_EMPTY
