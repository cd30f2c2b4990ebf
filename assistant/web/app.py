"""The web chat (Gradio): the page (layout.py) wired to the handlers (handlers.py), launched with
the offline theme, the limits and the login; ``serve`` runs the real assistant.

``build_app(assistant, settings)`` builds the Blocks around any ``Assistant`` (tests inject one
with fake models); ``launch_app`` starts it; ``serve`` builds the real assistant, ingests the
bundled sample into an empty index and serves until Ctrl-C.

The limits, from ``settings.web`` and ``settings.ingest``: answers in progress per session
(``session_answers``), failed logins per client address (``max_login_failures``,
``login_lockout_s``), files per upload (``max_upload_files``) and the size of each
(``max_file_mb``, which is also Gradio's ``max_file_size``), and the answer modes a client may
choose (``options.offered_modes``). Everything that comes from outside is escaped (render.py,
panels.py); the Chatbot renders our escaped HTML (markdown off) with Gradio's sanitizer on as a
second line of defence. Errors reach the page through one ``ErrorGate`` (errors.py)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import offline  # noqa: F401  - offline environment before gradio is imported

import gradio as gr
from starlette.middleware import Middleware

from assistant.config import Settings, get_settings
from assistant.errors import AssistantError
from assistant.ingest.ingestor import Ingestor
from assistant.web.errors import ErrorGate
from assistant.web.handlers import ChatHandlers
from assistant.web.layout import CSS, PAGE_JS, Page, build_page, theme
from assistant.web.login import ClientAddress, LoginGuard
from assistant.web.options import briefing_choices, default_mode
from assistant.web.render import TITLE

if TYPE_CHECKING:
    from assistant.answer.model_process import ModelProcess

log = logging.getLogger(__name__)
PRIVATE = dict(api_visibility="private")


def upload_dir(settings: Settings) -> Path:
    return Path(settings.store.index_dir).resolve() / ".uploads"


def use_upload_dir(settings: Settings) -> Path:
    """Gradio keeps uploads (and cleans them up) in ``GRADIO_TEMP_DIR``: a folder inside this
    index, so servers on different indexes never share it. Gradio reads the variable while it
    runs, so it is process-wide: one index per web process."""
    folder = upload_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def max_upload_bytes(settings: Settings) -> int:
    """Gradio's size limit of one uploaded file: ``max_file_mb`` megabytes as Gradio counts
    them, so that its refusal names the number the upload box shows. (The ingestor checks
    ``max_file_mb`` again, in its own message, with the same number.)"""
    return settings.ingest.max_file_bytes


def error_gate(settings: Settings) -> ErrorGate:
    return ErrorGate([(settings.store.index_dir, "the index"), (upload_dir(settings), "the upload folder"),
                      (settings.cache_dir, "the model cache"), (settings.sample_corpus_dir, "the sample corpus")])


def _wire(page: Page, h: ChatHandlers, gate: ErrorGate, limit: int) -> None:
    """Events -> handlers (each through ``gate``)."""
    respond, abandon = gate.wrap(h.respond), gate.wrap(h.abandon)
    chat_in = [page.question, page.chatbot, page.state, page.mode, page.briefings, page.date_from, page.date_to]
    chat_out = [page.question, page.chatbot, page.state, page.sources, page.viewer]
    answering = dict(PRIVATE, concurrency_id="answer", concurrency_limit=limit, show_progress="minimal")
    repair = ([page.chatbot, page.state], [page.chatbot, page.state])
    for trigger in (page.question.submit, page.ask_btn.click):
        trigger(respond, chat_in, chat_out, **answering).failure(abandon, *repair, **PRIVATE, queue=False)
    page.chatbot.example_select(gate.wrap(h.use_example), None, page.question, **PRIVATE, queue=False).then(
        respond, chat_in, chat_out, **answering).failure(abandon, *repair, **PRIVATE, queue=False)

    cleared = [page.chatbot, page.state, page.sources, page.viewer, page.question]
    page.clear_btn.click(gate.wrap(h.clear), None, cleared, **PRIVATE, queue=False)
    page.chatbot.clear(gate.wrap(h.clear), None, cleared, **PRIVATE, queue=False)  # the Chatbot's bin icon

    page.sources.click(gate.wrap(h.show_source), [page.state], [page.viewer], **PRIVATE, queue=False)
    page.chatbot.select(gate.wrap(h.select_turn), [page.state], [page.state, page.sources, page.viewer],
                        **PRIVATE, queue=False)
    page.files.upload(gate.wrap(h.upload), [page.files], [page.upload_report, page.briefings, page.header, page.files],
                      **PRIVATE, concurrency_id="ingest", concurrency_limit=1)


def build_app(assistant, settings: Settings | None = None):
    """The Gradio Blocks around ``assistant`` (shared by all sessions; each session has its own
    ``ChatSession`` in ``gr.State``). Only ``/ask`` is a public API endpoint."""
    settings = settings or assistant.settings
    use_upload_dir(settings)  # before the Blocks: Gradio reads it there
    handlers = ChatHandlers(assistant, settings)
    gate = error_gate(settings)
    limit = max(2, settings.generation.llm_parallel + 1)
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True, delete_cache=(3600, 24 * 3600)) as demo:
        page = build_page(handlers.header(), briefing_choices(assistant.index), handlers.modes,
                          default_mode(handlers.modes, settings), settings)
        _wire(page, handlers, gate, limit)
        demo.load(gate.wrap(handlers.on_load), None, [page.briefings, page.header], **PRIVATE, queue=False)
        gr.api(gate.wrap(handlers.ask), api_name="ask", concurrency_id="answer", concurrency_limit=limit)
    demo.queue(default_concurrency_limit=limit, max_size=64)
    return demo


def login_guard(settings: Settings) -> LoginGuard | None:
    pair = settings.web.auth_pair
    if pair is None:
        return None
    return LoginGuard(*pair, max_failures=settings.web.max_login_failures, lockout_s=settings.web.login_lockout_s)


def launch_app(demo, settings: Settings, *, host: str | None = None, port: int | None = None,
               prevent_thread_lock: bool = False, quiet: bool = False, auth: Any = "settings"):
    """Start ``demo`` with the offline theme, the CSS, the upload size limit and (when
    configured) the login with its back-off."""
    auth_value = login_guard(settings) if auth == "settings" else auth
    message = "Briefing assistant: please log in." if auth_value else None
    if isinstance(auth_value, LoginGuard):
        message = f"{message} {auth_value.policy}"
    return demo.launch(
        server_name=host or settings.web.host,
        server_port=port if port is not None else settings.web.port,
        auth=auth_value,
        auth_message=message,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        share=False,
        inbrowser=False,
        show_error=False,  # gr.Error messages only: never exception text
        max_file_size=max_upload_bytes(settings),
        app_kwargs={"middleware": [Middleware(ClientAddress)]},
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
    try:
        report = Ingestor(assistant.index, settings).ingest([sample], show_progress=True)
    except AssistantError as err:  # e.g. another process is writing: serve what there is
        print(f"warning: could not ingest the sample corpus: {err}", flush=True)
        return
    for r in report.failed:
        print(f"error: {r.error}", flush=True)


def _warm_up(assistant, mode: str) -> None:
    try:
        assistant.warm_up(mode)
    except Exception as err:  # noqa: BLE001 - answering falls back to quotes if the model is broken
        log.warning("warm-up of the %s model failed: %s", mode, err)


def serve(settings: Settings | None = None, models: ModelProcess | None = None) -> None:
    """``briefing-assistant serve`` / ``python app.py``: the real assistant, served until Ctrl-C
    (``models``: a model process already started for ``settings``)."""
    from assistant.answer.assistant import Assistant

    settings = settings or get_settings()
    if settings.debug:
        logging.basicConfig(level=logging.INFO)
    # the query embedder and spaCy load in the model process, the rest in background threads
    assistant = Assistant.from_settings(settings, preload=True, models=models)
    prepare_index(assistant, settings)
    threading.Thread(target=_warm_up, args=(assistant, settings.generation.llm), name="warm-up", daemon=True).start()
    demo = build_app(assistant, settings)
    print(f"Briefing assistant: http://{settings.web.host}:{settings.web.port}"
          + ("  (login required)" if settings.web.auth_pair else ""), flush=True)
    launch_app(demo, settings)
