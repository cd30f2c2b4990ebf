"""Normalised text: what every span refers to, and the folded forms used to compare titles."""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    """The normalised source text all spans refer to: NFC, Unix newlines, no BOM, no trailing
    spaces on a line, non-breaking spaces as spaces, a keycap number opening a line ("1️⃣") as
    "1.", hard-wrapped paragraphs (text from a PDF or an e-mail) joined into lines, at most two
    blank lines in a row."""
    text = unicodedata.normalize("NFC", text).lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = re.sub(r"(?m)^(\d{1,2})\ufe0f?\u20e3\s*", r"\1. ", text)  # keycap numbers ("1️⃣ ") number a line
    text = re.sub(r"[ \t\f\v]+\n", "\n", text)
    text = unwrap(text)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip("\n") + "\n"


WRAP_WIDTH = 110  # a text whose lines are all at most this long, many of them long, is hard-wrapped
_PAGE_FOOTER = re.compile(r"^.{0,80}\b(?:page|стр\.?|страница)\s+\d{1,4}\s+(?:of|из|/)\s+\d{1,4}\s*$"
                          r"|^\s*\d{1,4}\s*$",
                          re.IGNORECASE)  # "Briefing, 20 June 2019     Page 1 of 3", a bare page number


def _without_page_breaks(lines: list[str]) -> list[str]:
    """A wrapped text's page footers dropped; a paragraph broken by one ("… by the" / footer /
    "patient work …") is one again."""
    out: list[str] = []
    broken = False  # a page footer was just dropped, with the blank lines around it
    for line in lines:
        if _PAGE_FOOTER.match(line):
            while out and not out[-1].strip():
                out.pop()
            broken = True
        elif not (broken and not line.strip()):
            if broken and not (out and out[-1].strip() and line[:1].islower()):
                out.append("")  # the next page starts a new paragraph
            out.append(line)
            broken = False
    return out


_NEW_LINE_START = re.compile(r"^\s*(?:\d{1,3}[.)]\s|[-•–—*▪►»✓]|\S[^:]{0,40}:\s|\()")


def unwrap(text: str) -> str:
    """Paragraphs hard-wrapped at a fixed width joined into one line each (a page's paragraphs
    are one line each everywhere else). Only in a text whose every line fits the width and where
    many lines come close to it; a line joins the one before when that one is long and ends
    without sentence punctuation, and it does not open an item, a label or a bracket; a word
    broken with a hyphen is joined without a space."""
    lines = text.split("\n")
    widths = [len(x) for x in lines if x.strip()]
    if not widths or max(widths) > WRAP_WIDTH:
        return text
    width = sorted(widths)[int(len(widths) * 0.9)]
    if sum(w >= 0.75 * width for w in widths) < 10:
        return text
    lines = _without_page_breaks(lines)
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        joins = (prev.strip() and line.strip() and len(prev) >= 0.75 * width and not prev.rstrip().endswith(
            (".", "!", "?", ":", ";", "»", "\"", "”")) and not _NEW_LINE_START.match(line))
        if joins:
            out[-1] = prev + line.lstrip() if re.search(r"\w-$", prev) else f"{prev} {line.lstrip()}"
        else:
            out.append(line)
    return "\n".join(out)


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
