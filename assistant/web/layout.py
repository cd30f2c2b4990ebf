"""The page: which components there are and where (built inside a ``gr.Blocks`` context). No
behaviour here; app.py connects the components to the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from assistant import offline  # noqa: F401  - offline environment before gradio is imported

import gradio as gr

from assistant.answer.modes import MODES
from assistant.config import Settings
from assistant.web.panels import SOURCES_EMPTY, VIEWER_EMPTY
from assistant.web.render import EXAMPLES, upload_label
from assistant.web.session import ChatSession

_STATIC = Path(__file__).resolve().parent / "static"
CSS = (_STATIC / "chat.css").read_text(encoding="utf-8")
SOURCES_JS = (_STATIC / "sources.js").read_text(encoding="utf-8")
VIEWER_JS = (_STATIC / "viewer.js").read_text(encoding="utf-8")
PAGE_JS = (_STATIC / "page.js").read_text(encoding="utf-8")

PLACEHOLDER = ('<div style="text-align:center;padding:0 2em">Ask a question about the briefings. The answer cites '
               'the sections it comes from; the sources appear on the right.</div>')


def theme():
    # system fonts only: nothing is fetched from a font CDN
    return gr.themes.Default(
        primary_hue="blue",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


@dataclass
class Page:
    state: Any
    header: Any
    chatbot: Any
    question: Any
    ask_btn: Any
    clear_btn: Any
    briefings: Any
    date_from: Any
    date_to: Any
    mode: Any
    files: Any
    upload_report: Any
    sources: Any
    viewer: Any


def _chat_column(has_briefings: bool) -> dict[str, Any]:
    chatbot = gr.Chatbot(
        label="Conversation", elem_id="ba-chat", height=540, render_markdown=False, sanitize_html=True,
        allow_tags=False, latex_delimiters=[], feedback_options=None, buttons=[],  # "copy" would copy our markup
        layout="bubble", autoscroll=True, placeholder=PLACEHOLDER,
        examples=[{"text": q} for q in EXAMPLES] if has_briefings else None)
    with gr.Row():
        question = gr.Textbox(show_label=False, placeholder="Your question, e.g. Who convened the Paris conference on "
                              "Libya?", lines=1, max_lines=4, scale=6, autofocus=True, elem_id="ba-question",
                              submit_btn=False)
        ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=90, elem_id="ba-ask")
        clear_btn = gr.Button("Clear chat", variant="secondary", scale=0, min_width=150, elem_id="ba-clear")
    return dict(chatbot=chatbot, question=question, ask_btn=ask_btn, clear_btn=clear_btn)


def _options(choices: Sequence[tuple[str, str]], modes: Sequence[str], default_mode: str,
             settings: Settings) -> dict[str, Any]:
    with gr.Accordion("Search options", open=True):
        with gr.Row():
            briefings = gr.Dropdown(choices=list(choices), value=[], multiselect=True, scale=3,
                                    label="Briefings (empty: all)", elem_id="ba-briefings")
            date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", scale=1, min_width=110)
            date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", scale=1, min_width=110)
        mode = gr.Radio(choices=[(MODES[m].label, m) for m in modes], value=default_mode, label="Answer mode",
                        elem_id="ba-mode")
    with gr.Accordion("Add briefing files", open=not choices):
        files = gr.File(file_count="multiple", type="filepath", elem_id="ba-upload",
                        label=upload_label(settings.web.max_upload_files, settings.ingest.max_file_mb))
        upload_report = gr.HTML("", elem_id="ba-ingest-report", js_on_load=None)
    return dict(briefings=briefings, date_from=date_from, date_to=date_to, mode=mode, files=files,
                upload_report=upload_report)


def build_page(header_html: str, choices: Sequence[tuple[str, str]], modes: Sequence[str], default_mode: str,
               settings: Settings) -> Page:
    """The components, inside the current ``gr.Blocks``."""
    state = gr.State(ChatSession())
    header = gr.HTML(header_html, js_on_load=None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chat = _chat_column(bool(choices))
            options = _options(choices, modes, default_mode, settings)
        with gr.Column(scale=2, min_width=340):
            sources = gr.HTML(SOURCES_EMPTY, elem_id="ba-sources", js_on_load=SOURCES_JS)
            viewer = gr.HTML(VIEWER_EMPTY, elem_id="ba-viewer", js_on_load=VIEWER_JS)
    return Page(state=state, header=header, sources=sources, viewer=viewer, **chat, **options)
