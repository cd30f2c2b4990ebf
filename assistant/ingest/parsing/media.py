"""Answers to media questions: question/answer pieces found in the text, aligned to the titles
the table of contents gives them (follow-ups join the section they follow). On mirrors a short
title line right above a question is that question's own title."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from assistant.ingest.parsing.lines import (ANSWER_LINE, QUESTION_LINE, Line, is_boilerplate, looks_like_title,
                                            next_nonblank, same_title)
from assistant.text import terms, words
from assistant.text.lexicon import alternation


@dataclass
class Piece:
    """A question and its answer, as found in the text (before alignment to titles)."""

    q_lines: list[Line]
    a_lines: list[Line]
    speaker: str | None
    heading: Line | None = None  # a title line right above the question (mirrors)
    paragraphs: list[int] = field(default_factory=list)  # where in q_lines a paragraph starts (after a blank line)

    @property
    def start(self) -> int:
        return (self.heading or self.q_lines[0]).start

    @property
    def body_start(self) -> int:
        return self.q_lines[0].start

    @property
    def end(self) -> int:
        return (self.a_lines or self.q_lines)[-1].end

    @property
    def outlet(self) -> str | None:
        """The outlet in the question's label ("Question (<Outlet>):" -> "<outlet>"), if any."""
        m = QUESTION_LINE.match(self.q_lines[0].text)
        named = re.search(r"\(([^)]+)\)", m.group()) if m else None
        return named.group(1).strip().lower() if named else None

    @property
    def question(self) -> str:
        return QUESTION_LINE.sub("", " ".join(ln.text for ln in self.q_lines), count=1).strip()

    @property
    def answer(self) -> str:
        text = "\n\n".join(ln.text for ln in self.a_lines)
        return ANSWER_LINE.sub("", text, count=1).strip()


def title_above_question(lines: list[Line], i: int) -> bool:
    """Whether line ``i`` is a short title line with only blank lines between it and a question."""
    nxt = next_nonblank(lines, i)
    return nxt is not None and bool(QUESTION_LINE.match(lines[nxt].text)) and looks_like_title(lines[i].text)


def split_pieces(lines: list[Line]) -> list[Piece]:
    pieces: list[Piece] = []
    current: Piece | None = None
    heading: Line | None = None
    in_answer = False
    gap = False
    for i, ln in enumerate(lines):
        gap, was_gap = not ln.text or (gap and is_boilerplate(ln)), gap
        if not ln.text or is_boilerplate(ln):
            continue
        if QUESTION_LINE.match(ln.text):
            current = Piece([ln], [], None, heading)
            pieces.append(current)
            heading, in_answer = None, False
            continue
        if title_above_question(lines, i):
            heading = ln
            continue
        if current is None:
            continue
        in_answer = _add_line(current, ln, in_answer, was_gap)
    for piece in pieces:
        if not piece.a_lines:
            _unlabelled_answer(piece)
    return pieces


def _add_line(piece: Piece, ln: Line, in_answer: bool, new_paragraph: bool) -> bool:
    """Add a line to the question or, from its answer label on ("<Name>:"), to the answer;
    whether the answer has begun."""
    m = ANSWER_LINE.match(ln.text)
    if not in_answer and m:
        in_answer = True
        piece.speaker = m.group(1)
    if not in_answer and new_paragraph:
        piece.paragraphs.append(len(piece.q_lines))
    (piece.a_lines if in_answer else piece.q_lines).append(ln)
    return in_answer


def _unlabelled_answer(piece: Piece) -> None:
    """A question followed by no answer label ("<Name>:", "Answer:"): the question runs to its
    first paragraph that ends with a question mark, or is its first paragraph when that one
    asks something itself or none before the last ends so; the paragraphs after it are the
    spokesperson's answer. When only the last paragraph ends with "?", all is the question."""
    lines = piece.q_lines
    starts = sorted({0, *piece.paragraphs, len(lines)})
    paragraphs = [lines[a:b] for a, b in zip(starts, starts[1:]) if b > a]
    asks = [p[-1].text.rstrip().endswith("?") for p in paragraphs]
    if len(paragraphs) < 2 or (asks[-1] and not any(asks[:-1])):
        return
    end = 0 if "?" in " ".join(ln.text for ln in paragraphs[0]) else next((k for k, a in enumerate(asks[:-1]) if a), 0)
    question = [ln for p in paragraphs[:end + 1] for ln in p]
    piece.q_lines, piece.a_lines = question, lines[len(question):]


_FOLLOW_UP = re.compile(rf"^{alternation('follow_up_openings')}\b", re.IGNORECASE)


def _follow_up_cue(piece: Piece, before: Piece, titled: bool) -> float:
    """How much a piece reads as a follow-up of the one before: opening words such as "And …" or
    "Is it …", and, when the media questions are titled (in the table of contents or by title
    lines above them, so an untitled one is likely a follow-up), a short question; -inf when
    another outlet asks (a different journalist: "Question (<Outlet A>):" after
    "Question (<Outlet B>):")."""
    mine, theirs = piece.outlet, before.outlet
    if mine and theirs and mine != theirs:
        return _NEG
    q = piece.question
    cue = 0.0
    if titled and len(words(q)) <= 15:
        cue += 0.5
    if _FOLLOW_UP.match(q):
        cue += 0.5
    return min(cue, 1.0)


class _Similarity:
    """How well a title fits a piece: the title's terms found in the question (or, less, in the
    answer), weighted by rarity; a piece whose own title line names the title fits it best."""

    def __init__(self, pieces: list[Piece], titles: list[str]):
        self.piece_terms = [(set(terms(p.question)), set(terms(p.answer))) for p in pieces]
        df = Counter(t for q, a in self.piece_terms for t in q | a)
        n = len(pieces)
        self.weight = {t: math.log(1 + (n + 1) / (1 + c)) for t, c in df.items()}
        self.default_weight = math.log(1 + (n + 1))
        self.title_terms = [set(terms(t)) for t in titles]
        self.named = {(i, j) for i, p in enumerate(pieces) if p.heading is not None
                      for j, t in enumerate(titles) if same_title(p.heading.text, t)}

    def __call__(self, i: int, j: int) -> float:
        if (i, j) in self.named:
            return 2.0
        tt = self.title_terms[j]
        if not tt:
            return 0.0
        q, a = self.piece_terms[i]
        w = [self.weight.get(t, self.default_weight) for t in tt]
        got = sum(wt * (1.0 if t in q else 0.6 if t in a else 0.0) for t, wt in zip(tt, w))
        return got / sum(w)


_START, _UNTITLED = 0.5, 0.3
_NEG = float("-inf")


def _relax(best: list[list[float]], back: list[list], i: int, j: int, score: float, step: tuple) -> None:
    if score > best[i][j]:
        best[i][j], back[i][j] = score, step


def _fill(n: int, m: int, sim: _Similarity, cont: list[float]) -> tuple[list[list[float]], list[list]]:
    """best[i][j]: best score with pieces[:i] placed and titles[:j] consumed; the last group
    exists when i > 0. back pointers: (prev_i, prev_j, action)."""
    best = [[_NEG] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, str] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0] = [0.0] * (m + 1)  # titles may be skipped before the first piece
    for i in range(n):
        for j in range(m + 1):
            base = best[i][j]
            if base == _NEG:
                continue
            # start a section with title k >= j (skipping titles j..k-1 costs nothing)
            for k in range(j, m):
                _relax(best, back, i + 1, k + 1, base + _START + sim(i, k), (i, j, f"title:{k}"))
            if i > 0:  # continue the current section (a follow-up)
                _relax(best, back, i + 1, j, base + cont[i], (i, j, "cont"))
            # a section whose title the table of contents lacks
            _relax(best, back, i + 1, j, base + _UNTITLED, (i, j, "untitled"))
    return best, back


def align_pieces(pieces: list[Piece], titles: list[str]) -> list[tuple[str | None, list[Piece]]]:
    """Group pieces into sections and give each group a title from ``titles``, monotonically.

    Dynamic programming over (piece, title): a piece either starts the next section under some
    title (score: bonus + lexical similarity of title and piece), continues the current section
    as a follow-up (score grows with follow-up cues, see ``_follow_up_cue``; never for a piece
    with its own title line or asked by another outlet), or starts a section whose title is
    missing from the table of contents. Counts may differ both ways."""
    n, m = len(pieces), len(titles)
    if not n:
        return []
    titled = m > 0 or any(p.heading is not None for p in pieces)  # by the contents or by title lines
    cont = [_NEG if p.heading is not None or i == 0 else 0.2 + 0.5 * _follow_up_cue(p, pieces[i - 1], titled)
            for i, p in enumerate(pieces)]
    best, back = _fill(n, m, _Similarity(pieces, titles), cont)
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
        else:
            groups.append((titles[int(act.split(":")[1])] if act.startswith("title:") else None, [piece]))
    return groups


def derived_title(question: str) -> str:
    first = re.split(r"(?<=[.?!])\s", question.strip(), maxsplit=1)[0]
    ws = first.split()
    return " ".join(ws[:14]) + ("…" if len(ws) > 14 else "")
