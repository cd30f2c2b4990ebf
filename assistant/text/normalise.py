"""Normalised text: what every span refers to, and the folded forms used to compare titles."""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    """The normalised source text all spans refer to: NFC, Unix newlines, no BOM, no trailing
    spaces on a line, non-breaking spaces as spaces, a keycap number opening a line ("1️⃣") as
    "1.", at most two blank lines in a row."""
    text = unicodedata.normalize("NFC", text).lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = re.sub(r"(?m)^(\d{1,2})\ufe0f?\u20e3\s*", r"\1. ", text)  # keycap numbers ("1️⃣ ") number a line
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
