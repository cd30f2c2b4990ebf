"""Evidence: from the top sections, the sentences that bear on the question, numbered, within a
token budget. Sentence vectors are cached, so a section is embedded once per process."""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence, TypeVar

import numpy as np

from assistant.answer.answer_types import asks_reason, gives_reason
from assistant.config import Settings
from assistant.store.embedding import Embedder
from assistant.store.index import Index
from assistant.models import EvidenceItem, Section, SectionHit, SectionRef
from assistant.text import Span, count_tokens, present, terms
from assistant.text.lexicon import alternation, phrases


class VectorCache:
    """LRU cache of sentence and word vectors keyed by text (thread-safe)."""

    def __init__(self, embedder: Embedder, size: int = 50_000):
        self.embedder = embedder
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._data]
        fresh: dict[str, np.ndarray] = {}
        if missing:
            fresh = dict(zip(missing, self.embedder.encode(missing, batch_size=32)))
            with self._lock:
                self._data.update(fresh)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        with self._lock:
            out = [fresh.get(t, self._data.get(t)) for t in texts]
            for t in dict.fromkeys(texts):
                if t in self._data:
                    self._data.move_to_end(t)
        lost = [i for i, v in enumerate(out) if v is None]  # evicted meanwhile by another thread's vectors
        if lost:
            for i, v in zip(lost, self.embedder.encode([texts[i] for i in lost], batch_size=32)):
                out[i] = v
        return np.stack(out) if out else np.zeros((0, self.embedder.dim), dtype=np.float32)


@dataclass(frozen=True)
class Candidate:
    section_rank: int
    hit: SectionHit
    span: Span
    text: str
    position: int  # sentence number within the section
    asked: bool = False  # part of a journalist's question, not of the answer
    label: int = 0  # length of the speaker label the sentence starts with ("Question: ")
    continues: bool = False  # the sentence before it is the same speaker's (``Section.goes_on``)
    exchange: int = -1  # the media question and answer it belongs to (-1: none, a statement)
    voice: str | None = None  # who says it (``voice``)

    @property
    def body(self) -> str:
        return self.text[self.label:]

    @property
    def ref(self) -> SectionRef:
        return self.hit.ref


def weighted_overlap(query_terms: list[str], vocab: set[str], weight: dict[str, float]) -> float:
    """IDF-weighted share of the query's terms present in ``vocab`` (prefix-tolerant)."""
    qs = set(query_terms)
    total = sum(weight.get(t, 1.0) for t in qs)
    if not total:
        return 0.0
    return sum(weight.get(t, 1.0) for t in qs if present(t, vocab)) / total


def _wanted(rank: int, hit: SectionHit, sents: list[Span]) -> list[int]:
    """Which sentences of a section are candidates: all of the supporting section (when it is not
    huge); for the others, the sentences of their best chunks with a neighbour on each side."""
    if rank == 0 and len(sents) <= MAX_FULL_SECTION_SENTENCES:
        return list(range(len(sents)))
    wanted: set[int] = set()
    for ch in hit.chunks[:2]:
        idx = [i for i, s in enumerate(sents) if s.start < ch.chunk.end and s.end > ch.chunk.start]
        if idx:
            wanted.update(range(max(0, idx[0] - 1), min(len(sents), idx[-1] + 2)))
    return sorted(wanted or range(min(len(sents), 8)))


class EvidenceBuilder:
    def __init__(self, index: Index, cache: VectorCache, settings: Settings):
        self.index = index
        self.cache = cache
        self.settings = settings

    def candidates(self, sections: list[SectionHit]) -> list[Candidate]:
        """All sentences of the supporting section (when it is not huge); for the others, the
        sentences of their best chunks with a neighbour on each side."""
        out: list[Candidate] = []
        for rank, hit in enumerate(sections[: self.settings.answer.evidence_sections]):
            briefing = self.index.briefing(hit.ref.briefing_id)
            section = briefing.sections[hit.ref.section_index]
            sents = [Span(a, b) for a, b in section.sentences]
            for i in _wanted(rank, hit, sents):
                s = sents[i]
                asked = any(e.question_start <= s.start < e.question_end for e in section.exchanges)
                exchange = next((k for k, e in enumerate(section.exchanges)
                                 if e.question_start <= s.start < e.answer_end), -1)
                speaker = None if asked else voice(section, briefing.text, s.start, hit.ref.speaker)
                out.append(Candidate(rank, hit, s, s.of(briefing.text), i, asked,
                                     section.label_end(s.start) - s.start, section.goes_on(i - 1) is not None,
                                     exchange, speaker))
        return out

    def _score(self, question: str, query_vec: np.ndarray, cands: list[Candidate]) -> list[tuple[float, Candidate]]:
        """Each candidate sentence scored: similarity to the question + IDF-weighted term overlap
        − a penalty for the journalist's own words; best first."""
        # sentences are embedded under their section title, so that the topic is shared and the
        # sentence's own content decides ("I know nothing about a specific time frame" answers
        # a question about the timing of the section's topic)
        vecs = self.cache.encode([f"{c.hit.ref.section_title}: {c.text}" for c in cands])
        dense = vecs @ query_vec
        q_terms = list(dict.fromkeys(terms(question)))
        vocabs = [set(terms(c.text)) for c in cands]
        weight = {t: math.log(1 + len(cands) / (1 + sum(present(t, v) for v in vocabs))) for t in q_terms}
        scored = []
        for c, d, vocab in zip(cands, dense, vocabs):
            lex = weighted_overlap(q_terms, vocab, weight)
            asked = QUESTION_PENALTY if c.asked else 0.0
            scored.append((float(d) + LEXICAL_WEIGHT * lex - asked, c))
        scored.sort(key=lambda x: x[0], reverse=True)
        return scored

    def _choose(self, scored: list[tuple[float, Candidate]], q_terms: list[str],
                budget: int) -> list[tuple[float, Candidate]]:
        """The best sentences, each with the neighbours it cannot be read without, within the
        sentence count and the token budget."""
        by_key = {(c.hit.ref.briefing_id, c.hit.ref.section_index, c.position): c for _, c in scored}
        chosen: list[tuple[float, Candidate]] = []
        taken: set[int] = set()
        replies = first_replies([c for _, c in scored])
        used = 0
        for score, c in scored:
            if len(chosen) >= self.settings.answer.evidence_sentences:
                break
            if id(c) in taken:  # already chosen as a neighbour of a better sentence
                continue
            needed = _needed(c, q_terms, by_key, replies)
            group = [(score, c)] + [(score - less, x) for x, less in needed if id(x) not in taken]
            group.sort(key=lambda x: x[1].position)
            n = sum(count_tokens(x.text) + 4 for _, x in group)
            if used + n > budget and chosen:
                continue
            chosen.extend(group)
            taken.update(id(x) for _, x in group)
            used += n
        return chosen

    def build(self, question: str, query_vec: np.ndarray, sections: list[SectionHit],
              budget_tokens: int | None = None) -> list[EvidenceItem]:
        cands = self.candidates(sections)
        if not cands:
            return []
        scored = self._score(question, query_vec, cands)
        q_terms = list(dict.fromkeys(terms(question)))
        chosen = self._choose(scored, q_terms, budget_tokens or self.settings.answer.evidence_tokens)
        top = [c for _, c in scored if c.section_rank == 0]
        reason = reason_sentence(question, [c for _, c in chosen if c.section_rank == 0], top)
        if reason is not None:  # "why": the supporting section's reason, beyond the budget if need be
            chosen.append(next(x for x in scored if x[1] is reason))
        # number in reading order: by section rank, then position in the section
        chosen.sort(key=lambda x: (x[1].section_rank, x[1].position))
        return [EvidenceItem(number=i + 1, ref=c.hit.ref, text=c.text, start=c.span.start, end=c.span.end,
                             score=round(score, 4), position=c.position, label=c.label,
                             continues=c.continues, exchange=c.exchange, asked=c.asked, voice=c.voice)
                for i, (score, c) in enumerate(chosen)]


S = TypeVar("S", Candidate, EvidenceItem)


def _needed(c: Candidate, q_terms: list[str], by_key: dict[tuple[str, int, int], Candidate],
            replies: dict[tuple[str, int, int], Candidate]) -> list[tuple[Candidate, float]]:
    """The sentences ``c`` is not read without, each with how much less than ``c`` it scores: its
    needed neighbours, then the opening of the reply to the journalist's question it is part of."""
    ref = c.hit.ref
    out = [(x, 1e-3) for off in neighbours_needed(c.body, q_terms)
           if (x := by_key.get((ref.briefing_id, ref.section_index, c.position + off))) is not None]
    reply = reply_opening(c, replies)
    if reply is not None and all(reply is not x for x, _ in out):
        out.append((reply, 2e-3))
    return out


def reason_sentence(question: str, chosen: Sequence[S], ranked: Sequence[S]) -> S | None:
    """For a question asking why, the best-ranked sentence of ``ranked`` that gives a reason
    ("because", "due to" …; not a journalist's words) when none of ``chosen`` does: the topic
    sentence matches the question's words, the reason is often a sentence or two on. None
    otherwise."""
    if not asks_reason(question) or any(gives_reason(x.body) for x in chosen if not x.asked):
        return None
    return next((x for x in ranked if not x.asked and gives_reason(x.body)), None)


def first_replies(sentences: Sequence[S]) -> dict[tuple[str, int, int], S]:
    """The first sentence of each media question's answer among ``sentences``, by (briefing,
    section, exchange)."""
    out: dict[tuple[str, int, int], S] = {}
    for x in sentences:
        key = (x.ref.briefing_id, x.ref.section_index, x.exchange)
        if x.exchange >= 0 and not x.asked and (key not in out or x.position < out[key].position):
            out[key] = x
    return out


def reply_opening(sentence: S, replies: dict[tuple[str, int, int], S]) -> S | None:
    """The first sentence of the answer to the journalist's question that ``sentence`` is part
    of (``first_replies``): a question is not read without the start of its reply. None for a
    sentence that is not a journalist's."""
    if not sentence.asked or sentence.exchange < 0:
        return None
    return replies.get((sentence.ref.briefing_id, sentence.ref.section_index, sentence.exchange))


def voice(section: Section, text: str, start: int, speaker: str | None) -> str | None:
    """Who says the sentence starting at ``start``, if it is not a journalist's (the caller knows
    that): the name in the speaker label that opened its turn ("<Name>:", "💬 <Name> (in
    English):"), else the briefing's speaker from its header (a statement, or an answer after
    "Question:" or labelled only "Answer:")."""
    opened = [(a, b) for a, b in section.labels if a <= start]
    label = text[opened[-1][0]:opened[-1][1]] if opened else ""
    name = re.sub(r"^\W+|\W+$", "", re.split(r"[(:]", label)[0])
    return name if name and name.lower() not in _NOT_NAMES else speaker


_NOT_NAMES = frozenset(q.lower() for q in (*phrases("question_labels"), *phrases("answer_labels")))
ANAPHOR = re.compile(rf"^{alternation('anaphora')}\b")


def neighbours_needed(sentence: str, question_terms: list[str]) -> list[int]:
    """Neighbouring sentences a sentence (without its speaker label) cannot be read without: the one before when it starts
    with a reference back ("On that day, ..."), the one after when it only restates the question
    ("Indeed, we are preparing to ship aid." -> "The supplies will consist of food, ...")."""
    out = []
    if ANAPHOR.match(sentence):
        out.append(-1)
    own = set(terms(sentence))
    new = [t for t in own if not present(t, set(question_terms))]
    if own and len(new) / len(own) <= 0.5:
        out.append(1)
    return out


LEXICAL_WEIGHT = 0.5
QUESTION_PENALTY = 0.25
MAX_FULL_SECTION_SENTENCES = 60
