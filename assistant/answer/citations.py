"""Answer sentences and the passages they cite: split an answer into its cited claims, and check
each claim against its passages — every number, name, date and negation in a claim must be in
the passages it cites (``disagreements``). Span-grounded answers (compose.py) pass by
construction; the check runs over every answer of every QA set (tools/eval.py) and guards any
other text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from assistant.models import Citation
from assistant.text import DATE_EXPRESSION, long_date, STOPWORDS, marker_numbers, sentence_spans, strip_markers, words
from assistant.text.lexicon import word_set
from assistant.text.terms import surface_words

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WEAK = STOPWORDS | word_set("reporting_words")
_NEGATION = word_set("negations")


@dataclass
class Claim:
    text: str  # without markers
    markers: list[int]


# a composed answer's lead and its first quote: "17 out of 34 provinces [1] — “Governors …” [1]"
_LEAD_SEPARATOR = re.compile(r"(?<=\])\s+—\s+(?=“)")


def _pieces(answer: str) -> list[str]:
    """The answer's sentences, a composed lead apart from the quote it leads."""
    return [p for span in sentence_spans(answer) for p in _LEAD_SEPARATOR.split(span.of(answer))]


def split_claims(answer: str) -> list[Claim]:
    claims: list[Claim] = []
    for raw in _pieces(answer):
        lead = re.match(r"(?:\s*\[\d{1,2}(?:\s*[,;]\s*\d{1,2})*\])+", raw)
        if lead and claims and re.search(r"\w", raw[lead.end():]):
            # "A. [2] B [3]." - a marker right after a full stop belongs to the sentence before it
            claims[-1].markers.extend(marker_numbers(lead.group()))
            raw = raw[lead.end():]
        markers = marker_numbers(raw)
        text = strip_markers(raw).strip()
        if not re.search(r"\w", text):
            if claims:  # "[2]" alone after a sentence belongs to it
                claims[-1].markers.extend(markers)
            continue
        claims.append(Claim(text, markers))
    return claims


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _names(text: str) -> set[str]:
    """Lower-cased capitalised words that are not sentence-initial: the names a claim asserts."""
    out = set()
    for sent in re.split(r"(?<=[.!?])\s+", text):
        toks = [t for t in surface_words(sent) if not t[0].isdigit()]
        for t in toks[1:]:
            low = t.lower().removesuffix("'s")
            if t[0].isupper() and low not in _WEAK:
                out.add(low)
    return out


def _negated(text: str) -> bool:
    return any(w in _NEGATION or w.endswith("n't") for w in words(text))


def _flat(text: str) -> str:
    return " ".join(text.translate(_QUOTE_MARKS).split()).strip(" .").lower()


_QUOTE_MARKS = str.maketrans("", "", "“”«»")  # quotation marks around a copied passage


def _differences(claim: str, cited: str) -> list[str]:
    """What a claim asserts that the text it cites does not: numbers, names, dates, negation. A
    claim copied word for word from what it cites asserts nothing more."""
    if _flat(claim) and _flat(claim) in _flat(cited):
        return []
    what = []
    numbers = _numbers(claim) - _numbers(cited)
    if numbers:
        what.append(f"numbers {sorted(numbers)}")
    cited_words = {w.lower() for w in words(cited)}
    names = {n for n in _names(claim) if n not in cited_words}
    if names:
        what.append(f"names {sorted(names)}")
    dates = {m.group() for m in DATE_EXPRESSION.finditer(claim)} - {m.group() for m in DATE_EXPRESSION.finditer(cited)}
    if dates:
        what.append(f"dates {sorted(dates)}")
    if _negated(claim) != _negated(cited):
        what.append("negation")
    return what


def disagreements(answer: str, citations: Sequence[Citation]) -> list[str]:
    """The cited claims of ``answer`` whose numbers, names, dates or negation are not in the
    passages they cite, each as "claim: what differs"."""
    # a claim may name what its citation points at: the briefing's date, speaker and section title
    quotes = {c.number: f"{c.quote}\n{long_date(c.ref.briefing_date)} {c.ref.briefing_date} {c.ref.speaker or ''} "
                        f"{c.ref.section_title}" for c in citations}
    problems = []
    for claim in split_claims(answer):
        if not claim.markers:
            continue
        cited = " ".join(quotes[n] for n in claim.markers if n in quotes)
        what = _differences(claim.text, cited) if cited else ["cites no passage"]
        if what:
            problems.append(f"{claim.text}: {', '.join(what)}")
    return problems
