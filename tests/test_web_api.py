"""The web chat's /ask API through gradio_client against a served app: answers with citations,
modes and filters, refusals of bad input, abstention, concurrent sessions without cross-talk, one
answer at a time per session, the answer modes a client may choose, the upload size limit.
Fast: the fake embedder and chat model; concurrency is driven by events, not sleeps."""

from __future__ import annotations

import os
import threading

import pytest

pytest.importorskip("gradio_client")

import gradio as gr  # noqa: E402
import httpx  # noqa: E402
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from assistant.answer.assistant import Assistant  # noqa: E402
from assistant.errors import InputError  # noqa: E402
from assistant.web import app as web_app  # noqa: E402
from assistant.web import options  # noqa: E402

from .web_helpers import (LIBYA, SAMPLE_ID, TIGRAY, VENEZUELA, WAIT_S, ControlledAssistant, launch,  # noqa: E402
                          make_assistant, make_settings, run_in_thread, served_app)

MAX_FILE_MB = 1  # the served app's upload limit (the sample briefing is 56 kB)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One app (local model configured) for the API tests: (assistant, url)."""
    with served_app(tmp_path_factory.mktemp("ui"), llm="local", max_file_mb=MAX_FILE_MB) as served:
        yield served


@pytest.fixture(scope="module")
def client(served) -> Client:
    return Client(served[1], verbose=False)


@pytest.fixture
def controlled(served) -> ControlledAssistant:
    """The served app's assistant, for a test that drives its answers; reset afterwards."""
    yield served[0]
    served[0].reset()


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
