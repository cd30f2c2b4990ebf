"""Briefing files uploaded in the chat -> the index, with one report row per file.

Each upload is ingested under a name of its own (``a-3f9c1e.txt`` for ``a.txt``), so two people
uploading different files called ``a.txt`` add two briefings instead of replacing each other's; a
file whose exact content is already indexed is not added again. At most
``settings.web.max_upload_files`` files per upload; each at most ``settings.ingest.max_file_mb``
(Gradio refuses larger uploads with the same limit, and the ingestor checks it again)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from assistant.config import Settings
from assistant.ingest.ingestor import FileResult, Ingestor
from assistant.ingest.sources import content_hash
from assistant.web.render import dated

Row = tuple[str, str, str]  # (file name as uploaded, status, detail)
ProgressFn = Callable[..., Any]


@dataclass(frozen=True)
class Upload:
    name: str  # as the user named it
    stored: str  # the unique name it is ingested under
    data: bytes


def upload_path(f: Any) -> Path:
    """The file behind a ``gr.File`` value (a path, or an object with ``.path`` / ``.name``)."""
    return Path(f if isinstance(f, (str, Path)) else getattr(f, "path", None) or getattr(f, "name"))


def unique_name(name: str) -> str:
    p = Path(Path(name).name or "upload.txt")
    return f"{p.stem}-{secrets.token_hex(3)}{p.suffix}"


class UploadBatch:
    """One upload: reads the files, skips duplicates and files over the count limit, ingests the
    rest and reports every file."""

    def __init__(self, index, settings: Settings):
        self.index = index
        self.settings = settings
        self.rows: list[Row] = []

    def _read(self, files: Sequence[Any]) -> list[Upload]:
        indexed = {e.content_hash: e for e in self.index.briefings()}
        seen: set[str] = set()
        uploads: list[Upload] = []
        for f in files:
            path = upload_path(f)
            try:
                data = path.read_bytes()
            except OSError as err:
                self.rows.append((path.name, "error", f"cannot read the upload ({err.strerror or 'unreadable'})"))
                continue
            digest = content_hash(data)
            if digest in indexed:
                entry = indexed[digest]
                self.rows.append((path.name, "unchanged", f"already indexed: {dated(entry.date, entry.title)}"))
            elif digest in seen:
                self.rows.append((path.name, "unchanged", "the same file is already in this upload"))
            else:
                seen.add(digest)
                uploads.append(Upload(path.name, unique_name(path.name), data))
        return uploads

    def _row(self, upload: Upload, r: FileResult) -> Row:
        if r.status == "error":
            detail = (r.error or "could not be ingested").removeprefix(f"{upload.stored}: ")
            return upload.name, "error", detail.replace(upload.stored, upload.name)
        entry = self.index.snapshot.registry.briefings.get(r.briefing_id) if r.briefing_id else None
        warned = "".join(f"; warning: {w}" for w in r.warnings)
        if entry is None:
            return upload.name, r.status, f"{r.chunks} passages, {r.seconds:.1f} s{warned}"
        return upload.name, r.status, (f"{dated(entry.date, entry.title)} ({r.chunks} passages, "
                                       f"{entry.section_count} sections, {r.seconds:.1f} s){warned}")

    def run(self, files: Sequence[Any] | None, progress: ProgressFn | None = None) -> list[Row]:
        files = [f for f in (files or []) if f]
        limit = self.settings.web.max_upload_files
        uploads = self._read(files[:limit])

        def on_progress(done: int, total: int, name: str) -> None:
            if progress is not None:
                shown = next((u.name for u in uploads if u.stored == name), name)
                progress((done, total), desc=f"Ingesting {shown}" if shown else "Ingested", unit="files")

        if uploads:
            report = Ingestor(self.index, self.settings).ingest_uploads([(u.stored, u.data) for u in uploads],
                                                                        progress=on_progress)
            by_name = {r.path: r for r in report.results}
            self.rows += [self._row(u, by_name[u.stored]) for u in uploads if u.stored in by_name]
        self.rows += [(upload_path(f).name, "error", f"not ingested: at most {limit} files per upload")
                      for f in files[limit:]]
        return self.rows


def ingest_files(index, settings: Settings, files: Sequence[Any] | None,
                 progress: ProgressFn | None = None) -> list[Row]:
    """Ingest uploaded files (paths from ``gr.File``): one ``(name, status, detail)`` per file."""
    return UploadBatch(index, settings).run(files, progress)
