"""What comes from outside renders inert (questions, answers, briefing text, file names), the
section viewer highlights the quote, the app is offline and private, and the login backs off."""

from __future__ import annotations

import os
import re

import pytest

pytest.importorskip("gradio_client")

import gradio as gr  # noqa: E402
import httpx  # noqa: E402
from fastapi import HTTPException  # noqa: E402
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AuthenticationError  # noqa: E402

from assistant.models import Answer, Citation, SectionRef  # noqa: E402
from assistant.web import app as web_app  # noqa: E402
from assistant.web import layout, panels, render  # noqa: E402
from assistant.web.handlers import ChatHandlers  # noqa: E402
from assistant.web.login import LoginGuard  # noqa: E402
from assistant.web.uploads import ingest_files  # noqa: E402

from .web_helpers import (HOSTILE_BRIEFING, LIBYA, WAIT_S, XSS_IMG, XSS_LINK, XSS_SCRIPT, assert_inert, launch, make_assistant, make_settings)  # noqa: E402

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
