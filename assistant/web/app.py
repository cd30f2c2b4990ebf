"""The web chat (Gradio): answers stream in with inline [n] markers; the sources panel lists every
citation as ``[n] date — section title`` with the quoted passage; choosing one shows the whole
section with the quoted span highlighted.

``build_app(assistant, settings)`` builds the Blocks around any ``Assistant`` (tests inject one
with fake models); ``launch_app`` starts it with the offline theme, CSS and login; ``serve``
builds the real assistant, ingests the bundled sample into an empty index and serves.

Everything that comes from outside (briefing text and titles, questions, answers, file names) is
HTML-escaped (render.py) before it reaches the page; the Chatbot renders our escaped HTML
(markdown off) and Gradio's sanitizer stays on as a second line of defence. The page's CSS and
scripts are files in ``assistant/static``."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from assistant import offline  # noqa: F401  - offline environment before gradio is imported

import gradio as gr

from assistant.config import Settings, get_settings
from assistant.answer.modes import MODES
from assistant.ingest.ingestor import Ingestor
from assistant.models import Answer, Filters
from assistant.web.render import (  # noqa: F401  - re-exported: the chat's HTML lives in render.py
    EXAMPLES, KIND_LABELS, MARKER, SOURCES_EMPTY, TITLE, VIEWER_EMPTY, answer_message, date_label,
    error_message, esc, esc_lines, filters_summary, long_date, pending_message, render_section, render_source,
    render_sources, user_message,
)

log = logging.getLogger(__name__)

_STATIC = Path(__file__).resolve().parent / "static"
CSS = (_STATIC / "chat.css").read_text(encoding="utf-8")
SOURCES_JS = (_STATIC / "sources.js").read_text(encoding="utf-8")
VIEWER_JS = (_STATIC / "viewer.js").read_text(encoding="utf-8")
PAGE_JS = (_STATIC / "page.js").read_text(encoding="utf-8")


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
    file, with its error) and the new briefing choices. At most ``settings.web.max_upload_files``."""
    files = [f for f in (files or []) if f]
    if not files:
        return '<div class="ba-empty">No file chosen.</div>', briefing_choices(assistant)
    limit = settings.web.max_upload_files
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
        report = Ingestor(assistant.index, settings).ingest_uploads(uploads, progress=on_progress) if uploads else None
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
    default_mode = settings.generation.llm if settings.generation.llm in modes else modes[0]
    choices = briefing_choices(assistant)
    answer_limit = max(2, settings.generation.llm_parallel + 1)

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
                    mode = gr.Radio(choices=[(MODES[m].label, m) for m in modes], value=default_mode,
                                    label="Answer mode", elem_id="ba-mode")
                with gr.Accordion("Add briefing files", open=not choices):
                    files = gr.File(file_count="multiple", type="filepath", elem_id="ba-upload",
                                    label=f"Transcripts (.txt, .html, .md; up to {settings.web.max_upload_files} "
                                          f"files of {settings.ingest.max_file_mb:g} MB)")
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
    auth_value = settings.web.auth_pair if auth == "settings" else auth
    max_bytes = int(settings.ingest.max_file_mb * 1e6 * 2) + 1_000_000  # the index refuses > max_file_mb itself,
    return demo.launch(                                          # with a clearer per-file message
        server_name=host or settings.web.host,
        server_port=port if port is not None else settings.web.port,
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
    print(f"The index at {settings.store.index_dir} is empty: ingesting the sample corpus from {sample} …", flush=True)
    from assistant.store.index import IndexUnavailable

    try:
        report = Ingestor(assistant.index, settings).ingest([sample], show_progress=True)
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
    from assistant.answer.assistant import Assistant

    settings = settings or get_settings()
    if settings.debug:
        logging.basicConfig(level=logging.INFO)
    assistant = Assistant.from_settings(settings)
    prepare_index(assistant, settings)
    threading.Thread(target=_warm_up, args=(assistant, settings.generation.llm), name="warm-up", daemon=True).start()
    demo = build_app(assistant, settings)
    print(f"Briefing assistant: http://{settings.web.host}:{settings.web.port}"
          + ("  (login required)" if settings.web.auth_pair else ""), flush=True)
    launch_app(demo, settings)
