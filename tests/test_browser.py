"""End to end in headless Chromium (Debian's /usr/bin/chromium through Playwright): ask, see the
answer drafted without markers and then verified with its [1] marker, the source entry, the
highlighted quote; an abstention; uploads with a per-file error and the size limit; two sessions
without cross-talk; a second question while one is written; hostile text stays inert; the page
never leaves 127.0.0.1. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from assistant.web.app import upload_dir

from .web_helpers import (HOSTILE_BRIEFING, LIBYA, TIGRAY, VENEZUELA, served_app)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 20_000  # ms

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


MAX_FILE_MB = 1  # MB, as the upload box and Gradio's refusal show it


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(assistant whose answers a test may drive with events, url)."""
    with served_app(tmp_path_factory.mktemp("browser"), llm="local", max_file_mb=MAX_FILE_MB) as served:
        yield served


@pytest.fixture
def controlled(served):
    yield served[0]
    served[0].reset()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page_factory(browser, served):
    """New isolated sessions (browser contexts) on the app; checks that no request left the host."""
    contexts, requests = [], []

    def new_page():
        ctx = browser.new_context(viewport={"width": 1400, "height": 950})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(served[1])
        page.wait_for_selector("#ba-question textarea")
        return page

    yield new_page
    for ctx in contexts:
        ctx.close()
    outside = {urlparse(u).hostname for u in requests if not u.startswith(("data:", "blob:"))} - {"127.0.0.1"}
    assert not outside, f"the page contacted {outside}"


def ask(page, question: str) -> None:
    before = page.locator("#ba-chat .ba-answer, #ba-chat .ba-abstain, #ba-chat .ba-error").count()
    page.fill("#ba-question textarea", question)
    page.click("#ba-ask")
    page.wait_for_function(
        "n => document.querySelectorAll('#ba-chat .ba-answer, #ba-chat .ba-abstain, #ba-chat .ba-error').length > n",
        arg=before)


def test_answer_sources_and_highlighted_quote(page_factory, served):
    assistant, _ = served
    expected = assistant.ask(LIBYA, mode="local")
    first = expected.citations[0]
    page = page_factory()
    ask(page, LIBYA)
    answer = page.locator("#ba-chat .ba-answer").last
    assert "Libya" in answer.inner_text()
    assert answer.locator(".ba-mark").first.inner_text() == "[1]"
    entry = page.locator('#ba-sources [data-key="c1"]')
    title = entry.locator(".ba-src-title").inner_text()
    assert title == f"[1] {first.ref.label}" and first.ref.label.startswith("2021-11-10 — ")
    assert first.quote[:60] in entry.inner_text()
    # the first source is opened with the answer; choose it explicitly too
    page.locator('#ba-viewer .ba-view-head').wait_for()
    entry.click()
    mark = page.locator("#ba-viewer mark")
    mark.wait_for()
    assert mark.inner_text().strip() == first.quote.strip()
    assert first.ref.section_title in page.locator("#ba-viewer .ba-view-sec").inner_text()
    # the highlighted quote is scrolled into the visible part of the section
    box = page.locator("#ba-viewer .ba-view-body").bounding_box()
    m = mark.bounding_box()
    assert box and m and box["y"] - 1 <= m["y"] <= box["y"] + box["height"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    # a follow-up keeps the conversation; clicking the earlier answer's [1] marker brings back its source
    ask(page, TIGRAY)
    assert "Tigray" in page.locator("#ba-sources .ba-for").inner_text()
    page.locator("#ba-chat .ba-answer").first.locator(".ba-mark").first.click()
    page.wait_for_function("() => document.querySelector('#ba-sources .ba-for').innerText.includes('Libya')")
    page.wait_for_function(
        "q => (document.querySelector('#ba-viewer mark') || {}).innerText?.trim() === q", arg=first.quote.strip())

    page.click("#ba-clear")
    page.wait_for_function("() => !document.querySelector('#ba-chat .ba-answer')")
    assert "Ask a question" in page.locator("#ba-sources").inner_text()


def test_abstention_looks_different_and_lists_closest_sections(page_factory):
    page = page_factory()
    ask(page, VENEZUELA)
    msg = page.locator("#ba-chat .ba-abstain").last
    assert "Not found in the briefings" in msg.inner_text()
    assert page.locator("#ba-chat .ba-answer").count() == 0
    assert msg.locator(".ba-closest li").count() >= 1
    closest = page.locator("#ba-sources .ba-src-closest")
    assert closest.count() == msg.locator(".ba-closest li").count()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} — .+", closest.first.locator(".ba-src-title").inner_text())
    closest.first.click()
    page.locator("#ba-viewer .ba-view-sec").wait_for()
    assert page.locator("#ba-viewer mark").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "abstain.png"), full_page=True)


def test_sessions_are_independent(page_factory):
    a, b = page_factory(), page_factory()
    a.fill("#ba-question textarea", LIBYA)
    b.fill("#ba-question textarea", TIGRAY)
    a.click("#ba-ask")
    b.click("#ba-ask")
    for p in (a, b):
        p.wait_for_selector("#ba-chat .ba-answer")
    assert "Libya" in a.locator("#ba-chat").inner_text() and "Tigray" not in a.locator("#ba-chat").inner_text()
    assert "Tigray" in b.locator("#ba-chat").inner_text() and "Libya" not in b.locator("#ba-chat").inner_text()
    assert "Libya" in a.locator("#ba-sources .ba-for").inner_text()
    assert "Tigray" in b.locator("#ba-sources .ba-for").inner_text()


def test_upload_hostile_and_binary_files(page_factory, served, tmp_path):
    hostile = tmp_path / "wardrobe-summit.txt"
    hostile.write_text(HOSTILE_BRIEFING, encoding="utf-8")
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.7\n\x00\x01\x02\x03" + bytes(range(256)) * 8)
    page = page_factory()
    page.get_by_text("Add briefing files").click()
    page.locator("#ba-upload input[type=file]").set_input_files([str(hostile), str(binary)])
    report = page.locator("#ba-ingest-report .ba-ingest")
    report.wait_for()
    text = report.inner_text()
    assert re.search(r"wardrobe-summit\.txt\s+added", text), text
    assert re.search(r"scan\.pdf\s+error\s+binary file", text), text
    assert "1 file ingested, 1 failed" in text
    assert list(upload_dir(served[0].settings).rglob("wardrobe-summit.txt"))  # Gradio kept it in the index's folder
    # the briefing filter offers the new briefing; its hostile title is shown as text
    page.locator("#ba-briefings input").click()
    option = page.get_by_role("option", name=re.compile("2021-12-02"))
    option.wait_for()
    option.click()
    ask(page, "Who will chair the glacier protection charter talks?")
    assert "glacier protection charter" in page.locator("#ba-chat .ba-answer").last.inner_text()
    page.locator("#ba-viewer mark").wait_for()
    assert "glacier" in page.locator("#ba-viewer .ba-view-body").inner_text()
    ask(page, "What will the delegates of the wardrobe summit sign?")
    page.locator('#ba-sources [data-key="c1"]').click()
    page.locator("#ba-viewer mark").wait_for()
    body = page.locator("#ba-viewer .ba-view-body").inner_text()
    assert "<script>window.__pwned=1</script>" in body or '<img src=x onerror="window.__pwned=1">' in body
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#ba-viewer img, #ba-viewer script, #ba-chat img[onerror], #ba-sources img").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)


def test_follow_up_is_resolved_against_the_conversation(page_factory):
    page = page_factory()
    ask(page, "Did Russia agree to recognise vaccination certificates with Belarus?")
    ask(page, "And what about Kazakhstan?")
    last = page.locator("#ba-chat .ba-msg").last
    hint = last.locator(".ba-understood")
    assert "Understood as" in hint.inner_text() and "Kazakhstan" in hint.inner_text()


def test_answer_is_drafted_without_markers_then_verified(page_factory, controlled):
    # unverified deltas with a fabricated citation [9]; the answer then waits until the test lets it finish
    controlled.only, controlled.draft = LIBYA, "The Paris conference [9] on Libya was convened [2, 3] "
    controlled.release = threading.Event()
    page = page_factory()
    page.fill("#ba-question textarea", LIBYA)
    page.click("#ba-ask")
    page.wait_for_function(
        "() => (document.querySelector('#ba-chat .ba-draft') || {}).innerText?.includes('convened')")
    draft = page.locator("#ba-chat .ba-draft")
    assert "drafting" in draft.inner_text().lower()
    assert "[" not in draft.inner_text() and draft.locator(".ba-mark").count() == 0
    assert page.locator("#ba-sources [data-key]").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "draft.png"), full_page=True)
    # a second question in the same session meanwhile: a notice; the first answer goes on
    page.fill("#ba-question textarea", TIGRAY)
    page.press("#ba-question textarea", "Enter")
    page.get_by_text("An answer is still being written in this session").first.wait_for()
    assert page.input_value("#ba-question textarea") == TIGRAY
    controlled.release.set()
    answer = page.locator("#ba-chat .ba-answer")
    answer.wait_for()
    assert page.locator("#ba-chat .ba-draft").count() == 0
    numbers = [re.search(r"ba-n-(\d+)", m.get_attribute("class")).group(1) for m in answer.locator(".ba-mark").all()]
    assert numbers and "9" not in numbers
    for n in numbers:  # every marker shown has its verified source
        assert page.locator(f'#ba-sources [data-key="c{n}"]').count() == 1


def test_upload_over_the_size_limit_names_the_limit_shown(page_factory, tmp_path):
    big = tmp_path / "long-briefing.txt"
    big.write_bytes(b"Briefing text. " * (MAX_FILE_MB * 1024 * 1024 // 15 + 1))
    page = page_factory()
    page.get_by_text("Add briefing files").click()
    assert f"at most {MAX_FILE_MB} MB each" in page.locator("#ba-upload").inner_text()
    page.locator("#ba-upload input[type=file]").set_input_files([str(big)])
    refusal = page.get_by_text(re.compile("exceed the maximum allowed size"))
    refusal.first.wait_for()
    assert f"{MAX_FILE_MB}.0 Mb" in refusal.first.inner_text() and "long-briefing.txt" in refusal.first.inner_text()
    assert page.locator("#ba-ingest-report .ba-ingest").count() == 0  # nothing reached the index


def test_mode_selector_offers_the_configured_modes(page_factory):
    page = page_factory()
    labels = page.locator("#ba-mode label").all_inner_texts()
    assert [label.strip() for label in labels] == ["Local model", "Quotes only"]


def test_refused_question_shows_its_message_and_the_chat_goes_on(page_factory):
    page = page_factory()
    page.fill("#ba-question textarea", "x" * 2001)
    page.click("#ba-ask")
    page.get_by_text("the question is 2,001 characters long; the limit is 2,000").first.wait_for()
    page.locator("#ba-chat .ba-error").wait_for()
    assert "Not answered" in page.locator("#ba-chat .ba-error").inner_text()
    assert not re.search(r"\w+Error\b|Traceback", page.locator("#ba-chat").inner_text())  # no exception text
    ask(page, LIBYA)  # the session goes on; the new answer is turn 1 and opens its own sources
    assert "Libya" in page.locator("#ba-chat .ba-answer").last.inner_text()
    assert page.locator("#ba-sources .ba-sources-panel").get_attribute("data-turn") == "1"
