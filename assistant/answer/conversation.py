"""Follow-up questions resolved against the conversation, deterministically.

"And what about Kazakhstan?" after "Did Russia agree to recognise vaccination certificates with
Belarus?" becomes "Did Russia agree to recognise vaccination certificates with Kazakhstan?": the
new entity replaces the previous question's last entity. A question that leans on the previous
one ("When will it happen?", "Is it possible to talk about a time frame?") gets the previous
question's topic attached. A self-contained question is left alone."""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from pydantic import BaseModel

from assistant.answer.scope import date_mentions, outside_spans
from assistant.text import MONTHS, QUESTION_WORDS, STOPWORDS, present, stem, words
from assistant.text.lexicon import alternation, word_map


class Turn(BaseModel):
    role: str  # "user" | "assistant"
    content: str


_WHAT_ABOUT = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?(?:what|how)\s+about\s+(?:the\s+)?(?P<x>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_AND_X = re.compile(r"^\s*(?:and|also|or)\s+(?:for\s+|in\s+|with\s+)?(?:the\s+)?(?P<x>[^?]{1,60}?)\s*\?*\s*$",
                    re.IGNORECASE)
_DEPENDENT = re.compile(rf"\b{alternation('pronouns')}\b", re.IGNORECASE)
_ENTITY = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][\w’'-]+(?:\s+(?:of\s+the\s+|of\s+|the\s+)?[A-Z][\w’'-]+)*)")


def _user_questions(history: Sequence[Turn | dict | tuple] | None) -> list[str]:
    out = []
    for t in history or []:
        if isinstance(t, Turn):
            role, content = t.role, t.content
        elif isinstance(t, dict):
            role, content = t.get("role"), t.get("content")
        else:  # (user, assistant) pairs
            role, content = "user", t[0]
        if role == "user" and isinstance(content, str) and content.strip():
            out.append(content.strip())
    return out


def describing_words(titles: Iterable[str]) -> frozenset[str]:
    """The words that name the briefings rather than a topic, from their headers ("Briefing by
    Foreign Ministry Spokeswoman …, Moscow, …"): the speakers' names and roles, the places and
    the countries whose capitals they are (lexicon ``capitals.tsv``); months and numbers aside."""
    capitals = word_map("capitals")
    out = {w for title in titles for w in words(title) if not w[0].isdigit() and w not in MONTHS}
    return frozenset(out | {capitals[w] for w in out if w in capitals})


def _not_topic(word: str, describing: frozenset[str]) -> bool:
    """A word that names what is asked or the briefings themselves (their speakers, places and
    the places' countries: ``describing``), not a topic."""
    return word in STOPWORDS or word in QUESTION_WORDS or present(stem(word), describing)


def _new_date(prev: str, new: str) -> str | None:
    """ "And in 2019?": when the follow-up is only a date, that date replaces the previous
    question's last one ("How many … in 2021?" -> "How many … in 2019?"), or is added to it."""
    mentions = date_mentions(new)
    rest = words(" ".join(outside_spans(new, [(m.start, m.end) for m in mentions], 0, len(new))))
    if not mentions or any(w not in STOPWORDS for w in rest):
        return None
    said = new[mentions[0].start:mentions[-1].end]
    on = "on" if mentions[0].kind == "day" else "in"  # "on 10 November 2021", "in 2019"
    before = date_mentions(prev)
    if before:
        head = re.sub(r"\b(?:in|on)(\s+)$", rf"{on}\1", prev[:before[-1].start], flags=re.IGNORECASE)
        return head + said + prev[before[-1].end:]
    return f"{prev.rstrip(' ?.')} {on} {said}?"


def _what_about(prev: str, new: str, describing: frozenset[str]) -> str:
    """ "And what about X?": a date replaces the previous question's date (``_new_date``); a new
    name replaces the previous question's last one; anything else is attached to the previous
    question."""
    dated = _new_date(prev, new)
    if dated is not None:
        return dated
    entities = [e for e in _ENTITY.findall(prev) if not _not_topic(e.lower(), describing)]
    if entities and new[:1].isupper():
        old = entities[-1]
        i = prev.rfind(old)
        return prev[:i] + new + prev[i + len(old):]
    return f"{prev.rstrip(' ?.')} — regarding {new}?"


def resolve(question: str, history: Sequence[Turn | dict | tuple] | None,
            describing: frozenset[str] = frozenset()) -> str:
    """A standalone form of ``question`` given the previous user turns; ``describing``: the
    briefings' own words (see ``Assistant.describing``)."""
    previous = _user_questions(history)
    q = question.strip()
    if not previous or not q:
        return q
    # the last standalone question in the conversation: resolve the chain in order
    prev = previous[0]
    for p in previous[1:]:
        prev = resolve(p, [Turn(role="user", content=prev)], describing)
    m = _WHAT_ABOUT.match(q) or _AND_X.match(q)
    if m:
        return _what_about(prev, m.group("x").strip(), describing)
    topic = [w for w in words(q) if not _not_topic(w, describing)]
    own_names = [e for e in _ENTITY.findall(q) if not _not_topic(e.lower(), describing)]
    if _DEPENDENT.search(q) and len(topic) <= 6 and not own_names:  # "it" refers to the previous question
        return f"{q.rstrip()} (about: {prev.rstrip(' ?.')})"
    return q
