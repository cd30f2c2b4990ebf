"""Parsed briefing files (``briefings/<id>.<hash>.<pipeline>.json``): one per ingested version,
written once before its commit and never changed. They hold the parsed briefing, its chunks and
its registry entry, so that everything else in the index folder (the registry, the text store,
BM25, the vectors) can be rebuilt from them (``briefing-assistant check --repair``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from pydantic import ValidationError

from assistant.models import Briefing, Chunk
from assistant.store.registry import RegistryEntry, atomic_write

REGISTRY_ONLY = {"doc_bytes", "bm25_segment"}  # entry fields that change after the file is written


class ParsedFileError(Exception):
    """A parsed file that is missing, truncated or not a parsed briefing (the message names it)."""


@dataclass
class Parsed:
    briefing: Briefing
    chunks: list[Chunk]
    entry: dict | None  # the registry entry it was written with (None in files of older versions)


def doc_file_name(briefing_id: str, content_hash: str, pipeline: str) -> str:
    """Unique per version: the content and the parser/chunker configuration it was made with."""
    return f"{briefing_id}.{content_hash[:12]}.{hashlib.sha1(pipeline.encode()).hexdigest()[:6]}.json"


def briefing_id_of(file_name: str) -> str:
    return file_name.split(".", 1)[0]


def encode(entry: RegistryEntry, briefing: Briefing, chunks: Sequence[Chunk]) -> bytes:
    return json.dumps({"entry": entry.model_dump(exclude=REGISTRY_ONLY), "briefing": briefing.model_dump(mode="json"),
                       "chunks": [c.model_dump() for c in chunks]}, ensure_ascii=False).encode("utf-8")


def write_parsed(folder: Path, entry: RegistryEntry, briefing: Briefing, chunks: Sequence[Chunk]) -> int:
    """Write the file atomically; its size in bytes."""
    data = encode(entry, briefing, chunks)
    atomic_write(folder / entry.doc_file, data)
    return len(data)


def read_parsed(path: Path) -> Parsed:
    label = f"briefings/{path.name}"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ParsedFileError(f"{label} is missing") from None
    except OSError as err:
        raise ParsedFileError(f"{label} cannot be read ({err.strerror})") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ParsedFileError(f"{label} is truncated or not valid JSON ({err})") from None
    if not isinstance(data, dict) or "briefing" not in data or "chunks" not in data:
        raise ParsedFileError(f"{label} is not a parsed briefing (no 'briefing' and 'chunks')")
    try:
        briefing = Briefing.model_validate(data["briefing"])
        chunks = [Chunk.model_validate(c) for c in data["chunks"]]
    except ValidationError as err:
        first = err.errors()[0]
        raise ParsedFileError(f"{label} is not a valid parsed briefing ({'.'.join(map(str, first['loc']))}: "
                              f"{first['msg']})") from None
    entry = data.get("entry") if isinstance(data.get("entry"), dict) else None
    return Parsed(briefing, chunks, entry)
