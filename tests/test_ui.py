"""The web chat: the /ask API through gradio_client, abstention, concurrent sessions and the
per-session limit, the answer modes a client may choose, drafts without citation markers,
uploads, escaping of untrusted text, errors as safe messages, the login and its back-off. Fast:
the fake embedder and chat model, no network; concurrency is driven by events, not sleeps."""

from __future__ import annotations

import os
import re
import threading
import types

import pytest

pytest.importorskip("gradio_client")

import gradio as gr  # noqa: E402
import httpx  # noqa: E402
from fastapi import HTTPException  # noqa: E402
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError, AuthenticationError  # noqa: E402

from assistant.answer.assistant import Assistant  # noqa: E402
from assistant.errors import IndexUnavailable, InputError  # noqa: E402
from assistant.models import Answer, Citation, SectionRef  # noqa: E402
from assistant.web import app as web_app  # noqa: E402
from assistant.web import layout, options, panels, render  # noqa: E402
from assistant.web.errors import UNEXPECTED, ErrorGate  # noqa: E402
from assistant.web.handlers import NOT_ANSWERED, ChatHandlers  # noqa: E402
from assistant.web.login import LoginGuard  # noqa: E402
from assistant.web.session import ChatSession  # noqa: E402
from assistant.web.uploads import ingest_files  # noqa: E402

from .fakes import EvidenceEchoChat  # noqa: E402
from .web_helpers import (GOOD_BRIEFING, HOSTILE_BRIEFING, LIBYA, SAMPLE_ID, TIGRAY, VENEZUELA, WAIT_S,  # noqa: E402
                          XSS_IMG, XSS_LINK, XSS_SCRIPT, ControlledAssistant, assert_inert, launch, make_assistant,
                          make_settings, run_in_thread)

MAX_FILE_MB = 1  # the served app's upload limit (the sample briefing is 56 kB)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One app (local model configured) for the API tests: (assistant, url)."""
    settings = make_settings(tmp_path_factory.mktemp("ui"), llm="local", max_file_mb=MAX_FILE_MB)
    assistant = make_assistant(settings)
    demo, url = launch(assistant, settings)
    yield assistant, url
    demo.close()


@pytest.fixture(scope="module")
def client(served) -> Client:
    return Client(served[1], verbose=False)


@pytest.fixture
def controlled(served) -> ControlledAssistant:
    """The served app's assistant, for a test that drives its answers; reset afterwards."""
    yield served[0]
    served[0].reset()


def request(session: str = "s1"):
    """What Gradio injects as ``gr.Request`` (only the session is read)."""
    return types.SimpleNamespace(session_hash=session)


def last_text(chat: list) -> str:
    return chat[-1]["content"]


# ------------------------------------------------------------------------------------ /ask
def check_citations(assistant: Assistant, result: dict) -> None:
    assert result["citations"], result
    for c in result["citations"]:
        for field in ("number", "briefing_id", "briefing_date", "briefing_title", "section_title", "label", "quote",
                      "start", "end"):
            assert field in c, field
        briefing = assistant.index.briefing(c["briefing_id"])
        assert briefing.text[c["start"]:c["end"]] == c["quote"]
        assert c["briefing_date"] == "2021-11-10"
        assert f"[{c['number']}]" in result["answer"]


def test_ask_endpoint_returns_answer_and_citations(served, client):
    assistant, _ = served
    result = client.predict(LIBYA, api_name="/ask")
    assert result["question"] == LIBYA
    assert result["abstained"] is False
    assert "Libya" in result["answer"]
    assert result["mode"].startswith("local")  # the settings' default (→extractive if the fake model falls back)
    check_citations(assistant, result)
    assert any("Libya" in c["section_title"] for c in result["citations"])


def test_ask_endpoint_mode_and_filters(served, client):
    assistant, _ = served
    result = client.predict(LIBYA, "extractive", [SAMPLE_ID], "2021-11-01", "2021-11-30", api_name="/ask")
    assert result["mode"] == "extractive" and not result["abstained"]
    check_citations(assistant, result)
    # a date range without any briefing: nothing to answer from
    result = client.predict(LIBYA, "local", None, "2022-01-01", "", api_name="/ask")
    assert result["abstained"] is True and result["citations"] == []


@pytest.mark.parametrize("args, message", [
    ((LIBYA, "gpt-17"), "answer mode 'gpt-17' is not offered by this server (offered: local (local model), "
                        "extractive (quotes only))"),
    ((LIBYA, "", None, "10/11/2021"), "the 'from' date '10/11/2021' is not a date like 2021-11-10"),
    ((LIBYA, "", None, "2021-11-30", "2021-11-01"), "the 'from' date 2021-11-30 is after the 'to' date 2021-11-01"),
    ((LIBYA, "", ["no-such-briefing"]), "no briefing 'no-such-briefing' in the index"),
    (("",), "empty question"),
    (("x" * 2001,), "the question is 2,001 characters long; the limit is 2,000"),
])
def test_ask_endpoint_refuses_bad_input_with_its_message(client, args, message):
    with pytest.raises(AppError) as caught:
        client.predict(*args, api_name="/ask")
    assert message in str(caught.value)
    assert "Traceback" not in str(caught.value) and "InputError" not in str(caught.value)


def test_ask_endpoint_abstains_on_unanswerable_question(client):
    result = client.predict(VENEZUELA, api_name="/ask")
    assert result["abstained"] is True
    assert result["citations"] == []
    assert result["answer"]
    assert result["closest_sections"] and all(" — " in c["label"] for c in result["closest_sections"])


def test_concurrent_clients_are_served_together_without_cross_talk(served, controlled):
    _, url = served
    # every answer waits at the barrier for the other one: served one after the other, the
    # barrier breaks and the request fails
    controlled.barrier = threading.Barrier(2)
    questions = {"a": LIBYA, "b": TIGRAY}
    clients = {k: Client(url, verbose=False) for k in questions}
    runs = {k: run_in_thread(lambda k=k: [clients[k].predict(questions[k], "local", api_name="/ask")
                                          for _ in range(2)]) for k in questions}
    for thread, _ in runs.values():
        thread.join(2 * WAIT_S)
    results = {k: out[0] for k, (_, out) in runs.items()}
    for key, question in questions.items():
        assert isinstance(results[key], list), results[key]
        for r in results[key]:
            assert r["question"] == question and not r["abstained"]
    assert all("Libya" in r["answer"] for r in results["a"])
    assert all("Tigray" in r["answer"] or "Oromo" in r["answer"] for r in results["b"])
    assert not any("Libya" in r["answer"] for r in results["b"])


def test_one_answer_at_a_time_per_session(served, client, controlled):
    controlled.only, controlled.started, controlled.release = LIBYA, threading.Event(), threading.Event()
    job = client.submit(LIBYA, "local", api_name="/ask")
    assert controlled.started.wait(WAIT_S)
    with pytest.raises(AppError, match="An answer is still being written in this session"):
        client.predict(TIGRAY, "extractive", api_name="/ask")  # same client: same session
    other = Client(served[1], verbose=False).predict(TIGRAY, "extractive", api_name="/ask")
    assert not other["abstained"]  # another session is not held up
    controlled.release.set()
    assert "Libya" in job.result(timeout=WAIT_S)["answer"]
    assert client.predict(TIGRAY, "extractive", api_name="/ask")["question"] == TIGRAY  # free again


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


# ------------------------------------------------------------------------------------ answer modes
def test_extractive_server_offers_no_local_model(tmp_path):
    settings = make_settings(tmp_path, llm="extractive")
    assistant = make_assistant(settings)
    assert "local" in assistant.available_modes()  # the backend could start it ...
    assert options.offered_modes(assistant, settings) == ["extractive"]  # ... but clients may not make it
    demo, url = launch(assistant, settings)
    try:
        radio = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "ba-mode")
        assert [value for _, value in radio.choices] == ["extractive"]
        client = Client(url, verbose=False)
        with pytest.raises(AppError, match=r"answer mode 'local' is not offered by this server \(offered: "
                                           r"extractive \(quotes only\)\)"):
            client.predict(LIBYA, "local", api_name="/ask")
        assert client.predict(LIBYA, api_name="/ask")["mode"] == "extractive"
    finally:
        demo.close()


def test_remote_model_is_offered_when_configured(tmp_path):
    settings = make_settings(tmp_path, llm="extractive", openai_base_url="http://127.0.0.1:9/v1")
    assistant = make_assistant(settings)
    assert options.offered_modes(assistant, settings) == ["openai", "extractive"]
    local = settings.replace(llm="local")
    assert options.offered_modes(assistant, local) == ["local", "openai", "extractive"]
    with pytest.raises(InputError, match="answer mode 'local' is not offered"):
        options.chosen_mode("local", ["openai", "extractive"], settings)
    assert options.chosen_mode(" ", ["openai", "extractive"], settings) == "extractive"


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


# ------------------------------------------------------------------------------------ upload
def rows_by_file(rows):
    return {name: (status, detail) for name, status, detail in rows}


def test_upload_reports_each_bad_file_and_ingests_the_good_one(settings, fake_assistant, tmp_path):
    good = tmp_path / "narnia-2021-12-01.txt"
    good.write_text(GOOD_BRIEFING, encoding="utf-8")
    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    calls = []
    rows = ingest_files(fake_assistant.index, settings, [str(binary), str(empty), str(good)],
                        progress=lambda *a, **k: calls.append((a, k)))
    by_file = rows_by_file(rows)
    assert by_file["photo.png"][0] == "error" and by_file["photo.png"][1].startswith("binary")
    assert by_file["empty.txt"][0] == "error" and "empty" in by_file["empty.txt"][1]
    assert by_file["narnia-2021-12-01.txt"][0] == "added"
    assert "2021-12-01 — " in by_file["narnia-2021-12-01.txt"][1]
    assert "1 file ingested, 2 failed" in render.ingest_report(rows)
    assert calls and calls[-1][0][0] == (3, 3)
    assert any("Ingesting narnia-2021-12-01.txt" == k.get("desc") for _, k in calls)  # the name as uploaded
    choices = options.briefing_choices(fake_assistant.index)
    assert any(label.startswith("2021-12-01 — ") for label, _ in choices)
    # the new briefing is searchable at once
    answer = fake_assistant.ask("Which museum will the Narnian minister visit in Saint Petersburg?")
    assert not answer.abstained
    assert answer.citations[0].ref.briefing_id.startswith("narnia-2021-12-01-")


def test_uploads_with_the_same_name_do_not_replace_each_other(settings, fake_assistant, tmp_path):
    first, second = tmp_path / "one" / "a.txt", tmp_path / "two" / "a.txt"
    for path, text in ((first, GOOD_BRIEFING), (second, HOSTILE_BRIEFING)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    assert rows_by_file(ingest_files(fake_assistant.index, settings, [str(first)]))["a.txt"][0] == "added"
    assert rows_by_file(ingest_files(fake_assistant.index, settings, [str(second)]))["a.txt"][0] == "added"
    ids = [e.briefing_id for e in fake_assistant.index.briefings()]
    assert len(ids) == 3 and len([i for i in ids if i.startswith("a-")]) == 2
    assert not fake_assistant.ask("Which museum will the Narnian minister visit in Saint Petersburg?").abstained
    assert not fake_assistant.ask("Where will the wardrobe summit on glacier diplomacy open?").abstained
    # the same file again: not a second copy of the briefing
    status, detail = rows_by_file(ingest_files(fake_assistant.index, settings, [str(first)]))["a.txt"]
    assert status == "unchanged" and detail.startswith("already indexed: 2021-12-01 — ")
    assert len(fake_assistant.index.briefings()) == 3


def test_upload_limits_the_number_of_files(settings, fake_assistant, tmp_path):
    limited = settings.replace(max_upload_files=1)
    paths = []
    for i in range(3):
        p = tmp_path / f"b{i}.txt"
        p.write_text(GOOD_BRIEFING.replace("Narnia", f"Narnia{i}"), encoding="utf-8")
        paths.append(str(p))
    rows = ingest_files(fake_assistant.index, limited, paths)
    report = render.ingest_report(rows)
    assert report.count("at most 1 files per upload") == 2
    assert "1 file ingested, 2 failed" in report
    ids = [e.briefing_id for e in fake_assistant.index.briefings()]
    assert any(i.startswith("b0-") for i in ids) and not any(i.startswith("b1") for i in ids)


def test_upload_size_limit_is_one_number(served):
    assistant, url = served
    settings = assistant.settings
    demo = web_app.build_app(assistant, settings)
    upload = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "ba-upload")
    assert f"at most {MAX_FILE_MB:g} MB each" in upload.label
    limit = web_app.max_upload_bytes(settings)
    assert limit == MAX_FILE_MB * 1024 * 1024  # Gradio's megabytes: its own message says "1.0 Mb"
    big = httpx.post(url + "gradio_api/upload", files={"files": ("big.txt", b"a" * (limit + 1))}, timeout=WAIT_S)
    assert big.status_code == 413 and f"{limit} bytes" in big.text  # Gradio refuses it with the same limit
    small = httpx.post(url + "gradio_api/upload", files={"files": ("small.txt", b"a" * 1000)}, timeout=WAIT_S)
    assert small.status_code == 200
    # kept in the index's own upload folder
    stored = small.json()[0]
    assert stored.startswith(str(web_app.upload_dir(settings))) and stored.endswith("small.txt")
    assert os.environ["GRADIO_TEMP_DIR"] == str(web_app.upload_dir(settings))


def test_prepare_index_ingests_the_sample_into_an_empty_index(settings, embedder, index):
    assistant = Assistant(settings, embedder=embedder, index=index, chat_models={"local": EvidenceEchoChat()})
    assert not assistant.index.briefings()
    web_app.prepare_index(assistant, settings)
    assert [e.briefing_id for e in assistant.index.briefings()] == [SAMPLE_ID]
    web_app.prepare_index(assistant, settings)  # not again
    assert len(assistant.index.briefings()) == 1


# ------------------------------------------------------------------------------------ escaping
def test_untrusted_question_and_answer_render_inert():
    question = f"What about {XSS_SCRIPT} and {XSS_IMG} and {XSS_LINK}?"
    msg = render.user_message(question)["content"]
    assert_inert(msg)
    assert "&lt;script&gt;" in msg and "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in msg

    ref = SectionRef(briefing_id="b", briefing_date="2021-11-10", briefing_title=f"T {XSS_IMG}",
                     section_title=f"S {XSS_SCRIPT}", section_kind="statement", section_index=0, start=0, end=10)
    citation = Citation(number=1, ref=ref, quote=f"Q {XSS_IMG}", start=0, end=10)
    answer = Answer(question=question, standalone_question=f"{question} {XSS_SCRIPT}",
                    text=f"It is {XSS_IMG} {XSS_LINK} [1].", citations=(citation,), mode="local",
                    notice=f"note {XSS_SCRIPT}")
    html_answer = render.answer_message(answer, 0)["content"]
    assert_inert(html_answer)
    assert '<span class="ba-mark ba-n-1 ba-t-0">[1]</span>' in html_answer
    assert "Understood as" in html_answer and "&lt;script&gt;" in html_answer
    sources = panels.render_sources(question, answer, 0)
    assert_inert(sources)
    assert '<span class="ba-num">[1]</span> 2021-11-10 — S &lt;script&gt;' in sources  # SectionRef.label
    assert_inert(render.draft_message(f"partial {XSS_IMG} [1")["content"])
    assert_inert(render.error_message(XSS_SCRIPT)["content"])

    undated = ref.model_copy(update={"briefing_date": None, "briefing_title": XSS_IMG, "section_title": XSS_SCRIPT})
    abstain = Answer(question=question, standalone_question=question, text=f"No {XSS_IMG}",
                     abstained=True, closest=(undated,))
    for markup in (render.answer_message(abstain)["content"], panels.render_sources(question, abstain, 1)):
        assert_inert(markup)
        assert "undated — &lt;script&gt;" in markup


def test_untrusted_briefing_and_file_name_render_inert(settings, fake_assistant, tmp_path):
    name = 'wardrobe<img src=x onerror="alert(1)">.txt'
    path = tmp_path / name
    path.write_text(HOSTILE_BRIEFING, encoding="utf-8")
    rows = ingest_files(fake_assistant.index, settings, [str(path)])
    report = render.ingest_report(rows)
    assert_inert(report)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in report
    assert "added" in report, report

    answer = fake_assistant.ask("Where will the wardrobe summit on glacier diplomacy open?")
    assert not answer.abstained, answer
    cited = answer.citations[0]
    briefing = fake_assistant.index.briefing(cited.ref.briefing_id)
    assert "<script>" in briefing.text  # the hostile text is stored as text ...
    viewer = panels.render_source(fake_assistant.index, answer, "c1")
    for markup in (panels.render_sources("q", answer, 0), viewer):
        assert_inert(markup)  # ... and shown as text
    marked = re.search(r'<mark class="ba-hl">(.*?)</mark>', viewer, re.S).group(1)
    assert marked == render.esc(cited.quote)
    assert "&lt;script&gt;" in viewer or "&lt;img" in viewer
    assert_inert(ChatHandlers(fake_assistant, settings).header())


def test_section_viewer_highlights_the_quote(fake_assistant):
    answer = fake_assistant.ask(LIBYA)
    viewer = panels.render_source(fake_assistant.index, answer, "c1")
    c = answer.citations[0]
    assert render.esc(c.ref.section_title) in viewer and "2021-11-10" in viewer
    assert f'<mark class="ba-hl">{render.esc(c.quote)}</mark>' in viewer
    assert panels.render_source(fake_assistant.index, answer, "c99") == panels.VIEWER_EMPTY
    assert panels.render_source(fake_assistant.index, answer, "<x>") == panels.VIEWER_EMPTY


# ------------------------------------------------------------------------------------ app settings
def test_app_is_offline_and_private(fake_assistant, settings):
    demo = web_app.build_app(fake_assistant, settings)
    assert demo.analytics_enabled is False
    theme = layout.theme()
    assert all(isinstance(f, str) for f in theme._font + theme._font_mono)  # no web fonts
    assert "googleapis" not in layout.CSS and "@import" not in layout.CSS
    chatbots = [b for b in demo.blocks.values() if b.__class__.__name__ == "Chatbot"]
    assert chatbots and all(c.sanitize_html and not c.render_markdown for c in chatbots)
    # only /ask is part of the public API
    public = [fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"]
    assert public == ["ask"]
    # Gradio's uploads and cache live in this index's folder
    assert demo.GRADIO_CACHE == os.environ["GRADIO_TEMP_DIR"] == str(settings.store.index_dir.resolve() / ".uploads")


# ------------------------------------------------------------------------------------ login
def test_login_backs_off_after_failures_from_one_client():
    now = [1000.0]
    guard = LoginGuard("editor", "s3cret", max_failures=3, lockout_s=60, clock=lambda: now[0])
    assert guard.check("editor", "s3cret", "10.0.0.1")
    for _ in range(3):
        assert not guard.check("editor", "wrong", "10.0.0.1")
    with pytest.raises(HTTPException) as caught:
        guard.check("editor", "s3cret", "10.0.0.1")  # even the right password, while locked out
    assert caught.value.status_code == 429 and caught.value.headers["Retry-After"] == "60"
    assert "Too many failed logins from your address: try again in 60 s" in caught.value.detail
    assert guard.check("editor", "s3cret", "10.0.0.2")  # another client is not affected
    now[0] += 59.5
    assert guard.retry_after("10.0.0.1") == pytest.approx(0.5)
    now[0] += 1
    assert guard.check("editor", "s3cret", "10.0.0.1")  # after the lockout, and a success resets
    assert not guard.check("editor", "wrong", "10.0.0.1")
    assert guard.check("editor", "s3cret", "10.0.0.1")
    assert guard.policy == "After 3 failed attempts from one address, logins from it are refused for 1 minute."


def test_login_required_when_auth_is_set(tmp_path):
    settings = make_settings(tmp_path, auth="editor:s3cret", max_login_failures=2, login_lockout_s=600)
    assistant = make_assistant(settings)
    demo, url = launch(assistant, settings)
    try:
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False).predict(LIBYA, api_name="/ask")
        config = httpx.get(url + "config", timeout=WAIT_S)
        assert config.status_code == 401
        assert "refused for 10 minutes" in config.json()["detail"]["auth_message"]  # the policy is on the login page
        result = Client(url, auth=("editor", "s3cret"), verbose=False).predict(LIBYA, api_name="/ask")
        assert not result["abstained"]
        for _ in range(2):
            wrong = httpx.post(url + "login", data={"username": "editor", "password": "wrong"}, timeout=WAIT_S)
            assert wrong.status_code == 400
        refused = httpx.post(url + "login", data={"username": "editor", "password": "s3cret"}, timeout=WAIT_S)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 590
        assert "Too many failed logins from your address" in refused.json()["detail"]
        with pytest.raises(ValueError, match="Could not login"):
            Client(url, auth=("editor", "s3cret"), verbose=False)
    finally:
        demo.close()
