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
from assistant.text import STOPWORDS
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


_BY_NAME = {t.name: t for t in ANSWER_TYPES}
# "Which Philippine cabinet secretary …", "From which air base …": the noun, after at most three
# words that describe it
_WHICH_NOUN = re.compile(r"^\s*(?:\w+\s+)?(?:which|what)\s+((?:[\w'-]+\s+){0,3}?)"
                         rf"({'|'.join(map(re.escape, sorted(word_map('answer_nouns'), key=len, reverse=True)))})\b",
                         re.I)


def expected_answer(question: str) -> AnswerType | None:
    """The answer type a question asks for, or None (an open "what did they say" question): by
    the question's wording (lexicon ``answer_types.tsv``), else by the noun a "which …" question
    asks about (``answer_nouns.tsv``)."""
    for t in ANSWER_TYPES:
        if t.asks.search(question):
            return t
    m = _WHICH_NOUN.search(question)
    if m is None or any(w.lower() in STOPWORDS for w in m.group(1).split()):  # "what is the state of …"
        return None
    return _BY_NAME[word_map("answer_nouns")[m.group(2).lower()]]
