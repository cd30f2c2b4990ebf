"""What a client may choose: the answer modes this server offers, the briefings to search, and
the filters (checked by ``Filters.parse``, the one place dates and briefing lists are checked)."""

from __future__ import annotations

from typing import Any, Sequence

from assistant.answer.modes import MODES, LocalMode
from assistant.config import Settings
from assistant.errors import InputError
from assistant.models import Filters
from assistant.web.render import dated


def offered_modes(assistant, settings: Settings) -> list[str]:
    """The answer modes clients of this server may choose: the configured one, and those that
    start nothing on the server (quotes only; a remote model when one is configured). A server
    configured without the local model never starts it for a client."""
    configured = settings.generation.llm
    return [m for m in assistant.available_modes()
            if m == configured or (m != LocalMode.name and MODES[m].available(settings))]


def default_mode(modes: Sequence[str], settings: Settings) -> str:
    return settings.generation.llm if settings.generation.llm in modes else modes[0]


def chosen_mode(value: Any, modes: Sequence[str], settings: Settings) -> str:
    """A client's mode (empty: the default), if this server offers it; ``InputError`` otherwise."""
    if value is not None and not isinstance(value, str):
        raise InputError("the answer mode must be text")
    name = (value or "").strip()
    if not name:
        return default_mode(modes, settings)
    if name not in modes:
        labels = ", ".join(f"{m} ({MODES[m].label.lower()})" for m in modes)
        raise InputError(f"answer mode {name!r} is not offered by this server (offered: {labels})")
    return name


def chosen_filters(briefing_ids: Any, date_from: Any, date_to: Any) -> Filters | None:
    """The filter values from the page or the API (empty text: not filtered)."""
    return Filters.parse(briefing_ids=briefing_ids or (), date_from=date_from or None, date_to=date_to or None)


def briefing_choices(index) -> list[tuple[str, str]]:
    """(label, briefing_id) for the briefing filter; labels are rendered as text by the dropdown."""
    return [(f"{dated(e.date, e.title)} ({e.section_count} sections)", e.briefing_id) for e in index.briefings()]
