"""Briefing and chunk text on disk: ``docs.sqlite3`` in the index folder, read on demand through
bounded LRU caches, so that memory does not grow with the number of briefings.

Rows are keyed by the parsed file's name (``<id>.<hash>.<pipeline>.json``), which is unique per
version: a new version's rows are written before the registry commit and the old version's are
deleted after it, so readers of either registry find theirs."""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Container, Hashable, Iterable, Mapping, Sequence, TypeVar

from assistant.models import Briefing, Chunk

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (doc TEXT PRIMARY KEY, briefing_id TEXT NOT NULL, data BLOB NOT NULL,
                                 outline BLOB);
CREATE TABLE IF NOT EXISTS chunks (doc TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL,
                                   PRIMARY KEY (doc, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunks_by_id ON chunks (id);
"""


@dataclass(frozen=True)
class Outline:
    """A briefing's header and its sections' titles and spans: what a search result names,
    a few hundred bytes instead of the whole parsed briefing."""

    briefing_id: str
    date: str | None
    title: str
    speaker: str | None
    sections: tuple[tuple[int, str, str, int, int], ...]  # (index, title, kind, start, end)

    @classmethod
    def of(cls, b: Briefing) -> "Outline":
        return cls(b.id, b.date, b.title, b.speaker, tuple((s.index, s.title, s.kind, s.start, s.end)
                                                            for s in b.sections))

    def to_json(self) -> bytes:
        return json.dumps([self.briefing_id, self.date, self.title, self.speaker, self.sections],
                          ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> "Outline":
        bid, date, title, speaker, sections = json.loads(raw)
        return cls(bid, date, title, speaker, tuple(tuple(s) for s in sections))


class DocStoreError(Exception):
    """docs.sqlite3 cannot be opened or read (the message says why, in one line)."""


class LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int):
        self.size = max(int(size), 0)
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        if not self.size:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def _pack(model, compress: bool = True) -> bytes:
    """A model's JSON; compressed for chunks (small, many), plain for briefings (read whole, where
    decompressing would cost more than the disk it saves)."""
    data = model.model_dump_json().encode("utf-8")
    return zlib.compress(data, 1) if compress else data


class DocStore:
    def __init__(self, path: Path, cache_briefings: int = 32, cache_chunks: int = 4096, cache_outlines: int = 4096):
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._briefings = LRU(cache_briefings)
        self._chunks = LRU(cache_chunks)
        self._outlines = LRU(cache_outlines)

    @property
    def name(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return self.path.exists()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.executescript(_SCHEMA)
                if "outline" not in {row[1] for row in conn.execute("PRAGMA table_info(docs)")}:
                    conn.execute("ALTER TABLE docs ADD COLUMN outline BLOB")  # written before outlines
            except sqlite3.Error as err:
                raise DocStoreError(f"{self.name} cannot be opened ({err})") from None
            self._conn = conn
        return self._conn

    def _query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db().execute(sql, args).fetchall()
            except sqlite3.Error as err:
                raise DocStoreError(f"{self.name} cannot be read ({err})") from None

    def _load(self, blob: bytes, model: type[T], what: str) -> T:
        try:
            return model.model_validate_json(blob if blob[:1] == b"{" else zlib.decompress(blob))
        except (zlib.error, ValueError) as err:
            raise DocStoreError(f"{self.name}: the stored {what} is unreadable ({type(err).__name__})") from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._briefings.clear()
            self._chunks.clear()
            self._outlines.clear()

    # ---------------------------------------------------------------- writing
    def put(self, doc: str, briefing: Briefing, chunks: Sequence[Chunk]) -> None:
        """The rows of one parsed file, replacing any earlier ones, in one transaction."""
        rows = [(doc, c.id, _pack(c)) for c in chunks]
        with self._lock:
            db = self._db()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("DELETE FROM chunks WHERE doc = ?", (doc,))
                db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)",
                           (doc, briefing.id, _pack(briefing, compress=False), Outline.of(briefing).to_json()))
                db.executemany("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?)", rows)
                db.execute("COMMIT")
            except BaseException as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(err, sqlite3.Error):
                    raise DocStoreError(f"{self.name} cannot be written ({err})") from None
                raise

    def drop(self, docs: Iterable[str]) -> None:
        docs = list(docs)
        if not docs:
            return
        with self._lock:
            db = self._db()
            try:
                db.execute("BEGIN IMMEDIATE")
                for doc in docs:
                    db.execute("DELETE FROM chunks WHERE doc = ?", (doc,))
                    db.execute("DELETE FROM docs WHERE doc = ?", (doc,))
                db.execute("COMMIT")
            except sqlite3.Error as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise DocStoreError(f"{self.name} cannot be written ({err})") from None

    # ---------------------------------------------------------------- reading
    def briefing(self, doc: str) -> Briefing | None:
        cached = self._briefings.get(doc)
        if cached is not None:
            return cached
        rows = self._query("SELECT data FROM docs WHERE doc = ?", (doc,))
        if not rows:
            return None
        briefing = self._load(rows[0][0], Briefing, f"briefing {doc}")
        self._briefings.put(doc, briefing)
        return briefing

    def outline(self, doc: str) -> Outline | None:
        cached = self._outlines.get(doc)
        if cached is not None:
            return cached
        rows = self._query("SELECT outline FROM docs WHERE doc = ?", (doc,))
        if not rows:
            return None
        if rows[0][0] is None:  # a row written without it: from the briefing
            briefing = self.briefing(doc)
            outline = Outline.of(briefing) if briefing else None
        else:
            try:
                outline = Outline.from_json(rows[0][0])
            except (ValueError, TypeError) as err:
                raise DocStoreError(f"{self.name}: the stored outline of {doc} is unreadable ({err})") from None
        if outline is not None:
            self._outlines.put(doc, outline)
        return outline

    def chunk(self, chunk_id: str, live_docs: Mapping[str, str] | Callable[[str], bool]) -> Chunk | None:
        """The chunk ``chunk_id`` of whichever live version holds it (``live_docs``: doc -> ...)."""
        return self.chunks([chunk_id], live_docs).get(chunk_id)

    def chunks(self, ids: Sequence[str], live_docs: Mapping[str, str] | Callable[[str], bool]) -> dict[str, Chunk]:
        """The chunks of these ids held by a live version (``live_docs``: doc -> ..., or a test of
        a doc), read from the cache or in batches of one query each (a search looks up ~80 chunks
        at once)."""
        is_live = live_docs if callable(live_docs) else live_docs.__contains__
        out: dict[str, Chunk] = {}
        missing = []
        for cid in dict.fromkeys(ids):
            cached = self._chunks.get(cid)
            if cached is not None and is_live(cached[0]):
                out[cid] = cached[1]
            else:
                missing.append(cid)
        for i in range(0, len(missing), 400):
            batch = missing[i:i + 400]
            rows = self._query(f"SELECT doc, id, data FROM chunks WHERE id IN ({','.join('?' * len(batch))})", batch)
            for doc, cid, blob in rows:
                if is_live(doc) and cid not in out:
                    out[cid] = self._load(blob, Chunk, f"chunk {cid}")
                    self._chunks.put(cid, (doc, out[cid]))
        return {cid: out[cid] for cid in dict.fromkeys(ids) if cid in out}  # in the order asked

    def chunks_of(self, doc: str) -> list[Chunk]:
        rows = self._query("SELECT data FROM chunks WHERE doc = ?", (doc,))
        chunks = [self._load(blob, Chunk, f"chunk of {doc}") for (blob,) in rows]
        return sorted(chunks, key=lambda c: (c.section_index, c.start, c.id))

    def held_by(self, docs: Container[str], ids: Sequence[str]) -> set[str]:
        """Of these chunk ids, those stored under one of ``docs`` (the live versions)."""
        out: set[str] = set()
        for i in range(0, len(ids), 400):
            batch = list(ids[i:i + 400])
            marks = ",".join("?" * len(batch))
            rows = self._query(f"SELECT doc, id FROM chunks WHERE id IN ({marks})", batch)
            out.update(cid for doc, cid in rows if doc in docs)
        return out

    def doc_names(self) -> dict[str, str]:
        """doc -> briefing id of every stored version."""
        return dict(self._query("SELECT doc, briefing_id FROM docs"))

    def docs_of(self, briefing_id: str) -> list[str]:
        return [d for (d,) in self._query("SELECT doc FROM docs WHERE briefing_id = ?", (briefing_id,))]

    def chunk_counts(self, docs: Iterable[str] | None = None) -> dict[str, int]:
        if docs is None:
            return dict(self._query("SELECT doc, COUNT(*) FROM chunks GROUP BY doc"))
        out: dict[str, int] = {}
        docs = list(docs)
        for i in range(0, len(docs), 400):
            batch = docs[i:i + 400]
            marks = ",".join("?" * len(batch))
            out.update(self._query(f"SELECT doc, COUNT(*) FROM chunks WHERE doc IN ({marks}) GROUP BY doc", batch))
        return out

    def chunk_ids(self, doc: str) -> set[str]:
        return {cid for (cid,) in self._query("SELECT id FROM chunks WHERE doc = ?", (doc,))}

    def integrity(self) -> str | None:
        """None when SQLite's quick check passes, else its first complaint."""
        rows = self._query("PRAGMA quick_check")
        return sqlite_complaint([r[0] for r in rows])


def sqlite_complaint(lines: Sequence[str]) -> str | None:
    """SQLite's quick check output in one line (None when it says ok)."""
    lines = [" ".join(str(x).split()) for x in lines if str(x).strip()] or ["no answer"]
    if lines == ["ok"]:
        return None
    text = lines[0] if len(lines) == 1 else f"{lines[0]} (and {len(lines) - 1} more complaints)"
    text = text.replace("*** in database main *** ", "").replace("*** in database main ***", "").strip()
    return text[:200]
