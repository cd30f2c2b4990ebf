"""Lines of a normalised text and what a line can be: page furniture, a heading, a contents or
media-questions heading, a question or an answer label. The words come from the lexicon; the
patterns here are structure only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from assistant.text import canonical_title
from assistant.text.dates import find_date_span
from assistant.text.lexicon import alternation, phrases, word_map

# Every upper-case letter of the alphabetic scripts (Latin, Greek, Cyrillic, ...): speaker labels
# start with one whatever the transcript's language.
_UPPER = "".join(ch for ch in map(chr, range(0x2000)) if ch.isupper())
_CAP = f"[{re.escape(_UPPER)}]"

_LANGUAGE_SELECTOR = r"(?:•\s*)?(?:[a-z]{2}-[a-z]{2}\d*\s*)+"  # "• de-DE1 en-GB1 ru-RU1"
_DOCUMENT_NUMBER = r"\d{3,5}-\d{2}-\d{2}-\d{4}"  # "1420-06-07-2022"
_MENU = r"[^|]{1,40}(?:\s\|\s[^|]{1,40}){2,}"  # "Home | News | Contacts"
_BREADCRUMB = r"[^›]{1,60}(?:\s›\s[^›]{1,60})+"  # "Official statements › Briefings"
BOILERPLATE = re.compile(
    rf"^(?:{alternation('boilerplate')}|{_LANGUAGE_SELECTOR}|{_DOCUMENT_NUMBER}|©.*|{_MENU}|{_BREADCRUMB})$",
    re.IGNORECASE,
)
# the phrase alone on its line, or after a symbol ("📎 Full transcript: ..."), or a copyright line
PAGE_END = re.compile(rf"^(?:{alternation('page_end')}\s*:?|[^\w\s]+\s*{alternation('page_end')}(?!\w).{{0,80}}|©.*)$",
                      re.IGNORECASE)
QUESTION_LINE = re.compile(rf"^{alternation('question_labels')}(?:\s*\([^)]{{0,80}}\))?\s*[:.]\s*", re.IGNORECASE)
ANSWER_LINE = re.compile(rf"^((?:{_CAP}[\w'’.-]+\s){{0,3}}{_CAP}[\w'’.-]+)(?:\s*\([^)]{{0,60}}\))?\s*:\s+")
_BULLET = r"[•·*\-–—▪◾■□◦‣➤►🔸🔹🔶🔷]\ufe0f?"
BULLET = re.compile(rf"^{_BULLET}\s+")
LIST_ITEM = re.compile(rf"^(?:\d{{1,3}}[.)]|{_BULLET})\s+")
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
HEADING_NUMBER = re.compile(r"^(?:#{1,6}\s+)?\d{1,2}[.)]\s+(?=\S)")  # "1. " before a heading without contents
HASHTAG_HEADING = re.compile(r"^#(\w{2,60})$")
SENTENCE_FINAL = tuple(".!?…;:,")
FUZZY_TITLE = 0.85  # difflib ratio above which two folded titles are the same title


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # end of the stripped content
    text: str  # stripped

    @property
    def blank(self) -> bool:
        return not self.text


def split_lines(text: str) -> list[Line]:
    lines, pos = [], 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip())
        content = raw.strip()
        lines.append(Line(pos + lead, pos + lead + len(content), content))
        pos += len(raw) + 1
    return lines


def is_boilerplate(line: Line) -> bool:
    return bool(line.text) and bool(BOILERPLATE.match(line.text))


def content_lines(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.text and not is_boilerplate(ln)]


def strip_item(text: str) -> str:
    """A list item's text without its number or bullet."""
    return LIST_ITEM.sub("", text).strip()


# --- comparing headings and titles ---------------------------------------------------------

@lru_cache(maxsize=1)
def _confusables() -> dict[int, str]:
    # compared after lower-casing: a capital's look-alike ("Т" for "T") folds in lower case too
    return {ord(k.lower()): v.lower() for k, v in word_map("confusables").items()}


def title_key(text: str) -> str:
    """A title folded for comparison: look-alike letters as Latin ones, case, spaces, quotes."""
    return canonical_title(MARKDOWN_HEADING.sub("", text)).translate(_confusables())


def same_title(a: str, b: str, threshold: float = FUZZY_TITLE) -> bool:
    """Equal titles, or titles that differ by a typo (difflib ratio of the folded forms)."""
    ka, kb = title_key(a), title_key(b)
    if ka == kb:
        return bool(ka)
    if not ka or not kb or min(len(ka), len(kb)) < 0.7 * max(len(ka), len(kb)):
        return False
    m = SequenceMatcher(None, ka, kb, autojunk=False)
    return m.quick_ratio() >= threshold and m.ratio() >= threshold


@lru_cache(maxsize=None)
def _heading_keys(name: str) -> frozenset[str]:
    return frozenset(title_key(p) for p in phrases(name))


def _heading_key(text: str) -> str:
    return title_key(strip_item(text).rstrip(":：").strip())


def is_contents_heading(text: str) -> bool:
    """ "Table of contents", "Table of Contents:", "Содержание", with a Cyrillic look-alike..."""
    return len(text) < 60 and _heading_key(text) in _heading_keys("contents_headings")


def is_media_heading(text: str) -> bool:
    """ "Answers to media questions:", "4. Answer to a media question", "Ответы на вопросы СМИ:"."""
    return len(text) < 80 and _heading_key(text) in _heading_keys("media_headings")


def contents_title(heading: str | None = None) -> str:
    """What the "contents" section of a page cut short is called: the lexicon's spelling of its
    heading ("Table of Contents:" -> "Table of contents"), the first heading for a bare list."""
    names = phrases("contents_headings")
    key = _heading_key(heading) if heading else None
    return next((n for n in names if title_key(n) == key), names[0])


# --- what a line looks like ----------------------------------------------------------------

def is_date_line(text: str) -> bool:
    """A line that is only a date and perhaps a time ("23 June 2021 20:20", "27 January 202118:30")."""
    found = find_date_span(text)
    if not found:
        return False
    rest = re.sub(r"[\d:.,\s]", " ", text[: found[1]] + text[found[2]:]).split()
    return not rest or (len(rest) == 1 and len(rest[0]) <= 5)  # a year word ("г", "года")


def never_a_title(text: str) -> bool:
    """Lines that look short enough to be headings but never are: labels, page furniture,
    contents headings, document numbers and date lines."""
    return (not text or bool(BOILERPLATE.match(text)) or bool(QUESTION_LINE.match(text))
            or bool(ANSWER_LINE.match(text)) or is_contents_heading(text) or is_media_heading(text)
            or is_date_line(text))


def looks_like_heading(line: Line, nxt: Line | None) -> bool:
    """A heading-like line: short, no sentence punctuation at its end, followed by text."""
    t = line.text
    if never_a_title(t):
        return False
    if MARKDOWN_HEADING.match(t):
        return True
    if t.endswith(SENTENCE_FINAL) or len(t.split()) > 40 or len(t) < 3:
        return False
    if not (t[0].isupper() or t[0].isdigit() or t[0] in "«\"'“"):
        return False
    return nxt is not None and len(nxt.text) > len(t) // 2


def looks_like_title(text: str) -> bool:
    """A short title line (at most 15 words, no sentence punctuation at its end, even inside
    closing quotes): what a mirror puts over a question that has no "Answers" heading."""
    t = text.rstrip("\"'”’»)")
    return (not never_a_title(text) and 3 <= len(text) and len(text.split()) <= 15
            and not t.endswith(SENTENCE_FINAL) and (text[0].isupper() or text[0].isdigit()))


def next_nonblank(lines: list[Line], i: int) -> int | None:
    """Index of the first non-blank line after ``i``."""
    return next((k for k in range(i + 1, len(lines)) if lines[k].text), None)
