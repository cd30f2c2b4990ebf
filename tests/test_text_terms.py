"""The one "is this term in the passage" matcher and the answer types read from the lexicon."""

from __future__ import annotations

import pytest

from assistant.answer.answer_types import expected_answer
from assistant.text import present, terms


def vocab(text: str) -> set[str]:
    return set(terms(text))


@pytest.mark.parametrize("term, passage", [
    ("moldovan", "talks with Moldova"),  # a demonym's stem shares all but its ending
    ("kazakhstani", "Kazakhstan and Russia"),
    ("negotiations", "the negotiating table"),  # an unstemmed term is stemmed first
    ("sanction", "new sanctions"),
])
def test_present_finds_other_forms_of_a_word(term, passage):
    assert present(term, vocab(passage))


@pytest.mark.parametrize("term, passage", [
    ("2021", "in 2022"),  # numbers only match exactly
    ("iran", "Iraq"),  # short terms only match exactly
    ("austria", "Australia"),  # a shared beginning is not enough
    ("moscow", "Mosul"),
])
def test_present_rejects_different_words(term, passage):
    assert not present(term, vocab(passage))


@pytest.mark.parametrize("question, kind", [
    ("Who convened the Paris conference?", "person"),
    ("When will the minister travel?", "date"),
    ("When asked about the talks, what did she say?", None),  # "when" that is not a question about time
    ("Where will the talks be held?", "place"),
    ("How many doses were delivered?", "number"),
    ("Which countries signed the statement?", "list"),
    ("In what year was the agreement signed?", "date"),
    ("What did the spokeswoman say about the elections?", None),
])
def test_expected_answer_type(question, kind):
    got = expected_answer(question)
    assert (got.name if got else None) == kind


def test_words_run_together_in_camel_case_are_found():
    """A digest's "#BlackSeaGrain" heading holds "Black Sea Grain"; ordinary words give nothing."""
    from assistant.text.terms import camel_parts

    assert camel_parts("#BlackSeaGrain and NewSTART") == ["black", "sea", "grain", "new", "start"]
    assert camel_parts("Table of contents, OSCE, COVID-19") == []
