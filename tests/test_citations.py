"""Citation attribution after generation: claims and markers, moved and dropped markers,
two-passage claims, renumbering, and quotes that are exact spans of the briefing text."""

from __future__ import annotations

import pytest

from assistant.answer.citations import Attributor, split_claims, with_markers
from assistant.config import Settings
from assistant.answer.evidence import VectorCache
from assistant.ingest.ingestor import parse_file
from assistant.models import EvidenceItem, SectionRef

from .conftest import SAMPLE
from .fakes import HashEmbedder

PHILIPPINES = 11
MOLDOVA = 2  # "We have already announced events for November 16." / "On that day, ... Moussa Mahamat."


@pytest.fixture(scope="module")
def briefing():
    return parse_file(SAMPLE, Settings(_env_file=None))


def evidence(briefing, picks: list[tuple[int, int]]) -> list[EvidenceItem]:
    """Evidence items numbered 1.. from (section index, sentence number) pairs of the sample."""
    out = []
    for n, (si, pos) in enumerate(picks, start=1):
        sec = briefing.sections[si]
        start, end = sec.sentences[pos]
        ref = SectionRef(briefing_id=briefing.id, briefing_date=briefing.date, briefing_title=briefing.title,
                         speaker=briefing.speaker,
                         section_index=si, section_title=sec.title, section_kind=sec.kind,
                         start=sec.start, end=sec.end)
        out.append(EvidenceItem(number=n, ref=ref, text=briefing.text[start:end], start=start, end=end,
                                score=1.0, position=pos, label=sec.label_end(start) - start))
    return out


@pytest.fixture
def attributor():
    return Attributor(VectorCache(HashEmbedder()))


@pytest.fixture
def philippines(briefing):
    # [1] RDIF delivered 2.8 million doses  [2] Duterte attended the ceremony
    # [3] approved Sputnik V in March, Sputnik Light in August  [4] over seven million doses
    ev = evidence(briefing, [(PHILIPPINES, 0), (PHILIPPINES, 1), (PHILIPPINES, 3), (PHILIPPINES, 4)])
    assert ev[0].text.startswith("On November 8, 2021, the Russian Direct Investment Fund delivered 2.8 million")
    assert "Rodrigo Duterte" in ev[1].text and "Sputnik Light in August" in ev[2].text
    return ev


def assert_quotes_exact(citations, briefing):
    for c in citations:
        assert c.quote == briefing.text[c.start:c.end]
        assert c.ref.briefing_id == briefing.id and c.ref.briefing_date == "2021-11-10"


# --------------------------------------------------------------------------- split_claims, with_markers


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


def test_a_correct_marker_is_kept(attributor, philippines, briefing):
    a = attributor.attribute("The Philippines approved Sputnik Light in August 2021 [3].", philippines)
    assert a.fixed == 0 and a.dropped == []
    assert a.text == "The Philippines approved Sputnik Light in August 2021 [1]."  # renumbered: first cited
    assert len(a.citations) == 1
    assert a.citations[0].quote == philippines[2].text
    assert a.claims == [("The Philippines approved Sputnik Light in August 2021.", [1])]
    assert_quotes_exact(a.citations, briefing)


def test_a_wrong_marker_is_moved_to_the_supporting_evidence(attributor, philippines, briefing):
    a = attributor.attribute("The Russian Direct Investment Fund delivered 2.8 million doses of the "
                             "Sputnik V vaccine [3].", philippines)
    assert a.fixed == 1
    assert a.dropped == []
    assert [c.quote for c in a.citations] == [philippines[0].text]
    assert a.text.endswith("Sputnik V vaccine [1].")
    assert_quotes_exact(a.citations, briefing)


def test_a_missing_marker_is_added(attributor, philippines):
    a = attributor.attribute("Rodrigo Duterte attended the official ceremony.", philippines)
    assert a.fixed == 1
    assert [c.quote for c in a.citations] == [philippines[1].text]
    assert a.text == "Rodrigo Duterte attended the official ceremony [1]."


def test_a_marker_beyond_the_evidence_is_replaced(attributor, philippines):
    a = attributor.attribute("Rodrigo Duterte attended the official ceremony [9].", philippines)
    assert a.fixed == 1 and [c.quote for c in a.citations] == [philippines[1].text]


def test_a_sentence_with_a_number_absent_from_the_evidence_is_dropped(attributor, philippines):
    wrong = "The Russian Direct Investment Fund delivered 5.6 million doses of the Sputnik V vaccine."
    a = attributor.attribute(wrong.rstrip(".") + " [1].", philippines)
    assert a.dropped == [wrong]
    assert a.citations == [] and a.text == ""


def test_a_sentence_with_a_name_absent_from_the_evidence_is_dropped(attributor, philippines, briefing):
    a = attributor.attribute("The Russian Direct Investment Fund delivered 2.8 million doses of the Sputnik V "
                             "vaccine [1]. Angela Merkel attended the official ceremony [2].", philippines)
    assert a.dropped == ["Angela Merkel attended the official ceremony."]
    assert "Merkel" not in a.text
    assert [c.quote for c in a.citations] == [philippines[0].text]
    assert a.claims == [("The Russian Direct Investment Fund delivered 2.8 million doses of the Sputnik V vaccine.",
                         [1])]
    assert_quotes_exact(a.citations, briefing)


def test_the_same_sentence_with_the_right_name_is_kept(attributor, philippines):
    a = attributor.attribute("Rodrigo Duterte attended the official ceremony [2].", philippines)
    assert a.dropped == [] and [c.quote for c in a.citations] == [philippines[1].text]


def test_support_matrix_is_highest_on_the_supporting_passage(attributor, philippines):
    s = attributor.support(["Rodrigo Duterte attended the official ceremony.",
                            "The Philippines approved Sputnik Light in August 2021."], philippines)
    assert s.shape == (2, 4)
    assert ((s >= 0) & (s <= 1)).all()
    assert list(s.argmax(axis=1)) == [1, 2]
    assert s[0, 1] >= attributor.threshold > s[0, 0]
    assert attributor.support([], philippines).shape == (0, 4)


def test_a_claim_needing_two_passages_is_cited_with_both(attributor, briefing):
    """The date is in one sentence, the meeting in the next ("On that day, ...")."""
    ev = evidence(briefing, [(MOLDOVA, 0), (MOLDOVA, 1), (MOLDOVA, 2)])
    assert ev[0].text == "We have already announced events for November 16."
    assert ev[1].text.startswith("On that day, Foreign Minister Sergey Lavrov plans to meet")
    claim = "On November 16, Foreign Minister Sergey Lavrov will meet Moussa Mahamat."
    for answer in (claim.rstrip(".") + " [2].", claim, claim.rstrip(".") + " [1, 2]."):
        a = attributor.attribute(answer, ev)
        assert a.dropped == []
        assert [c.quote for c in a.citations] == [ev[0].text, ev[1].text]
        assert a.text == claim.rstrip(".") + " [1][2]."
        assert_quotes_exact(a.citations, briefing)
    assert attributor.attribute(claim.rstrip(".") + " [1, 2].", ev).fixed == 0


def test_citations_are_renumbered_in_order_of_appearance(attributor, philippines, briefing):
    a = attributor.attribute("The Philippines approved Sputnik Light in August 2021 [3]. "
                             "Rodrigo Duterte attended the official ceremony [2]. "
                             "Sputnik Light was approved in August 2021 [3].", philippines)
    assert a.dropped == [] and a.fixed == 0
    assert [c.number for c in a.citations] == [1, 2]
    assert [c.quote for c in a.citations] == [philippines[2].text, philippines[1].text]
    assert [nums for _, nums in a.claims] == [[1], [2], [1]]
    assert a.text == ("The Philippines approved Sputnik Light in August 2021 [1]. "
                      "Rodrigo Duterte attended the official ceremony [2]. "
                      "Sputnik Light was approved in August 2021 [1].")
    assert_quotes_exact(a.citations, briefing)


def test_citations_carry_the_section_of_their_evidence(attributor, philippines, briefing):
    a = attributor.attribute("Rodrigo Duterte attended the official ceremony [2].", philippines)
    c = a.citations[0]
    sec = briefing.sections[PHILIPPINES]
    assert (c.ref.section_index, c.ref.section_title, c.ref.section_kind) == (PHILIPPINES, sec.title, "statement")
    assert sec.start <= c.start < c.end <= sec.end
    assert (c.start, c.end) == (philippines[1].start, philippines[1].end)


def test_no_evidence_drops_everything(attributor):
    a = attributor.attribute("Rodrigo Duterte attended the official ceremony [1].", [])
    assert a.citations == [] and a.dropped == ["Rodrigo Duterte attended the official ceremony."]


def test_question_terms_do_not_count_as_unsupported_names(attributor, philippines):
    """A name the user asked about may be repeated without being in the passage."""
    claim = "For Vietnam, Rodrigo Duterte attended the official ceremony [2]."
    assert attributor.attribute(claim, philippines).dropped  # Vietnam is in neither
    a = attributor.attribute(claim, philippines, question="Did Vietnam attend?")
    assert a.dropped == [] and [c.quote for c in a.citations] == [philippines[1].text]
