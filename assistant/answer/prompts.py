"""Prompt templates, read from the files in ``prompts/`` (``ASSISTANT_PROMPTS_DIR``), and the
numbered evidence block they quote."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Sequence

from assistant.errors import ConfigError
from assistant.models import EvidenceItem


class Prompts:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.system = self._read("answer_system.txt")
        self.user = self._read("answer_user.txt")
        self.abstain = self._read("abstain.txt")
        self.fallback = self._read("fallback_notice.txt")

    @cached_property
    def answer(self):
        """The LLM modes' chat template (langchain_core is imported when first needed: seconds of
        start-up the extractive mode does not pay)."""
        from langchain_core.prompts import ChatPromptTemplate

        return ChatPromptTemplate.from_messages([("system", self.system), ("human", self.user)])

    def _read(self, name: str) -> str:
        path = self.folder / name
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ConfigError(f"{path}: prompt file missing (ASSISTANT_PROMPTS_DIR)") from err

    def answer_messages(self, question: str, evidence: Sequence[EvidenceItem]):
        return self.answer.format_messages(evidence=format_evidence(evidence), question=question)


ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "evidence": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 20}, "maxItems": 4},
        "answer": {"type": "string", "maxLength": 200},
    },
    "required": ["evidence", "answer"],
}


def format_evidence(evidence: Sequence[EvidenceItem]) -> str:
    """Numbered evidence sentences under a "(date — section title)" line per section; any
    delimiter a passage itself contains is neutralised, so quoted text cannot close the block."""
    lines = []
    current = None
    for e in evidence:
        key = (e.ref.briefing_id, e.ref.section_index)
        if key != current:
            current = key
            lines.append(f"({e.ref.label})")
        lines.append(f"[{e.number}] " + e.text.replace("<", "‹").replace(">", "›"))
    return "\n".join(lines)
