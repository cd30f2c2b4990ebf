"""The real models on the bundled sample: a regression guard on answer quality.

Runs the held-out QA set (tests/data/holdout_qa.jsonl, written independently of the tuning
set) in extractive mode and checks the metrics stay near what we measured (see README)."""

from __future__ import annotations

import pytest

from assistant.answer.assistant import Assistant
from assistant.config import Settings
from assistant.store.embedding import MiniLMEmbedder
from assistant.tools.eval import evaluate, load_qa
from assistant.ingest.ingestor import Ingestor

from .conftest import DATA, SAMPLE

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def real_assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    settings = Settings(index_dir=root / "index", cache_dir=root / "cache", llm="extractive", _env_file=None)
    assistant = Assistant(settings, embedder=MiniLMEmbedder())
    assert Ingestor(assistant.index, settings).ingest([SAMPLE], show_progress=False).ok
    return assistant


def test_holdout_metrics(real_assistant):
    result = evaluate(real_assistant, load_qa(DATA / "holdout_qa.jsonl"), mode="extractive", show_progress=False)
    r, a = result["retrieval"], result["answers"]
    assert r["recall@1"] >= 0.9 and r["recall@3"] >= 0.97
    assert a["keyword_accuracy"] >= 0.78
    # quoted evidence split into sentences can leave a fragment without its marker: nearly all, not all
    assert a["citation_precision"] >= 0.93 and a["citation_coverage"] >= 0.98
    assert a["abstention_recall"] >= 0.8 and a["false_abstention_rate"] <= 0.06
    assert result["latency_ms"]["retrieval_p50"] > 0  # measured; how fast is for the bench, not a test


@pytest.mark.parametrize("question", [
    "How many Sputnik V doses were delivered to Vietnam?",
    "What did the spokeswoman say about the elections in Venezuela?",
    "What is the budget of the Russian space agency for 2022?",
])
def test_near_misses_are_refused(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.abstained and not answer.citations and answer.closest


def test_citations_quote_the_source(real_assistant):
    answer = real_assistant.ask("How many passports were issued in Afghanistan in one month?")
    assert "90,000" in answer.text and answer.citations
    for c in answer.citations:
        assert real_assistant.index.briefing(c.ref.briefing_id).text[c.start:c.end] == c.quote
        assert c.ref.section_title == "Update on Afghanistan" and c.ref.briefing_date == "2021-11-10"


def test_follow_up_question(real_assistant):
    history = [{"role": "user", "content": "Did Russia say anything about recognising vaccination certificates "
                                           "with Belarus?"},
               {"role": "assistant", "content": "…"}]
    answer = real_assistant.ask("And what about Kazakhstan?", history=history)
    assert "Kazakhstan" in answer.standalone_question and not answer.abstained
    assert answer.citations[0].ref.section_title == "Mutual recognition of vaccination passports by Russia and Kazakhstan"


@pytest.mark.parametrize("question, kind", [
    ("What was the name of the woman killed by the MINUSCA bus in Bangui?", "who"),
    ("How many people work for Intersputnik?", "how many"),
])
def test_an_answer_that_talks_around_what_was_asked_is_refused(real_assistant, question, kind):
    """The sample mentions the woman and Intersputnik's work, never her name or its staff: the
    passages pass the section checks, but the composed answer has no person or number to lead
    with, so the question is refused instead of answered with a quote."""
    answer = real_assistant.ask(question, mode="extractive")
    assert answer.abstained and answer.citations == ()
    assert answer.text.endswith(f"do not say {kind}).")
