"""Briefing text -> structured ``Briefing``: header metadata, table of contents, statement sections
and media-question sections (titles aligned from the table of contents).

Works on the plain-text transcripts of the ministry's site, on the same page as HTML, on mirrors
that lack the table of contents or the "Back to top" markers or are cut short, and falls back to
"paragraphs under the nearest heading-like line" for any other text."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from assistant.models import Briefing, Exchange, Section
from assistant.text import canonical_title, find_date, normalise, terms, words


class ParseError(ValueError):
    """The text has no structure we can cite (the message names the file)."""


# --------------------------------------------------------------------------------------------
# lines

BOILERPLATE = re.compile(
    r"^(?:back to top|to the top|top of page|asset publisher|additional materials|advanced settings"
    r"|print version|share|print|photo ?gallery|video|(?:•\s*)?(?:[a-z]{2}-[a-z]{2}\d*\s*)+)$",
    re.IGNORECASE,
)
TOC_HEADER = re.compile(r"^(?:table of contents|contents)\s*:?$", re.IGNORECASE)
MEDIA_HEADER = re.compile(r"^answers to (?:media |journalists'? |the media'?s? )?questions\s*:?$", re.IGNORECASE)
QUESTION_LINE = re.compile(r"^(?:question|q)(?:\s*\([^)]{0,80}\))?\s*[:.]\s*", re.IGNORECASE)
ANSWER_LINE = re.compile(r"^((?:[A-Z][\w'’.-]+\s){0,3}[A-Z][\w'’.-]+)(?:\s*\([^)]{0,60}\))?\s*:\s+")
LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[•·*\-–—])\s+")
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
SENTENCE_FINAL = tuple(".!?…;:,")


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


def _content(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.text and not is_boilerplate(ln)]


def looks_like_heading(line: Line, nxt: Line | None) -> bool:
    """A heading-like line: short, no sentence punctuation at its end, followed by text."""
    t = line.text
    if not t or is_boilerplate(line) or QUESTION_LINE.match(t) or ANSWER_LINE.match(t):
        return False
    if MARKDOWN_HEADING.match(t):
        return True
    if t.endswith(SENTENCE_FINAL) or len(t.split()) > 40 or len(t) < 3:
        return False
    if not (t[0].isupper() or t[0].isdigit() or t[0] in "«\"'“"):
        return False
    return nxt is not None and len(nxt.text) > len(t) // 2


# --------------------------------------------------------------------------------------------
# header metadata

TITLE_LINE = re.compile(
    r"^(?:(?:press )?briefing|comment|statement|remarks|transcript|interview|news conference"
    r"|speech|answers? to)\b", re.IGNORECASE)


@dataclass
class Header:
    title: str | None = None
    from_title_line: bool = False  # a "Briefing by ..." line, not just the first line of the text
    date: str | None = None
    speaker: str | None = None
    place: str | None = None


def parse_header(lines: list[Line], source_name: str) -> Header:
    content = [ln.text for ln in _content(lines)]
    h = Header()
    h.title = next((t for t in content if TITLE_LINE.match(t) and len(t) < 300), None)
    h.from_title_line = h.title is not None
    if h.title is None:
        h.title = next((MARKDOWN_HEADING.sub("", t) for t in content if not find_date(t) or len(t) > 25), None)
    if h.title:
        h.date = find_date(h.title)
        # "Briefing by <speaker>, <place>, <date>"
        m = re.match(r"^.*?\bby\s+(?P<who>[^,]+)(?:,\s*(?P<place>[^,]+?))?(?:,\s*[^,]*(?:,\s*)?\d{4})?\s*$", h.title)
        if m:
            h.speaker = m.group("who").strip()
            place = (m.group("place") or "").strip()
            if place and not find_date(place) and len(place.split()) <= 4:
                h.place = place
    if h.date is None:
        h.date = next((d for d in map(find_date, content) if d), None) or find_date(source_name)
    return h


def _speaker_name(header_speaker: str | None, answer_names: Counter) -> str | None:
    """Prefer the bare name used in the answers ("Maria Zakharova") when the header's speaker
    ("Foreign Ministry Spokeswoman Maria Zakharova") contains it."""
    for name, _ in answer_names.most_common():
        if header_speaker is None or name in header_speaker:
            return name
    return header_speaker


# --------------------------------------------------------------------------------------------
# table of contents


@dataclass
class Toc:
    statements: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    start_line: int = 0  # the "Table of contents" line
    end_line: int = 0  # index of the first line after the table of contents


def _clean_item(text: str) -> str:
    return LIST_ITEM.sub("", text).strip()


def parse_toc(lines: list[Line]) -> Toc | None:
    start = next((i for i, ln in enumerate(lines) if TOC_HEADER.match(ln.text)), None)
    if start is None:
        return None
    toc = Toc(start_line=start)
    target = toc.statements
    first_title: str | None = None
    i = start + 1
    while i < len(lines):
        ln = lines[i]
        if ln.blank or is_boilerplate(ln):
            i += 1
            continue
        if MEDIA_HEADER.match(ln.text):
            target = toc.media
            i += 1
            continue
        item = _clean_item(ln.text)
        if first_title and canonical_title(item) == canonical_title(first_title) and not LIST_ITEM.match(ln.text):
            break  # the body starts by repeating the first title
        if not LIST_ITEM.match(ln.text) and (toc.statements or toc.media):
            # an unnumbered line after numbered items ends the table of contents, unless the
            # whole table is unnumbered (HTML lists converted without numbers)
            if any(LIST_ITEM.match(lines[k].text) for k in range(start + 1, i)):
                break
        if QUESTION_LINE.match(ln.text) or len(item) > 400 or item.endswith((".", "?", "!")) and len(item) > 200:
            break
        target.append(item)
        first_title = first_title or item
        i += 1
    toc.end_line = i
    return toc if (toc.statements or toc.media) else None


# --------------------------------------------------------------------------------------------
# media questions


@dataclass
class Piece:
    """A question and its answer, as found in the text (before alignment to titles)."""

    q_lines: list[Line]
    a_lines: list[Line]
    speaker: str | None

    @property
    def start(self) -> int:
        return self.q_lines[0].start

    @property
    def end(self) -> int:
        return (self.a_lines or self.q_lines)[-1].end

    @property
    def question(self) -> str:
        return QUESTION_LINE.sub("", " ".join(ln.text for ln in self.q_lines), count=1).strip()

    @property
    def answer(self) -> str:
        text = "\n\n".join(ln.text for ln in self.a_lines)
        return ANSWER_LINE.sub("", text, count=1).strip()


def split_pieces(lines: list[Line]) -> list[Piece]:
    pieces: list[Piece] = []
    current: Piece | None = None
    in_answer = False
    for ln in _content(lines):
        if QUESTION_LINE.match(ln.text):
            current = Piece([ln], [], None)
            pieces.append(current)
            in_answer = False
            continue
        if current is None:
            continue
        m = ANSWER_LINE.match(ln.text)
        if not in_answer and m:
            in_answer = True
            current.speaker = m.group(1)
        (current.a_lines if in_answer else current.q_lines).append(ln)
    return pieces


_FOLLOW_UP = re.compile(
    r"^(?:and|but|so|also|then|is it|is that|are they|does (?:it|this|that)|do you|could you"
    r"|can you|what about|how about|will it|would it|any)\b", re.IGNORECASE)


def _follow_up_cue(piece: Piece) -> float:
    q = piece.question
    cue = 0.0
    if len(words(q)) <= 15:
        cue += 0.5
    if _FOLLOW_UP.match(q):
        cue += 0.5
    return min(cue, 1.0)


def align_pieces(pieces: list[Piece], titles: list[str]) -> list[tuple[str | None, list[Piece]]]:
    """Group pieces into sections and give each group a title from ``titles``, monotonically.

    Dynamic programming over (piece, title): a piece either starts the next section under some
    title (score: bonus + lexical similarity of title and piece), continues the current section
    as a follow-up (score grows with follow-up cues: short question, "Is it…", "And…"), or starts
    a section whose title is missing from the table of contents. Counts may differ both ways."""
    n, m = len(pieces), len(titles)
    if not n:
        return []
    piece_terms = [(set(terms(p.question)), set(terms(p.answer))) for p in pieces]
    df = Counter(t for q, a in piece_terms for t in q | a)

    def weight(t: str) -> float:
        return math.log(1 + (n + 1) / (1 + df[t]))

    title_terms = [set(terms(t)) for t in titles]

    def sim(i: int, j: int) -> float:
        tt = title_terms[j]
        if not tt:
            return 0.0
        q, a = piece_terms[i]
        total = sum(weight(t) for t in tt)
        got = sum(weight(t) * (1.0 if t in q else 0.6 if t in a else 0.0) for t in tt)
        return got / total

    START, UNTITLED = 0.5, 0.3
    cont = [0.2 + 0.5 * _follow_up_cue(p) for p in pieces]
    NEG = float("-inf")
    # best[i][j]: best score with pieces[:i] placed and titles[:j] consumed; the last group
    # exists when i > 0. back pointers: (prev_i, prev_j, action)
    best = [[NEG] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, str] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        best[0][j] = 0.0  # titles may be skipped before the first piece
    for i in range(n):
        for j in range(m + 1):
            if best[i][j] == NEG:
                continue
            base = best[i][j]
            # start a section with title k >= j (skipping titles j..k-1 costs nothing)
            for k in range(j, m):
                s = base + START + sim(i, k)
                if s > best[i + 1][k + 1]:
                    best[i + 1][k + 1], back[i + 1][k + 1] = s, (i, j, f"title:{k}")
            # continue the current section (a follow-up)
            if i > 0:
                s = base + cont[i]
                if s > best[i + 1][j]:
                    best[i + 1][j], back[i + 1][j] = s, (i, j, "cont")
            # a section whose title the table of contents lacks
            s = base + UNTITLED
            if s > best[i + 1][j]:
                best[i + 1][j], back[i + 1][j] = s, (i, j, "untitled")
    j = max(range(m + 1), key=lambda jj: best[n][jj])
    actions: list[str] = []
    i = n
    while i > 0:
        pi, pj, act = back[i][j]  # type: ignore[misc]
        actions.append(act)
        i, j = pi, pj
    actions.reverse()
    groups: list[tuple[str | None, list[Piece]]] = []
    for piece, act in zip(pieces, actions):
        if act == "cont" and groups:
            groups[-1][1].append(piece)
        elif act.startswith("title:"):
            groups.append((titles[int(act.split(":")[1])], [piece]))
        else:
            groups.append((None, [piece]))
    return groups


def _derived_title(question: str) -> str:
    first = re.split(r"(?<=[.?!])\s", question.strip(), maxsplit=1)[0]
    ws = first.split()
    return " ".join(ws[:14]) + ("…" if len(ws) > 14 else "")


# --------------------------------------------------------------------------------------------
# the parser


def _statement_sections(lines: list[Line], toc_titles: list[str]) -> list[tuple[str, bool, list[Line], Line | None]]:
    """(title, from_toc, body lines, title line) for the statement part of the body."""
    heads: list[tuple[int, str, bool]] = []  # (line index, title, from_toc)
    if toc_titles:
        wanted = [canonical_title(t) for t in toc_titles]
        k = 0
        for idx, ln in enumerate(lines):
            c = canonical_title(MARKDOWN_HEADING.sub("", ln.text))
            if not c:
                continue
            for kk in range(k, len(wanted)):
                if c == wanted[kk]:
                    heads.append((idx, toc_titles[kk], True))
                    k = kk + 1
                    break
    if not heads:
        nonblank = [i for i, ln in enumerate(lines) if ln.text and not is_boilerplate(ln)]
        for pos, idx in enumerate(nonblank):
            nxt = lines[nonblank[pos + 1]] if pos + 1 < len(nonblank) else None
            if looks_like_heading(lines[idx], nxt):
                heads.append((idx, MARKDOWN_HEADING.sub("", lines[idx].text).strip(), False))
    out = []
    for h, (idx, title, from_toc) in enumerate(heads):
        stop = heads[h + 1][0] if h + 1 < len(heads) else len(lines)
        body = _content(lines[idx + 1 : stop])
        if body:
            out.append((title, from_toc, body, lines[idx]))
    return out


def parse_text(text: str, *, source: str, briefing_id: str, content_hash: str,
               fmt: str = "transcript") -> Briefing:
    """Parse already-decoded text. Raises ParseError when there is nothing citable."""
    text = normalise(text)
    lines = split_lines(text)
    name = Path(source).name
    toc = parse_toc(lines)
    header = parse_header(lines[: toc.start_line] if toc else lines[:40], name)
    body_from = toc.end_line if toc else 0
    if not toc:
        # skip the header: the body starts at the first line after the title line
        title_idx = next((i for i, ln in enumerate(lines) if header.from_title_line and ln.text == header.title), None)
        body_from = title_idx + 1 if title_idx is not None and title_idx < 15 else 0
    media_idx = next((i for i in range(body_from, len(lines)) if MEDIA_HEADER.match(lines[i].text)), None)
    if media_idx is None:
        # mirrors without the header still have "Question:" lines
        media_idx = next((i for i in range(body_from, len(lines)) if QUESTION_LINE.match(lines[i].text)), None)
    statement_lines = lines[body_from:media_idx] if media_idx is not None else lines[body_from:]
    media_lines = lines[media_idx:] if media_idx is not None else []

    sections: list[Section] = []
    for title, from_toc, body, head in _statement_sections(statement_lines, toc.statements if toc else []):
        sections.append(Section(index=len(sections), title=title, kind="statement", start=head.start,
                                end=body[-1].end, body_start=body[0].start, title_from_toc=from_toc))
    pieces = split_pieces(media_lines)
    answer_names: Counter = Counter(p.speaker for p in pieces if p.speaker)
    for title, group in align_pieces(pieces, toc.media if toc else []):
        exchanges = tuple(
            Exchange(question=p.question, answer=p.answer,
                     question_start=p.q_lines[0].start, question_end=p.q_lines[-1].end,
                     answer_start=p.a_lines[0].start if p.a_lines else p.q_lines[-1].end,
                     answer_end=p.a_lines[-1].end if p.a_lines else p.q_lines[-1].end)
            for p in group)
        sections.append(Section(index=len(sections), title=title or _derived_title(group[0].question),
                                kind="media_question", start=group[0].start, end=group[-1].end,
                                body_start=group[0].start, exchanges=exchanges,
                                title_from_toc=title is not None))
    if not sections:
        raise ParseError(f"{source}: no recognisable structure (no headings, table of contents or "
                         f"Question/answer markers found)")
    title = header.title or (sections[0].title if fmt == "text" else Path(source).stem)
    return Briefing(
        id=briefing_id, date=header.date, title=title,
        speaker=_speaker_name(header.speaker, answer_names), place=header.place, source=source,
        content_hash=content_hash, format=fmt if fmt != "transcript" or toc or pieces else "text",
        text=text, sections=tuple(sections),
    )


# --------------------------------------------------------------------------------------------
# HTML

_BLOCK = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "h1", "h2", "h3", "h4",
    "h5", "h6", "ul", "ol", "li", "table", "tr", "blockquote", "pre", "dl", "dt", "dd", "figure",
    "figcaption", "address", "hr",
}
_DROP = {"script", "style", "noscript", "template", "svg", "form", "select", "option", "button",
         "iframe", "nav", "head", "input", "textarea"}


def html_to_text(html: str) -> str:
    """Visible text of an HTML page with one block element per paragraph (real HTML parser)."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.body or soup
    out: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__.__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction"):
                    continue
                out.append(re.sub(r"\s+", " ", str(child)))
            elif isinstance(child, Tag):
                name = child.name.lower()
                if name == "br":
                    out.append("\n")
                elif name in _BLOCK:
                    out.append("\n\n")
                    if name == "li":
                        parent = child.parent
                        if parent is not None and parent.name == "ol":
                            out.append(f"{len(child.find_previous_siblings('li')) + 1}. ")
                    walk(child)
                    out.append("\n\n")
                else:
                    walk(child)

    walk(root)
    text = "".join(out)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head) or (
        head.lstrip().startswith("<") and "</p>" in text[:20000].lower())
