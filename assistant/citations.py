"""Citation attribution after generation.

Every answer sentence is matched against the numbered evidence (embedding similarity + lexical
overlap, and every number in the sentence must appear in the passage). A marker that points at
evidence which does not support its sentence is moved to the evidence that does; a sentence that
nothing supports is dropped. Only citations that support their sentence are ever shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .evidence import VectorCache
from .models import Citation, EvidenceItem
from .text import STOPWORDS, sentence_spans, terms, words

MARKER = re.compile(r"\s*\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WEAK = STOPWORDS | {"briefing", "briefings", "evidence", "passage", "according", "stated", "said", "mentioned",
                     "spokeswoman", "zakharova", "maria"}


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
        markers = [int(n) for m in MARKER.finditer(raw) for n in re.split(r"\s*[,;]\s*", m.group(1))]
        text = MARKER.sub("", raw).strip()
        if not re.search(r"\w", text):
            if claims:  # "[2]" alone after a sentence belongs to it
                claims[-1].markers.extend(markers)
            continue
        claims.append(Claim(text, markers))
    return claims


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _content(text: str) -> set[str]:
    return {t for t in terms(text) if t not in _WEAK}


class Attributor:
    def __init__(self, cache: VectorCache, threshold: float = 0.5):
        self.cache = cache
        self.threshold = threshold

    def support(self, claims: list[str], evidence: list[EvidenceItem]) -> np.ndarray:
        """Support score of each claim (rows) by each evidence item (columns), in [0, 1]."""
        if not claims or not evidence:
            return np.zeros((len(claims), len(evidence)))
        cv = self.cache.encode(claims)
        ev = self.cache.encode([e.text for e in evidence])
        cos = np.clip(cv @ ev.T, 0.0, 1.0)
        ev_terms = [set(terms(e.text)) for e in evidence]
        ev_numbers = [_numbers(e.text) | {w for w in words(e.text) if w.isdigit()} for e in evidence]
        scores = np.zeros_like(cos)
        for i, claim in enumerate(claims):
            ct = _content(claim)
            nums = _numbers(claim)
            for j in range(len(evidence)):
                lex = len(ct & ev_terms[j]) / len(ct) if ct else 0.0
                s = 0.5 * cos[i, j] + 0.5 * lex
                if nums - ev_numbers[j]:
                    s *= 0.4  # a number the passage does not contain
                scores[i, j] = s
        return scores

    def attribute(self, answer: str, evidence: list[EvidenceItem]) -> Attribution:
        claims = split_claims(answer)
        by_number = {e.number: e for e in evidence}
        scores = self.support([c.text for c in claims], evidence)
        col = {e.number: j for j, e in enumerate(evidence)}
        kept: list[tuple[str, list[EvidenceItem]]] = []
        dropped: list[str] = []
        fixed = 0
        for i, claim in enumerate(claims):
            cited = [m for m in dict.fromkeys(claim.markers) if m in by_number]
            good = [m for m in cited if scores[i, col[m]] >= self.threshold]
            if not good and len(evidence):
                j = int(np.argmax(scores[i]))
                if scores[i, j] >= self.threshold:
                    good = [evidence[j].number]
            if good != cited:
                fixed += 1
            if not good:
                dropped.append(claim.text)
                continue
            kept.append((claim.text, [by_number[m] for m in good]))
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


def with_markers(sentence: str, numbers: list[int]) -> str:
    """'Text.' + [1, 2] -> 'Text [1][2].'"""
    marks = "".join(f"[{n}]" for n in numbers)
    m = re.search(r"[.!?…]+[\"'”’»)]*$", sentence)
    if m:
        return f"{sentence[: m.start()].rstrip()} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"
