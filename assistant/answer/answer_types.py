"""What kind of answer a question wants (a person, a date, a number, a list of names) and whether
a sentence contains one. Used to rank evidence sentences and to refuse near misses such as
"Who will represent Russia at the Troika Plus meeting?" when the briefing names no one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.dates import DATE_EXPRESSION, ENGLISH_MONTH_PATTERN as MONTHS
from assistant.text.lexicon import alternation, word_set

NUMBER_WORDS = alternation("number_words")

COUNT = re.compile(rf"\d|\b{NUMBER_WORDS}\b", re.IGNORECASE)

_TITLES = alternation("person_titles")
_TITLED_NAME = re.compile(rf"\b(?i:{_TITLES})\b[^.;]{{0,40}}?\b(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?: [A-Z][a-z]+)?)\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_INSTITUTIONAL = word_set("institution_words")
_RELATIVE_DATE = re.compile(rf"\b{alternation('relative_dates')}\b")


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern  # the question asks for this type
    hint: re.Pattern  # a sentence probably holds such an answer (ranking bonus)
    strict: bool  # refuse when no evidence sentence holds one

    def present(self, sentence: str, question: str) -> bool:
        """The sentence (without its speaker label) holds an answer of this type that the question
        does not already give."""
        if self.name == "person":
            names = [m.group("name") for m in _TITLED_NAME.finditer(sentence)]
            names += [m.group("name") for m in _NAME.finditer(sentence)
                      if not set(m.group("name").split()) & _INSTITUTIONAL]
            return any(not all(w in question for w in n.split()) for n in names)
        if self.name == "date":
            found = [m.group() for m in DATE_EXPRESSION.finditer(sentence)]
            found += [m.group() for m in _RELATIVE_DATE.finditer(sentence)]
            found += re.findall(rf"\b{MONTHS}\b", sentence)
            return any(d not in question for d in found)
        return bool(self.hint.search(sentence))


ANSWER_TYPES: tuple[AnswerType, ...] = (
    AnswerType(
        "person",
        re.compile(r"^\s*(?:(?:and|so|but|to|by|with|from)\s+)?(?:who|whom|whose)\b|\bwhat (?:is|was) the name of\b",
                   re.I),
        _TITLED_NAME, strict=True),
    AnswerType(
        "date",
        re.compile(r"^\s*(?:when(?!\s+(?:asked|talking|discussing|commenting|speaking|responding|answering))|what date|"
                   r"what day|on what date|on which date|since when|by when|in (?:what|which) (?:year|month))\b"
                   r"|\b(?:what|which) (?:date|day)\b", re.I),
        re.compile(rf"\b(?:{MONTHS}|\d{{4}}|today|yesterday|tomorrow|Monday|Tuesday|Wednesday|Thursday|Friday|"
                   rf"Saturday|Sunday|week|month|year)\b"), strict=True),
    AnswerType(
        "list",
        re.compile(r"^\s*(?:which|what|name the|list the)\s+(?:\w+\s+)?(?:countries|states|nations|organi[sz]ations|"
                   r"parties|cities|regions|members|partners|stakeholders|players|groups|ministers|officials)\b", re.I),
        re.compile(r"\b[A-Z][\w’'-]+(?:\s+\([A-Z]+\))?(?:,| and| or) (?:the )?[A-Z]"), strict=False),
    AnswerType(
        "number",
        re.compile(r"^\s*(?:how (?:many|much|long|often|far|old)|what (?:number|percentage|share|amount))\b", re.I),
        re.compile(rf"\d|\b{NUMBER_WORDS}\b", re.I), strict=False),
)


def expected_answer(question: str) -> AnswerType | None:
    """The answer type a question asks for, or None (an open "what did they say" question)."""
    for t in ANSWER_TYPES:
        if t.asks.search(question):
            return t
    return None
