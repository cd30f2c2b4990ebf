"""``briefing-assistant check --repair``: rebuild what the check found missing or damaged, from
the parsed briefing files (or from the source files when a parsed file is gone).

Nothing is deleted that cannot be rebuilt: a damaged registry, text store or Chroma folder is moved
aside (``*.damaged-<time>``), never removed; the vectors, the text store and BM25 are derived data
and are rebuilt; a briefing is dropped from the registry only when neither its parsed file nor
its text rows nor its source file can give it back. Runs under the folder's write lock."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import SourceError, ParseError
from assistant.models import Briefing
from assistant.store.bm25 import build_segment, new_segment_name
from assistant.store.check import (LEGACY_BM25, CheckReport, bm25_problems, check_index, chroma_file_problems,
                                   sqlite_quick_check)
from assistant.store.docstore import DocStoreError
from assistant.store.parsed import ParsedFileError, doc_file_name, read_parsed, write_parsed
from assistant.store.registry import (REGISTRY_VERSION, Registry, RegistryEntry, briefing_fields, pipeline_of,
                                      pipeline_prefix, remove_stale_temp_files)
from assistant.store.vectors import VectorStoreError
from assistant.store.view import Parts
from assistant.text import terms

EMBED_BRIEFINGS = 8  # briefings whose missing vectors are embedded in one call


def move_aside(path: Path) -> Path:
    """Rename a damaged file or folder to ``<name>.damaged-<time>`` (kept for inspection)."""
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        target = target.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    os.replace(path, target)
    return target


@dataclass
class Repairer:
    parts: Parts
    settings: Settings
    embedder: object
    report: CheckReport
    registry: Registry | None
    show_progress: bool = False
    actions: list[str] = field(default_factory=list)
    entries: dict[str, RegistryEntry] = field(default_factory=dict)
    base_generation: int = 0

    def run(self) -> list[str]:
        self.fix_registry()
        self.fix_parsed()
        self.fix_docs()
        vectors_changed = self.fix_vectors()
        self.fix_bm25()
        self.commit(vectors_changed)
        self.clean_up()
        return self.actions

    def did(self, action: str) -> None:
        self.actions.append(action)

    # ---------------------------------------------------------------- registry
    def fix_registry(self) -> None:
        reg = self.registry
        if reg is not None:
            self.base_generation = reg.generation
            self.entries = dict(reg.briefings)
            if reg.version < REGISTRY_VERSION:
                self.did(f"upgraded the registry from index format {reg.version} to {REGISTRY_VERSION}")
            return
        if self.parts.registry.path.exists():
            moved = move_aside(self.parts.registry.path)
            self.did(f"moved the unusable registry aside to {moved.name}")
        self.entries = self._entries_from_files()
        self.did(f"rebuilt the registry from {len(self.entries)} parsed briefing file(s)")

    def _entries_from_files(self) -> dict[str, RegistryEntry]:
        found: dict[str, tuple[float, RegistryEntry]] = {}
        for f in sorted(self.parts.briefings_dir.glob("*.json")):
            try:
                parsed = read_parsed(f)
            except ParsedFileError as err:
                self.did(f"left {f.name} in place: {err}")
                continue
            entry = self._entry_from(parsed.entry, parsed.briefing, len(parsed.chunks), f)
            when = f.stat().st_mtime
            if entry.briefing_id not in found or when >= found[entry.briefing_id][0]:
                found[entry.briefing_id] = (when, entry)
        return {bid: e for bid, (_, e) in found.items()}

    def _entry_from(self, stored: dict | None, b: Briefing, n_chunks: int, f: Path) -> RegistryEntry:
        if stored:
            try:
                return RegistryEntry.model_validate({**stored, "doc_file": f.name, "chunk_count": n_chunks})
            except ValueError:
                pass
        source = Path(b.source)
        path = str(source.resolve()) if source.is_file() else f"upload:{source.name}"
        when = dt.datetime.fromtimestamp(f.stat().st_mtime, dt.timezone.utc).isoformat(timespec="seconds")
        return RegistryEntry(briefing_id=b.id, path=path, content_hash=b.content_hash, pipeline="",
                             chunk_count=n_chunks, ingested_at=when, doc_file=f.name, **briefing_fields(b))

    # ---------------------------------------------------------------- parsed files
    def fix_parsed(self) -> None:
        for bid, e in list(self.entries.items()):
            try:
                parsed = read_parsed(self.parts.briefings_dir / e.doc_file)
                if parsed.briefing.id == bid and len(parsed.chunks) == e.chunk_count:
                    continue
                problem = "does not match the registry"
            except ParsedFileError as err:
                problem = str(err)
            self._restore_parsed(e, problem)

    def _restore_parsed(self, e: RegistryEntry, problem: str) -> None:
        path = self.parts.briefings_dir / e.doc_file
        if path.exists():
            move_aside(path)
        restored = self._from_docs(e) or self._from_source(e)
        if restored is None:
            del self.entries[e.briefing_id]
            self.did(f"{e.briefing_id}: cannot be restored (briefings/{e.doc_file}: {problem}; no stored text and "
                     f"no source file {e.path}); removed from the registry")
            return
        self.entries[e.briefing_id] = restored

    def _from_docs(self, e: RegistryEntry) -> RegistryEntry | None:
        try:
            briefing = self.parts.docs.briefing(e.doc_file)
            chunks = self.parts.docs.chunks_of(e.doc_file) if briefing else []
        except DocStoreError:
            return None
        if briefing is None or len(chunks) != e.chunk_count:
            return None
        write_parsed(self.parts.briefings_dir, e, briefing, chunks)
        self.did(f"{e.briefing_id}: rewrote briefings/{e.doc_file} from {self.parts.docs.name}")
        return e

    def _from_source(self, e: RegistryEntry) -> RegistryEntry | None:
        from assistant.ingest.chunking import chunk_briefing
        from assistant.ingest.ingestor import parse_document
        from assistant.ingest.sources import read_source

        if e.path.startswith("upload:") or not Path(e.path).is_file():
            return None
        ingest = self.settings.ingest
        try:
            doc = read_source(e.path, ingest.max_file_bytes)
            # the entry's date is given for a page without one (it was dated by ``ingest --date``)
            briefing = parse_document(doc, e.briefing_id, e.date).model_copy(update={"synthetic": e.synthetic})
        except (SourceError, ParseError):
            return None
        chunks = chunk_briefing(briefing, ingest.chunk_tokens, ingest.context_tokens)
        pipeline = e.pipeline or ""
        entry = e.model_copy(update={
            "content_hash": briefing.content_hash, "chunk_count": len(chunks), **briefing_fields(briefing),
            "bm25_segment": "",
            "doc_file": doc_file_name(briefing.id, briefing.content_hash, pipeline)})
        write_parsed(self.parts.briefings_dir, entry, briefing, chunks)
        self.parts.docs.put(entry.doc_file, briefing, chunks)
        self.did(f"{e.briefing_id}: parsed {e.path} again into briefings/{entry.doc_file}")
        return entry

    # ---------------------------------------------------------------- text store
    def fix_docs(self) -> None:
        docs = self.parts.docs
        missing = not docs.exists() and bool(self.entries)
        self._move_damaged_docs()
        counts = docs.chunk_counts()
        todo = [e for e in self.entries.values() if counts.get(e.doc_file) != e.chunk_count]
        for e in todo:
            parsed = read_parsed(self.parts.briefings_dir / e.doc_file)
            docs.put(e.doc_file, parsed.briefing, parsed.chunks)
        if todo or missing:
            self.did(f"stored the text of {len(todo)} briefing(s) in {docs.name}")
        live = {e.doc_file for e in self.entries.values()}
        extra = [d for d in docs.doc_names() if d not in live]
        docs.drop(extra)
        if extra:
            self.did(f"removed {len(extra)} unlisted version(s) from {docs.name}")

    def _move_damaged_docs(self) -> None:
        docs = self.parts.docs
        try:
            bad = docs.integrity() if docs.exists() else None
        except DocStoreError as err:
            bad = str(err)
        if not bad:
            return
        docs.close()
        for suffix in ("-wal", "-shm", ""):
            p = docs.path.with_name(docs.path.name + suffix)
            if p.exists():
                moved = move_aside(p)
        self.did(f"moved the damaged {docs.name} aside to {moved.name} ({bad})")

    # ---------------------------------------------------------------- vectors
    def fix_vectors(self) -> bool:
        vectors = self.parts.vectors
        built_with = self.registry.embed_model if self.registry is not None else self._collection_variant()
        if self.entries and built_with != self.parts.variant:
            vectors.drop_collection()
            self.did(f"re-embedding everything: built with {built_with or 'an unrecorded embedder'}, "
                     f"this embedder is {self.parts.variant}")
        elif not vectors.is_server:
            self._move_damaged_chroma()
        try:
            stored = vectors.all_ids()
        except VectorStoreError as err:
            if vectors.is_server:
                raise
            vectors.close()
            moved = move_aside(self.parts.root / "chroma")
            self.did(f"moved chroma/ aside to {moved.name} ({err})")
            stored = vectors.all_ids()
        live = {cid for e in self.entries.values() for cid in self.parts.docs.chunk_ids(e.doc_file)}
        embedded = self._embed_missing(live - stored)
        orphans = [i for i in stored if i not in live]
        vectors.delete(orphans)
        if orphans:
            self.did(f"deleted {len(orphans)} vector(s) of unlisted chunks")
        return bool(embedded)

    def _collection_variant(self) -> str:
        try:
            return str(self.parts.vectors.metadata().get("embed_model", ""))
        except VectorStoreError:
            return ""

    def _move_damaged_chroma(self) -> None:
        folder = self.parts.root / "chroma"
        if not folder.exists():
            return
        problems = chroma_file_problems(self.parts.root)
        if not problems:
            bad = sqlite_quick_check(folder / "chroma.sqlite3")
            problems = [f"chroma/chroma.sqlite3 is damaged ({bad})"] if bad else []
        if problems:
            self.parts.vectors.close()
            moved = move_aside(folder)
            self.did(f"moved chroma/ aside to {moved.name} ({problems[0]})")

    def _embed_missing(self, missing: set[str]) -> int:
        """Embed the chunks whose ids are ``missing`` from Chroma, a few briefings at a time."""
        if not missing:
            return 0
        entries = [e for e in self.entries.values() if not missing.isdisjoint(self.parts.docs.chunk_ids(e.doc_file))]
        total = 0
        bar = tqdm(total=len(entries), desc="embed", unit="briefing", disable=not self.show_progress)
        for i in range(0, len(entries), EMBED_BRIEFINGS):
            group = entries[i:i + EMBED_BRIEFINGS]
            chunks = [c for e in group for c in self.parts.docs.chunks_of(e.doc_file) if c.id in missing]
            vectors = self.embedder.encode([c.embed_text for c in chunks],
                                           batch_size=max(self.settings.embedding.embed_batch_size, 1))
            self.parts.vectors.upsert(chunks, {c.id: v for c, v in zip(chunks, vectors)})
            total += len(chunks)
            bar.update(len(group))
        bar.close()
        self.did(f"embedded {total} chunk(s) that had no vector")
        return total

    # ---------------------------------------------------------------- BM25
    def fix_bm25(self) -> None:
        reg = Registry(briefings=self.entries)
        lacking, _ = bm25_problems(self.parts, reg)
        if not lacking:
            return
        docs = ((c.id, bid, terms(c.embed_text)) for bid in sorted(lacking)
                for c in self.parts.docs.chunks_of(self.entries[bid].doc_file))
        segment = build_segment(new_segment_name(), docs)
        self.parts.segments.save(segment)
        for bid in lacking:
            self.entries[bid] = self.entries[bid].model_copy(update={"bm25_segment": segment.name})
        self.did(f"rebuilt BM25 for {len(lacking)} briefing(s)")

    # ---------------------------------------------------------------- commit & clean-up
    def commit(self, vectors_changed: bool) -> None:
        ingest = self.settings.ingest
        prefix = pipeline_prefix(ingest.chunk_tokens, ingest.context_tokens)
        pipeline = pipeline_of(ingest.chunk_tokens, ingest.context_tokens, self.embedder.name)
        entries = {}
        for bid, e in self.entries.items():
            update = {"doc_bytes": (self.parts.briefings_dir / e.doc_file).stat().st_size}
            if e.pipeline.startswith(prefix):  # same parser and chunker: the chunks are this embedder's now
                update["pipeline"] = pipeline
            entries[bid] = e.model_copy(update=update)
        base = self.registry or Registry(generation=self.base_generation)
        reg = base.committed(briefings=entries, pending=None, retired={}, embed_model=self.parts.variant)
        if vectors_changed or not reg.vectors_commit or self.registry is None:  # other processes reopen Chroma
            reg = reg.model_copy(update={"vectors_commit": reg.commit})
        self.parts.registry.write(reg)

    def clean_up(self) -> None:
        used = {e.bm25_segment for e in self.entries.values()}
        removed = 0
        for name, path in self.parts.segments.files().items():
            if name not in used:
                path.unlink(missing_ok=True)
                removed += 1
        for name in LEGACY_BM25:
            p = self.parts.segments.folder / name
            if p.exists():
                p.unlink()
                removed += 1
        removed += remove_stale_temp_files(self.parts.root, self.parts.briefings_dir, self.parts.segments.folder)
        if removed:
            self.did(f"removed {removed} unused or temporary file(s)")


def run_check(parts: Parts) -> CheckReport:
    return check_index(parts)[0]


def repair_index(parts: Parts, settings: Settings, embedder, show_progress: bool = False) -> tuple[list[str],
                                                                                                   CheckReport]:
    """Repair under the write lock; (what was done, the check afterwards)."""
    from assistant.store.writer import folder_lock

    with folder_lock(parts.root):
        report, registry, _ = check_index(parts)
        if report.ok and not report.problems:
            return [], report
        actions = Repairer(parts, settings, embedder, report, registry, show_progress).run()
    return actions, check_index(parts)[0]
