"""The hybrid index: Chroma (dense vectors) + BM25 (bm25s) + a registry of ingested files.

Layout of ``ASSISTANT_INDEX_DIR``::

    chroma/                 embedded Chroma store (absent when a Chroma server is used)
    bm25/                   bm25s index of the live chunks + ids.json
    briefings/<id>.<h>.json parsed briefing + its chunks, one file per version
    registry.json           what is ingested: the commit point of every change
    .lock                   held by the one process that writes

Every change follows the same order: embed and add the new chunks to Chroma, write the new
briefing file, then atomically replace ``registry.json`` (the commit), then clean up what the old
version left behind and rebuild BM25. An interruption at any point leaves the previous index
usable: readers only ever see chunks that the committed registry lists, and the next writer
removes whatever an interrupted one left half-done."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from pydantic import BaseModel

from assistant.config import Settings
from assistant.errors import IndexUnavailable, NotInIndex
from assistant.store.embedding import Embedder
from assistant.models import Briefing, Chunk, Filters
from assistant.text import terms

logging.getLogger("bm25s").setLevel(logging.WARNING)

REGISTRY_VERSION = 1
PARSER_VERSION = 2  # 2: sections carry sentence and speaker-label spans


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
    doc_file: str
    synthetic: bool = False


class Registry(BaseModel):
    version: int = REGISTRY_VERSION
    generation: int = 0
    embed_model: str = ""
    briefings: dict[str, RegistryEntry] = {}
    pending: str | None = None  # briefing id whose change was started but not finished


def _atomic_write(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class _Snapshot:
    """What readers see: immutable once published."""

    registry: Registry
    chunks: dict[str, Chunk] = field(default_factory=dict)
    bm25: object | None = None
    bm25_ids: list[str] = field(default_factory=list)
    docs: dict[str, Briefing] = field(default_factory=dict)
    mtime: float = 0.0


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    score: float  # cosine similarity


class Index:
    def __init__(self, settings: Settings, embedder: Embedder):
        self.settings = settings
        self.embedder = embedder
        self.root = Path(settings.store.index_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "briefings").mkdir(exist_ok=True)
        self._write_lock = threading.RLock()
        self._collection_lock = threading.Lock()
        self._writing_depth = 0
        self._bm25_dirty = False
        self._tokens: dict[str, list[str]] = {}  # chunk id -> BM25 tokens (re-tokenising is the slow part)
        self._collection = None
        self._client = None
        self._snap = self._load_snapshot()

    # ---------------------------------------------------------------- paths & pipeline
    @property
    def registry_path(self) -> Path:
        return self.root / "registry.json"

    @property
    def pipeline(self) -> str:
        s = self.settings
        return f"p{PARSER_VERSION}-c{s.ingest.chunk_tokens}x{s.ingest.context_tokens}-{self.embedder.name}"

    # ---------------------------------------------------------------- chroma
    def collection(self):
        if self._collection is None:
            with self._collection_lock:
                if self._collection is None:
                    self._collection = self._open_collection()
        return self._collection

    def _open_collection(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.store.chroma_host:
            self._client = chromadb.HttpClient(host=self.settings.store.chroma_host, port=self.settings.store.chroma_port,
                                               settings=chroma_settings)
        else:
            self._client = chromadb.PersistentClient(path=str(self.root / "chroma"), settings=chroma_settings)
        return self._client.get_or_create_collection(
            self.settings.store.collection, embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embed_model": self.embedder.name},
        )

    # ---------------------------------------------------------------- reading
    def _read_registry(self) -> Registry:
        if not self.registry_path.exists():
            return Registry(embed_model=self.embedder.name)
        try:
            reg = Registry.model_validate_json(self.registry_path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise IndexUnavailable(f"{self.registry_path}: unreadable registry ({err}); "
                              f"move the index folder away and ingest again") from err
        if reg.embed_model and reg.embed_model != self.embedder.name:
            raise IndexUnavailable(f"{self.root}: built with embedder {reg.embed_model!r}, not {self.embedder.name!r}; "
                              f"use another ASSISTANT_INDEX_DIR or remove this one")
        return reg

    def _load_doc(self, entry: RegistryEntry) -> tuple[Briefing, list[Chunk]]:
        raw = json.loads((self.root / "briefings" / entry.doc_file).read_text(encoding="utf-8"))
        return Briefing.model_validate(raw["briefing"]), [Chunk.model_validate(c) for c in raw["chunks"]]

    def _load_snapshot(self) -> _Snapshot:
        reg = self._read_registry()
        snap = _Snapshot(registry=reg, mtime=self._registry_mtime())
        for entry in reg.briefings.values():
            briefing, chunks = self._load_doc(entry)
            snap.docs[briefing.id] = briefing
            for c in chunks:
                snap.chunks[c.id] = c
        snap.bm25, snap.bm25_ids = self._load_bm25(reg.generation, snap.chunks)
        return snap

    def _registry_mtime(self) -> float:
        try:
            return self.registry_path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0.0

    def refresh(self) -> None:
        """Pick up a change another process committed."""
        if self._registry_mtime() != self._snap.mtime:
            with self._write_lock:
                self._snap = self._load_snapshot()

    @property
    def snapshot(self) -> _Snapshot:
        return self._snap

    def briefings(self) -> list[RegistryEntry]:
        return sorted(self._snap.registry.briefings.values(), key=lambda e: (e.date or "", e.briefing_id))

    def briefing(self, briefing_id: str) -> Briefing:
        try:
            return self._snap.docs[briefing_id]
        except KeyError:
            raise NotInIndex(f"no briefing {briefing_id!r} in the index") from None

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._snap.chunks.get(chunk_id)

    def __len__(self) -> int:
        return len(self._snap.chunks)

    def is_current(self, briefing_id: str, content_hash: str) -> bool:
        e = self._snap.registry.briefings.get(briefing_id)
        return e is not None and e.content_hash == content_hash and e.pipeline == self.pipeline

    def entry_for_source(self, source_key: str) -> RegistryEntry | None:
        return next((e for e in self._snap.registry.briefings.values() if e.path == source_key), None)

    # ---------------------------------------------------------------- BM25
    def _bm25_dir(self) -> Path:
        return self.root / "bm25"

    def _load_bm25(self, generation: int, chunks: dict[str, Chunk]):
        d = self._bm25_dir()
        meta = d / "meta.json"
        if chunks and meta.exists():
            try:
                info = json.loads(meta.read_text())
                if info.get("generation") == generation:
                    import bm25s

                    ids = info["ids"]
                    if all(i in chunks for i in ids):
                        model = bm25s.BM25.load(str(d), show_progress=False)
                        return model, ids
            except (OSError, ValueError, KeyError):
                pass
        return self._build_bm25(chunks, generation)

    def _build_bm25(self, chunks: dict[str, Chunk], generation: int):
        if not chunks:
            return None, []
        import bm25s

        ids = sorted(chunks)
        for i in ids:
            if i not in self._tokens:
                self._tokens[i] = terms(chunks[i].embed_text) or ["_empty_"]
        corpus = [self._tokens[i] for i in ids]
        model = bm25s.BM25()
        model.index(corpus, show_progress=False)
        try:
            tmp = self.root / f".bm25.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            model.save(str(tmp), show_progress=False)
            _atomic_write(tmp / "meta.json", json.dumps({"generation": generation, "ids": ids}))
            old = self.root / f".bm25.{os.getpid()}.old"
            shutil.rmtree(old, ignore_errors=True)
            if self._bm25_dir().exists():
                os.replace(self._bm25_dir(), old)
            os.replace(tmp, self._bm25_dir())
            shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # a read-only index still works with the in-memory BM25
        return model, ids

    # ---------------------------------------------------------------- search
    def dense_search(self, query_vec: np.ndarray, k: int, filters: Filters | None = None) -> list[DenseHit]:
        snap = self._snap
        if not snap.chunks:
            return []
        where = _chroma_where(filters)
        res = self.collection().query(query_embeddings=[query_vec.tolist()], n_results=min(k, len(snap.chunks) + 16),
                                      where=where, include=["distances"])
        hits = [DenseHit(cid, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0])
                if cid in snap.chunks]
        return hits

    def bm25_search(self, query_terms: list[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        snap = self._snap
        if snap.bm25 is None or not query_terms:
            return []
        vocab = snap.bm25.vocab_dict
        q = [t for t in query_terms if t in vocab]
        if not q:
            return []
        mask = None
        if filters is not None and not filters.empty:
            mask = np.array([1.0 if (c := snap.chunks.get(i)) is not None and filters.accepts(c.briefing_id, c.date)
                             else 0.0 for i in snap.bm25_ids], dtype=np.float32)
            if not mask.any():
                return []
        k = min(k, len(snap.bm25_ids))
        docs, scores = snap.bm25.retrieve([q], k=k, show_progress=False, weight_mask=mask)
        return [(snap.bm25_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    # ---------------------------------------------------------------- writing
    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Exclusive write access: one thread here, one process on this index folder."""
        with self._write_lock:
            lock_file = open(self.root / ".lock", "a+")
            try:
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise IndexUnavailable(f"{self.root}: another process is writing to this index; "
                                      f"try again when it has finished") from None
                self._snap = self._load_snapshot() if self._registry_mtime() != self._snap.mtime else self._snap
                self._recover()
                self._writing_depth += 1
                try:
                    yield
                finally:
                    self._writing_depth -= 1
                    if not self._writing_depth:
                        self._refresh_bm25()
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
                lock_file.close()

    def _commit(self, reg: Registry, docs: dict[str, Briefing], chunks: dict[str, Chunk]) -> None:
        """Publish a new registry. BM25 is rebuilt once at the end of the write (a batch of
        files), not after every file; until then it may miss the newest chunks."""
        reg = reg.model_copy(update={"generation": reg.generation + 1})
        _atomic_write(self.registry_path, reg.model_dump_json(indent=1))
        old = self._snap
        self._snap = _Snapshot(registry=reg, chunks=chunks, bm25=old.bm25, bm25_ids=old.bm25_ids, docs=docs,
                               mtime=self._registry_mtime())
        self._bm25_dirty = True
        if not self._writing_depth:
            self._refresh_bm25()

    def _refresh_bm25(self) -> None:
        if not self._bm25_dirty:
            return
        snap = self._snap
        bm25, ids = self._build_bm25(snap.chunks, snap.registry.generation)
        self._snap = _Snapshot(registry=snap.registry, chunks=snap.chunks, bm25=bm25, bm25_ids=ids, docs=snap.docs,
                               mtime=snap.mtime)
        self._bm25_dirty = False

    def _mark_pending(self, briefing_id: str | None) -> None:
        reg = self._snap.registry.model_copy(update={"pending": briefing_id})
        _atomic_write(self.registry_path, reg.model_dump_json(indent=1))
        self._snap.registry = reg
        self._snap.mtime = self._registry_mtime()

    def _recover(self) -> None:
        """Finish the clean-up of a change that was interrupted (called under the write lock)."""
        reg = self._snap.registry
        if reg.pending is not None:
            self._delete_orphans(reg.pending)
            self._mark_pending(None)
        live_docs = {e.doc_file for e in reg.briefings.values()}
        for f in (self.root / "briefings").glob("*.json"):
            if f.name not in live_docs:
                f.unlink(missing_ok=True)

    def _delete_orphans(self, briefing_id: str) -> None:
        col = self.collection()
        stored = col.get(where={"briefing_id": briefing_id}, include=[])["ids"]
        orphans = [i for i in stored if i not in self._snap.chunks]
        for batch in _batches(orphans, 5000):
            col.delete(ids=batch)

    def stored_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these chunk ids already have a vector in Chroma (they are not embedded again)."""
        col = self.collection()
        present: set[str] = set()
        for batch in _batches(list(ids), 5000):
            present.update(col.get(ids=list(batch), include=[])["ids"])
        return present

    def embed(self, chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
        """Vectors of chunks, in one encode call (sentence-transformers sorts them by length)."""
        if not chunks:
            return {}
        vectors = self.embedder.encode([c.embed_text for c in chunks], batch_size=max(self.settings.embedding.embed_batch_size, 1))
        return {c.id: v for c, v in zip(chunks, vectors)}

    def add(self, briefing: Briefing, chunks: Sequence[Chunk], source_key: str,
            vectors: dict[str, np.ndarray] | None = None) -> tuple[str, int]:
        """Add or replace one briefing; ``source_key`` is the resolved path (or ``upload:NAME``).
        ``vectors`` may bring precomputed vectors of new chunks (embedded together with other
        files'); the others are embedded here. Returns (status, number of chunks embedded)."""
        snap = self._snap
        old = snap.registry.briefings.get(briefing.id)
        status = "updated" if old else "added"
        col = self.collection()
        present = self.stored_ids([c.id for c in chunks])
        to_embed = [c for c in chunks if c.id not in present]
        self._mark_pending(briefing.id)
        vectors = dict(vectors or {})
        vectors.update(self.embed([c for c in to_embed if c.id not in vectors]))
        for batch in _batches(to_embed, 1000):
            col.upsert(ids=[c.id for c in batch], embeddings=np.stack([vectors[c.id] for c in batch]),
                       metadatas=[{"briefing_id": c.briefing_id, "date": c.date} for c in batch])
        embedded = len(to_embed)
        doc_file = f"{briefing.id}.{briefing.content_hash[:12]}.json"
        _atomic_write(self.root / "briefings" / doc_file, json.dumps(
            {"briefing": briefing.model_dump(mode="json"), "chunks": [c.model_dump() for c in chunks]},
            ensure_ascii=False))
        entry = RegistryEntry(
            briefing_id=briefing.id, path=source_key,
            content_hash=briefing.content_hash, pipeline=self.pipeline, chunk_count=len(chunks),
            ingested_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), date=briefing.date,
            title=briefing.title, section_count=len(briefing.sections), doc_file=doc_file,
            synthetic=briefing.synthetic)
        docs = dict(snap.docs)
        docs[briefing.id] = briefing
        all_chunks = {cid: c for cid, c in snap.chunks.items() if c.briefing_id != briefing.id}
        all_chunks.update({c.id: c for c in chunks})
        briefings = dict(snap.registry.briefings)
        briefings[briefing.id] = entry
        self._commit(snap.registry.model_copy(update={"briefings": briefings, "pending": briefing.id,
                                                      "embed_model": self.embedder.name}), docs, all_chunks)
        # clean-up after the commit point
        self._delete_orphans(briefing.id)
        if old and old.doc_file != doc_file:
            (self.root / "briefings" / old.doc_file).unlink(missing_ok=True)
        self._mark_pending(None)
        return status, embedded

    def remove(self, briefing_id: str) -> RegistryEntry:
        snap = self._snap
        entry = snap.registry.briefings.get(briefing_id)
        if entry is None:
            known = ", ".join(sorted(snap.registry.briefings)) or "none"
            raise NotInIndex(f"no briefing {briefing_id!r} in the index (known: {known})")
        briefings = {k: v for k, v in snap.registry.briefings.items() if k != briefing_id}
        docs = {k: v for k, v in snap.docs.items() if k != briefing_id}
        chunks = {cid: c for cid, c in snap.chunks.items() if c.briefing_id != briefing_id}
        self._commit(snap.registry.model_copy(update={"briefings": briefings, "pending": briefing_id}), docs, chunks)
        self._delete_orphans(briefing_id)
        (self.root / "briefings" / entry.doc_file).unlink(missing_ok=True)
        self._mark_pending(None)
        return entry

    def disk_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.root.rglob("*") if f.is_file())


def _batches(items: Sequence, n: int) -> Iterator[Sequence]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _chroma_where(filters: Filters | None) -> dict | None:
    if filters is None or filters.empty:
        return None
    clauses: list[dict] = []
    if filters.briefing_ids:
        ids = list(filters.briefing_ids)
        clauses.append({"briefing_id": {"$in": ids}} if len(ids) > 1 else {"briefing_id": ids[0]})
    if filters.date_from:
        clauses.append({"date": {"$gte": int(filters.date_from.strftime("%Y%m%d"))}})
    if filters.date_to:
        clauses.append({"date": {"$lte": int(filters.date_to.strftime("%Y%m%d"))}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
