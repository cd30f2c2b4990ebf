"""Sentence spans: where sentences start and end in a text, never across a paragraph break."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.lexicon import word_set

_ABBREVIATIONS = word_set("abbreviations")
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
