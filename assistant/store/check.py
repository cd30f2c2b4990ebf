"""Consistency of an index folder: registry <-> parsed briefing files <-> text store <-> BM25
segments <-> Chroma, and the embedder the vectors were made with.

``quick_problems`` is the cheap part (stat calls, one query, a few bytes read), run whenever a
view is opened: readers and writers refuse a damaged index with a one-line message instead of
silently answering from part of it. ``check_index`` reads everything (``briefing-assistant check``);
``assistant.store.repair`` fixes what it finds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from assistant.store.bm25 import SegmentError
from assistant.store.docstore import DocStoreError, sqlite_complaint
from assistant.store.parsed import ParsedFileError, read_parsed
from assistant.store.registry import (REGISTRY_VERSION, Registry, RegistryEntry, RegistryProblem,
                                      stale_temp_files)
from assistant.store.vectors import VectorStoreError

if TYPE_CHECKING:
    from assistant.store.view import Parts, View

SQLITE_MAGIC = b"SQLite format 3\x00"
LEGACY_BM25 = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "vocab.index.json",
               "params.index.json", "meta.json")


def embedder_mismatch(built: str, current: str) -> str:
    return f"re-embed needed: built with {built or 'an unrecorded embedder'}, this embedder is {current}"


def older_format(version: int) -> str:
    return (f"the index was built by an older version of briefing-assistant (index format {version}, "
            f"this one uses {REGISTRY_VERSION})")


# --------------------------------------------------------------------------- the cheap part
def quick_problems(parts: "Parts", reg: Registry, previous: "View | None" = None) -> list[str]:
    """Problems found with stat calls and one query; only entries new since ``previous``."""
    if reg.version < REGISTRY_VERSION:
        return [older_format(reg.version)]
    out = []
    if reg.briefings and reg.embed_model != parts.variant:
        out.append(embedder_mismatch(reg.embed_model, parts.variant))
    new = [e for e in reg.briefings.values() if previous is None or e.doc_file not in previous.live_docs]
    out.extend(p for e in new if (p := parsed_file_problem(parts.briefings_dir, e)))
    out.extend(docstore_problems(parts, new))
    if reg.briefings and not parts.vectors.is_server:
        out.extend(chroma_file_problems(parts.root))
    return out


def parsed_file_problem(folder: Path, entry: RegistryEntry) -> str | None:
    try:
        size = (folder / entry.doc_file).stat().st_size
    except FileNotFoundError:
        return f"briefings/{entry.doc_file} is missing"
    if entry.doc_bytes and size != entry.doc_bytes:
        return f"briefings/{entry.doc_file} is truncated or changed ({size} bytes, {entry.doc_bytes} when written)"
    return None


def docstore_problems(parts: "Parts", entries: list[RegistryEntry]) -> list[str]:
    if not entries:
        return []
    if not parts.docs.exists():
        return [f"{parts.docs.name} is missing"]
    try:
        counts = parts.docs.chunk_counts(e.doc_file for e in entries)
    except DocStoreError as err:
        return [str(err)]
    missing = [e for e in entries if counts.get(e.doc_file, 0) != e.chunk_count]
    if missing:
        return [f"{parts.docs.name} lacks the text of {len(missing)} briefing(s) (first: {missing[0].briefing_id})"]
    return []


def chroma_file_problems(root: Path) -> list[str]:
    """The embedded Chroma store's files, without opening it."""
    folder = root / "chroma"
    db = folder / "chroma.sqlite3"
    if not folder.is_dir():
        return ["chroma/ (the vectors) is missing"]
    try:
        size = db.stat().st_size
        with open(db, "rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return ["chroma/chroma.sqlite3 is missing"]
    except OSError as err:
        return [f"chroma/chroma.sqlite3 cannot be read ({err.strerror})"]
    if not header.startswith(SQLITE_MAGIC) or len(header) < 100:
        return ["chroma/chroma.sqlite3 is not a SQLite database (overwritten or truncated)"]
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(header[28:32], "big")
    header_valid = header[24:28] == header[92:96]
    wal = db.with_name("chroma.sqlite3-wal")
    if header_valid and pages and size < pages * page and not (wal.exists() and wal.stat().st_size):
        return [f"chroma/chroma.sqlite3 is truncated ({size} of {pages * page} bytes)"]
    return []


def leftover_data(parts: "Parts") -> str | None:
    """What a missing registry would lose if the folder were taken for an empty index."""
    folder = parts.briefings_dir
    n = sum(1 for _ in folder.glob("*.json")) if folder.is_dir() else 0
    if n:
        return f"briefings/ holds {n} parsed briefing file(s)"
    if parts.docs.exists():
        try:
            if parts.docs.doc_names():
                return f"{parts.docs.name} holds parsed briefings"
        except DocStoreError:
            return f"{parts.docs.name} is there (unreadable)"
    return None


# --------------------------------------------------------------------------- the full check
@dataclass
class Problem:
    part: str  # registry | embedder | parsed | docs | bm25 | chroma | files
    message: str
    fatal: bool = True  # False: left-overs readers ignore (reported, removed by --repair)
    briefing_id: str | None = None


@dataclass
class CheckReport:
    root: Path
    problems: list[Problem] = field(default_factory=list)
    briefings: int = 0
    chunks: int = 0
    embedder: str = ""

    @property
    def ok(self) -> bool:
        return not any(p.fatal for p in self.problems)

    def add(self, part: str, message: str, fatal: bool = True, briefing_id: str | None = None) -> None:
        self.problems.append(Problem(part, message, fatal, briefing_id))

    def has(self, part: str) -> bool:
        return any(p.part == part and p.fatal for p in self.problems)

    def briefing_problems(self, part: str) -> set[str]:
        return {p.briefing_id for p in self.problems if p.part == part and p.briefing_id}

    def lines(self) -> list[str]:
        return [f"{'error' if p.fatal else 'warning'}: {p.part}: {p.message}" for p in self.problems]

    def to_json(self) -> dict:
        return {"index": str(self.root), "ok": self.ok, "briefings": self.briefings, "chunks": self.chunks,
                "embedder": self.embedder,
                "problems": [{"part": p.part, "message": p.message, "fatal": p.fatal, "briefing_id": p.briefing_id}
                             for p in self.problems]}


def check_index(parts: "Parts") -> tuple[CheckReport, Registry | None, dict[str, set[str]]]:
    """Every problem of the folder, the registry (None when unusable) and the live chunk ids per
    briefing (from the parsed files, else the text store)."""
    report = CheckReport(parts.root, embedder=parts.variant)
    reg = _check_registry(parts, report)
    ids: dict[str, set[str]] = {}
    if reg is not None:
        report.briefings, report.chunks = len(reg.briefings), reg.chunk_total
        ids = _check_parsed(parts, reg, report)
        _check_docs(parts, reg, ids, report)
        _check_bm25(parts, reg, report)
        _check_chroma(parts, reg, ids, report)
    _check_strays(parts, reg, report)
    return report, reg, ids


def _check_registry(parts: "Parts", report: CheckReport) -> Registry | None:
    try:
        reg = parts.registry.read()
    except RegistryProblem as err:
        report.add("registry", str(err))
        return None
    if reg is None:
        left = leftover_data(parts)
        if left:
            report.add("registry", f"registry.json is missing but {left}")
            return None
        return Registry(embed_model=parts.variant)
    if reg.version < REGISTRY_VERSION:
        report.add("registry", older_format(reg.version))
    if reg.briefings and reg.embed_model != parts.variant:
        report.add("embedder", embedder_mismatch(reg.embed_model, parts.variant))
    if reg.pending:
        report.add("registry", f"a change of {reg.pending} was interrupted (its clean-up is pending)", fatal=False)
    return reg


def _check_parsed(parts: "Parts", reg: Registry, report: CheckReport) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {}
    for e in reg.briefings.values():
        try:
            parsed = read_parsed(parts.briefings_dir / e.doc_file)
        except ParsedFileError as err:
            report.add("parsed", str(err), briefing_id=e.briefing_id)
            continue
        problem = parsed_file_problem(parts.briefings_dir, e)
        if parsed.briefing.id != e.briefing_id or len(parsed.chunks) != e.chunk_count:
            problem = f"briefings/{e.doc_file} does not match the registry (briefing or chunk count)"
        if problem:
            report.add("parsed", problem, briefing_id=e.briefing_id)
        ids[e.briefing_id] = {c.id for c in parsed.chunks}
    return ids


def _check_docs(parts: "Parts", reg: Registry, ids: dict[str, set[str]], report: CheckReport) -> None:
    if not parts.docs.exists():
        if reg.briefings:
            report.add("docs", f"{parts.docs.name} is missing")
        return
    try:
        bad = parts.docs.integrity()
        if bad:
            report.add("docs", f"{parts.docs.name} is damaged ({bad})")
            return
        stored = parts.docs.doc_names()
        for e in reg.briefings.values():
            _check_doc_rows(parts, e, stored, ids, report)
        live = {e.doc_file for e in reg.briefings.values()}
        extra = [d for d in stored if d not in reg.retired and d not in live]
        if extra:
            report.add("docs", f"{parts.docs.name} holds {len(extra)} version(s) no longer listed", fatal=False)
    except DocStoreError as err:
        report.add("docs", str(err))


def _check_doc_rows(parts: "Parts", e: RegistryEntry, stored: dict[str, str], ids: dict[str, set[str]],
                    report: CheckReport) -> None:
    have = parts.docs.chunk_ids(e.doc_file) if e.doc_file in stored else set()
    want = ids.get(e.briefing_id)
    if e.doc_file not in stored or (want is not None and have != want) or len(have) != e.chunk_count:
        report.add("docs", f"{parts.docs.name} lacks the text of {e.briefing_id}", briefing_id=e.briefing_id)
        ids.setdefault(e.briefing_id, have)


def bm25_problems(parts: "Parts", reg: Registry) -> tuple[dict[str, str], list[str]]:
    """(briefing id -> what BM25 lacks of it, unreadable segment files)."""
    from assistant.store.bm25 import Bm25Index

    by_segment: dict[str, list[RegistryEntry]] = {}
    for e in reg.briefings.values():
        by_segment.setdefault(e.bm25_segment, []).append(e)
    lacking: dict[str, str] = {}
    unreadable: list[str] = []
    for name, entries in sorted(by_segment.items()):
        try:
            seg = parts.segments.get(name) if name else None
        except SegmentError as err:
            seg = None
            unreadable.append(str(err))
        counts = Bm25Index.over([seg], lambda b, s: b in reg.briefings and reg.briefings[b].bm25_segment == s) \
            .chunk_counts() if seg is not None else {}
        for e in entries:
            n = counts.get(e.briefing_id, 0)
            if n != e.chunk_count:
                lacking[e.briefing_id] = f"BM25 holds {n} chunks of {e.briefing_id}, the registry lists {e.chunk_count}"
    return lacking, unreadable


def _check_bm25(parts: "Parts", reg: Registry, report: CheckReport) -> None:
    lacking, unreadable = bm25_problems(parts, reg)
    for message in unreadable:
        report.add("bm25", message)
    for bid, message in lacking.items():
        report.add("bm25", message, briefing_id=bid)
    used = {e.bm25_segment for e in reg.briefings.values()}
    unused = [n for n in parts.segments.files() if n not in used]
    legacy = [n for n in LEGACY_BM25 if (parts.segments.folder / n).exists()]
    if unused or legacy:
        report.add("bm25", f"bm25/ holds {len(unused) + len(legacy)} file(s) no longer used", fatal=False)


def _check_chroma(parts: "Parts", reg: Registry, ids: dict[str, set[str]], report: CheckReport) -> None:
    vectors = parts.vectors
    if not vectors.is_server:
        problems = chroma_file_problems(parts.root) if reg.briefings or (parts.root / "chroma").exists() else []
        if not problems and (parts.root / "chroma").exists():
            bad = sqlite_quick_check(parts.root / "chroma" / "chroma.sqlite3")
            problems = [f"chroma/chroma.sqlite3 is damaged ({bad})"] if bad else []
        if problems:
            report.add("chroma", problems[0])
            return
    try:
        live = set().union(*ids.values()) if ids else set()
        stored = vectors.all_ids()
    except VectorStoreError as err:
        report.add("chroma", str(err))
        return
    for e in reg.briefings.values():
        missing = len(ids.get(e.briefing_id, set()) - stored)
        if missing:
            report.add("chroma", f"{missing} chunk(s) of {e.briefing_id} have no vector", briefing_id=e.briefing_id)
    extra = len(stored - live)
    if extra:
        report.add("chroma", f"Chroma holds {extra} vector(s) of chunks no longer listed", fatal=False)


def sqlite_quick_check(path: Path) -> str | None:
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as err:
        return str(err)
    return sqlite_complaint([r[0] for r in rows])


def _check_strays(parts: "Parts", reg: Registry | None, report: CheckReport) -> None:
    if reg is not None:
        live = {e.doc_file for e in reg.briefings.values()}
        strays = [f.name for f in parts.briefings_dir.glob("*.json") if f.name not in live]
        if strays:
            report.add("parsed", f"briefings/ holds {len(strays)} file(s) the registry does not list "
                                 f"(first: {strays[0]})", fatal=False)
    temps = list(_temp_files(parts))
    if temps:
        report.add("files", f"{len(temps)} temporary file(s) left by an interrupted write (first: {temps[0].name})",
                   fatal=False)


def _temp_files(parts: "Parts") -> Iterable[Path]:
    for folder in (parts.root, parts.briefings_dir, parts.segments.folder):
        if folder.is_dir():
            yield from stale_temp_files(folder)
