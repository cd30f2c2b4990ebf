"""The chat handlers: a second question while one is written, drafts without citation markers,
markers only once verified, errors as safe messages, a failed answer that doesn't end the chat."""

from __future__ import annotations

import re
import threading
import types

import pytest

pytest.importorskip("gradio_client")

import gradio as gr  # noqa: E402

from assistant.errors import IndexUnavailable, InputError  # noqa: E402
from assistant.models import Answer  # noqa: E402
from assistant.web import app as web_app  # noqa: E402
from assistant.web import render  # noqa: E402
from assistant.web.errors import UNEXPECTED, ErrorGate  # noqa: E402
from assistant.web.handlers import NOT_ANSWERED, ChatHandlers  # noqa: E402
from assistant.web.session import ChatSession  # noqa: E402

from .web_helpers import (LIBYA, TIGRAY, WAIT_S, make_assistant, run_in_thread, request, last_text)  # noqa: E402


def test_chat_second_question_while_one_is_written_gets_a_notice(fake_assistant, settings):
    assistant = make_assistant(settings.replace(llm="local"), fake_assistant.index)
    assistant.only, assistant.started, assistant.release = LIBYA, threading.Event(), threading.Event()
    h = ChatHandlers(assistant, assistant.settings)
    first = h.respond(LIBYA, [], ChatSession(), "local", [], "", "", request("s1"))
    thread, out = run_in_thread(list, first)
    assert assistant.started.wait(WAIT_S)
    with pytest.warns(UserWarning, match="An answer is still being written in this session"):
        second = list(h.respond(TIGRAY, [], ChatSession(), "local", [], "", "", request("s1")))
    assert second == [(gr.skip(),) * 5]  # nothing changes: the typed question stays in the box
    other = list(h.respond(TIGRAY, [], ChatSession(), "extractive", [], "", "", request("s2")))
    assert "ba-answer" in last_text(other[-1][1])
    assistant.release.set()
    thread.join(WAIT_S)
    assert "Libya" in last_text(out[0][-1][1])
    assert h.slots.in_progress("s1") == 0


# ------------------------------------------------------------------------------------ drafts
def test_draft_strips_markers():
    assert render.draft_text("It was France [1]. And Italy [2, 3][4]; then [5") == "It was France. And Italy; then"
    msg = render.draft_message("Paris [9] conference")["content"]
    assert "ba-draft" in msg and "Drafting" in msg
    assert "[9]" not in msg and "ba-mark" not in msg
    assert "ba-pending" in render.draft_message("[1] ")["content"]


def test_streamed_answer_shows_markers_only_once_verified(fake_assistant, settings):
    assistant = make_assistant(settings.replace(llm="local"), fake_assistant.index)
    assistant.draft = "The Paris conference [9] was convened by [1, 7] "  # unverified deltas, a fabricated [9]
    h = ChatHandlers(assistant, assistant.settings)
    steps = list(h.respond(LIBYA, [], ChatSession(), "local", [], "", "", request()))
    drafts = [last_text(s[1]) for s in steps[1:-1]]
    assert drafts and all("ba-draft" in d for d in drafts)
    for d in drafts:
        assert not re.search(r"\[\d", d) and "ba-mark" not in d, d
    final = steps[-1]
    answer = final[2].shown.answer
    assert isinstance(answer, Answer) and answer.citations
    html = last_text(final[1])
    assert "ba-answer" in html and "ba-draft" not in html
    shown = {int(n) for n in re.findall(r'class="ba-mark ba-n-(\d+) ba-t-0"', html)}
    assert shown and shown <= {c.number for c in answer.citations}  # only verified markers
    assert 'data-key="c1"' in final[3]


# ------------------------------------------------------------------------------------ errors
def test_errors_become_messages_without_exception_text_or_paths(tmp_path, caplog):
    index_dir = tmp_path / "index"
    gate = ErrorGate([(index_dir, "the index")])

    def locked():
        raise IndexUnavailable(f"{index_dir}: another process is writing to this index; try again")

    def broken():
        raise RuntimeError(f"KeyError in {tmp_path}/secret.py line 3")

    def streaming():
        yield "one"
        raise IndexUnavailable("/srv/data/registry.json: unreadable registry; re-ingest")

    with pytest.raises(gr.Error) as caught:
        gate.wrap(locked)()
    assert caught.value.message == "the index: another process is writing to this index; try again"
    with pytest.raises(gr.Error) as caught:
        gate.wrap(broken)()
    assert caught.value.message == UNEXPECTED and "broken" in caplog.text  # logged with its traceback
    wrapped = gate.wrap(streaming)
    it = wrapped()
    assert next(it) == "one"
    with pytest.raises(gr.Error) as caught:
        next(it)
    assert caught.value.message == "registry.json: unreadable registry; re-ingest"
    with pytest.raises(gr.Error, match="kept"):
        gate.wrap(lambda: (_ for _ in ()).throw(gr.Error("kept")))()
    assert gate.message(InputError("the 'from' date '<b>' is bad")) == "the 'from' date '<b>' is bad"
    with pytest.raises(gr.Error) as caught:
        gate.wrap(lambda: (_ for _ in ()).throw(InputError("date '<img src=x>'")))()
    assert caught.value.message == "date '&lt;img src=x&gt;'"  # Gradio shows it as HTML


def test_failed_answer_is_marked_and_the_conversation_goes_on(fake_assistant, settings):
    h = ChatHandlers(fake_assistant, settings)
    respond = web_app.error_gate(settings).wrap(h.respond)
    steps = respond("x" * 2001, [], ChatSession(), "", [], "", "", request())
    _, chat, asking, _, _ = next(steps)  # the question is shown at once ...
    assert render.is_unfinished(chat[-1])
    with pytest.raises(gr.Error, match="the question is 2,001 characters long"):
        next(steps)  # ... the assistant refuses it
    # the chat's .failure() handler
    gradio_chat = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in chat]
    chat, session = h.abandon(gradio_chat, asking)
    assert NOT_ANSWERED in last_text(chat) and "ba-error" in last_text(chat)
    assert [t.answer for t in session.turns] == [None] and session.asking is None
    # the next answer is turn 1 = chat message 3
    steps = list(h.respond(LIBYA, chat, session, "", [], "", "", request()))
    session = steps[-1][2]
    assert ChatSession.turn_of_message(3) == 1 and session.turn(1).question == LIBYA
    assert 'data-turn="1"' in steps[-1][3]
    assert h.select_turn(session, types.SimpleNamespace(index=1)) == (gr.skip(),) * 3  # unanswered: no sources
    # the bad date never reaches the chat: refused before anything is shown
    with pytest.raises(gr.Error, match="is not a date like"):
        next(respond(TIGRAY, chat, session, "", [], "yesterday", "", request()))


def test_the_answer_shows_the_briefings_its_dates_searched():
    """The chat says which briefings a dated question searched (``Answer.scope``), escaped, for an
    answer and for a refusal alike."""
    for abstained in (False, True):
        answer = Answer(question="q", standalone_question="q", text="It was said.", abstained=abstained,
                        scope="No briefing from 1 January 2019 to 31 December 2019 is indexed; nearest: "
                              "10 November 2021; searched all <b>briefings</b>")
        markup = render.answer_message(answer)["content"]
        assert "nearest: 10 November 2021; searched all &lt;b&gt;briefings&lt;/b&gt;" in markup
    assert "Searched" not in render.answer_message(Answer(question="q", standalone_question="q", text="x"))["content"]
