"""The web chat's event handlers, as methods of one object holding the assistant and the
settings. They raise errors freely: app.py wraps every handler with ``ErrorGate.wrap``, the one
place errors become messages.

An answer streams in as a *draft* (markers removed, visibly unfinished) and is replaced by the
verified ``Answer`` — the only text shown with citation markers."""

from __future__ import annotations

import logging
from typing import Iterator

import gradio as gr

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.models import Answer, Filters
from assistant.web.options import briefing_choices, chosen_filters, chosen_mode, offered_modes
from assistant.web.panels import SOURCES_EMPTY, VIEWER_EMPTY, first_source, render_source, render_sources
from assistant.web.render import (NO_FILE, answer_message, draft_message, error_message, header_html,
                                  ingest_report, is_unfinished, pending_message, user_message)
from assistant.web.session import ChatSession, SessionSlots
from assistant.web.uploads import ingest_files

log = logging.getLogger(__name__)

NOT_ANSWERED = "The reason is in the error message."


def session_id(request: gr.Request | None) -> str:
    """The browser (or API client) session an event comes from."""
    return getattr(request, "session_hash", None) or "anonymous"


class ChatHandlers:
    def __init__(self, assistant, settings: Settings):
        self.assistant = assistant
        self.settings = settings
        self.modes = offered_modes(assistant, settings)
        self.slots = SessionSlots(settings.web.session_answers)

    @property
    def index(self):
        return self.assistant.index

    def header(self) -> str:
        return header_html([e.date for e in self.index.briefings()])

    # ------------------------------------------------------------------ chat
    def respond(self, question: str, chat: list | None, session: ChatSession, mode: str, briefing_ids: list | None,
                date_from: str, date_to: str, request: gr.Request = None) -> Iterator[tuple]:
        """Outputs: question box, chat, session, sources panel, viewer."""
        skip = (gr.skip(),) * 5
        question = question.strip() if isinstance(question, str) else ""
        if not question:
            yield skip
            return
        sid = session_id(request)
        if not self.slots.acquire(sid):  # a notice, not an error: the running answer goes on
            gr.Warning(self.slots.message)
            yield skip
            return
        try:
            m = chosen_mode(mode, self.modes, self.settings)
            filters = chosen_filters(briefing_ids, date_from, date_to)
            yield from self._answer(question, list(chat or []), session, m, filters)
        finally:
            self.slots.release(sid)

    def _answer(self, question: str, chat: list, session: ChatSession, mode: str,
                filters: Filters | None) -> Iterator[tuple]:
        turn_no = len(session.turns)
        asking = session.ask(question)
        chat = [*chat, user_message(question)]  # every yield gets a list of its own
        yield "", [*chat, pending_message()], asking, gr.skip(), gr.skip()
        final, draft = None, ""
        for item in self.assistant.stream(question, history=session.history() or None, filters=filters, mode=mode):
            if isinstance(item, Answer):
                final = item
            elif item:
                draft += item
                yield gr.skip(), [*chat, draft_message(draft)], gr.skip(), gr.skip(), gr.skip()
        if final is None:
            raise AssistantError("no answer was produced")
        yield (gr.skip(), [*chat, answer_message(final, turn_no, filters)], asking.answered(final),
               render_sources(question, final, turn_no), first_source(self.index, final))

    def abandon(self, chat: list | None, session: ChatSession) -> tuple[list, ChatSession]:
        """After a failed answer (its message was shown): the unfinished bubble says so, and the
        question stays in the conversation, unanswered."""
        chat = list(chat or [])
        if chat and is_unfinished(chat[-1]):
            chat[-1] = error_message(NOT_ANSWERED)
        return chat, session.failed()

    @staticmethod
    def use_example(evt: gr.SelectData) -> str:
        value = evt.value if isinstance(evt.value, dict) else {}
        return value.get("text", "")

    @staticmethod
    def clear() -> tuple:
        """Outputs: chat, session, sources panel, viewer, question box."""
        return [], ChatSession(), SOURCES_EMPTY, VIEWER_EMPTY, ""

    # ------------------------------------------------------------------ sources
    def show_source(self, session: ChatSession, evt: gr.EventData) -> str:
        """A source entry was chosen (``{"key": "c1"}`` from sources.js): its section."""
        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        turn = session.shown
        return render_source(self.index, turn.answer if turn else None, data.get("key"))

    def select_turn(self, session: ChatSession, evt: gr.SelectData) -> tuple:
        """Clicking an earlier answer shows its sources. Outputs: session, sources panel, viewer."""
        idx = evt.index if isinstance(evt.index, int) else (evt.index[0] if evt.index else None)
        n = ChatSession.turn_of_message(idx)
        turn = session.turn(n)
        if turn is None or turn.answer is None or n == session.current:  # a click on a shown [n] opens that source
            return gr.skip(), gr.skip(), gr.skip()
        return session.show(n), render_sources(turn.question, turn.answer, n), first_source(self.index, turn.answer)

    # ------------------------------------------------------------------ upload, page load
    def upload(self, files: list | None, progress=gr.Progress()) -> tuple:
        """Outputs: upload report, briefing filter, header, upload box (emptied)."""
        rows = ingest_files(self.index, self.settings, files, progress)
        report = ingest_report(rows) if rows else NO_FILE
        return report, gr.update(choices=briefing_choices(self.index)), self.header(), None

    def on_load(self) -> tuple:
        """Outputs: briefing filter, header (what another process committed meanwhile included)."""
        try:
            self.index.refresh()
        except Exception:  # noqa: BLE001 - the page still opens with what is loaded
            log.warning("index refresh failed", exc_info=True)
        return gr.update(choices=briefing_choices(self.index)), self.header()

    # ------------------------------------------------------------------ API
    def ask(self, question: str, mode: str = "", briefing_ids: list[str] | None = None, date_from: str = "",
            date_to: str = "", request: gr.Request = None) -> dict:
        """Answer a question from the briefings. Returns the answer with its citations (briefing
        date, section title, quote and its character span) as JSON; abstained=true when the
        briefings do not cover it. mode: one the server offers (local | extractive | openai);
        briefing_ids / date_from / date_to (YYYY-MM-DD) restrict the search."""
        m = chosen_mode(mode, self.modes, self.settings)
        filters = chosen_filters(briefing_ids, date_from, date_to)
        with self.slots.hold(session_id(request)):
            return self.assistant.ask(question, filters=filters, mode=m).to_json()
