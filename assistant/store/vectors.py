"""The dense side of the index: a Chroma collection (embedded store or server), its where-clause
for filters, dense search and batched upsert/delete.

An embedded Chroma store keeps its vector index (HNSW) in the memory of the process that opened
it and does not see what another process adds later (its ``get`` does: that reads SQLite). So the
client is shared by every ``Index`` of this process on that folder and remembers which parsed
files (briefing versions) its vector index holds; the vectors of versions another process added
since are searched exactly (a few briefings: a dot product), and the client is reopened (seconds
for a large index) only when many have accumulated, or when ``check --repair`` rebuilt the store.
A Chroma server is shared by all processes and always current."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Sequence

import numpy as np

from assistant.config import Settings
from assistant.models import Chunk, Filters


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    score: float  # cosine similarity


class VectorStoreError(Exception):
    """Chroma cannot be opened or used (the message says why, in one line)."""


def _batches(items: Sequence, n: int) -> Iterator[Sequence]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def chroma_where(filters: Filters | None) -> dict | None:
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


def is_store_failure(err: BaseException) -> bool:
    """An error of Chroma itself: an ``Exception``, or a panic of its Rust core (a
    ``BaseException``), but never an interruption."""
    return isinstance(err, Exception) or type(err).__name__ == "PanicException"


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class _SharedClient:
    """One Chroma client for one store in this process. Operations share it; a reopen waits for
    them and they wait for a reopen."""

    def __init__(self, factory: Callable[[], object], reloadable: bool):
        self.factory = factory
        self.reloadable = reloadable
        self.client = None
        self.collection = None
        self.seen: str | None = None  # the vector store's epoch the open client shows (a repair changes it)
        self.known: set[str] | None = None  # parsed files whose vectors the open client's index holds
        self.exact: dict[str, tuple[list[str], np.ndarray]] = {}  # parsed file -> its vectors, searched exactly
        self.stale = False
        self._cond = threading.Condition()
        self._users = 0
        self._reopening = False

    def acquire(self):
        with self._cond:
            while self._reopening:
                self._cond.wait()
            if self.client is None or self.stale:
                self._reopen()
            self._users += 1
            return self.collection

    def release(self) -> None:
        with self._cond:
            self._users -= 1
            self._cond.notify_all()

    def _reopen(self) -> None:
        self._reopening = True
        try:
            while self._users:
                self._cond.wait()
            self._close()
            self.exact = {}
            self.client, self.collection = self.factory()
            self.stale = False
        finally:
            self._reopening = False
            self._cond.notify_all()

    def _close(self) -> None:
        old, self.client, self.collection = self.client, None, None
        if old is not None:
            try:
                old.close()
            except Exception:  # noqa: BLE001 - a client that cannot close is dropped all the same
                pass

    def close(self) -> None:
        with self._cond:
            while self._users or self._reopening:
                self._cond.wait()
            self._close()


def _forget_system(path: str) -> None:
    """Drop chromadb's cached system for ``path`` after a failed open: chromadb caches it before
    starting it, so one failure (a damaged store, opened by a background warm-up) would otherwise
    make every later client of that path in this process fail, a repair's included."""
    from chromadb.api.shared_system_client import SharedSystemClient

    getattr(SharedSystemClient, "_identifier_to_system", {}).pop(path, None)


_SHARED: dict[str, _SharedClient] = {}
_SHARED_LOCK = threading.Lock()


class VectorStore:
    def __init__(self, settings: Settings, root: Path, embed_model: str):
        self.settings = settings
        self.root = root
        self.embed_model = embed_model
        store = settings.store
        if store.chroma_host:
            key = f"http://{store.chroma_host}:{store.chroma_port}/{store.collection}"  # one per collection
        else:
            key = str((root / "chroma").resolve())
        with _SHARED_LOCK:
            self._shared = _SHARED.get(key)
            if self._shared is None:
                self._shared = _SHARED[key] = _SharedClient(self._make_client, not store.chroma_host)

    @property
    def is_server(self) -> bool:
        return bool(self.settings.store.chroma_host)

    @property
    def where(self) -> str:
        store = self.settings.store
        return f"the Chroma server at {store.chroma_host}:{store.chroma_port}" if self.is_server else "chroma/"

    def _make_client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        store = self.settings.store
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if store.chroma_host:
                client = chromadb.HttpClient(host=store.chroma_host, port=store.chroma_port, settings=chroma_settings)
            else:
                client = chromadb.PersistentClient(path=str(self.root / "chroma"), settings=chroma_settings)
            collection = client.get_or_create_collection(
                store.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                metadata={"embed_model": self.embed_model})
        except BaseException as err:
            if not store.chroma_host:
                _forget_system(str(self.root / "chroma"))
            if not is_store_failure(err):
                raise
            raise VectorStoreError(f"{self.where} cannot be opened ({_one_line(err)})") from None
        return client, collection

    def _run(self, what: str, fn: Callable):
        collection = self._shared.acquire()
        try:
            return fn(collection)
        except VectorStoreError:
            raise
        except BaseException as err:
            if not is_store_failure(err):
                raise
            raise VectorStoreError(f"{self.where}: {what} failed ({_one_line(err)})") from None
        finally:
            self._shared.release()

    # ---------------------------------------------------------------- freshness
    def sync(self, epoch: str) -> None:
        """The registry names vector store ``epoch``: reopen before the next use unless the
        client already shows it."""
        shared = self._shared
        if shared.client is None:
            shared.seen = epoch
        elif shared.seen != epoch:
            shared.seen, shared.stale, shared.known = epoch, shared.stale or shared.reloadable, None

    def saw(self, live_docs: Iterable[str]) -> None:
        """This process committed through this client: its index holds exactly these versions."""
        if self._shared.reloadable:
            self._shared.known = set(live_docs)

    def reopen(self) -> bool:
        """Reopen the embedded store's client before its next use (its in-memory vector index
        lags behind the store on disk); False for a Chroma server (nothing to reopen)."""
        shared = self._shared
        if not shared.reloadable:
            return False
        shared.stale, shared.known = True, None
        return True

    def unseen(self, live_docs: Collection[str], limit: int) -> list[str]:
        """Live versions whose vectors the client's in-memory index lacks (another process added
        them after it was opened); the client is reopened instead when there are more than
        ``limit`` of them, or of versions gone since."""
        shared = self._shared
        if not shared.reloadable:
            return []
        known = shared.known
        if shared.client is None or shared.stale or known is None:
            shared.known = set(live_docs)  # the client opened next holds them all
            return []
        fresh = [d for d in live_docs if d not in known]
        gone = len(known) - (len(live_docs) - len(fresh))
        if len(fresh) > limit or gone > limit:
            shared.stale, shared.known = True, set(live_docs)
            return []
        for doc in [d for d in shared.exact if d not in fresh]:
            del shared.exact[doc]
        return fresh

    def exact_search(self, query_vec: np.ndarray, docs: dict[str, list[str]]) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of every vector of these versions
        (``docs``: parsed file -> its chunk ids), read from the store rather than its index."""
        out = []
        for doc, ids in docs.items():
            cached = self._shared.exact.get(doc)
            if cached is None:
                got = self._run("reading vectors", lambda col, i=ids: col.get(ids=list(i), include=["embeddings"]))
                matrix = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
                norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                cached = self._shared.exact[doc] = (list(got["ids"]), matrix / np.maximum(norms, 1e-12))
            found, matrix = cached
            if found:
                q = query_vec / max(float(np.linalg.norm(query_vec)), 1e-12)
                out.extend((cid, float(s)) for cid, s in zip(found, matrix @ q.astype(np.float32)))
        return out

    def collection(self):
        """The collection object (for tests and tools; the index's own calls go through ``_run``)."""
        return self._run("opening the collection", lambda col: col)

    # ---------------------------------------------------------------- reading
    def count(self) -> int:
        return self._run("counting vectors", lambda col: col.count())

    def search(self, query_vec: np.ndarray, k: int, filters: Filters | None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``k`` nearest vectors (metadata only filters: reading
        it back would double the cost of a search; the docstore says which version holds a chunk)."""
        def query(col):
            return col.query(query_embeddings=[query_vec.tolist()], n_results=k, where=chroma_where(filters),
                             include=["distances"])

        res = self._run("dense search", query)
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0])]

    def stored_ids(self, ids: Sequence[str]) -> set[str]:
        present: set[str] = set()
        for batch in _batches(list(ids), 5000):
            present.update(self._run("reading ids", lambda col, b=batch: col.get(ids=list(b), include=[])["ids"]))
        return present

    def ids_of(self, briefing_id: str) -> list[str]:
        return self._run("reading ids", lambda col: col.get(where={"briefing_id": briefing_id}, include=[])["ids"])

    def all_ids(self, batch: int = 20000) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._run("reading ids", lambda col, o=offset: col.get(include=[], limit=batch, offset=o)["ids"])
            out.update(got)
            if len(got) < batch:
                return out
            offset += batch

    def metadata(self) -> dict:
        return self._run("reading the collection", lambda col: dict(col.metadata or {}))

    # ---------------------------------------------------------------- writing
    def upsert(self, chunks: Sequence[Chunk], vectors: dict[str, np.ndarray]) -> None:
        for batch in _batches(chunks, 1000):
            self._run("adding vectors", lambda col, b=batch: col.upsert(
                ids=[c.id for c in b], embeddings=np.stack([vectors[c.id] for c in b]),
                metadatas=[{"briefing_id": c.briefing_id, "date": c.date} for c in b]))

    def delete(self, ids: Sequence[str]) -> None:
        for batch in _batches(list(ids), 5000):
            self._run("deleting vectors", lambda col, b=batch: col.delete(ids=list(b)))

    def drop_collection(self) -> None:
        """Delete the whole collection (a re-embed with another embedder starts from nothing);
        the next use creates it again, empty."""
        self._shared.acquire()
        try:
            self._shared.client.delete_collection(self.settings.store.collection)
        except Exception:  # noqa: BLE001 - there was none
            pass
        finally:
            self._shared.release()
        self._shared.stale = True

    def close(self) -> None:
        """Close this store's client in this process (before its folder is moved away); the next
        use opens it again."""
        self._shared.close()
