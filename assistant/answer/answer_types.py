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
from assistant.text.lexicon import alternation

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


ANSWER_TYPES: tuple[AnswerType, ...] = (
    AnswerType(
        "person",
        re.compile(r"^\s*(?:(?:and|so|but|to|by|with|from)\s+)?(?:who|whom|whose)\b|\bwhat (?:is|was) the name of\b",
                   re.I),
        frozenset({"PERSON", "ORG", "NORP"}), strict=True),
    AnswerType(
        "date",
        re.compile(r"^\s*(?:when(?!\s+(?:asked|talking|discussing|commenting|speaking|responding|answering))|what date|"
                   r"what day|on what date|on which date|since when|by when|in (?:what|which) (?:year|month))\b"
                   r"|\b(?:what|which) (?:date|day)\b", re.I),
        frozenset({"DATE", "TIME"}), strict=True),
    AnswerType(
        "place",
        re.compile(r"^\s*(?:where|in (?:what|which) (?:city|country|place|region))\b", re.I),
        frozenset({"GPE", "LOC", "FAC"}), strict=False),
    AnswerType(
        "list",
        re.compile(r"^\s*(?:which|what|name the|list the)\s+(?:\w+\s+)?(?:countries|states|nations|organi[sz]ations|"
                   r"parties|cities|regions|members|partners|stakeholders|players|groups|ministers|officials)\b", re.I),
        frozenset({"GPE", "ORG", "NORP", "PERSON", "LOC"}), strict=False),
    AnswerType(
        "number",
        re.compile(r"^\s*(?:(?:in|for|by|of|to|from|with|and)\s+)?(?:how (?:many|much|long|often|far|old)|"
                   r"what (?:number|percentage|share|amount))\b", re.I),
        frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME"}), strict=True),
)


def expected_answer(question: str) -> AnswerType | None:
    """The answer type a question asks for, or None (an open "what did they say" question)."""
    for t in ANSWER_TYPES:
        if t.asks.search(question):
            return t
    return None
