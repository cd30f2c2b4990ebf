"""Span-grounded answers: every fact in an answer is copied from a cited sentence, never
paraphrased. An answer is a short *lead* — the phrase that answers the question, copied from the
best evidence sentence (a person for "who", a date for "when", a number for "how many") — then
the evidence sentences, quoted, each with its citation:

    17 out of 34 provinces — “In 17 out of 34 provinces, governors have been appointed.” [1]

The extractive mode picks the lead with spaCy's entity labels; an LLM mode lets the model pick the
evidence sentences and the lead (constrained JSON output), and keeps its choice only when the lead
occurs verbatim in a chosen sentence and answers the question's type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Sequence

from assistant.answer.answer_types import SPEECH_VERB, AnswerType, asks_who_said, expected_answer
from assistant.answer.answerability import DEMONYMS, HOW_MANY, TYPE_TOP, counted_noun, mentions_noun, noun_mention
from assistant.answer.entities import Entity, EntityTagger
from assistant.answer.evidence import first_replies, reply_opening
from assistant.models import Citation, EvidenceItem
from assistant.text import present, strip_markers, terms

_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


@dataclass
class Composed:
    text: str
    citations: list[Citation]
    lead: str | None = None
    sentences: list[EvidenceItem] = field(default_factory=list)


def clean(text: str) -> str:
    """Quoted material as shown in an answer: no links, no citation markers of its own."""
    return re.sub(r"\s{2,}", " ", _LINK.sub("", strip_markers(text))).strip()


_CLAUSE_BREAK = re.compile(r"[,;:.!?](?=\s)|[()—–]")  # punctuation that ends a clause (not "34,000")
_DURATION = re.compile(r"\bhow (?:long|often|old)\b", re.IGNORECASE)


def _number_lead(sentence: str, question: str, found: list[Entity], bound: bool = False) -> str | None:
    """For "how many X": the count of X — from the first number of the clause that mentions X up
    to that mention ("17 out of 34 provinces"), else (unless ``bound``) the number nearest X; a
    date is a count only when the question asks how long or it names X itself ("three years"), a
    time ("72 hours") only when the question asks how long. A number counting another kind of X
    (see ``_same_kind``) is no count of X. With ``bound``, only the nearest number before X, at
    most ``BOUND_WORDS`` words from it ("Three Il-76 aircraft carried rescuers" counts aircraft)."""
    noun = counted_noun(question)
    numeric = _countable(found, question, noun)
    mention = noun_mention(sentence, noun) if noun and numeric else None
    if mention is None:
        return None if bound or not numeric else numeric[0].text
    before = _counts_before(sentence, mention, numeric, question, noun)
    if before is None:
        return None  # the clause counts another kind of it ("52 Northland regions" for "how many Southland regions")
    if bound:
        before = [e for e in before if len(sentence[e.end:mention.start()].split()) <= BOUND_WORDS][-1:]
    if before:
        return sentence[before[0].start: mention.end()]
    return None if bound else min(numeric, key=lambda e: abs(e.start - mention.start())).text


def _counts_before(sentence: str, mention: re.Match, numeric: list[Entity], question: str,
                   noun: str | None) -> list[Entity] | None:
    """The numbers of the clause before the noun's mention (nothing but words between: "17 out of
    34 provinces") that count its asked kind (checked for those at most ``BOUND_WORDS`` words from
    it, which count the noun itself); None when there are some but all count another."""
    before = [e for e in numeric
              if e.end <= mention.start() and not _CLAUSE_BREAK.search(sentence, e.end, mention.start())]
    of_kind = [e for e in before if len(sentence[e.end:mention.start()].split()) > BOUND_WORDS
               or _same_kind(sentence[e.end:mention.start()], sentence[mention.end():], question, noun)]
    return None if before and not of_kind else of_kind


def _countable(found: list[Entity], question: str, noun: str | None) -> list[Entity]:
    if _DURATION.search(question):
        return list(found)
    # a date counts only what it names ("three years" for "how many years")
    return [e for e in found if e.label != "TIME" and (e.label != "DATE" or (noun and mentions_noun(e.text, noun)))]


BOUND_WORDS = 2  # most words between a number and the noun it counts ("about 6,500 Russian citizens")
_OF_NAME = re.compile(r"\w*\s+of\s+(?:the\s+)?((?:[A-Z][\w’'-]*\s*)+)")  # "doses of the Sputnik V vaccine"


def _same_kind(between: str, after: str, question: str, noun: str | None) -> bool:
    """Whether a number followed by ``between``, the counted noun and ``after`` counts the kind the
    question counts: the names that say which kind — right before the noun ("68 Northland
    regions"), or in an "of" phrase right after it ("doses of the Sputnik V vaccine") — only
    those the question gives there, when it gives any."""
    asked = noun_mention(question, noun) if noun else None
    if asked is None:
        return True
    opening = HOW_MANY.search(question)  # the counted phrase starts after "how many"
    start = opening.start(1) if opening and opening.start(1) <= asked.start() else 0
    wanted = _named_kind(question[start:asked.start()], question[asked.end():])
    if not wanted:
        return True
    # a nationality and its country are one kind (the demonyms of answerability)
    given = frozenset(wanted | {DEMONYMS[w] for w in wanted if w in DEMONYMS})
    return all(present(DEMONYMS.get(w, w), given) for w in _named_kind(between, after))


_KIND_WORD = re.compile(r"[^\W\d_][^\W\d_’'-]*(?:[’']s)?")  # a word of letters ("Il-76" names a model, not a kind)


def _named_kind(before: str, after: str) -> set[str]:
    """The capitalised words naming the kind of a counted noun, before it and in an "of" phrase
    after it, lower-cased, without a possessive ending."""
    m = _OF_NAME.match(after)
    words = before.split() + (m.group(1).split() if m else [])
    return {re.sub(r"[’']s$", "", w).lower() for w in words if w[:1].isupper() and _KIND_WORD.fullmatch(w)}


def _distance(sentence: str, entity: Entity, question: str) -> int:
    """Characters between an entity and the nearest word of the question's own (the entity that
    did what the question asks — "convened" — sits next to that word)."""
    low = sentence.lower()
    spots = [m.start() for t in terms(question) if len(t) >= 4 for m in re.finditer(re.escape(t[:5]), low)
             if not entity.start <= m.start() < entity.end]
    return min((abs(s - entity.start) if s < entity.start else abs(s - entity.end) for s in spots), default=10**6)


def pick_lead(sentence: str, question: str, wanted: AnswerType | None, tagger: EntityTagger,
              bound: bool = False) -> str | None:
    """The phrase of ``sentence`` that answers ``question``: the first entity of the wanted kind
    (people before bodies for "who"); for "how many", the number nearest the counted noun (with
    ``bound``, only a number counting it: "17 countries")."""
    if wanted is None or wanted.name == "list":
        return None
    found = wanted.answers(sentence, question, tagger)
    if not found:
        return None
    if wanted.name == "person":
        found.sort(key=lambda e: (e.label != "PERSON", _distance(sentence, e, question)))
        return found[0].text
    if wanted.name == "number":
        return _number_lead(sentence, question, found, bound)
    return found[0].text


def _lead_of(sentences: Sequence[EvidenceItem], question: str, tagger: EntityTagger) -> str | None:
    """The phrase picked from the best-scoring sentence, else a person's name, a date, a sum or a
    count from the quoted sentence after it when the same speaker goes on (the specifics often follow
    the sentence that names the topic: "The minister will visit the capital." "He will meet the
    President."); for "who said …", see ``_speaker_lead``."""
    wanted = expected_answer(question)
    best = max(sentences, key=lambda e: e.score)
    after = next((e for e in sentences if e.ref == best.ref and e.position == best.position + 1), None)
    if asks_who_said(question):
        return _speaker_lead(best, reply_opening(best, first_replies(sentences)), question, wanted, tagger)
    return pick_lead(best.body, question, wanted, tagger) or _following_lead(after, question, wanted, tagger)


def _following_lead(after: EvidenceItem | None, question: str, wanted: AnswerType | None,
                    tagger: EntityTagger) -> str | None:
    if after is None or not after.continues or wanted is None or wanted.name not in _FOLLOWING_LABELS:
        return None
    return _bound_lead(after, question, wanted, tagger)


def _bound_lead(e: EvidenceItem, question: str, wanted: AnswerType, tagger: EntityTagger) -> str | None:
    """A lead read from a sentence other than the best one: only the kinds of
    ``_FOLLOWING_LABELS``, a count only when bound to the asked noun."""
    return pick_lead(e.body, question, replace(wanted, labels=_FOLLOWING_LABELS[wanted.name]), tagger, bound=True)


def later_lead(selected: Sequence[EvidenceItem], evidence: Sequence[EvidenceItem], question: str,
               tagger: EntityTagger) -> tuple[list[EvidenceItem], str | None]:
    """The quoted sentences and their lead (``_lead_of``); when they give none, a person, a date, a
    count of the asked noun or a sum read from a sentence among the ``TYPE_TOP`` best of the
    evidence (those the answer-type check reads) further on in the best sentence's statement, or in
    the answer to its media question ("… will host an exhibition of icons." … "Visitors will see
    48 icons."), never in a journalist's words; that sentence is quoted too. A sum needs no noun
    near it (the top three are about the asked thing). Else the quoted sentences and no lead."""
    wanted = expected_answer(question)
    found = _lead_of(selected, question, tagger) if selected else None
    if found or not selected or wanted is None or wanted.name not in _FOLLOWING_LABELS:
        return list(selected), found
    best = max(selected, key=lambda e: e.score)
    for e in sorted(evidence, key=lambda e: e.score, reverse=True)[:TYPE_TOP]:
        if e.ref == best.ref and e.position > best.position and e.exchange == best.exchange and not e.asked:
            lead = _bound_lead(e, question, wanted, tagger)
            if lead:
                quoted = {x.position: x for x in [*selected, e]}
                return [quoted[p] for p in sorted(quoted)], lead
    return list(selected), None


def _speaker_lead(best: EvidenceItem, reply: EvidenceItem | None, question: str, wanted: AnswerType,
                  tagger: EntityTagger) -> str | None:
    """"Who said …": a person or body the best sentence has say something ("The European Union
    announced …", a verb of speaking at most three words on), else a person it names ("President
    <Name> addressed the summit …"), else who says it: its turn's speaker label or the briefing's
    speaker; for a journalist's question, who says the opening of its reply. Never a phrase of a
    journalist's words."""
    found = wanted.answers(best.body, question, tagger)
    sayer = next((e for e in found if SPEECH_VERB.match(best.body, e.end)), None)
    if sayer is not None:
        return sayer.text
    if best.asked:
        return reply.voice if reply is not None else None
    person = replace(wanted, labels=frozenset({"PERSON"}), role_labels=frozenset({"PERSON"}))
    return pick_lead(best.body, question, person, tagger) or best.voice


# not a body, not a time; a number only when it counts the asked noun ("It brought together
# historians from 17 countries." after the sentence naming the conference); a sum of money
_FOLLOWING_LABELS = {"person": frozenset({"PERSON"}), "date": frozenset({"DATE"}),
                     "calendar date": frozenset({"DATE"}), "number": frozenset({"CARDINAL", "QUANTITY"}),
                     "sum": frozenset({"MONEY"})}


def compose(sentences: Sequence[EvidenceItem], question: str, tagger: EntityTagger,
            lead: str | None = None) -> Composed:
    """The answer text from the chosen evidence sentences (in reading order), numbered 1.. in
    that order, led by ``lead`` or by the phrase picked from the best-scoring sentence."""
    if not sentences:
        return Composed("", [])
    ordered = sorted(sentences, key=lambda e: (e.ref.briefing_id, e.ref.section_index, e.position))
    citations = [Citation.from_evidence(i + 1, e) for i, e in enumerate(ordered)]
    if lead is None:
        lead = _lead_of(sentences, question, tagger)
    quotes = " ".join(f"“{clean(e.body)}” [{i + 1}]" for i, e in enumerate(ordered))
    lead = clean(lead) if lead else None
    if not lead:
        return Composed(quotes, citations, None, list(ordered))
    home = next((i + 1 for i, e in enumerate(ordered) if lead.lower() in " ".join(e.text.split()).lower()), 1)
    text = f"{lead} [{home}] — {quotes}"  # the lead cites the sentence it is copied from
    return Composed(text, citations, lead, list(ordered))


def grounded_lead(lead: str, chosen: Sequence[EvidenceItem], question: str, tagger: EntityTagger) -> str | None:
    """A model's lead kept only when it occurs verbatim (case and spacing aside) in one of the
    chosen sentences and, for who/when/how-many questions, overlaps an entity of that kind there.
    Returned as the sentence writes it."""
    norm = " ".join(lead.split()).strip(" .,;:\"'“”«»").lower()
    if not norm or len(norm) > 200:
        return None
    wanted = expected_answer(question)
    # whole words only: the model's "no" is not in "now"
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, norm.split())) + r"(?!\w)", re.IGNORECASE)
    for e in chosen:
        body = e.body
        m = pattern.search(body)
        if m is None:
            continue
        at, span = m.start(), m.group()
        if wanted is not None and wanted.strict:
            found = wanted.answers(body, question, tagger)
            if not any(x.start < at + len(span) and at < x.end for x in found):
                continue
        return span
    return None
