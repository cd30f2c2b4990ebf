"""Citation attribution after generation.

Every answer sentence is matched against the numbered evidence (embedding similarity + lexical
overlap, and every number in the sentence must appear in the passage). A marker that points at
evidence which does not support its sentence is moved to the evidence that does; a sentence that
nothing supports is dropped. Only citations that support their sentence are ever shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.answer.evidence import VectorCache
from assistant.models import Citation, EvidenceItem
from assistant.text import STOPWORDS, marker_numbers, sentence_spans, stem, strip_markers, terms, with_markers, words
from assistant.text.lexicon import word_set
from assistant.text.terms import surface_words

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WEAK = STOPWORDS | word_set("reporting_words")


@dataclass
class Claim:
    text: str  # without markers
    markers: list[int]


@dataclass
class Attribution:
    text: str
    citations: list[Citation]
    claims: list[tuple[str, list[int]]] = field(default_factory=list)  # kept sentence -> citation numbers
    dropped: list[str] = field(default_factory=list)
    fixed: int = 0


def split_claims(answer: str) -> list[Claim]:
    claims: list[Claim] = []
    for span in sentence_spans(answer):
        raw = span.of(answer)
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


def _content(text: str) -> set[str]:
    return {t for t in terms(text) if t not in _WEAK}


@dataclass
class _Passage:
    terms: set[str]
    numbers: set[str]
    words: set[str]


def _passage(text: str) -> _Passage:
    return _Passage(set(terms(text)), _numbers(text), {w.lower() for w in words(text)})


def _evidence_passage(e: EvidenceItem) -> _Passage:
    """An evidence sentence as support: its words, and its briefing's speaker (who says it)."""
    return _passage(f"{e.text}\n{e.ref.speaker or ''}")


def _merge(a: _Passage, b: _Passage) -> _Passage:
    return _Passage(a.terms | b.terms, a.numbers | b.numbers, a.words | b.words)


class Attributor:
    """Scores how well evidence supports each answer sentence, and rewrites the markers.

    support = 0.5 * cosine(sentence, passage) + 0.5 * share of the sentence's new terms (those
    not already in the question) found in the passage; a number or a name the passage (and the
    question) does not contain cuts the score. When no single passage is enough, the best pair
    is tried: a sentence may combine two passages ("On that day" + the date before it)."""

    def __init__(self, cache: VectorCache, threshold: float = 0.5):
        self.cache = cache
        self.threshold = threshold

    def _score(self, claim: str, question: _Passage, cos: float, p: _Passage) -> float:
        new = _content(claim) - question.terms
        lex = len(new & p.terms) / len(new) if new else 1.0
        s = 0.5 * cos + 0.5 * lex
        missing_numbers = _numbers(claim) - p.numbers - question.numbers
        missing_names = {n for n in _names(claim) if n not in p.words and n not in question.words
                         and stem(n) not in p.terms}
        if missing_numbers or missing_names:
            s *= 0.4
        return s

    def support(self, claims: list[str], evidence: list[EvidenceItem], question: str = "") -> np.ndarray:
        """Support of each claim (rows) by each single evidence item (columns), in [0, 1]."""
        return self._support(claims, evidence, _passage(question), [_evidence_passage(e) for e in evidence])[1]

    def _support(self, claims: list[str], evidence: list[EvidenceItem], q: _Passage,
                 passages: list[_Passage]) -> tuple[np.ndarray, np.ndarray]:
        """(cosine, support) matrices, claims x evidence."""
        if not claims or not evidence:
            empty = np.zeros((len(claims), len(evidence)))
            return empty, empty
        cos = np.clip(self.cache.encode(claims) @ self.cache.encode([e.text for e in evidence]).T, 0.0, 1.0)
        scores = np.array([[self._score(c, q, float(cos[i, j]), passages[j]) for j in range(len(evidence))]
                           for i, c in enumerate(claims)])
        return cos, scores

    def _best_support(self, i: int, claim: str, cited: list[int], evidence: list[EvidenceItem],
                      scores: np.ndarray, cos: np.ndarray, q: _Passage, passages: list[_Passage]) -> list[int]:
        """Evidence indices supporting claim i: the cited ones if they do, else the best single
        passage, else the best pair of passages; [] when nothing does."""
        good = [j for j in cited if scores[i, j] >= self.threshold]
        if good:
            return good
        if cited and len(cited) > 1:
            merged = passages[cited[0]]
            for j in cited[1:]:
                merged = _merge(merged, passages[j])
            if self._score(claim, q, float(max(cos[i, j] for j in cited)), merged) >= self.threshold:
                return cited
        j = int(np.argmax(scores[i]))
        if scores[i, j] >= self.threshold:
            return [j]
        top = list(np.argsort(-scores[i])[:4])
        best, best_pair = self.threshold, []
        for a in range(len(top)):
            for b in range(a + 1, len(top)):
                ja, jb = int(top[a]), int(top[b])
                s = self._score(claim, q, float(max(cos[i, ja], cos[i, jb])), _merge(passages[ja], passages[jb]))
                if s >= best:
                    best, best_pair = s, sorted([ja, jb], key=lambda x: evidence[x].start)
        return best_pair

    def attribute(self, answer: str, evidence: list[EvidenceItem], question: str = "") -> Attribution:
        claims = split_claims(answer)
        col = {e.number: j for j, e in enumerate(evidence)}
        q = _passage(question)
        passages = [_evidence_passage(e) for e in evidence]
        cos, scores = self._support([c.text for c in claims], evidence, q, passages)
        kept: list[tuple[str, list[EvidenceItem]]] = []
        dropped: list[str] = []
        fixed = 0
        for i, claim in enumerate(claims):
            cited = [col[m] for m in dict.fromkeys(claim.markers) if m in col]
            chosen = self._best_support(i, claim.text, cited, evidence, scores, cos, q, passages) if evidence else []
            if chosen != cited:
                fixed += 1
            if not chosen:
                dropped.append(claim.text)
                continue
            kept.append((claim.text, [evidence[j] for j in chosen]))
        # renumber in order of first appearance
        numbering: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        out_claims: list[tuple[str, list[int]]] = []
        for text, evs in kept:
            nums = []
            for e in evs:
                if e.number not in numbering:
                    numbering[e.number] = len(numbering) + 1
                    citations.append(Citation.from_evidence(numbering[e.number], e))
                nums.append(numbering[e.number])
            out_claims.append((text, nums))
            parts.append(with_markers(text, nums))
        return Attribution(" ".join(parts), citations, out_claims, dropped, fixed)
