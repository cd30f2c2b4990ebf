"""Answers to media questions: question/answer pieces found in the text, aligned to the titles
the table of contents gives them (follow-ups join the section they follow)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from assistant.ingest.parsing.lines import ANSWER_LINE, QUESTION_LINE, Line, content_lines
from assistant.text import terms, words


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
    for ln in content_lines(lines):
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


def derived_title(question: str) -> str:
    first = re.split(r"(?<=[.?!])\s", question.strip(), maxsplit=1)[0]
    ws = first.split()
    return " ".join(ws[:14]) + ("…" if len(ws) > 14 else "")
