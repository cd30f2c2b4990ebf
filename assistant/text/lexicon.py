"""The lexicon: every word list the pipeline uses, kept as data files in ``lexicon/`` (one entry
per line, or several separated by spaces; ``#`` starts a comment; ``.tsv`` files map a word to
a value). Code asks for a list by name; nothing here knows what the lists contain."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.errors import ConfigError

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"


class LexiconError(ConfigError):
    """A lexicon file is missing or malformed (the message names the file)."""


def _lines(name: str) -> list[str]:
    path = LEXICON_DIR / name
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise LexiconError(f"{path}: lexicon file missing ({err.strerror})") from None
    return [line.split("#", 1)[0].strip() for line in raw.splitlines() if line.split("#", 1)[0].strip()]


@lru_cache(maxsize=None)
def word_set(name: str) -> frozenset[str]:
    """The words of ``lexicon/<name>.txt``."""
    return frozenset(w for line in _lines(f"{name}.txt") for w in line.split())


@lru_cache(maxsize=None)
def word_map(name: str) -> dict[str, str]:
    """``lexicon/<name>.tsv``: the first column mapped to the second."""
    out: dict[str, str] = {}
    for n, line in enumerate(_lines(f"{name}.tsv"), start=1):
        parts = line.split("\t")
        if len(parts) < 2:
            raise LexiconError(f"{LEXICON_DIR / (name + '.tsv')}: line {n} has no tab-separated value")
        out[parts[0].strip()] = parts[1].strip()
    return out


@lru_cache(maxsize=None)
def phrases(name: str) -> tuple[str, ...]:
    """The lines of ``lexicon/<name>.txt`` as whole phrases."""
    return tuple(_lines(f"{name}.txt"))


def alternation(name: str) -> str:
    """The phrases of ``lexicon/<name>.txt`` as a regular-expression group, longest first, each
    phrase's spaces matching any run of white space."""
    items = sorted(phrases(name), key=len, reverse=True)
    return "(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in items) + ")"
