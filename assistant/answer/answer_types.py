"""What kind of answer a question wants — a person or body ("who"), a date ("when"), a place
("where"), a number ("how many"), several names ("which countries") — and the entities of that
kind a sentence holds, by spaCy's entity labels (see entities.py), never by name lists.

Used to refuse near misses ("Who will represent Russia at the Troika Plus meeting?" when the
briefing names no one), to check that an answer answers ("… on November 15" does not answer
"who"), and to pick the phrase an answer leads with."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.entities import Entity, EntityTagger
from assistant.text.lexicon import alternation, word_map

NUMBER_WORDS = alternation("number_words")
COUNT = re.compile(rf"\d|\b{NUMBER_WORDS}\b", re.IGNORECASE)


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern  # the question asks for this type
    labels: frozenset[str]  # spaCy entity labels of such an answer
    strict: bool  # refuse when no evidence sentence holds one

    def answers(self, sentence: str, question: str, tagger: EntityTagger) -> list[Entity]:
        """Entities of this kind in the sentence (without its speaker label) that the question
        does not already give."""
        q = question.lower()
        return [e for e in tagger.entities(sentence) if e.label in self.labels and e.text.lower() not in q]


def _asks(name: str) -> re.Pattern:
    """The question patterns of one answer type (lexicon ``answer_types.tsv``), as one regex."""
    patterns = [p for p, kind in word_map("answer_types").items() if kind == name]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


# (type, spaCy entity labels of such an answer, refuse when no evidence sentence holds one)
_TYPES = (
    ("person", {"PERSON", "ORG", "NORP"}, True),
    ("date", {"DATE", "TIME"}, True),
    ("place", {"GPE", "LOC", "FAC"}, False),
    ("list", {"GPE", "ORG", "NORP", "PERSON", "LOC"}, False),
    ("number", {"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME"}, True),
)
ANSWER_TYPES: tuple[AnswerType, ...] = tuple(AnswerType(name, _asks(name), frozenset(labels), strict)
                                             for name, labels, strict in _TYPES)


def expected_answer(question: str) -> AnswerType | None:
    """The answer type a question asks for (lexicon ``answer_types.tsv``), or None (an open "what
    did they say" question)."""
    for t in ANSWER_TYPES:
        if t.asks.search(question):
            return t
    return None
