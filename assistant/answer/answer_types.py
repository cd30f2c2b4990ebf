"""What kind of answer a question wants — a person or body ("who"), a date ("when"), a day on the
calendar ("on what date"), a place ("where", "which port"), a sum of money ("what was the
budget"), a number ("how many"), several names ("which countries") — and the entities of that
kind a sentence holds, by spaCy's entity labels (see entities.py) and the names written next to
the asked noun, never by name lists.

Used to refuse near misses ("Who will represent Russia at the Troika Plus meeting?" when the
briefing names no one), to check that an answer answers ("… on November 15" does not answer
"who"), and to pick the phrase an answer leads with."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.entities import Entity, EntityTagger
from assistant.text import fold_quotes
from assistant.text.dates import MONTH_PATTERN
from assistant.text.lexicon import alternation, word_map, word_set

NUMBER_WORDS = alternation("number_words")
COUNT = re.compile(rf"\d|\b{NUMBER_WORDS}\b", re.IGNORECASE)


_NAME = r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"  # a run of capitalised words


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern  # the question asks for this type; its group "noun", if any, names the kind ("port")
    labels: frozenset[str]  # spaCy entity labels of such an answer
    strict: bool  # refuse when no evidence sentence holds one
    shape: re.Pattern | None = None  # what the entity's text must contain (a calendar date: a day or month)
    unit: re.Pattern | None = None  # a plain number (CARDINAL) counts only when followed by this ("700 euros")
    what: str = ""  # how a refusal names what is missing ("the closest passages do not say <what>")
    role_labels: frozenset[str] | None = None  # the labels when the question names a person's role ("the envoy")

    def answers(self, sentence: str, question: str, tagger: EntityTagger) -> list[Entity]:
        """Entities of this kind in the sentence (without its speaker label) that the question
        does not already give: first the names written next to the asked noun ("the port of
        <Name>", "the <Name> province", which the small model often mislabels or misses), then
        spaCy's entities of the type's labels; a number reads with its unit ("700 euros")."""
        q = _plain(question)
        entities = tagger.entities(sentence)
        nationalities = [e for e in entities if e.label == "NORP"]
        named = [e for e in self._named(sentence, question) if _plain(e.text) not in q
                 and not any(n.start < e.end and e.start < n.end for n in nationalities)]
        labels = self._labels(question)
        typed = (self._typed(e, sentence) for e in entities if e.label in labels and _plain(e.text) not in q
                 and not any(n.start <= e.start < n.end for n in named))
        return named + [e for e in typed if e is not None]

    def _labels(self, question: str) -> frozenset[str]:
        return self.role_labels if self.role_labels is not None and names_role(question) else self.labels

    def _typed(self, e: Entity, sentence: str) -> Entity | None:
        """The entity, if its text has the type's shape; a plain number only with its unit."""
        if self.shape is not None and not self.shape.search(e.text):
            return None
        if self.unit is None or e.label != "CARDINAL":
            return e
        m = self.unit.match(sentence, e.end)
        return Entity(e.start, m.end(), sentence[e.start:m.end()], e.label) if m else None

    def _named(self, sentence: str, question: str) -> list[Entity]:
        """Capitalised names right after "<asked noun> of" or right before the asked noun; for a
        person, right after a title ("the envoy <Name>", whom the small model may tag a place)."""
        if self.role_labels is not None:
            return _titled(sentence)
        m = self.asks.search(question)
        noun = m.groupdict().get("noun") if m else None
        if not noun:
            return []
        noun = re.escape(noun)
        after = re.compile(rf"\b(?i:{noun})\w*\s+of\s+({_NAME})")  # "the port of <Name>"
        before = re.compile(rf"({_NAME})\s+(?i:{noun})\b")  # "the <Name> province"
        spans = [n.span(1) for pattern in (after, before) for n in pattern.finditer(sentence)]
        return [Entity(a, b, sentence[a:b], "NAMED") for a, b in sorted(spans)]


_TITLES = frozenset(t.lower() for t in word_set("person_titles"))
_NOT_NAMES = _TITLES | {w.lower() for w in word_set("institution_words")}


def _titled(sentence: str) -> list[Entity]:
    """Names written right after a person's title ("President <Name>", "the envoy <Name>"; lexicon
    ``person_titles``), not themselves titles or institution words ("Secretary General")."""
    found = []
    for m in re.finditer(rf"\b(\w+)\s+(?=({_NAME}))", sentence):  # overlapping: "Foreign Minister <Name>"
        name = re.sub(r"[’']s$", "", m.group(2))  # "Minister <Name>’s visit"
        if m.group(1).lower() in _TITLES and not any(w.lower() in _NOT_NAMES for w in name.split()):
            found.append(Entity(m.start(2), m.start(2) + len(name), name, "PERSON"))
    return found


def _plain(text: str) -> str:
    """Lower case, one kind of apostrophe, no possessive ending: the question's "Tumnus's" gives
    the sentence's "Tumnus’s"."""
    return re.sub(r"'s\b", "", fold_quotes(text).lower())


def names_role(question: str) -> bool:
    """Whether the question names a person's role or title ("Who is the ambassador …", "the name
    of the leader", "Who chaired …"; lexicon ``person_titles``): then a body is no answer."""
    return any(w in _TITLES or w.removesuffix("s") in _TITLES or w.removesuffix("ed") in _TITLES
               for w in re.findall(r"[a-z]+", question.lower()))


def asks_reason(question: str) -> bool:
    """Whether a question asks why (lexicon ``reason_questions``)."""
    return _REASON_QUESTION.search(question) is not None


def gives_reason(sentence: str) -> bool:
    """Whether a sentence gives a reason: "because", "due to", "on the grounds" … (lexicon
    ``reason_words``)."""
    return _REASON.search(sentence) is not None


_REASON_QUESTION = re.compile(rf"\b{alternation('reason_questions')}\b", re.IGNORECASE)
_REASON = re.compile(rf"\b{alternation('reason_words')}\b", re.IGNORECASE)


def asks_who_said(question: str) -> bool:
    """Whether a question asks who said something: "who" with a verb of speaking at most three
    words on ("Who told journalists …", "Who was it that said …"; lexicon ``speech_verbs``), in a
    question that asks for a person."""
    wanted = expected_answer(question)
    return wanted is not None and wanted.name == "person" and _WHO_SAID.search(question) is not None


_VERBS = "|".join(sorted(word_set("speech_verbs")))
_WHO_SAID = re.compile(rf"\bwho\s+(?:[\w’'-]+\s+){{0,3}}?(?:{_VERBS})\b", re.IGNORECASE)
# a verb of speaking right after a name, at most three words on ("<Name> has repeatedly said")
SPEECH_VERB = re.compile(rf"[\s,]+(?:[\w’'-]+\s+){{0,3}}?(?:{_VERBS})\b", re.IGNORECASE)


def _asks(name: str) -> re.Pattern:
    """The question patterns of one answer type (lexicon ``answer_types.tsv``), as one regex."""
    patterns = [p for p, kind in word_map("answer_types").items() if kind == name]
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.I)


# a day of the month, a month or a weekday: "on what date" is not answered by "several days"
CALENDAR = re.compile(rf"\d|\b(?:{MONTH_PATTERN}|{alternation('weekdays')})\b", re.IGNORECASE)
CURRENCY = re.compile(rf"\s+(?:{'|'.join(sorted(word_set('currencies')))})s?\b", re.IGNORECASE)

# name: (spaCy entity labels of such an answer, refuse when no evidence sentence holds one, and
# the AnswerType options); tried in this order
_TYPES = {
    "person": ({"PERSON", "ORG", "NORP"}, True, {"what": "who", "role_labels": frozenset({"PERSON"})}),
    "calendar date": ({"DATE"}, True, {"shape": CALENDAR, "what": "on what date"}),
    "date": ({"DATE", "TIME"}, True, {"what": "when"}),
    "named place": ({"GPE", "LOC", "FAC"}, True, {"what": "where"}),
    "place": ({"GPE", "LOC", "FAC"}, False, {"what": "where"}),
    "list": ({"GPE", "ORG", "NORP", "PERSON", "LOC"}, False, {"what": "which"}),
    "sum": ({"MONEY", "CARDINAL"}, True, {"unit": CURRENCY, "what": "how much"}),
    "number": ({"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME"}, True, {"what": "how many"}),
}
ANSWER_TYPES: tuple[AnswerType, ...] = tuple(AnswerType(name, _asks(name), frozenset(labels), strict, **options)
                                             for name, (labels, strict, options) in _TYPES.items())


def expected_answer(question: str) -> AnswerType | None:
    """The answer type a question asks for (lexicon ``answer_types.tsv``), or None (an open "what
    did they say" question). A question that opens with a clause of its own ("As the leaders
    gathered in Brussels, who said …") is read from the question word after that clause too."""
    for text in (question, main_clause(question)):
        for t in ANSWER_TYPES:
            if text and t.asks.search(text):
                return t
    return None


def main_clause(question: str) -> str | None:
    """The question from its question word on, when a clause that sets the scene stands before it
    ("In the spring of 2017, as talks resumed, who …"; lexicon ``scene_openings``); else None. A
    relative clause ("Describe the talks, when …") is no question of its own."""
    first = re.match(r"\W*(\w+)", question)
    if first is None or first.group(1).lower() not in _SCENE or not question.rstrip().endswith("?"):
        return None
    m = _AFTER_CLAUSE.search(question)
    return question[m.end():] if m else None


_SCENE = word_set("scene_openings")
_AFTER_CLAUSE = re.compile(rf",\s*(?={alternation('wh_words')}\b)", re.IGNORECASE)
