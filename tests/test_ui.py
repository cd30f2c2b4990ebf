"""The web chat: the /ask API through gradio_client, abstention, concurrent sessions, uploads,
escaping of untrusted text, login. Fast: the fake embedder and chat model, no network."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("gradio_client")

from gradio_client import Client  # noqa: E402

from assistant.answer.assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.store.index import Index  # noqa: E402
from assistant.ingest.ingestor import Ingestor  # noqa: E402
from assistant.models import Answer, Citation, SectionRef  # noqa: E402
from assistant.web import app as ui  # noqa: E402

from .conftest import SAMPLE  # noqa: E402
from .fakes import EvidenceEchoChat, HashEmbedder  # noqa: E402

LIBYA = "Who convened the Paris conference on Libya?"
TIGRAY = "Which armed group has joined the Tigray Defence Forces in the fighting against the Ethiopian army?"
VENEZUELA = "What did the spokeswoman say about the elections in Venezuela?"
SAMPLE_ID = "2021-11-10-briefing-zakharova"

XSS_SCRIPT = "<script>window.__pwned=1</script>"
XSS_IMG = '<img src=x onerror="window.__pwned=1">'
XSS_LINK = "[click me](javascript:alert(1)) ![x](http://example.invalid/x.png)"

GOOD_BRIEFING = """Briefing by Foreign Ministry Spokeswoman, Moscow, December 1, 2021

Cooperation with the Republic of Narnia

On December 3, the Foreign Minister will receive the Foreign Minister of Narnia in Moscow. The ministers will discuss a new agreement on lamp-post maintenance and visa-free travel.

Answers to media questions:

Question: Will the Narnian minister visit Saint Petersburg?

Maria Zakharova: Yes, the Narnian minister will visit the Hermitage Museum in Saint Petersburg on December 4.
"""

HOSTILE_BRIEFING = f"""Briefing by Foreign Ministry Spokeswoman, Moscow, December 2, 2021

Wardrobe summit {XSS_SCRIPT}

The wardrobe summit on glacier diplomacy will open in Cair Paravel on December 9 {XSS_IMG} and its delegates will sign a glacier protection charter {XSS_SCRIPT}.

Answers to media questions:

Question: Who will chair the glacier protection charter talks {XSS_IMG}?

Maria Zakharova: The glacier protection charter talks will be chaired by the Narnian envoy Tumnus {XSS_LINK}.
"""

DANGEROUS = re.compile(r"<\s*(script|img|iframe|svg|a\b|object|embed|style|link)|javascript:\S*\"|\son\w+\s*=\s*\"",
                       re.IGNORECASE)


def assert_inert(markup: str) -> None:
    """No live tag or handler from untrusted text: everything it brought is escaped."""
    found = DANGEROUS.search(markup)
    assert found is None, f"live markup {found.group(0)!r} in: {markup[:400]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_settings(root: Path, **updates) -> Settings:
    values = {"index_dir": root / "index", "cache_dir": root / "cache", "llm": "extractive", **updates}
    return Settings(_env_file=None, **values)


class SlowEcho(EvidenceEchoChat):
    """The echoing model, streaming slowly enough that concurrent requests overlap."""

    delay: float = 0.03

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            time.sleep(self.delay)
            yield chunk


def make_assistant(settings: Settings, chat=None) -> Assistant:
    embedder = HashEmbedder()
    index = Index(settings, embedder)
    report = Ingestor(index, settings).ingest([SAMPLE], show_progress=False)
    assert report.ok, report.failed
    chat = chat or EvidenceEchoChat()
    return Assistant(settings, embedder=embedder, index=index, chat_models={"local": chat, "openai": chat})


def launch(assistant: Assistant, settings: Settings):
    demo = ui.build_app(assistant, settings)
    _, url, _ = ui.launch_app(demo, settings, host="127.0.0.1", port=free_port(), prevent_thread_lock=True,
                              quiet=True)
    return demo, url


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One app for the read-only API tests: (assistant, url)."""
    settings = make_settings(tmp_path_factory.mktemp("ui"))
    assistant = make_assistant(settings, SlowEcho())
    demo, url = launch(assistant, settings)
    yield assistant, url
    demo.close()


@pytest.fixture(scope="module")
def client(served) -> Client:
    return Client(served[1], verbose=False)


# ------------------------------------------------------------------------------------ /ask
def check_citations(assistant: Assistant, result: dict) -> None:
    assert result["citations"], result
    for c in result["citations"]:
        for field in ("number", "briefing_id", "briefing_date", "briefing_title", "section_title", "quote",
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
    assert result["mode"] == "extractive"  # the settings' default
    check_citations(assistant, result)
    assert any("Libya" in c["section_title"] for c in result["citations"])


def test_ask_endpoint_mode_and_filters(served, client):
    assistant, _ = served
    result = client.predict(LIBYA, "local", [SAMPLE_ID], "2021-11-01", "2021-11-30", api_name="/ask")
    assert result["mode"] == "local" and not result["abstained"]
    check_citations(assistant, result)
    # a date range without any briefing: nothing to answer from
    result = client.predict(LIBYA, "extractive", None, "2022-01-01", "", api_name="/ask")
    assert result["abstained"] is True and result["citations"] == []


def test_ask_endpoint_rejects_bad_mode_and_date(client):
    with pytest.raises(Exception, match="not available"):
        client.predict(LIBYA, "gpt-17", api_name="/ask")
    with pytest.raises(Exception, match="not a date"):
        client.predict(LIBYA, "", None, "10/11/2021", api_name="/ask")


def test_ask_endpoint_abstains_on_unanswerable_question(client):
    result = client.predict(VENEZUELA, api_name="/ask")
    assert result["abstained"] is True
    assert result["citations"] == []
    assert result["answer"]


def test_concurrent_clients_do_not_cross_talk(served):
    _, url = served
    questions = {"a": LIBYA, "b": TIGRAY}
    clients = {k: Client(url, verbose=False) for k in questions}
    results: dict[str, list] = {k: [] for k in questions}
    spans: dict[str, list] = {k: [] for k in questions}
    errors: list[BaseException] = []

    def run(key: str) -> None:
        try:
            for _ in range(2):
                t0 = time.perf_counter()
                results[key].append(clients[key].predict(questions[key], "local", api_name="/ask"))
                spans[key].append((t0, time.perf_counter()))
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=run, args=(k,)) for k in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    for key, question in questions.items():
        assert len(results[key]) == 2
        for r in results[key]:
            assert r["question"] == question and not r["abstained"]
    assert all("Libya" in r["answer"] for r in results["a"])
    assert all("Tigray" in r["answer"] or "Oromo" in r["answer"] for r in results["b"])
    assert not any("Libya" in r["answer"] for r in results["b"])
    # the two sessions were served at the same time, not one after the other
    (a0, a1), (b0, b1) = spans["a"][0], spans["b"][0]
    assert a0 < b1 and b0 < a1


# ------------------------------------------------------------------------------------ upload
def test_upload_reports_each_bad_file_and_ingests_the_good_one(settings, fake_assistant, tmp_path):
    good = tmp_path / "narnia-2021-12-01.txt"
    good.write_text(GOOD_BRIEFING, encoding="utf-8")
    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    calls = []
    report, choices = ui.ingest_files(fake_assistant, settings, [str(binary), str(empty), str(good)],
                                      progress=lambda *a, **k: calls.append((a, k)))
    rows = re.findall(r'<tr class="ba-st-(\w+)"><td class="ba-file">([^<]*)</td><td class="ba-status">\w+</td>'
                      r'<td>([^<]*)</td>', report)
    by_file = {name: (status, detail) for status, name, detail in rows}
    assert by_file["photo.png"][0] == "error" and "binary" in by_file["photo.png"][1]
    assert by_file["empty.txt"][0] == "error" and "empty" in by_file["empty.txt"][1]
    assert by_file["narnia-2021-12-01.txt"][0] == "added"
    assert "2 failed" in report
    ids = [value for _, value in choices]
    assert "narnia-2021-12-01" in ids and SAMPLE_ID in ids
    assert calls and calls[-1][0][0] == (3, 3)
    # the new briefing is searchable at once
    answer = fake_assistant.ask("Which museum will the Narnian minister visit in Saint Petersburg?")
    assert not answer.abstained
    assert answer.citations[0].ref.briefing_id == "narnia-2021-12-01"


def test_upload_limits_the_number_of_files(settings, fake_assistant, tmp_path):
    limited = settings.replace(**{"max_upload_files": 1})
    paths = []
    for i in range(3):
        p = tmp_path / f"b{i}.txt"
        p.write_text(GOOD_BRIEFING.replace("Narnia", f"Narnia{i}"), encoding="utf-8")
        paths.append(str(p))
    report, choices = ui.ingest_files(fake_assistant, limited, paths)
    assert report.count("at most 1 files per upload") == 2
    assert "1 file ingested, 2 failed" in report
    assert "b0" in [v for _, v in choices] and "b1" not in [v for _, v in choices]


def test_prepare_index_ingests_the_sample_into_an_empty_index(settings, embedder, index):
    assistant = Assistant(settings, embedder=embedder, index=index, chat_models={"local": EvidenceEchoChat()})
    assert not assistant.index.briefings()
    ui.prepare_index(assistant, settings)
    assert [e.briefing_id for e in assistant.index.briefings()] == [SAMPLE_ID]
    ui.prepare_index(assistant, settings)  # not again
    assert len(assistant.index.briefings()) == 1


# ------------------------------------------------------------------------------------ escaping
def test_untrusted_question_and_answer_render_inert():
    question = f"What about {XSS_SCRIPT} and {XSS_IMG} and {XSS_LINK}?"
    msg = ui.user_message(question)["content"]
    assert_inert(msg)
    assert "&lt;script&gt;" in msg and "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in msg

    citation = Citation(number=1, ref=SectionRef(briefing_id="b", briefing_date="2021-11-10",
                                                 briefing_title=f"T {XSS_IMG}", section_title=f"S {XSS_SCRIPT}",
                                                 section_kind="statement", section_index=0, start=0, end=10),
                        quote=f"Q {XSS_IMG}", start=0, end=10)
    answer = Answer(question=question, standalone_question=f"{question} {XSS_SCRIPT}",
                    text=f"It is {XSS_IMG} {XSS_LINK} [1].", citations=(citation,), mode="local",
                    notice=f"note {XSS_SCRIPT}")
    html_answer = ui.answer_message(answer, 0)["content"]
    assert_inert(html_answer)
    assert '<span class="ba-mark" data-n="1" data-turn="0">[1]</span>' in html_answer
    assert "Understood as" in html_answer and "&lt;script&gt;" in html_answer
    sources = ui.render_sources({"question": question, "answer": answer.to_json()}, 0)
    assert_inert(sources)
    assert "[1]</span> <span class=\"ba-date\">2021-11-10</span> — <span class=\"ba-sec\">S &lt;script&gt;" in sources
    assert_inert(ui.pending_message(f"partial {XSS_IMG} [1", 0)["content"])
    assert_inert(ui.error_message(XSS_SCRIPT)["content"])

    ref = SectionRef(briefing_id="b", briefing_date=None, briefing_title=XSS_IMG, section_index=0,
                     section_title=XSS_SCRIPT, section_kind="statement", start=0, end=5)
    abstain = Answer(question=question, standalone_question=question, text=f"No {XSS_IMG}",
                     abstained=True, closest=(ref,))
    for markup in (ui.answer_message(abstain)["content"],
                   ui.render_sources({"question": question, "answer": abstain.to_json()}, 1)):
        assert_inert(markup)
        assert "&lt;script&gt;" in markup


def test_untrusted_briefing_and_file_name_render_inert(settings, fake_assistant, tmp_path):
    name = 'wardrobe<img src=x onerror="alert(1)">.txt'
    path = tmp_path / name
    path.write_text(HOSTILE_BRIEFING, encoding="utf-8")
    report, choices = ui.ingest_files(fake_assistant, settings, [str(path)])
    assert_inert(report)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in report
    assert "added" in report, report

    result = ui.ask_json(fake_assistant, "Where will the wardrobe summit on glacier diplomacy open?")
    assert not result["abstained"], result
    turn = {"question": "q", "answer": result}
    cited = result["citations"][0]
    briefing = fake_assistant.index.briefing(cited["briefing_id"])
    assert "<script>" in briefing.text  # the hostile text is stored as text ...
    for markup in (ui.render_sources(turn, 0), ui.render_source(fake_assistant, turn, "c1")):
        assert_inert(markup)  # ... and shown as text
    viewer = ui.render_source(fake_assistant, turn, "c1")
    marked = re.search(r'<mark class="ba-hl">(.*?)</mark>', viewer, re.S).group(1)
    assert marked == ui.esc(cited["quote"])
    assert "&lt;script&gt;" in viewer or "&lt;img" in viewer
    header = ui._header_html(fake_assistant)
    assert_inert(header)


def test_section_viewer_highlights_the_quote(fake_assistant):
    result = ui.ask_json(fake_assistant, LIBYA)
    turn = {"question": LIBYA, "answer": result}
    viewer = ui.render_source(fake_assistant, turn, "c1")
    c = result["citations"][0]
    assert ui.esc(c["section_title"]) in viewer and "2021-11-10" in viewer
    assert f'<mark class="ba-hl">{ui.esc(c["quote"])}</mark>' in viewer
    assert ui.render_source(fake_assistant, turn, "c99") == ui.VIEWER_EMPTY
    assert ui.render_source(fake_assistant, turn, "<x>") == ui.VIEWER_EMPTY


# ------------------------------------------------------------------------------------ app settings
def test_app_is_offline_and_private(fake_assistant, settings):
    demo = ui.build_app(fake_assistant, settings)
    assert demo.analytics_enabled is False
    theme = ui.theme()
    assert all(isinstance(f, str) for f in theme._font + theme._font_mono)  # no web fonts
    assert "googleapis" not in ui.CSS and "@import" not in ui.CSS
    chatbots = [b for b in demo.blocks.values() if b.__class__.__name__ == "Chatbot"]
    assert chatbots and all(c.sanitize_html and not c.render_markdown for c in chatbots)
    # only /ask is part of the public API
    public = [fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"]
    assert public == ["ask"]


def test_login_required_when_auth_is_set(tmp_path):
    settings = make_settings(tmp_path, auth="editor:s3cret")
    assistant = make_assistant(settings)
    demo, url = launch(assistant, settings)
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(LIBYA, api_name="/ask")
        import httpx

        assert httpx.get(url + "config", timeout=10).status_code in (401, 403)
        with pytest.raises(Exception):
            Client(url, auth=("editor", "wrong"), verbose=False)
        result = Client(url, auth=("editor", "s3cret"), verbose=False).predict(LIBYA, api_name="/ask")
        assert not result["abstained"]
    finally:
        demo.close()
