"""Answer claims and the passages they cite: splitting an answer into cited claims, markers, and
the consistency check (numbers, names, dates and negation must be in the cited passage)."""

from __future__ import annotations

import pytest

from assistant.answer.citations import disagreements, split_claims
from assistant.models import Citation, SectionRef
from assistant.text import with_markers


def test_split_claims_reads_inline_markers():
    claims = split_claims("Lavrov will attend the conference [1]. It was convened by Macron [2].")
    assert [(c.text, c.markers) for c in claims] == [
        ("Lavrov will attend the conference.", [1]), ("It was convened by Macron.", [2])]


def test_split_claims_reads_grouped_and_adjacent_markers():
    claims = split_claims("First claim [1, 2]. Second claim [2][3]. Third claim [1; 4].")
    assert [c.markers for c in claims] == [[1, 2], [2, 3], [1, 4]]
    assert [c.text for c in claims] == ["First claim.", "Second claim.", "Third claim."]


def test_split_claims_attaches_a_trailing_marker_only_sentence_to_the_previous_one():
    claims = split_claims("Lavrov will attend [1]. Shoigu too [2]. [3]")
    assert [(c.text, c.markers) for c in claims] == [("Lavrov will attend.", [1]), ("Shoigu too.", [2, 3])]
    assert split_claims("[1]") == []


def test_split_claims_keeps_decimal_numbers_and_unmarked_sentences():
    claims = split_claims("RDIF delivered 2.8 million doses [1]. Nothing else is known.")
    assert [(c.text, c.markers) for c in claims] == [("RDIF delivered 2.8 million doses.", [1]),
                                                     ("Nothing else is known.", [])]


def test_split_claims_gives_a_marker_after_the_full_stop_to_its_sentence():
    claims = split_claims("Lavrov will attend. [2] Shoigu will too [3].")
    assert [(c.text, c.markers) for c in claims] == [("Lavrov will attend.", [2]), ("Shoigu will too.", [3])]


@pytest.mark.parametrize("sentence, numbers, expected", [
    ("Text.", [1, 2], "Text [1][2]."),
    ("Text", [1], "Text [1]"),
    ("Is it possible?", [3], "Is it possible [3]?"),
    ("It works…", [2], "It works [2]…"),
])
def test_with_markers_puts_markers_before_the_final_punctuation(sentence, numbers, expected):
    assert with_markers(sentence, numbers) == expected


def test_with_markers_round_trips_through_split_claims():
    text = with_markers("Lavrov will attend the conference in Paris.", [2, 5])
    assert [(c.text, c.markers) for c in split_claims(text)] == [("Lavrov will attend the conference in Paris.",
                                                                  [2, 5])]


# --------------------------------------------------------------------------- Attributor


def _citation(number: int, quote: str) -> Citation:
    ref = SectionRef(briefing_id="b", briefing_date="2021-11-10", briefing_title="t", section_index=0,
                     section_title="s", section_kind="statement", start=0, end=len(quote))
    return Citation(number=number, ref=ref, quote=quote, start=0, end=len(quote))


QUOTE = "Governors and deputies have been appointed in 17 out of 34 provinces, Maria Zakharova said."


def test_a_span_grounded_answer_agrees_with_its_passage():
    assert disagreements(f"17 out of 34 provinces — “{QUOTE}” [1]", [_citation(1, QUOTE)]) == []


@pytest.mark.parametrize("claim, what", [
    ("Governors have been appointed in 18 provinces [1].", "numbers ['18']"),
    ("Governors have been appointed by Ashraf Ghani [1].", "names ['ashraf', 'ghani']"),
    ("Governors were appointed on November 4 [1].", "dates ['November 4']"),
    ("Governors have not been appointed in 17 provinces [1].", "negation"),
])
def test_a_claim_that_differs_from_its_passage_is_reported(claim, what):
    problems = disagreements(claim, [_citation(1, QUOTE)])
    assert len(problems) == 1 and what in problems[0]


def test_a_claim_citing_a_missing_passage_is_reported():
    problems = disagreements("Seventeen provinces [2].", [_citation(1, QUOTE)])
    assert len(problems) == 1 and problems[0].endswith("cites no passage")


def test_a_composed_lead_is_a_claim_of_its_own_and_a_verbatim_copy_never_disagrees():
    passage = "The budget was not approved, and the blame for the delay lies with the committee."
    answer = f"the blame for the delay [1] — “{passage}” [1]"
    assert [c.text for c in split_claims(answer)] == ["the blame for the delay", f"“{passage}”"]
    # the lead lacks the passage's "not", but it is copied word for word from it
    assert disagreements(answer, [_citation(1, passage)]) == []
    assert disagreements("the delay was approved [1]", [_citation(1, passage)]) == [
        "the delay was approved: negation"]


def test_a_quote_in_guillemets_is_a_verbatim_copy_too():
    """A timeline entry quotes «two sentences» [n]: its second sentence is a claim of its own,
    copied word for word, whatever the first one negates."""
    passage = "Russia does not object to a short extension. Since August, 24.6 million tonnes were exported."
    answer = f"15 March 2023 (Grain deal): «{passage}» [1]"
    assert disagreements(answer, [_citation(1, passage)]) == []
