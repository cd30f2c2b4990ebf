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


_CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def camel_parts(text: str) -> list[str]:
    """The lower-cased words run together in CamelCase tokens (a digest's "#BlackSeaGrain" heading
    -> black, sea, grain; "NewSTART" -> new, start); other words give nothing."""
    out = []
    for w in surface_words(text):
        parts = _CAMEL_PART.findall(w)
        if len(parts) > 1 and "".join(parts) == w and not w.isupper():
            out.extend(p.lower() for p in parts)
    return out


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


def _prefix_related(a: str, b: str, stemmed: str) -> bool:
    """``a`` (a vocabulary word) and ``b`` (a term) are forms of one word: they share all but the
    last two letters (Moldovan ~ Moldova), or ``a`` is the stemmed term cut short."""
    if len(a) < 4 or a[:4] != b[:4]:
        return False
    mutual = a.startswith(b[: max(5, len(b) - 2)]) and b.startswith(a[: max(5, len(a) - 2)])
    return mutual or (a == stemmed[: len(a)] and len(a) >= len(stemmed) - 1)


def present(term: str, vocabulary: set[str] | frozenset[str]) -> bool:
    """The one "is this term in the passage" matcher: a stemmed term is present if the passage's
    vocabulary has it, its stem, or another form of the same word (Kazakhstani ~ Kazakhstan)."""
    if term in vocabulary:
        return True
    if len(term) < 5 or term.isdigit():
        return False
    stemmed = stem(term)
    return stemmed in vocabulary or any(_prefix_related(v, term, stemmed) for v in vocabulary)
