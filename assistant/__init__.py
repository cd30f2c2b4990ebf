"""briefing-assistant: question answering over diplomatic press-briefing transcripts, with
citations to the exact briefing section. Fully offline.

    from assistant import Assistant
    assistant = Assistant.from_settings()
    answer = assistant.ask("Who convened the Paris conference on Libya?")
    print(answer.text, answer.citations)
"""

from . import offline  # noqa: F401  - must run before the ML libraries are imported
from .chain import Assistant
from .config import Settings, get_settings
from .models import Answer, Briefing, Chunk, Citation, Filters, Section, SectionHit

__all__ = ["Answer", "Assistant", "Briefing", "Chunk", "Citation", "Filters", "Section", "SectionHit",
           "Settings", "get_settings"]
__version__ = "0.1.0"
