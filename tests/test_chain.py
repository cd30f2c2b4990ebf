"""The whole pipeline (``Assistant``) on the sample briefing with the hashing embedder and a fake
chat model: extractive and LLM answers, streaming, abstention, every fallback to the extractive
answer, follow-ups, filters, the LangChain runnable and argument errors."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time

import pytest
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.messages import AIMessageChunk

from assistant.answer.assistant import Assistant
from assistant.answer.compose import compose
from assistant.answer.entities import EntityTagger
from assistant.answer.extractive import select_sentences
from assistant.answer.prompts import Prompts
from assistant.answer.citations import split_claims
from assistant.errors import InputError
from assistant.models import Answer, Filters

from .fakes import EvidenceEchoChat

SAMPLE_ID = "2021-11-10-briefing-zakharova"
NICARAGUA_Q = "Which party won most seats in Nicaragua's parliamentary election?"
VIETNAM_Q = "How many Sputnik V doses were delivered to Vietnam?"
KAZAKHSTAN_Q = "What did Russia say about the mutual recognition of vaccination certificates with Kazakhstan?"

CLEAR = [
    # question, section index, words of the expected extractive answer
    (NICARAGUA_Q, 4, "Sandinista"),
    ("When did the USS Mount Whitney enter the Black Sea?", 6, "November 4"),
    ("When did the Philippines approve Sputnik Light?", 11, "August"),
    ("When will the Russian and Moldovan foreign ministers meet?", 2, "November 17"),
    ("When did the Supreme State Council of the Union State meet?", 19, "November 4"),
]


def with_chat(settings, sample_index, embedder, chat, **updates) -> Assistant:
    s = settings.replace(**updates) if updates else settings
    return Assistant(s, embedder=embedder, index=sample_index, chat_models={"local": chat, "openai": chat})


def assert_verified(answer: Answer, index) -> None:
    """Markers in the text are exactly the citations 1..n; every quote is the briefing text at its span."""
    assert answer.citations
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    markers = {n for claim in split_claims(answer.text) for n in claim.markers}
    assert markers == {c.number for c in answer.citations}
    assert all(claim.markers for claim in split_claims(answer.text))  # every sentence is cited
    for c in answer.citations:
        b = index.briefing(c.ref.briefing_id)
        assert c.quote == b.text[c.start:c.end]
        sec = b.sections[c.ref.section_index]
        assert sec.start <= c.start < c.end <= sec.end and c.ref.section_title == sec.title


# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize("question, section, words", CLEAR)
def test_extractive_answer_quotes_the_right_section(fake_assistant, sample_index, question, section, words):
    a = fake_assistant.ask(question, mode="extractive")
    assert not a.abstained and a.mode == "extractive" and a.notice is None
    assert re.search(r"\[1\]", a.text)
    assert words in a.text
    assert_verified(a, sample_index)
    assert a.citations[0].ref.section_index == section
    assert a.citations[0].ref.briefing_date == "2021-11-10" and a.question == a.standalone_question == question


@pytest.mark.parametrize("question, section, words", CLEAR[:3])
@pytest.mark.parametrize("mode", ["local", "openai"])
def test_llm_answer_is_verified_and_cited(fake_assistant, sample_index, question, section, words, mode):
    a = fake_assistant.ask(question, mode=mode)
    assert not a.abstained and a.mode == mode and a.notice is None
    assert words in a.text
    assert_verified(a, sample_index)
    assert {c.ref.section_index for c in a.citations} == {section}


def test_default_mode_comes_from_the_settings(fake_assistant):
    assert fake_assistant.settings.generation.llm == "extractive"
    assert fake_assistant.ask(NICARAGUA_Q).mode == "extractive"


@pytest.mark.parametrize("mode", ["extractive", "local"])
def test_who_convened_the_paris_conference_on_libya(fake_assistant, sample_index, mode):
    a = fake_assistant.ask("Who convened the Paris conference on Libya?", mode=mode)
    assert not a.abstained
    assert "conference on Libya in Paris" in a.citations[0].ref.section_title
    assert "Macron" in a.text
    assert_verified(a, sample_index)


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("mode", ["extractive", "local"])
def test_stream_yields_only_verified_text_then_one_answer(fake_assistant, mode):
    """Nothing unverified is ever shown: the model's raw reply is not streamed. Extractive: the
    composed answer, once, then the ``Answer``. Local: before the model starts, the extractive
    answer as a draft (verbatim quotes), then the ``Answer``, which quotes them too."""
    items = list(fake_assistant.stream(NICARAGUA_Q, mode=mode))
    assert [type(x) for x in items] == [str, Answer]
    answer = items[-1]
    assert answer.mode == mode
    if mode == "extractive":
        assert items[0] == answer.text
    else:
        quotes = re.findall(r"“(.+?)”", items[0])
        assert quotes and all(f"“{q}”" in answer.text for q in quotes)
        assert "ttft_ms" in answer.timings and answer.timings["ttft_ms"] < answer.timings["total_ms"]
        assert answer.timings["ttft_ms"] < answer.timings["total_ms"] - answer.timings["generation_ms"]


def test_stream_of_an_abstention(fake_assistant):
    items = list(fake_assistant.stream(VIETNAM_Q, mode="local"))
    assert [type(x) for x in items] == [str, Answer]
    assert items[0] == items[1].text and items[1].abstained


# --------------------------------------------------------------------------- abstention


@pytest.mark.parametrize("question, missing", [(VIETNAM_Q, "Vietnam"),
                                               ("What did the spokeswoman say about the elections in Venezuela?",
                                                "Venezuela")])
@pytest.mark.parametrize("mode", ["extractive", "local"])
def test_unanswerable_question_abstains_and_lists_the_closest_sections(
        settings, sample_index, embedder, question, missing, mode):
    # the chat model would fail if it were called: abstention never reaches it
    a = with_chat(settings, sample_index, embedder, EvidenceEchoChat(fail=True)).ask(question, mode=mode)
    assert a.abstained and a.citations == () and a.notice is None and a.mode == mode
    assert missing in a.text
    assert a.closest and len(a.closest) <= 3
    for ref in a.closest:
        assert ref.briefing_id == SAMPLE_ID and ref.section_title not in a.text  # listed by the page, not the text
    assert "[1]" not in a.text


# --------------------------------------------------------------------------- fallbacks


def _extractive(fake_assistant, question):
    return fake_assistant.ask(question, mode="extractive")


def test_llm_failure_falls_back_to_the_extractive_answer(settings, sample_index, embedder, fake_assistant):
    a = with_chat(settings, sample_index, embedder, EvidenceEchoChat(fail=True)).ask(NICARAGUA_Q, mode="local")
    assert a.mode == "local→extractive" and not a.abstained
    assert a.notice and "failed" in a.notice and "ConnectionError" in a.notice and "backend unreachable" in a.notice
    assert a.notice.startswith("The local model")
    assert a.text == _extractive(fake_assistant, NICARAGUA_Q).text
    assert_verified(a, sample_index)


def test_openai_failure_names_the_openai_mode(settings, sample_index, embedder):
    a = with_chat(settings, sample_index, embedder, EvidenceEchoChat(fail=True)).ask(NICARAGUA_Q, mode="openai")
    assert a.mode == "openai→extractive" and a.notice.startswith("The openai model")


def test_a_model_reply_that_is_not_the_asked_json_falls_back_to_the_passages(
        settings, sample_index, embedder, fake_assistant):
    """Answerability is the pipeline's decision: a model that says something else than the asked
    choice of passages is shown the door, and the user gets the passages."""
    a = with_chat(settings, sample_index, embedder, EvidenceEchoChat(reply="NOT IN EVIDENCE")).ask(
        NICARAGUA_Q, mode="local")
    assert a.mode == "local→extractive"
    assert "gave no readable answer" in a.notice
    assert "NOT IN EVIDENCE" not in a.text
    assert a.text == _extractive(fake_assistant, NICARAGUA_Q).text
    assert_verified(a, sample_index)


def test_an_invented_answer_is_never_shown(settings, sample_index, embedder):
    """The model's phrase must be copied from the passage it chose: an invented one is replaced
    by a phrase of that passage."""
    invented = json.dumps({"evidence": [1], "answer": "Angela Merkel in 1999"})
    a = with_chat(settings, sample_index, embedder, EvidenceEchoChat(reply=invented)).ask(
        "Who convened the Paris conference on Libya?", mode="local")
    assert a.mode == "local"
    assert "Merkel" not in a.text and "1999" not in a.text
    assert a.lead == "Emmanuel Macron"
    assert_verified(a, sample_index)


def test_a_passage_number_the_evidence_does_not_have_falls_back(settings, sample_index, embedder, fake_assistant):
    reply = json.dumps({"evidence": [7], "answer": "Sandinista National Liberation Front"})
    a = with_chat(settings, sample_index, embedder, EvidenceEchoChat(reply=reply)).ask(NICARAGUA_Q, mode="local")
    assert a.mode == "local→extractive" and "chose no passage" in a.notice
    assert a.text == _extractive(fake_assistant, NICARAGUA_Q).text


def test_the_models_phrase_leads_when_it_is_in_its_passage(settings, sample_index, embedder):
    chat = EvidenceEchoChat(lead="the Sandinista National Liberation Front")
    a = with_chat(settings, sample_index, embedder, chat).ask(NICARAGUA_Q, mode="local")
    assert a.mode == "local" and a.notice is None
    assert a.text.startswith("the Sandinista National Liberation Front [1] — “") and a.lead in a.citations[0].quote
    assert_verified(a, sample_index)


class TimedOutChat(EvidenceEchoChat):
    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        raise TimeoutError("Request timed out.")

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        raise TimeoutError("Request timed out.")


def test_a_timed_out_llm_falls_back_to_the_extractive_answer(settings, sample_index, embedder, fake_assistant):
    a = with_chat(settings, sample_index, embedder, TimedOutChat(), llm_timeout_s=0.05).ask(NICARAGUA_Q, mode="local")
    assert a.mode == "local→extractive"
    assert "TimeoutError" in a.notice
    assert a.text == _extractive(fake_assistant, NICARAGUA_Q).text
    assert_verified(a, sample_index)


def test_extractive_mode_never_calls_the_llm(settings, sample_index, embedder):
    a = with_chat(settings, sample_index, embedder, EvidenceEchoChat(fail=True)).ask(NICARAGUA_Q, mode="extractive")
    assert a.mode == "extractive" and a.notice is None and "Sandinista" in a.text


def test_an_answer_of_no_evidence_is_empty():
    assert select_sentences([]) == []
    assert compose([], "Who?", EntityTagger()).text == ""


# --------------------------------------------------------------------------- follow-ups


def test_follow_up_with_history_is_resolved_and_answered(fake_assistant, sample_index):
    history = [{"role": "user", "content": KAZAKHSTAN_Q}, {"role": "assistant", "content": "They work on it [1]."}]
    a = fake_assistant.ask("Is it possible to talk about a time frame?", history=history)
    assert a.question == "Is it possible to talk about a time frame?"
    assert a.standalone_question != a.question and "Kazakhstan" in a.standalone_question
    assert not a.abstained
    assert {c.ref.section_index for c in a.citations} == {27}
    assert "I cannot say anything definite" in a.text
    assert_verified(a, sample_index)


def test_what_about_follow_up_turns_an_abstention_into_an_answer(fake_assistant):
    venezuela = "What did the spokeswoman say about the elections in Venezuela?"
    assert fake_assistant.ask(venezuela).abstained
    a = fake_assistant.ask("And what about Nicaragua?", history=[(venezuela, "The briefings I have don't cover this.")])
    assert a.standalone_question == "What did the spokeswoman say about the elections in Nicaragua?"
    assert not a.abstained and {c.ref.section_index for c in a.citations} == {4}


def test_a_self_contained_question_is_answered_regardless_of_history(fake_assistant):
    q = "Who convened the Paris conference on Libya, and when will it take place?"
    assert not fake_assistant.ask(q).abstained
    a = fake_assistant.ask(q, history=[(KAZAKHSTAN_Q, "answer")])
    assert a.standalone_question == q
    assert not a.abstained and "Macron" in a.text


# --------------------------------------------------------------------------- filters


def test_filter_on_an_unknown_briefing_is_refused_with_a_message(fake_assistant):
    with pytest.raises(InputError, match="no briefing 'no-such-briefing' in the index"):
        fake_assistant.ask(NICARAGUA_Q, filters={"briefing_ids": ["no-such-briefing"]})


@pytest.mark.parametrize("filters, message", [
    ({"date_from": "2021-12-01", "date_to": "2021-11-01"}, "is after the 'to' date"),
    ({"date_from": "10/11/2021"}, "is not a date like 2021-11-10"),
    ({"date_to": 20211110}, "must be text like 2021-11-10"),
    ({"briefing_ids": 7}, "must be a list of briefing ids"),
    ({"when": "2021"}, "unknown filter 'when'"),
])
def test_bad_filters_are_refused_with_a_message(fake_assistant, filters, message):
    with pytest.raises(InputError, match=message):
        fake_assistant.ask(NICARAGUA_Q, filters=filters)


def test_oversized_or_non_text_questions_are_refused(fake_assistant):
    with pytest.raises(InputError, match="the limit is 2,000"):
        fake_assistant.ask("Why? " * 1000)
    with pytest.raises(InputError, match="must be text"):
        fake_assistant.ask(42)


@pytest.mark.parametrize("filters", [
    Filters(date_from=dt.date(2021, 11, 11)),
    Filters(date_to=dt.date(2021, 11, 9)),
    {"date_from": "2021-12-01", "date_to": "2021-12-31"},
])
def test_a_date_range_excluding_the_briefing_abstains(fake_assistant, filters):
    a = fake_assistant.ask(NICARAGUA_Q, filters=filters)
    assert a.abstained and a.citations == ()
    assert "nothing in the index matches" in a.text


@pytest.mark.parametrize("filters", [
    Filters(briefing_ids=[SAMPLE_ID]),
    {"briefing_ids": SAMPLE_ID},
    Filters(date_from=dt.date(2021, 11, 10), date_to=dt.date(2021, 11, 10)),
    None,
])
def test_matching_filters_still_answer(fake_assistant, filters):
    a = fake_assistant.ask(NICARAGUA_Q, filters=filters)
    assert not a.abstained and "Sandinista" in a.text


def test_retrieve_honours_filters(fake_assistant):
    assert fake_assistant.retrieve(NICARAGUA_Q, k=3)[0].ref.section_index == 4
    assert len(fake_assistant.retrieve(NICARAGUA_Q, k=3)) == 3
    assert fake_assistant.retrieve(NICARAGUA_Q, filters={"date_from": "2021-11-11"}) == []
    with pytest.raises(InputError, match="no briefing 'x'"):
        fake_assistant.retrieve(NICARAGUA_Q, filters={"briefing_ids": ["x"]})


# --------------------------------------------------------------------------- API


def test_runnable_invoke_and_batch(fake_assistant):
    runnable = fake_assistant.as_runnable()
    a = runnable.invoke({"question": NICARAGUA_Q})
    assert isinstance(a, Answer) and "Sandinista" in a.text and a.mode == "extractive"
    b = runnable.invoke({"question": NICARAGUA_Q, "mode": "local"})
    assert b.mode == "local" and b.citations
    c = runnable.invoke(NICARAGUA_Q)
    assert isinstance(c, Answer) and c.text == a.text
    results = runnable.batch([{"question": NICARAGUA_Q}, {"question": VIETNAM_Q},
                              {"question": "Is it possible to talk about a time frame?",
                               "history": [(KAZAKHSTAN_Q, "x")]},
                              {"question": NICARAGUA_Q, "filters": {"date_to": "2021-11-09"}}])
    assert [type(r) for r in results] == [Answer] * 4
    assert [r.abstained for r in results] == [False, True, False, True]
    assert "Kazakhstan" in results[2].standalone_question


@pytest.mark.parametrize("question", ["", "   ", None])
def test_empty_question_is_a_value_error(fake_assistant, question):
    with pytest.raises(ValueError, match="empty question"):
        fake_assistant.ask(question)


def test_unknown_mode_is_a_value_error(fake_assistant):
    with pytest.raises(ValueError, match="unknown answer mode 'gpt-17'"):
        fake_assistant.ask(NICARAGUA_Q, mode="gpt-17")
    with pytest.raises(ValueError):
        list(fake_assistant.stream(NICARAGUA_Q, mode="gpt-17"))


def test_missing_prompt_file_names_the_file(settings, tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(settings.prompts_dir, folder)
    assert Prompts(folder).fallback  # complete folder is fine
    (folder / "abstain.txt").unlink()
    with pytest.raises(FileNotFoundError, match="abstain.txt"):
        Prompts(folder)
    with pytest.raises(FileNotFoundError, match="answer_system.txt"):
        Prompts(tmp_path / "nowhere")


def test_assistant_with_a_missing_prompts_dir_fails_clearly(settings, sample_index, embedder, tmp_path):
    bad = settings.replace(**{"prompts_dir": tmp_path / "missing"})
    with pytest.raises(FileNotFoundError, match="prompt file missing"):
        Assistant(bad, embedder=embedder, index=sample_index)


def test_timings(fake_assistant):
    for a in (fake_assistant.ask(NICARAGUA_Q), fake_assistant.ask(NICARAGUA_Q, mode="local"),
              fake_assistant.ask(VIETNAM_Q)):
        assert {"retrieval_ms", "total_ms"} <= set(a.timings)
        assert 0 <= a.timings["retrieval_ms"] <= a.timings["total_ms"]
    local = fake_assistant.ask(NICARAGUA_Q, mode="local")
    assert {"evidence_ms", "generation_ms", "ttft_ms"} <= set(local.timings)


def test_answer_to_json(fake_assistant):
    j = fake_assistant.ask(NICARAGUA_Q).to_json()
    assert "The ruling party" in j["answer"] and j["abstained"] is False
    assert j["citations"][0]["quote"] and j["closest_sections"] == []
    assert j["citations"][0]["label"] == "2021-11-10 — Nicaragua election results"
    assert set(j) == {"question", "standalone_question", "answer", "abstained", "mode", "notice", "citations",
                      "closest_sections", "timings", "lead", "scope", "timeline"}


def test_available_modes(fake_assistant):
    assert fake_assistant.available_modes() == ["local", "openai", "extractive"]

