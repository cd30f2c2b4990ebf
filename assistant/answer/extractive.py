"""Which evidence sentences an extractive answer quotes: the best sentences of the supporting
section. The answer of the ``extractive`` mode (composed in compose.py), and the fallback of the
LLM modes."""

from __future__ import annotations

from typing import Sequence

from assistant.answer.evidence import neighbours_needed
from assistant.models import EvidenceItem
from assistant.text import terms


def select_sentences(evidence: Sequence[EvidenceItem], question: str = "", max_sentences: int = 3,
                     max_words: int = 110) -> list[EvidenceItem]:
    """The best evidence sentences of the supporting section, quoted, in reading order: the best
    one, the ones scoring close to it, and the neighbours they cannot be read without (see
    ``neighbours_needed``)."""
    if not evidence:
        return []
    first = (evidence[0].ref.briefing_id, evidence[0].ref.section_index)
    same = [e for e in evidence if (e.ref.briefing_id, e.ref.section_index) == first]
    by_position = {e.position: e for e in same}
    q_terms = terms(question)
    ranked = sorted(same, key=lambda e: e.score, reverse=True)
    chosen: dict[int, EvidenceItem] = {}
    for e in ranked:
        if len(chosen) >= max_sentences or (chosen and e.score < ranked[0].score - EXTRACTIVE_MARGIN):
            break
        group = [e] + [by_position[e.position + off] for off in neighbours_needed(e.body, q_terms)
                       if e.position + off in by_position]
        if chosen and sum(len(x.text.split()) for x in [*chosen.values(), *group]) > max_words:
            break
        for x in group:
            chosen[x.position] = x
    return [chosen[p] for p in sorted(chosen)]


EXTRACTIVE_MARGIN = 0.15
