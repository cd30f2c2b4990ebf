"""briefing-assistant: question answering over diplomatic press-briefing transcripts, with
citations to the exact briefing section. Fully offline.

    from assistant import Assistant
    assistant = Assistant.from_settings()
    answer = assistant.ask("Who convened the Paris conference on Libya?")
    print(answer.text, answer.citations)

The package is the pipeline: ``ingest`` (files -> briefings -> chunks) -> ``store`` (registry,
Chroma, BM25) -> ``answer`` (retrieval, evidence, generation, citations) -> ``web`` (the chat),
with ``text`` (language primitives and the lexicon) under all of them and ``tools`` (CLI, eval,
bench) beside."""

from typing import TYPE_CHECKING

from assistant import offline  # noqa: F401  - must run before the ML libraries are imported
from assistant.config import Settings, get_settings
from assistant.models import Answer, Briefing, Chunk, Citation, Filters, Section, SectionHit

if TYPE_CHECKING:
    from assistant.answer.assistant import Assistant


def __getattr__(name: str):
    """``Assistant`` is imported on first use: a command that only ingests or checks does not
    load the answer pipeline."""
    if name == "Assistant":
        from assistant.answer.assistant import Assistant

        return Assistant
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")

__all__ = ["Answer", "Assistant", "Briefing", "Chunk", "Citation", "Filters", "Section", "SectionHit",
           "Settings", "get_settings"]
__version__ = "0.1.0"
