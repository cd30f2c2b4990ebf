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


@pytest.mark.parametrize("question, dense, reason", [
    ("Which party won most seats in Nicaragua's parliamentary election?", 0.8, None),  # passes as worded
    ("What is the Honduras tourism budget?", 0.9, "no passage mentions Honduras"),  # a name is missing
    ("What is the Nicaragua tourism budget?", 0.1, "no passage is close enough to the question"),
])
def test_only_a_section_failing_for_its_wording_is_read_word_by_word(sample_index, settings, question, dense,
                                                                      reason):
    """Names and numbers must occur as written, and a passage too far from the question stays
    refused: neither is checked again with related words (nothing is embedded)."""
    embedder = SynonymEmbedder({"tourism": ("elections", 0.99), "honduras": ("nicaragua", 0.99)})
    d = decide(question, [hit(sample_index, NICARAGUA, dense=dense)], sample_index, settings,
               RelatedWords(VectorCache(embedder)))
    assert d.answerable == (reason is None) and (reason is None or d.reason == reason)
    assert embedder.encoded == 0


@pytest.mark.parametrize("text, found", [
    ("Some militants surrendered to the authorities.", {"fighters"}),
    ("Tourists surrendered their passports.", set()),
    # a word only ever capitalised (a name, a nationality, a month) stands for nothing else
    ("Militants surrendered to the authorities.", set()),
])
def test_found_reads_the_lower_case_words_of_the_text(text, found):
    words = RelatedWords(VectorCache(SynonymEmbedder({"fighters": ("militants", 0.6)})))
    assert words.found(["fighters"], text) == found


def test_a_nationality_never_stands_for_another():
    """Two nationalities can be close as word vectors, but a nationality is written with a capital:
    a question typed in lower case is not answered by the other country."""
    words = RelatedWords(VectorCache(SynonymEmbedder({"southlandish": ("northlandish", 0.63)})))
    assert words.found(["southlandish"], "Delegations from Northlandish regions took part.") == set()
    assert words.found(["southlandish"], "delegations from northlandish regions took part") == {"southlandish"}


@pytest.mark.model
def test_the_threshold_parts_synonyms_from_unrelated_words_with_the_real_model(tmp_path):
    """The cosines ``RELATED`` was set from, by the bundled model: synonyms above, unrelated below."""
    from assistant.config import Settings
    from assistant.store.embed_runtimes import make_query_embedder

    vectors = VectorCache(make_query_embedder(Settings(_env_file=None, index_dir=tmp_path / "index")))
    words = RelatedWords(vectors)
    assert words.found(["fighters"], "some militants surrendered") == {"fighters"}
    assert words.found(["reporters"], "the journalists asked") == {"reporters"}
    assert words.found(["fighters"], "the tourists left") == set()
    pair = vectors.encode(["fighters", "militants", "tourists"])
    assert pair[0] @ pair[1] >= RELATED > pair[0] @ pair[2]
