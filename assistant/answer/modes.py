"""Answer modes: how an answer is written from the evidence. One registry (``MODES``) lists them
for the CLI's choices, the web chat's selector and the settings' validation.

Every mode has a ``name``, a ``label`` for people, ``available(settings)`` and, for the modes
that generate with an LLM, ``chat_model()``. The local mode owns its llama.cpp server: it starts
on first use and stops with ``close()``."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from assistant.errors import InputError

if TYPE_CHECKING:
    from assistant.config import Settings


class AnswerMode:
    name: ClassVar[str]
    label: ClassVar[str]
    uses_llm: ClassVar[bool] = False

    def __init__(self, settings: "Settings", chat: Any | None = None):
        self.settings = settings
        self._chat = chat  # an injected LangChain chat model (tests, custom backends)
        self._lock = threading.Lock()

    @classmethod
    def available(cls, settings: "Settings") -> bool:
        return True

    def chat_model(self) -> Any:
        """The LangChain chat model that writes this mode's answers (LLM modes only)."""
        if not self.uses_llm:
            raise InputError(f"the {self.name} answer mode uses no language model")
        with self._lock:
            if self._chat is None:
                self._chat = self._connect()
            return self._chat

    def _connect(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the mode holds (the local server)."""


class ExtractiveMode(AnswerMode):
    name = "extractive"
    label = "Quotes only"


class LocalMode(AnswerMode):
    name = "local"
    label = "Local model"
    uses_llm = True

    def __init__(self, settings: "Settings", chat: Any | None = None):
        super().__init__(settings, chat)
        self.server = None

    def _connect(self) -> Any:
        from assistant.answer.llm import LocalServer, chat_model

        self.server = LocalServer.start(self.settings)
        return chat_model(self.settings, self.server.endpoint())

    def close(self) -> None:
        with self._lock:
            if self.server is not None:
                self._chat = None
                self.server = None  # xllamacpp stops the server when it is released


class OpenAIMode(AnswerMode):
    name = "openai"
    label = "Remote model"
    uses_llm = True

    @classmethod
    def available(cls, settings: "Settings") -> bool:
        return bool(settings.generation.openai_base_url)

    def _connect(self) -> Any:
        from assistant.answer.llm import chat_model, openai_endpoint

        return chat_model(self.settings, openai_endpoint(self.settings))


MODES: dict[str, type[AnswerMode]] = {m.name: m for m in (LocalMode, OpenAIMode, ExtractiveMode)}


def mode_class(name: str) -> type[AnswerMode]:
    try:
        return MODES[name]
    except KeyError:
        raise InputError(f"unknown answer mode {name!r} ({', '.join(MODES)})") from None
