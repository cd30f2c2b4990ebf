"""Files -> parsed briefings -> chunks -> index, one file at a time, each file's failure reported
on its own line without touching what is already indexed."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from assistant.ingest.chunking import chunk_briefing
from assistant.config import Settings
from assistant.errors import IndexUnavailable, InputError, ParseError, SourceError
from assistant.store.index import Index
from assistant.models import Briefing
from assistant.ingest.parsing import html_to_text, looks_like_html, parse_text
from assistant.ingest.sources import SourceDocument, expand_paths, read_source

Progress = Callable[[int, int, str], None]  # (files done, files total, current file name)


@dataclass
class FileResult:
    path: str
    status: str  # added | updated | unchanged | error
    briefing_id: str | None = None
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    error: str | None = None
    warnings: tuple[str, ...] = ()  # what the parser noticed ("body cut short after '<title>'")


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "error"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def embedded(self) -> int:
        return sum(r.embedded for r in self.results)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "briefing"


def check_date(date: str | dt.date | None) -> str | None:
    """A date given for briefings whose page has none (``ingest --date``): ``YYYY-MM-DD`` or a
    ``date``, returned as ``YYYY-MM-DD``; ``InputError`` naming the value otherwise."""
    if date is None or isinstance(date, dt.date):
        return date.isoformat() if date else None
    value = str(date).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise InputError(f"the briefing date {value!r} is not a date like 2022-03-03 (YYYY-MM-DD)") from None


def parse_document(doc: SourceDocument, briefing_id: str, date: str | None = None) -> Briefing:
    """``date`` (``YYYY-MM-DD``) dates a page whose text has no date of its own."""
    text = html_to_text(doc.text) if doc.is_html or looks_like_html(doc.text) else doc.text
    fmt = "html" if doc.is_html else "transcript"
    return parse_text(text, source=doc.path, briefing_id=briefing_id, content_hash=doc.content_hash, fmt=fmt,
                      date_hint=date)


def parse_file(path: str | Path, settings: Settings, briefing_id: str | None = None,
               date: str | dt.date | None = None) -> Briefing:
    """Read and parse one file without indexing it (``inspect``)."""
    date = check_date(date)
    doc = read_source(path, settings.ingest.max_file_bytes)
    return parse_document(doc, briefing_id or slugify(Path(path).stem), date)


EMBED_GROUP_FILES = 8  # files whose new chunks are embedded together


@dataclass(frozen=True)
class _Input:
    name: str  # shown in reports
    path: str  # read from here (or, for uploads, only its suffix matters)
    data: bytes | None  # uploads: the bytes
    source_key: str  # resolved path, or upload:NAME


@dataclass
class _Prepared:
    item: _Input
    result: FileResult | None  # final already (unchanged, or an error)
    briefing: Briefing | None = None
    chunks: list = field(default_factory=list)
    seconds: float = 0.0


class Ingestor:
    def __init__(self, index: Index, settings: Settings):
        self.index = index
        self.settings = settings
        self.date: str | None = None  # the date of pages without one, in the ingest in hand

    def _briefing_id(self, name: str, source_key: str, taken: set[str]) -> str:
        """The file's stem as a slug; another file with the same stem (indexed, or ``taken`` by
        a file of the same batch) gets a suffix."""
        existing = self.index.entry_for_source(source_key)
        if existing:
            return existing.briefing_id
        base = slugify(Path(name).stem)
        if base not in self.index.snapshot.registry.briefings and base not in taken:
            return base
        return f"{base}-{hashlib.sha1(source_key.encode()).hexdigest()[:6]}"

    def _prepare(self, item: "_Input", synthetic: bool, taken: set[str]) -> "_Prepared":
        """Read, parse and chunk one file; ``result`` is set when there is nothing to index
        (unchanged) or it failed. Never raises for bad input."""
        t0 = time.perf_counter()
        try:
            doc = read_source(item.path, self.settings.ingest.max_file_bytes, data=item.data)
            bid = self._briefing_id(item.name, item.source_key, taken)
            taken.add(bid)
            current = self.index.is_current(bid, doc.content_hash)
            if current and (self.date is None or self.index.snapshot.registry.briefings[bid].date == self.date):
                return self._unchanged(item, bid, t0)
            briefing = parse_document(doc, bid, self.date)
            if current and briefing.date == self.index.snapshot.registry.briefings[bid].date:
                return self._unchanged(item, bid, t0)  # the page has a date of its own: --date changes nothing
            if synthetic:
                briefing = briefing.model_copy(update={"synthetic": True})
            chunks = chunk_briefing(briefing, self.settings.ingest.chunk_tokens, self.settings.ingest.context_tokens)
            return _Prepared(item, None, briefing, chunks, time.perf_counter() - t0)
        except (SourceError, ParseError) as err:
            return _Prepared(item, FileResult(item.name, "error", error=str(err), seconds=time.perf_counter() - t0))

    def _unchanged(self, item: "_Input", bid: str, t0: float) -> "_Prepared":
        entry = self.index.snapshot.registry.briefings[bid]
        return _Prepared(item, FileResult(item.name, "unchanged", bid, entry.chunk_count, 0, time.perf_counter() - t0,
                                          warnings=tuple(entry.warnings)))

    def _add(self, p: "_Prepared", vectors: dict, embed_share: float) -> FileResult:
        t0 = time.perf_counter()
        try:
            status, embedded = self.index.add(p.briefing, p.chunks, p.item.source_key, vectors)
        except IndexUnavailable:
            raise
        except Exception as err:  # noqa: BLE001 - one bad file must not stop the others
            return FileResult(p.item.name, "error", error=f"{p.item.name}: {type(err).__name__}: {err}",
                              seconds=time.perf_counter() - t0)
        seconds = p.seconds + embed_share + time.perf_counter() - t0
        return FileResult(p.item.name, status, p.briefing.id, len(p.chunks), embedded, seconds,
                          warnings=p.briefing.warnings)

    def _embed_group(self, todo: list["_Prepared"]) -> tuple[dict, float]:
        """Vectors of the new chunks of a group of files, in one encode call, and its seconds. On
        a failure each file then embeds its own (and reports its error)."""
        t0 = time.perf_counter()
        chunks = [c for p in todo for c in p.chunks]
        try:
            stored = self.index.stored_ids([c.id for c in chunks])
            vectors = self.index.embed([c for c in chunks if c.id not in stored])
        except IndexUnavailable:
            raise
        except Exception:  # noqa: BLE001
            vectors = {}
        return vectors, time.perf_counter() - t0

    def _run_group(self, group: list["_Input"], first: int, total: int, synthetic: bool, bar,
                   progress: Progress | None) -> list[FileResult]:
        taken: set[str] = set()
        prepared = [self._prepare(item, synthetic, taken) for item in group]
        todo = [p for p in prepared if p.result is None]
        vectors, embed_s = self._embed_group(todo)
        n_chunks = sum(len(p.chunks) for p in todo)
        results = []
        for n, p in enumerate(prepared, start=first):
            if progress:
                progress(n, total, p.item.name)
            bar.set_postfix_str(p.item.name[-40:])
            share = embed_s * len(p.chunks) / n_chunks if p.result is None and n_chunks else 0.0
            results.append(p.result or self._add(p, vectors, share))
            bar.update()
        return results

    def _run(self, items: list["_Input"], report: IngestReport, show_progress: bool, progress: Progress | None,
             synthetic: bool = False) -> IngestReport:
        """Files in groups: the new chunks of a group are embedded in one call (fewer, fuller
        batches), then each file is committed on its own, so a failure or an interruption costs at
        most the file (or group) in hand. BM25 segments are merged between groups, and after the
        last one by the caller."""
        t0 = time.perf_counter()
        with self.index.writing():
            bar = tqdm(total=len(items), desc="ingest", unit="file", disable=not show_progress, file=sys.stderr,
                       dynamic_ncols=True)
            for start in range(0, len(items), EMBED_GROUP_FILES):
                if start:  # a long ingest keeps few segments for the readers meanwhile
                    self.index.merge_segments(held=True)
                group = items[start:start + EMBED_GROUP_FILES]
                report.results.extend(self._run_group(group, start, len(items), synthetic, bar, progress))
            bar.close()
            if progress:
                progress(len(items), len(items), "")
        report.seconds = time.perf_counter() - t0
        return report

    def ingest(self, paths: list[str | Path], show_progress: bool = True,
               progress: Progress | None = None, synthetic: bool = False,
               date: str | dt.date | None = None) -> IngestReport:
        """Ingest files and folders; ``synthetic`` labels generated test briefings (bench).
        ``date`` (``YYYY-MM-DD``) dates the pages that have no date of their own (a page that starts
        inside its table of contents); a page's own date is never replaced (the file's warnings
        say so when they differ). ``InputError`` before anything is read when it is not a date."""
        date = check_date(date)
        files, missing = expand_paths(paths)
        report = IngestReport(results=[FileResult(e.path, "error", error=str(e)) for e in missing])
        items = [_Input(str(f), str(f), None, str(Path(f).resolve())) for f in files]
        self.date = date
        try:
            report = self._run(items, report, show_progress, progress, synthetic)
        finally:
            self.date = None
        self.index.merge_segments()
        return report

    def ingest_uploads(self, uploads: list[tuple[str, bytes]], progress: Progress | None = None) -> IngestReport:
        """Uploaded files: (name, bytes). The name only labels the briefing; nothing is written
        outside the index folder. Returns once the files are committed: BM25 segments are merged
        in a background thread."""
        items = []
        for name, data in uploads:
            safe = Path(name).name or "upload.txt"
            items.append(_Input(safe, safe, data, f"upload:{safe}"))
        report = self._run(items, IngestReport(), False, progress)
        self.index.merge_in_background()
        return report

    def remove(self, briefing_id: str):
        with self.index.writing():
            return self.index.remove(briefing_id)
