"""Follow-up questions resolved against the previous user turns (deterministic, no model)."""

from __future__ import annotations

import pytest

from assistant.answer.conversation import Turn, resolve

BELARUS_Q = "Did Russia agree to recognise vaccination certificates with Belarus?"
KAZAKHSTAN_Q = "What did Russia say about the mutual recognition of vaccination certificates with Kazakhstan?"
PARIS_Q = "Who will attend the meeting in Paris?"


def test_what_about_x_replaces_the_previous_questions_last_entity():
    history = [{"role": "user", "content": BELARUS_Q}, {"role": "assistant", "content": "Yes [1]."}]
    assert resolve("And what about Kazakhstan?", history) == \
        "Did Russia agree to recognise vaccination certificates with Kazakhstan?"


@pytest.mark.parametrize("follow_up", ["What about Kazakhstan?", "and what about Kazakhstan", "How about Kazakhstan?",
                                       "And Kazakhstan?", "And for Kazakhstan?", "But what about Kazakhstan?"])
def test_variants_of_what_about(follow_up):
    assert resolve(follow_up, [(BELARUS_Q, "Yes.")]) == \
        "Did Russia agree to recognise vaccination certificates with Kazakhstan?"


def test_only_the_last_entity_is_replaced():
    q = "When will the Foreign Minister of Moldova meet the OSCE Chairperson in Stockholm?"
    assert resolve("What about Vienna?", [(q, "")]) == \
        "When will the Foreign Minister of Moldova meet the OSCE Chairperson in Vienna?"


def test_lower_case_what_about_appends_to_the_previous_question():
    out = resolve("what about the defence ministers?", [{"role": "user", "content": PARIS_Q}])
    assert out == "Who will attend the meeting in Paris — regarding defence ministers?"
    assert out.startswith("Who will attend the meeting in Paris")  # Paris is not replaced


def test_what_about_x_without_a_previous_entity_appends():
    out = resolve("What about Kazakhstan?", [("how many passports were issued?", "")])
    assert out == "how many passports were issued — regarding Kazakhstan?"


def test_pronoun_follow_up_gets_the_previous_topic():
    out = resolve("Is it possible to talk about a time frame?", [{"role": "user", "content": KAZAKHSTAN_Q}])
    assert out.startswith("Is it possible to talk about a time frame?")
    assert "Kazakhstan" in out and "vaccination certificates" in out
    assert out == f"Is it possible to talk about a time frame? (about: {KAZAKHSTAN_Q.rstrip('?')})"


@pytest.mark.parametrize("follow_up", ["When will it happen?", "What did they decide?", "Who else was there?"])
def test_other_dependent_follow_ups(follow_up):
    out = resolve(follow_up, [(KAZAKHSTAN_Q, "answer")])
    assert out.startswith(follow_up) and "Kazakhstan" in out


@pytest.mark.parametrize("question", [
    "Who convened the Paris conference on Libya?",
    "What did the spokeswoman say about the elections in Venezuela?",
    "How many passports were issued in Afghanistan in one month?",
    # long enough to be self-contained although it has a pronoun
    "Is it true that the Russian Direct Investment Fund delivered the vaccine doses to the Philippines "
    "in November at the request of their government?",
])
def test_self_contained_questions_are_unchanged(question):
    assert resolve(question, [(KAZAKHSTAN_Q, "answer")]) == question
    assert resolve(question, [{"role": "user", "content": BELARUS_Q}]) == question


def test_no_history_or_no_user_turn_leaves_the_question_alone():
    assert resolve("And what about Kazakhstan?", None) == "And what about Kazakhstan?"
    assert resolve("And what about Kazakhstan?", []) == "And what about Kazakhstan?"
    assert resolve("And what about Kazakhstan?", [{"role": "assistant", "content": BELARUS_Q}]) == \
        "And what about Kazakhstan?"
    assert resolve("And what about Kazakhstan?", [{"role": "user", "content": "   "}]) == "And what about Kazakhstan?"
    assert resolve("  Who convened it?  ", None) == "Who convened it?"


def test_history_formats_dicts_turns_and_tuples_agree():
    expected = "Did Russia agree to recognise vaccination certificates with Kazakhstan?"
    as_dicts = [{"role": "user", "content": BELARUS_Q}, {"role": "assistant", "content": "Yes [1]."}]
    as_turns = [Turn(role="user", content=BELARUS_Q), Turn(role="assistant", content="Yes [1].")]
    as_tuples = [(BELARUS_Q, "Yes [1].")]
    for history in (as_dicts, as_turns, as_tuples):
        assert resolve("And what about Kazakhstan?", history) == expected


def test_assistant_turns_are_ignored():
    history = [Turn(role="user", content=BELARUS_Q),
               Turn(role="assistant", content="Russia and Armenia agreed on that with Georgia.")]
    assert resolve("What about Kazakhstan?", history).endswith("with Kazakhstan?")


def test_chain_of_what_about_follow_ups():
    history = [(BELARUS_Q, "a"), ("And what about Armenia?", "b")]
    assert resolve("And what about Kazakhstan?", history) == \
        "Did Russia agree to recognise vaccination certificates with Kazakhstan?"
    # the chain is resolved in order: the pronoun follow-up refers to the resolved second question
    history.append(("And what about Kazakhstan?", "c"))
    out = resolve("Is it possible to talk about a time frame?", history)
    assert out == ("Is it possible to talk about a time frame? "
                   "(about: Did Russia agree to recognise vaccination certificates with Kazakhstan)")


def test_a_self_contained_question_resets_the_chain():
    history = [(BELARUS_Q, "a"), ("Who convened the Paris conference on Libya?", "b")]
    assert resolve("What about Berlin?", history) == "Who convened the Paris conference on Berlin?"


def test_a_question_with_its_own_names_and_an_internal_pronoun_is_unchanged():
    q = "Who convened the Paris conference on Libya, and when will it take place?"
    assert resolve(q, [(KAZAKHSTAN_Q, "answer")]) == q


@pytest.mark.parametrize("follow_up, standalone", [
    ("And in 2019?", "How many passports were issued in 2019?"),
    ("What about March 2022?", "How many passports were issued in March 2022?"),
    ("And on 10 November 2021?", "How many passports were issued on 10 November 2021?"),
    ("And in 2019 for Ruritania?", "How many passports were issued in 2021 — regarding 2019 for Ruritania?"),
])
def test_a_follow_up_that_is_only_a_date_replaces_the_previous_questions_date(follow_up, standalone):
    """"And in 2019?" asks the same question of another date (the follow-up used to be attached,
    leaving both dates to scope it); a follow-up with more than a date is not only a date."""
    assert resolve(follow_up, [("How many passports were issued in 2021?", "…")]) == standalone


def test_a_date_follow_up_to_an_undated_question_adds_the_date():
    assert resolve("And in 2019?", [("How many passports were issued?", "…")]) == \
        "How many passports were issued in 2019?"
