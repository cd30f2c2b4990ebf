"""Question words a section says in other words (assistant/answer/related.py) count as covered in
the answer-or-abstain check, only from the ``RELATED`` cosine on, and only for a section that
fails for its wording alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.answer.answerability import MENTIONS_NOTHING, decide
from assistant.answer.evidence import VectorCache
from assistant.answer.related import RELATED, RelatedWords

from .fakes import HashEmbedder
from .test_answerability import NICARAGUA, hit


class SynonymEmbedder(HashEmbedder):
    """The hashing embedder, with some words turned towards another word: ``pairs`` maps a word
    to (the word it is close to, their cosine)."""

    def __init__(self, pairs: dict[str, tuple[str, float]]):
        super().__init__()
        self.pairs = pairs

    def encode(self, texts, batch_size: int = 64) -> np.ndarray:
        out = super().encode(texts, batch_size)
        for i, text in enumerate(texts):
            if text in self.pairs:
                partner, cosine = self.pairs[text]
                own, other = out[i].copy(), super().encode([partner])[0]
                out[i] = cosine * other + math.sqrt(1 - cosine ** 2) * own
        return out


QUESTION = "What is the Nicaragua tourism budget?"  # the section says neither word


def related(cosine: float) -> RelatedWords:
    """"tourism" as close as ``cosine`` to "elections", a word of the Nicaragua section."""
    return RelatedWords(VectorCache(SynonymEmbedder({"tourism": ("elections", cosine)})))


def test_a_question_word_said_in_other_words_counts_from_the_threshold_on(sample_index, settings):
    section = hit(sample_index, NICARAGUA, dense=0.5)
    plain = decide(QUESTION, [section], sample_index, settings)
    assert not plain.answerable and plain.reason == MENTIONS_NOTHING
    close = decide(QUESTION, [section], sample_index, settings, related(RELATED + 0.02))
    assert close.answerable, close.reason
    assert close.checks[0].content_found == 1 and close.checks[0].lacking == ["budget"]
    assert close.checks[0].coverage > plain.checks[0].coverage
    far = decide(QUESTION, [section], sample_index, settings, related(RELATED - 0.02))
    assert not far.answerable and far.reason == MENTIONS_NOTHING


def test_a_missing_name_is_never_made_up_by_a_related_word(sample_index, settings):
    """Names and numbers must occur as written: "Honduras" is not found through a related word."""
    words = RelatedWords(VectorCache(SynonymEmbedder({"honduras": ("nicaragua", 0.99)})))
    d = decide("What is the Honduras tourism budget?", [hit(sample_index, NICARAGUA, dense=0.9)],
               sample_index, settings, words)
    assert not d.answerable and d.reason == "no passage mentions Honduras"


def test_a_section_that_passes_is_not_embedded_word_by_word(sample_index, settings):
    embedder = SynonymEmbedder({})
    d = decide("Which party won most seats in Nicaragua's parliamentary election?",
               [hit(sample_index, NICARAGUA, dense=0.8)], sample_index, settings,
               RelatedWords(VectorCache(embedder)))
    assert d.answerable and embedder.encoded == 0


@pytest.mark.parametrize("text, found", [
    ("Militants surrendered to the authorities.", {"fighters"}),
    ("Tourists surrendered their passports.", set()),
])
def test_found_reads_single_words_of_the_text(text, found):
    words = RelatedWords(VectorCache(SynonymEmbedder({"fighters": ("militants", 0.6)})))
    assert words.found(["fighters"], text) == found
