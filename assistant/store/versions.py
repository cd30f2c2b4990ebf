"""Copies of one briefing: the same briefing taken from the official page, a mirror site and a
digest post (same date, same speaker) is one briefing with several versions.

Which version is the official transcript is decided from the structure the parser found, never
from where the file came from: a complete page beats one whose body is missing or cut short; then
a transcript with its table of contents, one with headings only, one with no headings, and last a
digest post (a summary). Generated (synthetic) briefings are never copies of each other."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from assistant.store.registry import RegistryEntry

# Layout (assistant.models.Layout) -> how close the page is to the official transcript (lower: closer)
LAYOUT_RANK = {"contents": 0, "headings": 1, "text": 2, "digest": 3}
UNKNOWN_LAYOUT_RANK = 2  # entries written before layouts were recorded
LAYOUT_LABELS = {"contents": "transcript with contents", "headings": "transcript with headings only",
                 "text": "text without headings", "digest": "digest post", "": "layout not recorded"}

_NAME_PART = re.compile(r"[^\W\d_]+", re.UNICODE)


def official_rank(entry: RegistryEntry) -> tuple[int, int, str]:
    """Sort key of the versions of one briefing: the official transcript first."""
    return (1 if entry.cut_short else 0, LAYOUT_RANK.get(entry.layout, UNKNOWN_LAYOUT_RANK), entry.briefing_id)


def surname(speaker: str | None) -> str | None:
    """The last word of a speaker's name, case-folded ("Maria Zakharova", "Zakharova" -> zakharova)."""
    parts = _NAME_PART.findall(speaker or "")
    return parts[-1].casefold() if parts else None


def layout_label(entry: RegistryEntry) -> str:
    label = LAYOUT_LABELS.get(entry.layout, entry.layout)
    return f"{label}, cut short" if entry.cut_short else label


@dataclass(frozen=True)
class BriefingVersions:
    """One briefing and its versions, the official transcript first."""

    key: str  # "<date> <speaker's surname>", or the briefing id of a briefing without copies
    versions: tuple[RegistryEntry, ...]

    @property
    def official(self) -> RegistryEntry:
        return self.versions[0]

    @property
    def date(self) -> str | None:
        return self.official.date


def _speaker_groups(entries: list[RegistryEntry]) -> list[list[RegistryEntry]]:
    """Entries of one date -> groups of the same speaker; an entry without a speaker joins the one
    speaker of that date (when there are several, it stays on its own)."""
    named: dict[str, list[RegistryEntry]] = {}
    anonymous = []
    for e in entries:
        name = surname(e.speaker)
        if name is None:
            anonymous.append(e)
        else:
            named.setdefault(name, []).append(e)
    if len(named) == 1:
        next(iter(named.values())).extend(anonymous)
        anonymous = []
    return list(named.values()) + [[e] for e in anonymous]


def group_versions(entries: Iterable[RegistryEntry]) -> list[BriefingVersions]:
    """Every briefing once, with its versions (copies share a date and a speaker), by date."""
    by_date: dict[str, list[RegistryEntry]] = {}
    single: list[list[RegistryEntry]] = []
    for e in entries:
        if e.date and not e.synthetic:
            by_date.setdefault(e.date, []).append(e)
        else:
            single.append([e])
    groups = [g for same_day in by_date.values() for g in _speaker_groups(same_day)] + single
    out = []
    for g in groups:
        g.sort(key=official_rank)
        key = f"{g[0].date} {surname(g[0].speaker) or ''}".strip() if len(g) > 1 else g[0].briefing_id
        out.append(BriefingVersions(key, tuple(g)))
    out.sort(key=lambda v: (v.date or "", v.official.briefing_id))
    return out


@dataclass(frozen=True)
class CopyOf:
    """Where one briefing stands among its copies (only briefings that have copies get one)."""

    key: str
    rank: int  # 0: the official transcript
    better: tuple[str, ...]  # ids of the versions closer to the official one, the official first


def copies_of(entries: Iterable[RegistryEntry]) -> dict[str, CopyOf]:
    """briefing id -> its place among the copies of its briefing, for briefings with copies."""
    out: dict[str, CopyOf] = {}
    for group in group_versions(entries):
        ids = [e.briefing_id for e in group.versions]
        if len(ids) > 1:
            for rank, bid in enumerate(ids):
                out[bid] = CopyOf(group.key, rank, tuple(ids[:rank]))
    return out
