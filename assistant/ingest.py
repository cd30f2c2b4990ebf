"""Files -> parsed briefings -> chunks -> index, one file at a time, each file's failure reported
on its own line without touching what is already indexed."""

from __future__ import annotations

import hashlib
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from .chunking import chunk_briefing
from .config import Settings
from .index import Index, IndexUnavailable
from .models import Briefing
from .parsing import ParseError, html_to_text, looks_like_html, parse_text
from .sources import SourceDocument, SourceError, expand_paths, read_source

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


def parse_document(doc: SourceDocument, briefing_id: str) -> Briefing:
    text = html_to_text(doc.text) if doc.is_html or looks_like_html(doc.text) else doc.text
    fmt = "html" if doc.is_html else "transcript"
    return parse_text(text, source=doc.path, briefing_id=briefing_id, content_hash=doc.content_hash, fmt=fmt)


def parse_file(path: str | Path, settings: Settings, briefing_id: str | None = None) -> Briefing:
    """Read and parse one file without indexing it (``inspect``)."""
    doc = read_source(path, int(settings.max_file_mb * 1e6))
    return parse_document(doc, briefing_id or slugify(Path(path).stem))


class Ingestor:
    def __init__(self, index: Index, settings: Settings):
        self.index = index
        self.settings = settings

    def _briefing_id(self, name: str, source_key: str) -> str:
        """The file's stem as a slug; another file with the same stem gets a suffix."""
        existing = self.index.entry_for_source(source_key)
        if existing:
            return existing.briefing_id
        base = slugify(Path(name).stem)
        if base not in self.index.snapshot.registry.briefings:
            return base
        return f"{base}-{hashlib.sha1(source_key.encode()).hexdigest()[:6]}"

    def ingest_one(self, path: str, data: bytes | None = None, display_name: str | None = None,
                   synthetic: bool = False) -> FileResult:
        """Ingest one file (``data`` given for uploads). Never raises for bad input."""
        t0 = time.perf_counter()
        name = display_name or path
        source_key = str(Path(path).resolve()) if data is None else f"upload:{name}"
        try:
            doc = read_source(path, int(self.settings.max_file_mb * 1e6), data=data)
            bid = self._briefing_id(name, source_key)
            if self.index.is_current(bid, doc.content_hash):
                entry = self.index.snapshot.registry.briefings[bid]
                return FileResult(name, "unchanged", bid, entry.chunk_count, 0, time.perf_counter() - t0)
            briefing = parse_document(doc, bid)
            if synthetic:
                briefing = briefing.model_copy(update={"synthetic": True})
            chunks = chunk_briefing(briefing, self.settings.chunk_tokens, self.settings.context_tokens)
            status, embedded = self.index.add(briefing, chunks, source_key)
            return FileResult(name, status, bid, len(chunks), embedded, time.perf_counter() - t0)
        except (SourceError, ParseError) as err:
            return FileResult(name, "error", error=str(err), seconds=time.perf_counter() - t0)
        except IndexUnavailable:
            raise
        except Exception as err:  # noqa: BLE001 - one bad file must not stop the others
            return FileResult(name, "error", error=f"{name}: {type(err).__name__}: {err}",
                              seconds=time.perf_counter() - t0)

    def ingest(self, paths: list[str | Path], show_progress: bool = True,
               progress: Progress | None = None, synthetic: bool = False) -> IngestReport:
        """Ingest files and folders; ``synthetic`` labels generated test briefings (bench)."""
        t0 = time.perf_counter()
        files, missing = expand_paths(paths)
        report = IngestReport()
        report.results.extend(FileResult(e.path, "error", error=str(e)) for e in missing)
        with self.index.writing():
            bar = tqdm(files, desc="ingest", unit="file", disable=not show_progress, file=sys.stderr,
                       dynamic_ncols=True)
            for n, f in enumerate(bar):
                if progress:
                    progress(n, len(files), f.name)
                bar.set_postfix_str(f.name[-40:])
                report.results.append(self.ingest_one(str(f), synthetic=synthetic))
            bar.close()
            if progress:
                progress(len(files), len(files), "")
        report.seconds = time.perf_counter() - t0
        return report

    def ingest_uploads(self, uploads: list[tuple[str, bytes]], progress: Progress | None = None) -> IngestReport:
        """Uploaded files: (name, bytes). The name only labels the briefing; nothing is written
        outside the index folder."""
        t0 = time.perf_counter()
        report = IngestReport()
        with self.index.writing():
            for n, (name, data) in enumerate(uploads):
                if progress:
                    progress(n, len(uploads), name)
                safe = Path(name).name or "upload.txt"
                report.results.append(self.ingest_one(safe, data=data, display_name=safe))
            if progress:
                progress(len(uploads), len(uploads), "")
        report.seconds = time.perf_counter() - t0
        return report

    def remove(self, briefing_id: str):
        with self.index.writing():
            return self.index.remove(briefing_id)
