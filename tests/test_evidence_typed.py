"""TYPE_BONUS: among the best-scored evidence sentences, one holding an entity of the asked kind
moves up (assistant/answer/evidence.py)."""

from __future__ import annotations

from assistant.answer import evidence as ev
from assistant.answer.evidence import Candidate, EvidenceBuilder
from assistant.text import Span

from .test_compose import StubTagger

RESTATES = "On November 12, the Security Council will hold a meeting in the 2+2 format in Paris."
ANSWERS = "Russia will be represented by Foreign Minister Sergey Lavrov and Defence Minister Sergey Shoigu."


def _candidate(text: str, position: int) -> Candidate:
    return Candidate(0, None, Span(0, len(text)), text, position)  # type: ignore[arg-type]


def test_a_sentence_naming_the_asked_kind_moves_up(settings):
    tagger = StubTagger({ANSWERS: [("Sergey Lavrov", "PERSON"), ("Sergey Shoigu", "PERSON")],
                         RESTATES: [("November 12", "DATE"), ("Paris", "GPE")]})
    builder = EvidenceBuilder(None, None, settings, tagger)  # type: ignore[arg-type]
    scored = [(0.80, _candidate(RESTATES, 0)), (0.70, _candidate(ANSWERS, 1))]
    question = "Who represents Russia at the 2+2 meeting?"
    assert [c.text for _, c in builder._typed(question, scored)] == [ANSWERS, RESTATES]
    # without the bonus the order stays: the constant is what changes it
    old = ev.TYPE_BONUS
    try:
        ev.TYPE_BONUS = 0.0
        assert [c.text for _, c in builder._typed(question, scored)] == [RESTATES, ANSWERS]
    finally:
        ev.TYPE_BONUS = old
    # an open question is left alone
    assert builder._typed("What was said about the meeting?", scored) == scored
