"""Deterministic stand-ins for the real models, for fast tests of the pipeline logic."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterator, Sequence

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.text import terms


class HashEmbedder:
    """Bag of stemmed words hashed into 384 dimensions, L2-normalised: texts sharing words are
    similar, as with a real embedder, but instantly and deterministically."""

    name = "hash-embedder"
    dim = 384

    def __init__(self):
        self.calls = 0
        self.encoded = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for t in terms(text):
                h = int.from_bytes(hashlib.md5(t.encode()).digest()[:4], "little")
                out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out


class EvidenceEchoChat(BaseChatModel):
    """A chat model that answers as the answer prompt asks — JSON naming the evidence line that
    shares most words with the question, and that line as the answer phrase — or with ``reply``
    verbatim when given."""

    reply: str | None = None
    lead: str | None = None  # answer with this phrase, citing the first evidence line that holds it
    fail: bool = False

    @property
    def _llm_type(self) -> str:
        return "evidence-echo"

    def _answer(self, messages: list[BaseMessage]) -> str:
        if self.fail:
            raise ConnectionError("backend unreachable")
        if self.reply is not None:
            return self.reply
        prompt = messages[-1].content
        if self.lead is not None:
            n = next(n for n, text in re.findall(r"^\[(\d+)\] (.+)$", prompt, flags=re.M) if self.lead in text)
            return json.dumps({"evidence": [int(n)], "answer": self.lead})
        question = prompt.rsplit("Question:", 1)[-1]
        q = set(terms(question))
        best, best_score = None, -1
        for n, text in re.findall(r"^\[(\d+)\] (.+)$", prompt, flags=re.M):
            score = len(q & set(terms(text)))
            if score > best_score:
                best, best_score = (n, text), score
        if best is None:
            return json.dumps({"evidence": [], "answer": ""})
        return json.dumps({"evidence": [int(best[0])], "answer": best[1]})

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._answer(messages)))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for piece in re.findall(r"\S+\s*", self._answer(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
