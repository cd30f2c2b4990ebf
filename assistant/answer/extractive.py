"""Which evidence sentences an extractive answer quotes: the best sentences of the supporting
section. The answer of the ``extractive`` mode (composed in compose.py), and the fallback of the
LLM modes."""

from __future__ import annotations

from typing import Sequence

from assistant.answer.evidence import first_replies, neighbours_needed, reason_sentence, reply_opening
from assistant.models import EvidenceItem
from assistant.text import terms


def _words(items) -> int:
    return sum(len(x.text.split()) for x in items)


def select_sentences(evidence: Sequence[EvidenceItem], question: str = "", max_sentences: int = 3,
                     max_words: int = 110) -> list[EvidenceItem]:
    """The best evidence sentences of the supporting section, quoted, in reading order: the best
    one with the sentence after it when the same speaker goes on (the specifics often follow the
    sentence that matches the question), the ones scoring close to it, and the neighbours they
    cannot be read without (see ``neighbours_needed``); for "why", the best sentence that gives a
    reason when none of those does (``reason_sentence``)."""
    if not evidence:
        return []
    first = (evidence[0].ref.briefing_id, evidence[0].ref.section_index)
    by_position = {e.position: e for e in evidence if (e.ref.briefing_id, e.ref.section_index) == first}
    q_terms = terms(question)
    ranked = sorted(by_position.values(), key=lambda e: e.score, reverse=True)
    floor = ranked[0].score - EXTRACTIVE_MARGIN
    chosen: dict[int, EvidenceItem] = {}
    for e in ranked:
        if chosen and (len(chosen) >= max_sentences or e.score < floor):
            break
        group = _with_neighbours(e, by_position, q_terms, best=not chosen)
        if chosen and _words([*chosen.values(), *group]) > max_words:
            break
        chosen.update((x.position, x) for x in group)
    reason = reason_sentence(question, list(chosen.values()), ranked)
    if reason is not None:  # with the sentence it cannot be read without ("This was due to …")
        chosen.update((x.position, x) for x in _with_neighbours(reason, by_position, q_terms, best=False))
    return [chosen[p] for p in sorted(chosen)]


def _with_neighbours(e: EvidenceItem, by_position: dict[int, EvidenceItem], q_terms: list[str],
                     best: bool) -> list[EvidenceItem]:
    """``e`` and the neighbours quoted with it: those it cannot be read without (for a journalist's
    question, the opening of its reply), and for the best sentence the one after it when the same
    speaker goes on."""
    offsets = set(neighbours_needed(e.body, q_terms))
    after = by_position.get(e.position + 1)
    if best and after is not None and after.continues:
        offsets.add(1)
    reply = reply_opening(e, first_replies(list(by_position.values())))
    if reply is not None:
        offsets.add(reply.position - e.position)
    return [e] + [by_position[e.position + off] for off in sorted(offsets) if e.position + off in by_position]


EXTRACTIVE_MARGIN = 0.15
