"""Question words a section says in other words: "fighters" when the section says "militants",
"reporters" for "journalists". Two single words are related when the embedder's vectors of the
words alone are close (``RELATED``); the answer-or-abstain check (answerability.py) then counts
such a word as covered, so a paraphrased question is not refused for its wording alone."""

from __future__ import annotations

from functools import lru_cache

from assistant.answer.evidence import VectorCache
from assistant.text import STOPWORDS
from assistant.text.terms import surface_words

# cosine of two words' vectors (all-MiniLM-L6-v2, each word embedded alone) from which they count
# as one term: synonyms score 0.5-0.9 ("fighters"/"militants" 0.53, "reporters"/"journalists"
# 0.87), unrelated words 0.1-0.4 ("fighters"/"tourists" 0.10)
RELATED = 0.5


@lru_cache(maxsize=512)
def _vocabulary(text: str) -> tuple[str, ...]:
    """The distinct words of a section that can stand for a question word: written in lower case
    somewhere (names, nationalities and months are not: "Northlandish" never stands for
    "Southlandish", nor "August" for "July"), of three letters or more, no stopwords, no numbers."""
    return tuple(dict.fromkeys(w for w in surface_words(text)
                               if w.islower() and w.isalpha() and len(w) >= 3 and w not in STOPWORDS))


class RelatedWords:
    """Finds which question words a text says in other words; word vectors are kept in the
    assistant's vector cache (LRU), so a section's words are seldom embedded twice."""

    def __init__(self, vectors: VectorCache, threshold: float = RELATED):
        self.vectors = vectors
        self.threshold = threshold

    def found(self, wanted: list[str], text: str) -> set[str]:
        """The words of ``wanted`` (as the user wrote them) that some word of ``text`` nearly means."""
        vocab = _vocabulary(text)
        if not wanted or not vocab:
            return set()
        asked = self.vectors.encode([w.lower() for w in wanted])
        closest = (asked @ self.vectors.encode(list(vocab)).T).max(axis=1)
        return {w for w, score in zip(wanted, closest) if score >= self.threshold}
