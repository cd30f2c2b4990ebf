"""BM25 over the live chunks, kept in immutable segments (``bm25/<name>.npz``).

Each ingested file adds one small segment holding its chunks' term frequencies, and its registry
entry names that segment; documents of a segment whose briefing was since replaced or removed are
dead and skipped until a merge drops them. Segments of similar size are merged once enough of
them have accumulated (a merge only reads stored frequencies: tokens are needed when a segment is
first built, never again). Adding one file to a large index therefore writes one small segment
instead of rebuilding the whole BM25 index.

Scores are Lucene's BM25 as ``bm25s`` computes them (k1 = 1.5, b = 0.75,
idf = ln(1 + (N - df + 0.5) / (df + 0.5))), with N, df and the average length taken over the live
chunks of all segments: a chunk scores the same however the segments are cut."""

from __future__ import annotations

import io
import math
import secrets
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from assistant.store.registry import atomic_write

K1, B = 1.5, 0.75
EMPTY = "_empty_"  # the one token of a chunk without any


class SegmentError(Exception):
    """A segment file that is missing or unreadable (the message names it)."""


@dataclass(eq=False)
class Segment:
    name: str
    chunk_ids: np.ndarray  # S24 per document
    briefings: list[str]  # the distinct briefing ids
    briefing_of: np.ndarray  # int32 per document: index into ``briefings``
    doc_len: np.ndarray  # float32 per document: its number of tokens
    terms: list[str]  # this segment's vocabulary
    indptr: np.ndarray  # int64, len(terms) + 1: term t's postings are [indptr[t], indptr[t + 1])
    docs: np.ndarray  # int32 per posting
    tfs: np.ndarray  # uint16 per posting
    _term_index: dict[str, int] | None = field(default=None, repr=False)
    _live_df: tuple[bytes, np.ndarray] | None = field(default=None, repr=False)
    _norms: tuple[float, np.ndarray] | None = field(default=None, repr=False)

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)

    @property
    def term_index(self) -> dict[str, int]:
        if self._term_index is None:
            self._term_index = {t: i for i, t in enumerate(self.terms)}
        return self._term_index

    def live_mask(self, is_live: Callable[[str, str], bool]) -> np.ndarray:
        """Which documents are live: ``is_live(briefing_id, segment name)`` per briefing."""
        flags = np.fromiter((is_live(b, self.name) for b in self.briefings), dtype=bool, count=len(self.briefings))
        return flags[self.briefing_of] if len(flags) else np.zeros(0, dtype=bool)

    def live_df(self, live: np.ndarray) -> np.ndarray:
        """Per term of this segment: how many live documents contain it (cached per live mask)."""
        key = np.packbits(live).tobytes()
        if self._live_df is None or self._live_df[0] != key:
            if live.all():
                df = np.diff(self.indptr)
            else:
                term_of = np.repeat(np.arange(len(self.terms), dtype=np.int64), np.diff(self.indptr))
                df = np.bincount(term_of[live[self.docs]], minlength=len(self.terms))
            self._live_df = (key, df.astype(np.int64))
        return self._live_df[1]

    def norms(self, avgdl: float) -> np.ndarray:
        """Per document: k1 * (1 - b + b * length / avgdl), cached for the corpus's ``avgdl``."""
        if self._norms is None or self._norms[0] != avgdl:
            norm = np.float32(K1) * (np.float32(1 - B) + np.float32(B) * self.doc_len / np.float32(avgdl))
            self._norms = (avgdl, norm)
        return self._norms[1]

    def chunk_id(self, doc: int) -> str:
        return self.chunk_ids[doc].decode("ascii")

    def chunk_count(self, live: np.ndarray) -> dict[str, int]:
        counts = np.bincount(self.briefing_of[live], minlength=len(self.briefings))
        return {b: int(n) for b, n in zip(self.briefings, counts) if n}


def new_segment_name() -> str:
    return f"seg-{time.time_ns():x}-{secrets.token_hex(3)}"


def _csc(term_ids: np.ndarray, doc_ids: np.ndarray, tfs: np.ndarray, n_terms: int):
    """Postings ordered by (term, document). The callers list each term's postings in ascending
    document order already (documents are numbered in the order they come), so a stable sort by
    term alone gives that order."""
    order = np.argsort(term_ids, kind="stable")
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_ids, minlength=n_terms), out=indptr[1:])
    return indptr, doc_ids[order].astype(np.int32), tfs[order]


def build_segment(name: str, docs: Iterable[tuple[str, str, Sequence[str]]]) -> Segment:
    """A segment of (chunk id, briefing id, tokens) documents."""
    vocab: dict[str, int] = {}
    briefing_index: dict[str, int] = {}
    ids, briefing_of, doc_len = [], [], []
    t_ids: list[int] = []
    d_ids: list[int] = []
    tfs: list[int] = []
    for d, (cid, bid, tokens) in enumerate(docs):
        tokens = list(tokens) or [EMPTY]
        ids.append(cid)
        briefing_of.append(briefing_index.setdefault(bid, len(briefing_index)))
        doc_len.append(len(tokens))
        for term, n in Counter(tokens).items():
            t_ids.append(vocab.setdefault(term, len(vocab)))
            d_ids.append(d)
            tfs.append(min(n, 65535))
    indptr, post_docs, post_tfs = _csc(np.array(t_ids, dtype=np.int64), np.array(d_ids, dtype=np.int64),
                                       np.array(tfs, dtype=np.uint16), len(vocab))
    return Segment(name, np.array(ids, dtype="S24"), list(briefing_index), np.array(briefing_of, dtype=np.int32),
                   np.array(doc_len, dtype=np.float32), list(vocab), indptr, post_docs, post_tfs)


def merge_segments(name: str, parts: Sequence[tuple[Segment, np.ndarray]]) -> Segment:
    """One segment of the live documents of ``parts`` ((segment, live mask) pairs)."""
    vocab: dict[str, int] = {}
    briefing_index: dict[str, int] = {}
    ids, briefing_of, doc_len, t_ids, d_ids, tfs = [], [], [], [], [], []
    offset = 0
    for seg, live in parts:
        remap = np.cumsum(live) - 1 + offset
        b_map = np.array([briefing_index.setdefault(b, len(briefing_index)) for b in seg.briefings], dtype=np.int32)
        t_map = np.array([vocab.setdefault(t, len(vocab)) for t in seg.terms], dtype=np.int64)
        ids.append(seg.chunk_ids[live])
        briefing_of.append(b_map[seg.briefing_of[live]] if len(b_map) else seg.briefing_of[live])
        doc_len.append(seg.doc_len[live])
        keep = live[seg.docs]
        term_of = np.repeat(np.arange(len(seg.terms), dtype=np.int64), np.diff(seg.indptr))
        t_ids.append(t_map[term_of[keep]])
        d_ids.append(remap[seg.docs[keep]])
        tfs.append(seg.tfs[keep])
        offset += int(live.sum())
    t_all = np.concatenate(t_ids) if t_ids else np.zeros(0, dtype=np.int64)
    used = np.bincount(t_all, minlength=len(vocab)) > 0  # drop terms only dead documents had
    new_id = np.cumsum(used) - 1
    terms = [t for t, u in zip(vocab, used) if u]
    indptr, post_docs, post_tfs = _csc(new_id[t_all], np.concatenate(d_ids) if d_ids else np.zeros(0, np.int64),
                                       np.concatenate(tfs) if tfs else np.zeros(0, np.uint16), len(terms))
    return Segment(name, np.concatenate(ids) if ids else np.zeros(0, dtype="S24"), list(briefing_index),
                   np.concatenate(briefing_of).astype(np.int32) if briefing_of else np.zeros(0, np.int32),
                   np.concatenate(doc_len) if doc_len else np.zeros(0, np.float32), terms, indptr, post_docs,
                   post_tfs)


class SegmentStore:
    """Segment files in ``bm25/``, loaded once per process and kept while a view uses them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._loaded: dict[str, Segment] = {}

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.npz"

    def save(self, seg: Segment) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, chunk_ids=seg.chunk_ids, briefings=np.array(seg.briefings, dtype=str),
                 briefing_of=seg.briefing_of, doc_len=seg.doc_len, terms=np.array(seg.terms, dtype=str),
                 indptr=seg.indptr, docs=seg.docs, tfs=seg.tfs)
        atomic_write(self.path(seg.name), buf.getvalue())
        self._loaded[seg.name] = seg

    def get(self, name: str) -> Segment:
        seg = self._loaded.get(name)
        if seg is None:
            seg = self._loaded[name] = self._load(name)
        return seg

    def _load(self, name: str) -> Segment:
        path = self.path(name)
        try:
            with np.load(path, allow_pickle=False) as z:
                a = {k: z[k] for k in ("chunk_ids", "briefings", "briefing_of", "doc_len", "terms", "indptr",
                                       "docs", "tfs")}
        except FileNotFoundError:
            raise SegmentError(f"bm25/{path.name} is missing") from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            raise SegmentError(f"bm25/{path.name} is unreadable ({type(err).__name__}: {err})") from None
        n = len(a["doc_len"])
        if len(a["chunk_ids"]) != n or len(a["briefing_of"]) != n or len(a["indptr"]) != len(a["terms"]) + 1 \
                or len(a["docs"]) != len(a["tfs"]) or (len(a["indptr"]) and a["indptr"][-1] != len(a["docs"])):
            raise SegmentError(f"bm25/{path.name} is inconsistent (array lengths differ)")
        return Segment(name, a["chunk_ids"], a["briefings"].tolist(), a["briefing_of"], a["doc_len"],
                       a["terms"].tolist(), a["indptr"], a["docs"], a["tfs"])

    def keep_only(self, names: set[str]) -> None:
        """Forget loaded segments no view uses any more."""
        for name in [n for n in self._loaded if n not in names]:
            del self._loaded[name]

    def files(self) -> dict[str, Path]:
        return {p.name[:-4]: p for p in self.folder.glob("seg-*.npz")} if self.folder.is_dir() else {}


@dataclass(eq=False)
class Bm25Index:
    """The live documents of some segments, with the corpus statistics BM25 needs (updated from
    the previous index by the segments whose live documents changed, not recomputed)."""

    segments: list[Segment]
    live: list[np.ndarray]
    keys: dict[str, bytes] = field(default_factory=dict)  # segment name -> its live mask, packed
    n_docs: int = 0
    total_len: int = 0
    df: dict[str, int] = field(default_factory=dict)

    @property
    def avgdl(self) -> float:
        return self.total_len / self.n_docs if self.n_docs else 1.0

    @classmethod
    def over(cls, segments: list[Segment], is_live: Callable[[str, str], bool],
             previous: "Bm25Index | None" = None) -> "Bm25Index":
        live = [s.live_mask(is_live) for s in segments]
        new = cls(segments, live, {s.name: np.packbits(m).tobytes() for s, m in zip(segments, live)})
        if previous is not None:
            new.n_docs, new.total_len, new.df = previous.n_docs, previous.total_len, dict(previous.df)
            for seg, mask in zip(previous.segments, previous.live):
                if new.keys.get(seg.name) != previous.keys[seg.name]:
                    new._count(seg, mask, -1)
        for seg, mask in zip(segments, live):
            if previous is None or previous.keys.get(seg.name) != new.keys[seg.name]:
                new._count(seg, mask, +1)
        return new

    def _count(self, seg: Segment, live: np.ndarray, sign: int) -> None:
        self.n_docs += sign * int(live.sum())
        self.total_len += sign * int(seg.doc_len[live].astype(np.int64).sum())
        df = self.df
        for term, n in zip(seg.terms, seg.live_df(live).tolist()):
            if n:
                left = df.get(term, 0) + sign * n
                if left > 0:
                    df[term] = left
                else:
                    df.pop(term, None)

    def search(self, query_terms: Sequence[str], k: int,
               accept: Callable[[str], bool] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) for the query tokens (a repeated token counts again, as in
        bm25s); ``accept(briefing_id)`` filters."""
        weights = [(t, self._idf(t)) for t in query_terms if self.df.get(t)]
        if not weights or k <= 0:
            return []
        found: list[tuple[Segment, np.ndarray, np.ndarray]] = []  # (segment, its top docs, their scores)
        for seg, live in zip(self.segments, self.live):
            scores = self._segment_scores(seg, weights)
            if scores is None:
                continue
            mask = live
            if accept is not None:
                ok = np.fromiter((accept(b) for b in seg.briefings), dtype=bool, count=len(seg.briefings))
                mask = live & ok[seg.briefing_of]
            scores[~mask] = 0.0
            top = _top(scores, k)
            top = top[scores[top] > 0]
            found.append((seg, top, scores[top]))
        if not found:
            return []
        # the best k over all segments; only those chunk ids are decoded (ties: segment order, then
        # document order, as a stable sort of the per-segment lists gives)
        all_scores = np.concatenate([s for _, _, s in found])
        where = np.concatenate([np.full(len(t), i, dtype=np.int64) for i, (_, t, _) in enumerate(found)])
        docs = np.concatenate([t for _, t, _ in found])
        best = np.argsort(-all_scores, kind="stable")[:k]
        return [(found[where[i]][0].chunk_id(int(docs[i])), float(all_scores[i])) for i in best]

    def _idf(self, term: str) -> np.float32:
        df = self.df[term]
        return np.float32(math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))

    def _segment_scores(self, seg: Segment, weights: list[tuple[str, np.float32]]) -> np.ndarray | None:
        scores = None
        index = seg.term_index
        norms = seg.norms(self.avgdl)
        for term, idf in weights:
            t = index.get(term)
            if t is None:
                continue
            a, b = int(seg.indptr[t]), int(seg.indptr[t + 1])
            docs = seg.docs[a:b]
            tf = seg.tfs[a:b].astype(np.float32)
            norm = norms[docs]
            if scores is None:
                scores = np.zeros(seg.n_docs, dtype=np.float32)
            scores[docs] += idf * (tf / (norm + tf))
        return scores

    def chunk_ids(self) -> Iterable[str]:
        for seg, live in zip(self.segments, self.live):
            for d in np.flatnonzero(live):
                yield seg.chunk_id(int(d))

    def chunk_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for seg, live in zip(self.segments, self.live):
            for b, n in seg.chunk_count(live).items():
                out[b] = out.get(b, 0) + n
        return out


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    if len(scores) <= k:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def merge_plan(sizes: dict[str, int], factor: int, floor: int = 512) -> list[str] | None:
    """Segments to merge next, or None. Tiered: ``factor`` segments of one tier are merged, a
    tier being a power of ``factor`` times ``floor`` live documents (all segments below ``floor``
    are one tier, so that the one-file segments of an ingest are merged ``factor`` at a time). The
    number of segments stays logarithmic in the corpus, and so does the number of times a
    document is rewritten."""
    tiers: dict[int, list[str]] = {}
    for name, n in sizes.items():
        tiers.setdefault(int(math.log(max(n, floor) / floor, factor)), []).append(name)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= factor:
            return sorted(tiers[tier], key=lambda n: sizes[n])[:factor]
    return None
