"""Words and terms: the one tokenizer, stemmer and "is this term in the passage" matcher used by
retrieval (BM25 tokens), answerability, evidence and citations."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from assistant.text.lexicon import word_set
from assistant.text.normalise import fold_quotes

STOPWORDS = word_set("stopwords")
QUESTION_WORDS = word_set("question_words")

_WORD = re.compile(r"[0-9]+(?:[.,/][0-9]+)*(?:\+[0-9]+)?|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def surface_words(text: str) -> list[str]:
    """Words and numbers as written (case kept, quotes folded)."""
    return _WORD.findall(fold_quotes(text))


def words(text: str) -> list[str]:
    """Lower-cased words and numbers; possessives dropped; 90,000 -> 90000."""
    out = []
    for w in surface_words(text):
        w = w.lower()
        if w.endswith("'s"):
            w = w[:-2]
        if w[0].isdigit():
            w = w.replace(",", "")
        out.append(w)
    return out


def terms(text: str, drop: frozenset[str] = STOPWORDS) -> list[str]:
    """Stemmed content terms (BM25 tokens, lexical overlap)."""
    return [stem(w) for w in words(text) if w not in drop and (len(w) > 1 or w.isdigit())]


def term_matches(term: str, vocabulary: set[str]) -> bool:
    """A stemmed term is present if the vocabulary has it, or shares a long prefix with one
    of its words (Moldovan ~ Moldova, Kazakhstani ~ Kazakhstan)."""
    if term in vocabulary:
        return True
    if len(term) < 5 or term.isdigit():
        return False
    stemmed = stem(term)
    if stemmed in vocabulary:
        return True
    for v in vocabulary:
        if len(v) >= 4 and v[:4] == term[:4] and (
                v.startswith(term[: max(5, len(term) - 2)]) and term.startswith(v[: max(5, len(v) - 2)])
                or v == stemmed[: len(v)] and len(v) >= len(stemmed) - 1):
            return True
    return False
