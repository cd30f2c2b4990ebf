"""HTML for the web chat: chat messages, the sources panel and the section viewer.

Everything that comes from outside (briefing text and titles, questions, answers, file names) is
HTML-escaped here before it reaches the page."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any, Sequence

from assistant.text import MARKER, long_date
from assistant.models import Answer, Briefing, Filters, Section

TITLE = "Briefing assistant"
EXAMPLES = (
    "Who convened the Paris conference on Libya?",
    "What did the spokeswoman say about the migrant crisis on the Poland-Belarus border?",
    "Did Russia and Belarus agree to recognise each other's vaccination certificates?",
)
KIND_LABELS = {"statement": "Statement", "media_question": "Answer to a media question"}


# ================================================================================== escaping
def esc(text: Any) -> str:
    """Untrusted text -> inert HTML text (``<``, ``>``, ``&``, quotes escaped)."""
    return html.escape("" if text is None else str(text), quote=True)


def esc_lines(text: Any) -> str:
    """Escaped, with line breaks kept (the Chatbot renders HTML, where newlines collapse)."""
    return "<br>".join(esc(line) for line in ("" if text is None else str(text)).split("\n"))


def _markers_html(escaped: str, turn: int | None) -> str:
    """Turn ``[1]`` / ``[1, 2]`` in already-escaped text into styled, clickable markers."""

    def one(m: re.Match) -> str:
        nums = re.findall(r"\d+", m.group(1))
        turn_attr = f' data-turn="{turn}"' if turn is not None else ""
        return "".join(f'<span class="ba-mark" data-n="{int(n)}"{turn_attr}>[{int(n)}]</span>' for n in nums)

    return MARKER.sub(one, escaped)


def date_label(iso: str | None) -> str:
    return iso or "undated"


# ================================================================================== chat messages
def user_message(question: str) -> dict:
    return {"role": "user", "content": f'<div class="ba-q">{esc_lines(question)}</div>'}


def pending_message(partial: str = "", turn: int | None = None) -> dict:
    if not partial.strip():
        body = '<span class="ba-wait">Searching the briefings…</span>'
    else:
        body = _markers_html(esc_lines(partial), turn) + '<span class="ba-cursor">▍</span>'
    return {"role": "assistant", "content": f'<div class="ba-msg ba-streaming">{body}</div>'}


def error_message(text: str) -> dict:
    return {"role": "assistant", "content": f'<div class="ba-msg ba-error"><b>Error.</b> {esc_lines(text)}</div>'}


def answer_message(answer: Answer, turn: int | None = None, filters: Filters | None = None) -> dict:
    """The final assistant message: verified text with markers, notice, "understood as" hint."""
    parts: list[str] = []
    if answer.standalone_question.strip() != answer.question.strip():
        parts.append(f'<div class="ba-understood">Understood as: “{esc(answer.standalone_question)}”</div>')
    if answer.abstained:
        parts.append('<div class="ba-abstain-title">Not found in the briefings</div>')
        parts.append(f'<div class="ba-text">{esc_lines(answer.text)}</div>')
        if answer.closest:
            items = "".join(
                f'<li><span class="ba-date">{esc(date_label(r.briefing_date))}</span> — '
                f'<span class="ba-sec">{esc(r.section_title)}</span></li>' for r in answer.closest)
            parts.append(f'<div class="ba-closest">Closest sections (see the panel on the right):<ul>{items}</ul></div>')
        cls = "ba-abstain"
    else:
        parts.append(f'<div class="ba-text">{_markers_html(esc_lines(answer.text), turn)}</div>')
        cls = "ba-answer"
    if answer.notice:
        parts.append(f'<div class="ba-notice">⚠ {esc(answer.notice)}</div>')
    foot = [f"mode: {esc(answer.mode)}"]
    if answer.citations:
        n = len(answer.citations)
        foot.append(f"{n} source{'s' if n > 1 else ''}")
    if filters is not None and not filters.empty:
        foot.append(esc(filters_summary(filters)))
    parts.append(f'<div class="ba-foot">{" · ".join(foot)}</div>')
    return {"role": "assistant", "content": f'<div class="ba-msg {cls}">{"".join(parts)}</div>'}


def filters_summary(filters: Filters) -> str:
    bits = []
    if filters.briefing_ids:
        n = len(filters.briefing_ids)
        bits.append(f"{n} briefing{'s' if n > 1 else ''}")
    if filters.date_from:
        bits.append(f"from {filters.date_from.isoformat()}")
    if filters.date_to:
        bits.append(f"to {filters.date_to.isoformat()}")
    return "searched: " + ", ".join(bits)


# ================================================================================== sources panel
SOURCES_EMPTY = ('<div class="ba-panel ba-sources-panel"><div class="ba-panel-title">Sources</div>'
                 '<div class="ba-empty">Ask a question: every passage the answer relies on is listed here, '
                 'with the briefing date and section title.</div></div>')


def render_sources(turn: dict | None, turn_no: int | None = None) -> str:
    """The sources of one turn: citations ``[n] date — section`` with quotes, or on abstention
    the closest sections. Entries are buttons carrying ``data-key`` (``c<n>`` / ``s<i>``)."""
    if not turn or not turn.get("answer"):
        return SOURCES_EMPTY
    a = turn["answer"]
    t_attr = f' data-turn="{turn_no}"' if turn_no is not None else ""
    head = (f'<div class="ba-panel-title">Sources</div>'
            f'<div class="ba-for">for “{esc(turn.get("question", ""))}”</div>')
    rows: list[str] = []
    if a.get("abstained"):
        rows.append('<div class="ba-empty">No passage answers this question. Closest sections:</div>'
                    if a.get("closest_sections") else '<div class="ba-empty">No passage answers this question.</div>')
        for i, r in enumerate(a.get("closest_sections") or []):
            rows.append(
                f'<button type="button" class="ba-src ba-src-closest" data-key="s{i}"{t_attr}>'
                f'<span class="ba-src-title"><span class="ba-date">{esc(date_label(r.get("briefing_date")))}</span>'
                f' — <span class="ba-sec">{esc(r.get("section_title"))}</span></span>'
                f'<span class="ba-src-brief">{esc(r.get("briefing_title"))}</span></button>')
    else:
        for c in a.get("citations") or []:
            n = int(c["number"])
            rows.append(
                f'<button type="button" class="ba-src" data-key="c{n}"{t_attr}>'
                f'<span class="ba-src-title"><span class="ba-num">[{n}]</span> '
                f'<span class="ba-date">{esc(date_label(c.get("briefing_date")))}</span>'
                f' — <span class="ba-sec">{esc(c.get("section_title"))}</span></span>'
                f'<span class="ba-src-brief">{esc(c.get("briefing_title"))}'
                f' · {esc(KIND_LABELS.get(c.get("section_kind"), c.get("section_kind")))}</span>'
                f'<span class="ba-quote">“{esc(c.get("quote"))}”</span></button>')
        if not rows:
            rows.append('<div class="ba-empty">This answer cites no passage.</div>')
    return f'<div class="ba-panel ba-sources-panel"{t_attr}>{head}{"".join(rows)}</div>'


# ================================================================================== section viewer
VIEWER_EMPTY = ('<div class="ba-panel ba-viewer"><div class="ba-panel-title">Section</div>'
                '<div class="ba-empty">Choose a source to read its whole section, with the quoted passage '
                'highlighted.</div></div>')


def _section(briefing: Briefing, index: int) -> Section | None:
    if 0 <= index < len(briefing.sections) and briefing.sections[index].index == index:
        return briefing.sections[index]
    return next((s for s in briefing.sections if s.index == index), None)


def render_section(briefing: Briefing, section: Section, highlight: tuple[int, int] | None = None,
                   others: Sequence[tuple[int, int]] = (), note: str | None = None) -> str:
    """The whole section, escaped, with ``highlight`` (a span of ``briefing.text``) in ``<mark>``
    and other cited spans of the same section underlined."""
    text = briefing.text
    s0, s1 = section.start, section.end
    # a statement's title line is already in the header: show the body (unless a span starts before it)
    first_span = min([a for a, _ in [*([highlight] if highlight else []), *others]], default=s1)
    if s0 < section.body_start <= first_span:
        s0 = section.body_start
    while s0 < min(first_span, s1) and text[s0] in "\n ":
        s0 += 1
    spans: list[tuple[int, int, str]] = []
    if highlight and s0 <= highlight[0] < highlight[1] <= s1:
        spans.append((highlight[0], highlight[1], "mark"))
    for a, b in others:
        if s0 <= a < b <= s1 and all(b <= x or a >= y for x, y, _ in spans):
            spans.append((a, b, "also"))
    spans.sort()
    out, pos = [], s0
    for a, b, kind in spans:
        out.append(esc(text[pos:a]))
        if kind == "mark":
            out.append(f'<mark class="ba-hl">{esc(text[a:b])}</mark>')
        else:
            out.append(f'<span class="ba-also">{esc(text[a:b])}</span>')
        pos = b
    out.append(esc(text[pos:s1]))
    kind = KIND_LABELS.get(section.kind, section.kind)
    head = (f'<div class="ba-view-head">'
            f'<div class="ba-view-date">{esc(date_label(briefing.date))}'
            f'<span class="ba-view-long"> · {esc(long_date(briefing.date, weekday=True))}</span></div>'
            f'<div class="ba-view-sec">{esc(section.title)}</div>'
            f'<div class="ba-view-brief">{esc(briefing.title)} · {esc(kind)}</div></div>')
    note_html = f'<div class="ba-notice">{esc(note)}</div>' if note else ""
    return (f'<div class="ba-panel ba-viewer">{head}{note_html}'
            f'<div class="ba-view-body">{"".join(out)}</div></div>')


def render_source(assistant, turn: dict | None, key: str | None) -> str:
    """The section behind source ``key`` (``c<n>``: citation n; ``s<i>``: closest section i)."""
    if not turn or not turn.get("answer") or not key or len(key) < 2 or not key[1:].isdigit():
        return VIEWER_EMPTY
    a = turn["answer"]
    kind, num = key[0], int(key[1:])
    if kind == "c":
        ref = next((c for c in a.get("citations") or [] if int(c["number"]) == num), None)
    elif kind == "s":
        closest = a.get("closest_sections") or []
        ref = closest[num] if num < len(closest) else None
    else:
        ref = None
    if ref is None:
        return VIEWER_EMPTY
    try:
        briefing = assistant.index.briefing(ref["briefing_id"])
    except KeyError:
        return (f'<div class="ba-panel ba-viewer"><div class="ba-empty">The briefing '
                f'“{esc(ref.get("briefing_title"))}” is no longer in the index.</div></div>')
    section = _section(briefing, int(ref["section_index"]))
    if section is None:
        return '<div class="ba-panel ba-viewer"><div class="ba-empty">That section is no longer in the index.</div></div>'
    if kind == "s":
        return render_section(briefing, section)
    note = None
    span = (int(ref["start"]), int(ref["end"]))
    if briefing.text[span[0]:span[1]] != ref["quote"]:  # the briefing was re-ingested since
        found = briefing.text.find(ref["quote"], section.start, section.end)
        if found >= 0:
            span = (found, found + len(ref["quote"]))
        else:
            span, note = None, "This briefing changed since the answer was given; the quote is no longer in it."
    others = [(int(c["start"]), int(c["end"])) for c in a.get("citations") or []
              if c is not ref and c["briefing_id"] == ref["briefing_id"]
              and int(c["section_index"]) == int(ref["section_index"])]
    return render_section(briefing, section, span, others, note)


