"""The web chat (Gradio): answers stream in with inline [n] markers; the sources panel lists every
citation as ``[n] date — section title`` with the quoted passage; choosing one shows the whole
section with the quoted span highlighted.

``build_app(assistant, settings)`` builds the Blocks around any ``Assistant`` (tests inject one
with fake models); ``launch_app`` starts it with the offline theme, CSS and login; ``serve``
builds the real assistant, ingests the bundled sample into an empty index and serves.

Everything that comes from outside (briefing text and titles, questions, answers, file names) is
HTML-escaped here before it reaches the page; the Chatbot renders our escaped HTML (markdown off)
and Gradio's sanitizer stays on as a second line of defence."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from . import offline  # noqa: F401  - offline environment before gradio is imported

import gradio as gr

from .config import Settings, get_settings
from .models import Answer, Briefing, Filters, Section

log = logging.getLogger(__name__)

TITLE = "Briefing assistant"
MODE_LABELS = {
    "local": "Local model",
    "extractive": "Quotes only (no model)",
    "openai": "Remote model (OpenAI-compatible)",
}
EXAMPLES = (
    "Who convened the Paris conference on Libya?",
    "What did the spokeswoman say about the migrant crisis on the Poland-Belarus border?",
    "Did Russia and Belarus agree to recognise each other's vaccination certificates?",
)
MARKER = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
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


def long_date(iso: str | None) -> str:
    if not iso:
        return "undated"
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.strftime('%A')} {d.day} {d.strftime('%B %Y')}"


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


def _abstain_text(answer: Answer) -> str:
    """The backend appends the closest sections to the text; the UI lists them itself."""
    text = answer.text
    if answer.closest and "\nClosest sections:" in text:
        text = text.split("\nClosest sections:", 1)[0]
    return text.strip()


def answer_message(answer: Answer, turn: int | None = None, filters: Filters | None = None) -> dict:
    """The final assistant message: verified text with markers, notice, "understood as" hint."""
    parts: list[str] = []
    if answer.standalone_question.strip() != answer.question.strip():
        parts.append(f'<div class="ba-understood">Understood as: “{esc(answer.standalone_question)}”</div>')
    if answer.abstained:
        parts.append('<div class="ba-abstain-title">Not found in the briefings</div>')
        parts.append(f'<div class="ba-text">{esc_lines(_abstain_text(answer))}</div>')
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
            f'<span class="ba-view-long"> · {esc(long_date(briefing.date))}</span></div>'
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


# ================================================================================== filters, briefings
def briefing_choices(assistant) -> list[tuple[str, str]]:
    """(label, briefing_id) for the filter; labels are rendered as text by the dropdown."""
    out = []
    for e in assistant.index.briefings():
        out.append((f"{date_label(e.date)} — {e.title} ({e.section_count} sections)", e.briefing_id))
    return out


def parse_date(value: Any, label: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    value = str(value).strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{label} date {value!r} is not a date like 2021-11-10") from None


def make_filters(briefing_ids: Sequence[str] | str | None, date_from: Any, date_to: Any) -> Filters | None:
    """UI/API values -> Filters (None when nothing is filtered). Raises ValueError on a bad date."""
    ids = [briefing_ids] if isinstance(briefing_ids, str) else list(briefing_ids or [])
    ids = [i for i in ids if i]
    f = Filters(briefing_ids=tuple(ids), date_from=parse_date(date_from, "From"), date_to=parse_date(date_to, "To"))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValueError(f"the From date {f.date_from} is after the To date {f.date_to}")
    return None if f.empty else f


def history_messages(turns: Sequence[dict]) -> list[dict]:
    """The conversation so far as openai-style messages (plain text, for follow-up resolution)."""
    out = []
    for t in turns:
        if t.get("answer") is None:
            continue
        out.append({"role": "user", "content": t["question"]})
        out.append({"role": "assistant", "content": t["answer"].get("answer", "")})
    return out


# ================================================================================== answering
def new_session() -> dict:
    return {"turns": [], "current": None}


def stream_answer(assistant, question: str, turns: Sequence[dict], mode: str | None,
                  filters: Filters | None) -> Iterator[str | Answer]:
    """Deltas then the final ``Answer`` (the backend's stream, with the UI's history)."""
    yield from assistant.stream(question, history=history_messages(turns) or None, filters=filters, mode=mode)


def ask_json(assistant, question: str, mode: str | None = None, briefing_ids: Sequence[str] | None = None,
             date_from: str | None = None, date_to: str | None = None,
             history: Sequence[dict] | None = None) -> dict:
    """The ``/ask`` endpoint: the answer and its citations as JSON (``Answer.to_json()``)."""
    mode = (mode or "").strip() or None
    modes = assistant.available_modes()
    if mode is not None and mode not in modes:
        raise ValueError(f"answer mode {mode!r} is not available here (available: {', '.join(modes)})")
    filters = make_filters(briefing_ids, date_from, date_to)
    return assistant.ask(question, history=list(history or []) or None, filters=filters, mode=mode).to_json()


# ================================================================================== ingestion
def _upload_name_and_bytes(f: Any) -> tuple[str, bytes]:
    path = Path(f if isinstance(f, (str, Path)) else getattr(f, "path", None) or getattr(f, "name"))
    return path.name, path.read_bytes()


def ingest_files(assistant, settings: Settings, files: Sequence[Any] | None,
                 progress: Callable[..., Any] | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Ingest uploaded files (paths from ``gr.File``): returns the report as HTML (one line per
    file, with its error) and the new briefing choices. At most ``settings.max_upload_files``."""
    files = [f for f in (files or []) if f]
    if not files:
        return '<div class="ba-empty">No file chosen.</div>', briefing_choices(assistant)
    limit = settings.max_upload_files
    taken, skipped = files[:limit], files[limit:]
    uploads, unreadable = [], []
    for f in taken:
        try:
            uploads.append(_upload_name_and_bytes(f))
        except OSError as err:
            unreadable.append((Path(str(f)).name, f"cannot read the upload: {err.strerror or err}"))

    def on_progress(done: int, total: int, name: str) -> None:
        if progress is not None:
            progress((done, total), desc=f"Ingesting {name}" if name else "Ingested", unit="files")

    rows: list[tuple[str, str, str]] = []  # (file, status, detail)
    try:
        report = assistant.ingestor().ingest_uploads(uploads, progress=on_progress) if uploads else None
    except Exception as err:  # noqa: BLE001 - e.g. IndexUnavailable: another process is writing
        report = None
        rows.extend((name, "error", str(err)) for name, _ in uploads)
    if report is not None:
        for r in report.results:
            if r.status == "error":
                detail = r.error or "could not be ingested"
                prefix = f"{r.path}: "
                rows.append((r.path, "error", detail[len(prefix):] if detail.startswith(prefix) else detail))
            else:
                entry = assistant.index.snapshot.registry.briefings.get(r.briefing_id) if r.briefing_id else None
                what = f"{date_label(entry.date)} — {entry.title}" if entry else (r.briefing_id or "")
                sections = f", {entry.section_count} sections" if entry else ""
                rows.append((r.path, r.status, f"{what} ({r.chunks} passages{sections}, {r.seconds:.1f} s)"))
    rows.extend((name, "error", msg) for name, msg in unreadable)
    rows.extend((Path(str(f)).name, "error", f"not ingested: at most {limit} files per upload")
                for f in skipped)
    ok = sum(1 for _, s, _ in rows if s != "error")
    failed = len(rows) - ok
    summary = f"{ok} file{'s' if ok != 1 else ''} ingested" + (f", {failed} failed" if failed else "")
    body = "".join(
        f'<tr class="ba-st-{esc(status)}"><td class="ba-file">{esc(name)}</td>'
        f'<td class="ba-status">{esc(status)}</td><td>{esc(detail)}</td></tr>' for name, status, detail in rows)
    report_html = (f'<div class="ba-ingest"><div class="ba-ingest-sum">{esc(summary)}</div>'
                   f'<table><thead><tr><th>File</th><th>Result</th><th>Details</th></tr></thead>'
                   f'<tbody>{body}</tbody></table></div>')
    return report_html, briefing_choices(assistant)


# ================================================================================== the app
SOURCES_JS = """
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-key]');
  if (!b || !element.contains(b)) return;
  element.querySelectorAll('[data-key]').forEach((x) => x.classList.toggle('ba-active', x === b));
  window.__baScrollViewer = true;
  trigger('click', {key: b.dataset.key, turn: b.dataset.turn ?? null});
});
watch('value', () => {
  const p = window.__baPendingCite;
  if (!p) return;
  const panel = element.querySelector('.ba-sources-panel');
  if (!panel || panel.dataset.turn !== p.turn) return;
  window.__baPendingCite = null;
  const b = element.querySelector(`[data-key="c${p.n}"]`);
  if (b) b.click();
});
"""

VIEWER_JS = """
watch('value', () => {
  const m = element.querySelector('mark');
  const box = element.querySelector('.ba-view-body');
  if (box) box.scrollTop = 0;
  if (m && box) box.scrollTop = Math.max(0, m.offsetTop - box.clientHeight / 4);
  if (window.__baScrollViewer) {
    window.__baScrollViewer = false;
    const r = element.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight - 120) element.scrollIntoView({behavior: 'smooth', block: 'start'});
  }
});
"""

# Clicking an inline [n] marker in the chat opens that source (the marker's turn must be the one
# the sources panel shows; otherwise the Chatbot's select event switches the panel first).
PAGE_JS = """
() => {
  document.addEventListener('click', (ev) => {
    const m = ev.target.closest && ev.target.closest('#ba-chat .ba-mark');
    if (!m) return;
    const panel = document.querySelector('#ba-sources .ba-sources-panel');
    const b = document.querySelector(`#ba-sources [data-key="c${m.dataset.n}"]`);
    if (panel && b && panel.dataset.turn === m.dataset.turn) { b.click(); }
    else { window.__baPendingCite = {turn: m.dataset.turn, n: m.dataset.n}; }
  }, true);
}
"""

CSS = """
.gradio-container { max-width: 1500px !important; }
#ba-header h1 { font-size: 1.45rem; margin: 0 0 2px 0; }
#ba-header p { margin: 0; color: var(--body-text-color-subdued); font-size: 0.92rem; }
#ba-chat .ba-q { white-space: normal; }
#ba-chat .ba-msg { line-height: 1.5; }
.ba-mark { display: inline-block; font-size: 0.78em; font-weight: 700; color: var(--color-accent);
  vertical-align: super; line-height: 1; padding: 0 1px; cursor: pointer; }
.ba-mark:hover { text-decoration: underline; }
.ba-understood { font-size: 0.85em; color: var(--body-text-color-subdued); font-style: italic; margin-bottom: 4px; }
.ba-notice { font-size: 0.85em; background: #fff7e0; color: #6b4e00; border-left: 3px solid #e0a800;
  padding: 4px 8px; margin-top: 6px; border-radius: 3px; }
.ba-foot { font-size: 0.75em; color: var(--body-text-color-subdued); margin-top: 6px; }
.ba-abstain { border-left: 4px solid #9a9a9a; padding-left: 10px; }
.ba-abstain-title { font-weight: 700; color: #8a4b00; margin-bottom: 2px; }
.ba-closest { font-size: 0.9em; margin-top: 4px; }
.ba-closest ul { margin: 2px 0 0 1.1em; padding: 0; }
.ba-error { color: #a40000; }
.ba-wait { color: var(--body-text-color-subdued); font-style: italic; }
.ba-cursor { opacity: 0.6; }
.ba-panel { font-size: 0.93rem; }
.ba-panel-title { font-weight: 700; font-size: 1.05rem; margin-bottom: 2px; }
.ba-for { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 8px; }
.ba-empty { color: var(--body-text-color-subdued); font-size: 0.92em; padding: 6px 0; }
.ba-src { display: block; width: 100%; text-align: left; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 8px 10px; margin: 0 0 8px 0;
  cursor: pointer; font: inherit; color: inherit; }
.ba-src:hover { border-color: var(--color-accent); }
.ba-src.ba-active { border-color: var(--color-accent); box-shadow: 0 0 0 1px var(--color-accent); }
.ba-src-title { display: block; font-weight: 600; }
.ba-num { color: var(--color-accent); font-weight: 700; }
.ba-date { font-weight: 700; white-space: nowrap; }
.ba-src-brief { display: block; font-size: 0.8em; color: var(--body-text-color-subdued); margin-top: 1px; }
.ba-quote { display: block; margin-top: 5px; padding-left: 8px; border-left: 3px solid var(--color-accent);
  font-size: 0.92em; }
.ba-viewer .ba-view-head { border-bottom: 1px solid var(--border-color-primary); padding-bottom: 6px; margin-bottom: 6px; }
.ba-view-date { font-weight: 700; font-size: 1.0rem; }
.ba-view-long { font-weight: 400; color: var(--body-text-color-subdued); font-size: 0.9em; }
.ba-view-sec { font-weight: 700; font-size: 1.08rem; margin-top: 2px; }
.ba-view-brief { font-size: 0.82em; color: var(--body-text-color-subdued); }
.ba-view-body { position: relative; white-space: pre-wrap; max-height: 430px; overflow-y: auto;
  line-height: 1.5; padding-right: 6px; }
.ba-view-body mark.ba-hl { background: #ffe066; color: #000; padding: 1px 0; border-radius: 2px; }
.ba-view-body .ba-also { text-decoration: underline dotted; text-decoration-color: var(--color-accent); }
.ba-ingest table { width: 100%; border-collapse: collapse; font-size: 0.88em; margin-top: 4px; }
.ba-ingest td, .ba-ingest th { border-bottom: 1px solid var(--border-color-primary); padding: 3px 6px;
  text-align: left; vertical-align: top; }
.ba-ingest .ba-file { word-break: break-all; }
.ba-ingest-sum { font-weight: 600; }
.ba-st-error .ba-status { color: #a40000; font-weight: 700; }
.ba-st-added .ba-status, .ba-st-updated .ba-status { color: #1d7a1d; font-weight: 700; }
"""


def theme():
    # system fonts only: nothing is fetched from a font CDN
    return gr.themes.Default(
        primary_hue="blue",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


def _header_html(assistant) -> str:
    entries = assistant.index.briefings()
    if entries:
        dates = sorted(e.date for e in entries if e.date)
        span = f", {dates[0]} to {dates[-1]}" if len(dates) > 1 else (f", {dates[0]}" if dates else "")
        what = f"{len(entries)} briefing{'s' if len(entries) != 1 else ''} indexed{span}"
    else:
        what = "no briefing indexed yet: add files under “Add briefing files”"
    return (f'<div id="ba-header"><h1>{esc(TITLE)}</h1>'
            f'<p>Answers come only from the press-briefing transcripts, and every sentence cites the briefing '
            f'section it comes from. {esc(what)}.</p></div>')


def build_app(assistant, settings: Settings | None = None):
    """The Gradio Blocks around ``assistant`` (shared by all sessions; each session has its own
    history in ``gr.State``)."""
    settings = settings or assistant.settings
    modes = assistant.available_modes()
    default_mode = settings.llm if settings.llm in modes else modes[0]
    choices = briefing_choices(assistant)
    answer_limit = max(2, settings.llm_parallel + 1)

    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True,
                   delete_cache=(3600, 24 * 3600)) as demo:
        state = gr.State(new_session())
        header = gr.HTML(_header_html(assistant), js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    label="Conversation", elem_id="ba-chat", height=540, render_markdown=False,
                    sanitize_html=True, allow_tags=False, latex_delimiters=[], feedback_options=None,
                    buttons=[], layout="bubble", autoscroll=True,  # "copy" would copy our markup
                    examples=[{"text": q} for q in EXAMPLES] if choices else None,
                    placeholder='<div style="text-align:center;padding:0 2em">Ask a question about the '
                                'briefings. The answer cites the sections it comes from; the sources appear on '
                                'the right.</div>')
                with gr.Row():
                    question = gr.Textbox(show_label=False, placeholder="Your question, e.g. Who convened the "
                                          "Paris conference on Libya?", lines=1, max_lines=4, scale=6,
                                          autofocus=True, elem_id="ba-question", submit_btn=False)
                    ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=90, elem_id="ba-ask")
                    clear_btn = gr.Button("Clear chat", variant="secondary", scale=0, min_width=150,
                                          elem_id="ba-clear")
                with gr.Accordion("Search options", open=True):
                    with gr.Row():
                        briefings = gr.Dropdown(choices=choices, value=[], multiselect=True, scale=3,
                                                label="Briefings (empty: all)", elem_id="ba-briefings")
                        date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", scale=1, min_width=110)
                        date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", scale=1, min_width=110)
                    mode = gr.Radio(choices=[(MODE_LABELS.get(m, m), m) for m in modes], value=default_mode,
                                    label="Answer mode", elem_id="ba-mode")
                with gr.Accordion("Add briefing files", open=not choices):
                    files = gr.File(file_count="multiple", type="filepath", elem_id="ba-upload",
                                    label=f"Transcripts (.txt, .html, .md; up to {settings.max_upload_files} "
                                          f"files of {settings.max_file_mb:g} MB)")
                    upload_report = gr.HTML("", elem_id="ba-ingest-report", js_on_load=None)
            with gr.Column(scale=2, min_width=340):
                sources = gr.HTML(SOURCES_EMPTY, elem_id="ba-sources", js_on_load=SOURCES_JS)
                viewer = gr.HTML(VIEWER_EMPTY, elem_id="ba-viewer", js_on_load=VIEWER_JS)

        # ------------------------------------------------------------------ chat
        def respond(q: str, history: list, st: dict, mode_value: str, brief_ids: list, d_from: str, d_to: str):
            q = (q or "").strip()
            if not q:
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            try:
                filters = make_filters(brief_ids, d_from, d_to)
            except ValueError as err:
                raise gr.Error(str(err)) from None
            m = mode_value if mode_value in modes else default_mode
            turns = list(st.get("turns") or [])
            turn_no = len(turns)
            history = list(history or []) + [user_message(q), pending_message()]
            yield "", history, gr.skip(), gr.skip(), gr.skip()
            raw, final = "", None
            try:
                for item in stream_answer(assistant, q, turns, m, filters):
                    if isinstance(item, Answer):
                        final = item
                    else:
                        raw += item
                        history[-1] = pending_message(raw, turn_no)
                        yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
            except Exception as err:  # noqa: BLE001 - shown in the chat, the session goes on
                log.exception("answering failed")
                history[-1] = error_message(f"{type(err).__name__}: {err}")
                turns.append({"question": q, "answer": None})
                yield gr.skip(), history, {"turns": turns, "current": None}, SOURCES_EMPTY, VIEWER_EMPTY
                return
            if final is None:
                history[-1] = error_message("no answer was produced")
                yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
                return
            turn = {"question": q, "answer": final.to_json()}
            turns.append(turn)
            history[-1] = answer_message(final, turn_no, filters)
            first = "c1" if final.citations else None
            yield (gr.skip(), history, {"turns": turns, "current": turn_no}, render_sources(turn, turn_no),
                   render_source(assistant, turn, first) if first else VIEWER_EMPTY)

        chat_inputs = [question, chatbot, state, mode, briefings, date_from, date_to]
        chat_outputs = [question, chatbot, state, sources, viewer]
        for trigger in (question.submit, ask_btn.click):
            trigger(respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="answer",
                    concurrency_limit=answer_limit, show_progress="minimal")

        def use_example(evt: gr.SelectData):
            value = evt.value if isinstance(evt.value, dict) else {}
            return value.get("text", "")

        chatbot.example_select(use_example, None, question, api_visibility="private", queue=False).then(
            respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="answer",
            concurrency_limit=answer_limit, show_progress="minimal")

        def clear():
            return [], new_session(), SOURCES_EMPTY, VIEWER_EMPTY, ""

        clear_btn.click(clear, None, [chatbot, state, sources, viewer, question], api_visibility="private",
                        queue=False)
        chatbot.clear(clear, None, [chatbot, state, sources, viewer, question], api_visibility="private",
                      queue=False)  # the Chatbot's own bin icon

        # ------------------------------------------------------------------ sources
        def show_source(st: dict, evt: gr.EventData):
            data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
            turns, cur = st.get("turns") or [], st.get("current")
            turn = turns[cur] if isinstance(cur, int) and 0 <= cur < len(turns) else None
            return render_source(assistant, turn, data.get("key"))

        sources.click(show_source, [state], [viewer], api_visibility="private", queue=False)

        def select_turn(st: dict, evt: gr.SelectData):
            """Clicking an earlier answer shows its sources."""
            idx = evt.index if isinstance(evt.index, int) else (evt.index[0] if evt.index else None)
            turns = st.get("turns") or []
            if idx is None or idx % 2 != 1 or not 0 <= idx // 2 < len(turns) or not turns[idx // 2].get("answer"):
                return gr.skip(), gr.skip(), gr.skip()
            n = idx // 2
            if n == st.get("current"):  # already shown (a click on its [n] marker opens that source)
                return gr.skip(), gr.skip(), gr.skip()
            turn = turns[n]
            first = "c1" if turn["answer"].get("citations") else None
            return ({**st, "current": n}, render_sources(turn, n),
                    render_source(assistant, turn, first) if first else VIEWER_EMPTY)

        chatbot.select(select_turn, [state], [state, sources, viewer], api_visibility="private", queue=False)

        # ------------------------------------------------------------------ upload
        def upload(paths, progress=gr.Progress()):
            report_html, new_choices = ingest_files(assistant, settings, paths, progress)
            return report_html, gr.update(choices=new_choices), _header_html(assistant), None

        files.upload(upload, [files], [upload_report, briefings, header, files], api_visibility="private",
                     concurrency_id="ingest", concurrency_limit=1)

        # ------------------------------------------------------------------ page load
        def on_load():
            try:
                assistant.index.refresh()  # pick up what another process committed
            except Exception:  # noqa: BLE001
                log.warning("index refresh failed", exc_info=True)
            return gr.update(choices=briefing_choices(assistant)), _header_html(assistant)

        demo.load(on_load, None, [briefings, header], api_visibility="private", queue=False)

        # ------------------------------------------------------------------ API
        def ask(question: str, mode: str = "", briefing_ids: list[str] | None = None, date_from: str = "",
                date_to: str = "") -> dict:
            """Answer a question from the briefings. Returns the answer with its citations (briefing
            date, section title, quote and its character span) as JSON; abstained=true when the
            briefings do not cover it. mode: local | extractive | openai (when configured);
            briefing_ids / date_from / date_to (YYYY-MM-DD) restrict the search."""
            try:
                return ask_json(assistant, question, mode, briefing_ids, date_from, date_to)
            except ValueError as err:
                raise gr.Error(str(err)) from None

        gr.api(ask, api_name="ask", concurrency_id="answer", concurrency_limit=answer_limit)

    demo.queue(default_concurrency_limit=answer_limit, max_size=64)
    return demo


def launch_app(demo, settings: Settings, *, host: str | None = None, port: int | None = None,
               prevent_thread_lock: bool = False, quiet: bool = False, auth: Any = "settings"):
    """Start ``demo`` with the offline theme, the CSS and (when configured) the login."""
    auth_value = settings.auth_pair if auth == "settings" else auth
    max_bytes = int(settings.max_file_mb * 1e6 * 2) + 1_000_000  # the index refuses > max_file_mb itself,
    return demo.launch(                                          # with a clearer per-file message
        server_name=host or settings.host,
        server_port=port if port is not None else settings.port,
        auth=auth_value,
        auth_message="Briefing assistant: please log in." if auth_value else None,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        share=False,
        inbrowser=False,
        show_error=True,
        max_file_size=max_bytes,
        enable_monitoring=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
        run_history=False,
        footer_links=["api"],
        theme=theme(),
        css=CSS,
        js=PAGE_JS,
    )


def prepare_index(assistant, settings: Settings) -> None:
    """On a fresh install (empty index) ingest the bundled sample corpus so the chat works."""
    if assistant.index.briefings():
        return
    sample = Path(settings.sample_corpus_dir)
    if not sample.is_dir():
        log.warning("the index is empty and there is no sample corpus at %s", sample)
        return
    print(f"The index at {settings.index_dir} is empty: ingesting the sample corpus from {sample} …", flush=True)
    from .index import IndexUnavailable

    try:
        report = assistant.ingestor().ingest([sample], show_progress=True)
    except IndexUnavailable as err:  # e.g. another process is writing: serve what there is
        print(f"warning: could not ingest the sample corpus: {err}", flush=True)
        return
    for r in report.failed:
        print(f"error: {r.error}", flush=True)


def _warm_up(assistant, mode: str) -> None:
    try:
        assistant.warm_up(mode)
    except Exception as err:  # noqa: BLE001 - answering falls back to quotes if the model is broken
        log.warning("warm-up of the %s model failed: %s", mode, err)


def serve(settings: Settings | None = None) -> None:
    """``briefing-assistant serve`` / ``python app.py``: the real assistant, served until Ctrl-C."""
    from .chain import Assistant

    settings = settings or get_settings()
    if settings.debug:
        logging.basicConfig(level=logging.INFO)
    assistant = Assistant.from_settings(settings)
    prepare_index(assistant, settings)
    threading.Thread(target=_warm_up, args=(assistant, settings.llm), name="warm-up", daemon=True).start()
    demo = build_app(assistant, settings)
    print(f"Briefing assistant: http://{settings.host}:{settings.port}"
          + ("  (login required)" if settings.auth_pair else ""), flush=True)
    launch_app(demo, settings)
