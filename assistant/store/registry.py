"""The registry (``registry.json``): what is ingested, and the commit point of every change.

A change is committed by atomically replacing the file (write a temporary file, fsync, rename).
Readers see exactly the briefings, chunks and BM25 segments the committed registry lists; a
``pending`` briefing id marks a change that was started and must be cleaned up by the next writer
if it was interrupted. Every commit gets a new ``commit`` token; another process notices the
replaced file with one stat call and reloads its view. A registry that cannot be read is never
taken for an empty index (that would let the next ingest delete the other briefings' files)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.models import Briefing

REGISTRY_VERSION = 2  # 2: BM25 segments per entry, parsed file sizes, commit tokens, text in docs.sqlite3
PARSER_VERSION = 7  # 2: sections carry sentence and speaker-label spans; 3: briefings carry their layout;
# 4: Markdown pages, day-first and weekday dates, capitalised and possessive headers, keycap numbers;
# 5: untitled media questions from other outlets, or without titles in the contents, are not follow-ups;
# 6: a title and its heading that differ by a typo keep the spelling the page uses;
# 7: a media question with no answer label ends at its first paragraph ending with "?"
REPAIR_HINT = "run: briefing-assistant check --repair"


class RegistryEntry(BaseModel):
    briefing_id: str
    path: str
    content_hash: str
    pipeline: str  # parser/chunker/embedder configuration the chunks were made with
    chunk_count: int
    ingested_at: str
    date: str | None
    title: str
    section_count: int
    doc_file: str  # parsed briefing + chunks in briefings/ (also the key of its rows in docs.sqlite3)
    synthetic: bool = False
    doc_bytes: int = 0  # size of the parsed file: a truncated file is noticed with one stat
    bm25_segment: str = ""  # the BM25 segment holding this version's chunks
    # what tells copies of one briefing apart (``assistant.store.versions``), and what the parser warned
    speaker: str | None = None
    layout: str = ""  # Briefing.layout ("" in entries written before it existed)
    cut_short: bool = False
    warnings: tuple[str, ...] = ()


def briefing_fields(b: Briefing) -> dict:
    """The entry fields that come from the parsed briefing."""
    return {"date": b.date, "title": b.title, "section_count": len(b.sections), "speaker": b.speaker,
            "layout": b.layout, "cut_short": b.cut_short, "warnings": b.warnings, "synthetic": b.synthetic}


class Registry(BaseModel):
    version: int = REGISTRY_VERSION
    generation: int = 0
    commit: str = ""  # new on every commit
    vectors_commit: str = ""  # changes when check --repair rebuilt the vectors: other processes reopen Chroma
    embed_model: str = ""  # the embedder variant every vector was made with
    briefings: dict[str, RegistryEntry] = {}
    pending: str | None = None  # briefing id whose change was started but not finished
    # text rows of replaced or removed versions, kept a while for readers still answering from an
    # older registry (parsed file -> when it was retired)
    retired: dict[str, float] = {}

    @property
    def chunk_total(self) -> int:
        return sum(e.chunk_count for e in self.briefings.values())

    def committed(self, **changes) -> "Registry":
        """The next generation, with ``changes``: what a commit writes."""
        return self.model_copy(update={**changes, "generation": self.generation + 1,
                                       "commit": secrets.token_hex(8), "version": REGISTRY_VERSION})


class RegistryProblem(Exception):
    """The registry file exists but cannot be used (the message says why, in one line)."""


def embedder_variant(embedder) -> str:
    """What the vectors are made with: the embedder's ``variant`` when it has one (model, backend,
    weights hash), else its ``name``."""
    return str(getattr(embedder, "variant", None) or embedder.name)


def pipeline_of(chunk_tokens: int, context_tokens: int, embedder_name: str) -> str:
    """The parser/chunker/embedder configuration chunks are made with (a change re-ingests)."""
    return f"{pipeline_prefix(chunk_tokens, context_tokens)}{embedder_name}"


def pipeline_prefix(chunk_tokens: int, context_tokens: int) -> str:
    return f"p{PARSER_VERSION}-c{chunk_tokens}x{context_tokens}-"


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def atomic_write(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` atomically; on failure (a full disk) the temporary file is
    removed and the old file is left as it was."""
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temp_files(folder: Path) -> list[Path]:
    """Temporary files (``.<name>.<pid>.tmp``, files or folders) left by a process that died or
    ran out of disk space; never one a live process is writing."""
    out = []
    for p in folder.glob(".*.tmp"):
        pid = p.name.rsplit(".", 2)[-2] if p.name.count(".") >= 2 else ""
        if not pid.isdigit() or int(pid) == os.getpid() or not _pid_alive(int(pid)):
            out.append(p)
    return out


def remove_stale_temp_files(*folders: Path) -> int:
    """Delete what ``stale_temp_files`` finds in these folders; how many there were."""
    import shutil

    n = 0
    for folder in folders:
        for p in stale_temp_files(folder) if folder.is_dir() else []:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            n += 1
    return n


class RegistryFile:
    def __init__(self, path: Path):
        self.path = path

    def stat_token(self) -> tuple[int, int, int] | None:
        """Changes whenever the file is replaced: (inode, size, mtime)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def read(self) -> Registry | None:
        """The committed registry; ``None`` when there is none yet. ``RegistryProblem`` when the
        file is there but unusable: it is never taken for an empty index."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise RegistryProblem(f"{self.path.name} cannot be read ({err.strerror})") from err
        return parse_registry(raw, self.path.name)

    def write(self, registry: Registry) -> None:
        atomic_write(self.path, registry.model_dump_json(indent=1))


def parse_registry(raw: bytes, name: str = "registry.json") -> Registry:
    if not raw.strip():
        raise RegistryProblem(f"{name} is empty")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise RegistryProblem(f"{name} is not valid JSON (truncated?): {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("version"), int) \
            or not isinstance(data.get("briefings"), dict):
        raise RegistryProblem(f"{name} is not a registry (no 'version' and 'briefings')")
    if data["version"] > REGISTRY_VERSION:
        raise RegistryProblem(f"{name} was written by a newer version of briefing-assistant "
                              f"(format {data['version']}, this one reads {REGISTRY_VERSION})")
    try:
        registry = Registry.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RegistryProblem(f"{name} is not a valid registry ({where}: {first['msg']})") from None
    for key, entry in registry.briefings.items():
        if key != entry.briefing_id:
            raise RegistryProblem(f"{name} lists {entry.briefing_id!r} under {key!r}")
    return registry
