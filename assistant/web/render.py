"""HTML of the chat column: escaping, the chat messages (question, drafting answer, verified
answer, abstention, error), the page header and the upload report. The sources panel and the
section viewer are in panels.py.

Everything that comes from outside (briefing text and titles, questions, answers, file names) is
HTML-escaped here before it reaches the page. Citation markers become clickable only in a
verified ``Answer``: while an answer is being drafted its markers are removed."""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Sequence

from assistant.models import KIND_LABELS, Answer, Filters, TimelineEntry
from assistant.text import MARKER, long_date, strip_markers

TITLE = "Briefing assistant"
EXAMPLES = (
    "Who convened the Paris conference on Libya?",
    "What did the spokeswoman say about the migrant crisis on the Poland-Belarus border?",
    "Did Russia and Belarus agree to recognise each other's vaccination certificates?",
)
UNDATED = "undated"
_OPEN_MARKER = re.compile(r"\s*\[[\d\s,;]*$")  # a marker cut off at the end of a streamed draft


# ================================================================================== escaping, labels
def esc(text: Any) -> str:
    """Untrusted text -> inert HTML text (``<``, ``>``, ``&``, quotes escaped)."""
    return html.escape("" if text is None else str(text), quote=True)


def esc_lines(text: Any) -> str:
    """Escaped, with line breaks kept (the Chatbot renders HTML, where newlines collapse)."""
    return "<br>".join(esc(line) for line in ("" if text is None else str(text)).split("\n"))


def dated(date: str | None, title: str) -> str:
    """``2021-11-10 — Briefing by …``: how a briefing is named (sections use ``SectionRef.label``,
    which has the same form)."""
    return f"{date or UNDATED} — {title}"


def _markers_html(escaped: str, turn: int | None) -> str:
    """Turn ``[1]`` / ``[1, 2]`` in already-escaped text into styled, clickable markers. The
    citation and turn numbers are classes (``ba-n-1 ba-t-0``): the Chatbot's sanitizer removes
    ``data-`` attributes; page.js reads them."""
    turn_cls = f" ba-t-{turn}" if turn is not None else ""

    def one(m: re.Match) -> str:
        nums = re.findall(r"\d+", m.group(1))
        return "".join(f'<span class="ba-mark ba-n-{int(n)}{turn_cls}">[{int(n)}]</span>' for n in nums)

    return MARKER.sub(one, escaped)


def draft_text(partial: str) -> str:
    """The model's unverified text without citation markers (also one cut off at the end)."""
    return _OPEN_MARKER.sub("", strip_markers(partial))


# ================================================================================== chat messages
def _assistant(cls: str, body: str) -> dict:
    return {"role": "assistant", "content": f'<div class="ba-msg {cls}">{body}</div>'}


def user_message(question: str) -> dict:
    return {"role": "user", "content": f'<div class="ba-q">{esc_lines(question)}</div>'}


def pending_message() -> dict:
    return _assistant("ba-pending", '<span class="ba-wait">Searching the briefings…</span>')


def draft_message(partial: str) -> dict:
    """The answer while it is generated: visibly a draft, markers removed (its citations are
    checked only when it is complete, and may change or disappear)."""
    text = draft_text(partial)
    if not text.strip():
        return pending_message()
    return _assistant("ba-draft", '<div class="ba-draft-label">Drafting — the sources are checked when the '
                                  f'answer is complete</div><div class="ba-text">{esc_lines(text)}'
                                  '<span class="ba-cursor">▍</span></div>')


def error_message(text: str) -> dict:
    return _assistant("ba-error", f"<b>Not answered.</b> {esc_lines(text)}")


def _content_text(message: Any) -> str:
    """The HTML of a Chatbot message: ``content`` as we wrote it (text), or as the Chatbot sends
    it back (a list of ``{"type": "text", "text": ...}`` parts)."""
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", None)
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, (list, tuple)) else []
    return "".join(p.get("text") or "" for p in parts if isinstance(p, dict))


def is_unfinished(message: Any) -> bool:
    """A chat message still waiting for its answer (searching or drafting)."""
    content = _content_text(message)
    return 'class="ba-msg ba-pending"' in content or 'class="ba-msg ba-draft"' in content


def _closest_html(answer: Answer) -> str:
    if not answer.closest:
        return ""
    items = "".join(f"<li>{esc(ref.label)}</li>" for ref in answer.closest)
    return f'<div class="ba-closest">Closest sections (see the panel on the right):<ul>{items}</ul></div>'


def _timeline_row(e: TimelineEntry, turn: int | None) -> str:
    ref = e.citation.ref
    when = long_date(ref.briefing_date) if ref.briefing_date else UNDATED
    marker = _markers_html(f"[{e.citation.number}]", turn)
    return (f'<tr><td class="ba-date">{esc(when)}</td><td class="ba-tl-section">{esc(ref.section_title)}</td>'
            f'<td class="ba-tl-text">“{esc(e.text)}” {marker}</td></tr>')


def _timeline_html(answer: Answer, turn: int | None) -> str:
    """An answer across briefings: its first paragraph (what was found), then a table of the
    briefings by date: the date, the section and what it said, with its citation marker."""
    head = answer.text.split("\n\n", 1)[0]
    rows = "".join(_timeline_row(e, turn) for e in answer.timeline)
    return (f'<div class="ba-text">{esc_lines(head)}</div><table class="ba-timeline"><thead><tr><th>Date</th>'
            f'<th>Section</th><th>What the briefing said</th></tr></thead><tbody>{rows}</tbody></table>')


def _foot_html(answer: Answer, filters: Filters | None) -> str:
    """Under an answer: its mode, its sources, the briefings the question's dates searched
    (``Answer.scope``: "Searched the briefing of 6 July 2022") and the user's own filters."""
    foot = [f"mode: {esc(answer.mode)}"]
    if answer.citations:
        n = len(answer.citations)
        foot.append(f"{n} source{'s' if n > 1 else ''}")
    if answer.scope:
        foot.append(esc(answer.scope))
    if filters is not None and not filters.empty:
        foot.append(esc(filters_summary(filters)))
    return f'<div class="ba-foot">{" · ".join(foot)}</div>'


def answer_message(answer: Answer, turn: int | None = None, filters: Filters | None = None) -> dict:
    """The final assistant message: the verified text with clickable markers, or the abstention
    with the closest sections; the notice and the "understood as" hint."""
    parts: list[str] = []
    if answer.standalone_question.strip() != answer.question.strip():
        parts.append(f'<div class="ba-understood">Understood as: “{esc(answer.standalone_question)}”</div>')
    if answer.abstained:
        parts += ['<div class="ba-abstain-title">Not found in the briefings</div>',
                  f'<div class="ba-text">{esc_lines(answer.text)}</div>', _closest_html(answer)]
    elif answer.timeline:
        parts.append(_timeline_html(answer, turn))
    else:
        parts.append(f'<div class="ba-text">{_markers_html(esc_lines(answer.text), turn)}</div>')
    if answer.notice:
        parts.append(f'<div class="ba-notice">⚠ {esc(answer.notice)}</div>')
    parts.append(_foot_html(answer, filters))
    return _assistant("ba-abstain" if answer.abstained else "ba-answer", "".join(parts))


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


# ================================================================================== page parts
def header_html(dates: Sequence[str | None]) -> str:
    """The title and what is indexed (``dates``: one per indexed briefing)."""
    known = sorted(d for d in dates if d)
    if dates:
        span = f", {known[0]} to {known[-1]}" if len(known) > 1 else (f", {known[0]}" if known else "")
        what = f"{len(dates)} briefing{'s' if len(dates) != 1 else ''} indexed{span}"
    else:
        what = "no briefing indexed yet: add files under “Add briefing files”"
    return (f'<div id="ba-header"><h1>{esc(TITLE)}</h1>'
            f'<p>Answers come only from the press-briefing transcripts, and every sentence cites the briefing '
            f'section it comes from. {esc(what)}.</p></div>')


def upload_label(max_files: int, max_file_mb: float) -> str:
    """The upload box's label: the limits the server enforces (the same numbers)."""
    return f"Transcripts (.txt, .html, .md; up to {max_files} files of at most {max_file_mb:g} MB each)"


NO_FILE = '<div class="ba-empty">No file chosen.</div>'


def ingest_report(rows: Iterable[tuple[str, str, str]]) -> str:
    """The upload report: one row per file ``(name, status, detail)``; status ``error`` is red."""
    rows = list(rows)
    ok = sum(1 for _, status, _ in rows if status != "error")
    failed = len(rows) - ok
    summary = f"{ok} file{'s' if ok != 1 else ''} ingested" + (f", {failed} failed" if failed else "")
    body = "".join(
        f'<tr class="ba-st-{esc(status)}"><td class="ba-file">{esc(name)}</td>'
        f'<td class="ba-status">{esc(status)}</td><td>{esc(detail)}</td></tr>' for name, status, detail in rows)
    return (f'<div class="ba-ingest"><div class="ba-ingest-sum">{esc(summary)}</div>'
            f'<table><thead><tr><th>File</th><th>Result</th><th>Details</th></tr></thead>'
            f'<tbody>{body}</tbody></table></div>')
