"""Dates and intents in questions are scope, not topic words (assistant/answer/scope.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.answer.scope import FactDate, parse_scope, plan_search, resolve_relative
from assistant.models import Filters

D = dt.date


@pytest.mark.parametrize("question, first, last", [
    ("At the briefing of 6 July 2022, where was Lavrov to attend the G20 meeting?", D(2022, 7, 6), D(2022, 7, 6)),
    ("On July 6, 2022 what did they say about grain?", D(2022, 7, 6), D(2022, 7, 6)),
    ("What did Zaitsev say on 2022-07-06 about grain?", D(2022, 7, 6), D(2022, 7, 6)),
    ("What was said on 06.07.2022 about grain?", D(2022, 7, 6), D(2022, 7, 6)),
    ("In the April 2021 briefing, what was said about Japan?", D(2021, 4, 1), D(2021, 4, 30)),
    ("What did the briefings in 2023 say about BRICS?", D(2023, 1, 1), D(2023, 12, 31)),
    ("Between March and May 2022, what was said about Turkey?", D(2022, 3, 1), D(2022, 5, 31)),
    ("How did the statements on New START change from 2021 to 2023?", D(2021, 1, 1), D(2023, 12, 31)),
    ("Since 2022, which briefings mentioned the Arctic Council?", D(2022, 1, 1), None),
    ("Before 2020, what was said about New START?", None, D(2019, 12, 31)),
])
def test_dates_in_questions_become_a_range(question, first, last):
    scope = parse_scope(question)
    assert (scope.date_from, scope.date_to) == (first, last)
    topic = scope.topic(question)
    for year in ("2019", "2020", "2021", "2022", "2023"):
        assert year not in topic  # the date is not a word the passage must contain


@pytest.mark.parametrize("question", [
    "Who convened the Paris conference on Libya?",
    "When did the USS Mount Whitney enter the Black Sea?",
    "What did they say about May Day celebrations?",  # a month name that is no date
    "How many passports, 90,000 or 2,022, were issued?",  # numbers that are no years
])
def test_questions_without_dates_have_no_scope(question):
    scope = parse_scope(question)
    assert not scope.dated and scope.topic(question) == question


def test_a_bare_year_is_a_preference_and_a_day_is_a_filter():
    assert not parse_scope("How many passports were issued in 2021?").strict
    assert parse_scope("What was said on 6 July 2022?").strict
    assert parse_scope("What did the 2021 briefings say about Libya?").strict


@pytest.mark.parametrize("question, intent", [
    ("When did the ministry last comment on the grain deal?", "last"),
    ("When was the Arctic Council first mentioned?", "first"),
    ("Which briefings mentioned Afghanistan?", "which"),
    ("Timeline of the grain deal", "timeline"),
    ("How did the position on New START change from 2021 to 2023?", "timeline"),
    ("What did the latest briefing say about Nicaragua?", "fact"),
    ("Who convened the Paris conference on Libya?", "fact"),
])
def test_intents(question, intent):
    assert parse_scope(question).intent == intent


def test_the_topic_of_a_question_across_briefings():
    scope = parse_scope("When did the ministry last comment on the grain deal?")
    assert scope.topic("When did the ministry last comment on the grain deal?") == "grain deal"


DATES = ["2022-07-06", "2022-07-14", "2021-11-10"]


def test_relative_briefings_are_counted_from_the_newest_indexed_one():
    latest = resolve_relative(parse_scope("What did the latest briefing say about grain?"), DATES)
    assert latest.date_from == latest.date_to == D(2022, 7, 14)
    previous = resolve_relative(parse_scope("What did the previous briefing say about grain?"), DATES)
    assert previous.date_from == D(2022, 7, 6)


def test_no_briefing_on_the_asked_date_names_the_nearest():
    plan = plan_search(parse_scope("At the briefing of 7 July 2022, what was said about grain?"), None, DATES)
    assert plan.attempts == ()
    assert plan.missing == "No briefing on 7 July 2022 is indexed; nearest: 6 July 2022, 14 July 2022"


def test_a_day_without_briefing_words_dates_the_briefing_held_that_day_else_the_event():
    held = plan_search(parse_scope("Where was Lavrov to attend the G20 meeting on 6 July 2022?"), None, DATES)
    assert held.attempts == (Filters(date_from=D(2022, 7, 6), date_to=D(2022, 7, 6)),)
    event = plan_search(parse_scope("How many citizens did the flight bring home on 10 October 2020?"), None, DATES)
    assert event.attempts == (None,) and event.missing is None
    said = plan_search(parse_scope("What was said on 7 July 2022 about grain?"), None, DATES)
    assert said.attempts == () and said.missing


def test_the_ministry_as_the_actor_of_an_event_does_not_date_the_briefing():
    question = "How many citizens returned home with the help of the Foreign Ministry in March 2020?"
    assert not parse_scope(question).strict
    assert plan_search(parse_scope(question), None, DATES).attempts == (None,)


def test_a_weekday_is_part_of_the_date():
    question = "At the Wednesday, 6 July 2022 briefing, how many citizens were evacuated?"
    scope = parse_scope(question)
    assert scope.date_from == scope.date_to == D(2022, 7, 6)
    assert "Wednesday" not in scope.topic(question)


def test_scope_meets_the_users_filters():
    plan = plan_search(parse_scope("In 2022 briefings, what about grain?"), Filters(date_to=D(2022, 7, 10)), DATES)
    assert plan.attempts == (Filters(date_from=D(2022, 1, 1), date_to=D(2022, 7, 10)),)
    assert plan.scope == "Searched briefings from 1 January 2022 to 31 December 2022"


def test_a_preferred_year_falls_back_to_all_briefings():
    plan = plan_search(parse_scope("How many passports were issued in 2021?"), None, DATES)
    assert plan.attempts == (Filters(date_from=D(2021, 1, 1), date_to=D(2021, 12, 31)), None)
    plan = plan_search(parse_scope("How many passports were issued in 2019?"), None, DATES)
    assert plan.attempts == (None,) and plan.missing is None


def test_outside_the_preferred_dates_a_passage_must_name_the_date_of_the_fact():
    """A bare year or month dates the fact: another briefing answers only with a passage that
    names it; every date of such a question counts; a briefing's own date asks for nothing."""
    year = plan_search(parse_scope("How many passports were issued in 2021?"), None, DATES)
    assert (year.required(0), year.required(1)) == ((), (FactDate(2021),))
    none_held = plan_search(parse_scope("How many passports were issued in 2019?"), None, DATES)
    assert none_held.required(0) == (FactDate(2019),)
    day = plan_search(parse_scope("How many citizens did the flight bring home on 10 October 2020?"), None, DATES)
    assert day.required(0) == (FactDate(2020, 10),)
    two = parse_scope("How did exports in 2020 compare with those in 2019?")
    assert two.fact_dates == (FactDate(2020), FactDate(2019))
    briefing = plan_search(parse_scope("In 2022 briefings, what about grain?"), None, DATES)
    assert briefing.required(0) == briefing.required(1) == ()
    assert plan_search(parse_scope("What about grain?"), None, DATES).required(0) == ()


@pytest.mark.parametrize("date, text, named", [
    (FactDate(2021), "In 2021, exports grew.", True),
    (FactDate(2021), "Exports grew on 10.10.2021.", True),
    (FactDate(2021), "In 2022, exports grew.", False),
    (FactDate(2021), "Exports grew by 2021 tonnes.", True),  # a number that reads as the year
    (FactDate(1944, 4), "The city was liberated on April 10.", True),  # the month, its year left out
    (FactDate(2021, 10), "On Oct. 5, exports grew.", True),  # the lexicon's abbreviations
    (FactDate(2021, 3), "The crowd marched on.", False),  # whole words only
    (FactDate(2021, 5), "Exports may grow.", False),  # "may" in lower case is no month
    (FactDate(2021, 5), "In May, exports grew.", True),
])
def test_a_date_of_the_fact_is_named_by_its_year_or_month_as_written(date, text, named):
    assert date.named_in(text) is named


def test_a_scope_within_a_chosen_briefing_still_searches_it():
    user = Filters(briefing_ids=("b1",))
    plan = plan_search(parse_scope("What was said on 6 July 2022 about grain?"), user, DATES)
    assert plan.attempts == (Filters(briefing_ids=("b1",), date_from=D(2022, 7, 6), date_to=D(2022, 7, 6)),)


@pytest.mark.parametrize("question, topic", [
    ("On 20 October 2021, how many members did the delegation have?", "how many members did the delegation have?"),
    ("At the briefing of 6 July 2022, where was the minister to go?", "where was the minister to go?"),
    ("In the April 2021 briefing, who spoke about the summit?", "who spoke about the summit?"),
    # a clause that asks, or that says more than when, stays
    ("What did the ministry say on 6 July 2022, about the summit?", "What did the ministry say on , about the summit?"),
    ("After the talks on 6 July 2022, who left?", "After the talks on , who left?"),
])
def test_a_leading_clause_that_only_dates_the_question_is_not_part_of_its_topic(question, topic):
    """The topic then starts with its question word, so the kind of answer asked for is seen."""
    assert parse_scope(question).topic(question) == topic


def test_a_fact_dated_outside_the_indexed_briefings_is_answered_only_by_a_passage_naming_the_date(fake_assistant):
    """The sample (10 November 2021) gives the count "over the past two months": asked for 2021 or
    November 2021 it answers; asked for 2019, March or May 2021 (no briefing then) the passage
    would have to say so, and it does not."""
    for question in ("How many ISIS militants surrendered in 2021?", "How many ISIS militants surrendered in November 2021?"):
        answer = fake_assistant.ask(question, mode="extractive")
        assert not answer.abstained and answer.lead == "250"
    for question, date in (("How many ISIS militants surrendered in 2019?", "2019"),
                           ("How many ISIS militants surrendered in March 2021?", "March 2021"),
                           ("How many ISIS militants surrendered in May 2021?", "May 2021")):
        answer = fake_assistant.ask(question, mode="extractive")
        assert answer.abstained and f"mentions {date}" in answer.text
        assert answer.scope.startswith("No briefing from ") and answer.scope.endswith(
            "is indexed; nearest: 10 November 2021; searched all briefings")  # the user sees what was searched
