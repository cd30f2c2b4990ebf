"""Citation markers in answer text: ``[1]``, ``[1, 2]``, ``[1][2]``."""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)]*$")


def marker_numbers(text: str) -> list[int]:
    """Every citation number in ``text``, in order."""
    return [int(n) for m in MARKER.finditer(text) for n in re.split(r"\s*[,;]\s*", m.group(1))]


def strip_markers(text: str) -> str:
    return re.sub(r"\s*" + MARKER.pattern, "", text)


def with_markers(sentence: str, numbers: list[int]) -> str:
    """'Text.' + [1, 2] -> 'Text [1][2].'"""
    marks = "".join(f"[{n}]" for n in numbers)
    m = _SENTENCE_END.search(sentence)
    if m:
        return f"{sentence[: m.start()].rstrip()} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"
