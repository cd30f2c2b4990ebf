"""What one browser session holds: its conversation as typed turns (each with its verified
``Answer``), which turn's sources are shown, and the question being answered; and the per-session
limit on answers in progress.

Sessions live in ``gr.State`` (one copy per browser session); they are immutable, every change
makes a new one. ``Answer.to_json()`` is used only at the ``/ask`` API edge, never here."""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from pydantic import BaseModel, ConfigDict

from assistant.errors import AssistantError
from assistant.models import Answer


class Turn(BaseModel):
    """One question and its answer (``None``: it was not answered; the error was shown)."""

    model_config = ConfigDict(frozen=True)

    question: str
    answer: Answer | None = None


class ChatSession(BaseModel):
    """A browser session's conversation. In the Chatbot every turn is two messages (question,
    answer), so message ``2n + 1`` is the answer of turn ``n``."""

    model_config = ConfigDict(frozen=True)

    turns: tuple[Turn, ...] = ()
    current: int | None = None  # the turn whose sources are shown
    asking: str | None = None  # the question being answered now

    def ask(self, question: str) -> "ChatSession":
        return self.model_copy(update={"asking": question})

    def answered(self, answer: Answer) -> "ChatSession":
        turn = Turn(question=self.asking or answer.question, answer=answer)
        return ChatSession(turns=(*self.turns, turn), current=len(self.turns))

    def failed(self) -> "ChatSession":
        """The question being answered failed: it stays in the conversation, unanswered."""
        if self.asking is None:
            return self
        return ChatSession(turns=(*self.turns, Turn(question=self.asking)), current=self.current)

    def turn(self, n: int | None) -> Turn | None:
        return self.turns[n] if isinstance(n, int) and 0 <= n < len(self.turns) else None

    @property
    def shown(self) -> Turn | None:
        return self.turn(self.current)

    def show(self, n: int) -> "ChatSession":
        return self.model_copy(update={"current": n})

    @staticmethod
    def turn_of_message(message_index: int | None) -> int | None:
        """The turn whose answer is Chatbot message ``message_index`` (None for questions)."""
        if not isinstance(message_index, int) or message_index % 2 != 1:
            return None
        return message_index // 2

    def history(self) -> list[dict]:
        """The answered turns as openai-style messages (plain text, for follow-up questions)."""
        out: list[dict] = []
        for t in self.turns:
            if t.answer is not None:
                out += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer.text}]
        return out


class Busy(AssistantError):
    """A session asked again while its answers in progress are at the limit."""


class SessionSlots:
    """At most ``limit`` answers in progress per browser session (Gradio's ``session_hash``)."""

    def __init__(self, limit: int = 1):
        self.limit = limit
        self._busy: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def message(self) -> str:
        if self.limit == 1:
            return "An answer is still being written in this session: ask again when it is complete."
        return f"{self.limit} answers are still being written in this session: ask again when one is complete."

    def acquire(self, session: str) -> bool:
        with self._lock:
            if self._busy[session] >= self.limit:
                return False
            self._busy[session] += 1
            return True

    def release(self, session: str) -> None:
        with self._lock:
            self._busy[session] -= 1
            if self._busy[session] <= 0:
                del self._busy[session]

    @contextmanager
    def hold(self, session: str) -> Iterator[None]:
        """One slot for the block; ``Busy`` (with ``message``) when there is none."""
        if not self.acquire(session):
            raise Busy(self.message)
        try:
            yield
        finally:
            self.release(session)

    def in_progress(self, session: str) -> int:
        with self._lock:
            return self._busy[session]
