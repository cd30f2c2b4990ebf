"""BM25 in segments scores exactly as one bm25s index over the live chunks, however the chunks
are cut into segments, with dead documents (replaced or removed briefings) left in them, after
merges, and with filters; segment files survive a reload and a damaged one is named."""

from __future__ import annotations

import json

import bm25s
import numpy as np
import pytest

from assistant.store.bm25 import Bm25Index, SegmentError, SegmentStore, build_segment, merge_plan, merge_segments
from assistant.text import terms

from .conftest import SAMPLE

QUERIES = ["How many passports were issued in Afghanistan in one month?", "Intersputnik spacecraft",
           "Russia Russia Lavrov OSCE", "conference on Libya convened by Macron", "zzzz unknown words"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The sample's chunks (id -> tokens), spread over five briefing ids."""
    from assistant.ingest.chunking import chunk_briefing
    from assistant.ingest.ingestor import parse_file
    from assistant.config import Settings

    settings = Settings(index_dir=tmp_path_factory.mktemp("x"), _env_file=None)
    chunks = chunk_briefing(parse_file(SAMPLE, settings), 160, 48)
    return {c.id: (f"b{i % 5}", terms(c.embed_text) or ["_empty_"]) for i, c in enumerate(chunks)}


def reference(corpus, live_ids, query, k=10, accept=None):
    ids = sorted(live_ids)
    model = bm25s.BM25()
    model.index([corpus[i][1] for i in ids], show_progress=False)
    q = [t for t in terms(query) if t in model.vocab_dict]
    if not q:
        return []
    mask = None
    if accept is not None:
        mask = np.array([1.0 if accept(corpus[i][0]) else 0.0 for i in ids], dtype=np.float32)
    docs, scores = model.retrieve([q], k=min(k, len(ids)), show_progress=False, weight_mask=mask)
    return [(ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def same(a, b):
    assert [x[0] for x in a] == [x[0] for x in b] or sorted(x[1] for x in a) == pytest.approx(sorted(x[1] for x in b))
    assert [x[1] for x in a] == pytest.approx([x[1] for x in b], rel=1e-5)


def test_segments_with_dead_documents_score_like_one_index(corpus):
    ids = sorted(corpus)
    segments = [build_segment(f"s{j}", [(i, *corpus[i]) for n, i in enumerate(ids) if n % 3 == j]) for j in range(3)]
    stale = build_segment("stale", [(i, "b0", corpus[i][1][::-1] + ["stale"]) for i in ids[:25]])  # an old version
    live_b = {"b0": {"s0", "s1", "s2"}, "b1": {"s0", "s1", "s2"}, "b2": {"s0", "s1", "s2"}, "b3": {"s0", "s1", "s2"}}
    index = Bm25Index.over(segments + [stale], lambda b, s: s in live_b.get(b, ()))  # b4 was removed
    live = [i for i in ids if corpus[i][0] != "b4"]
    assert index.n_docs == len(live)
    for q in QUERIES:
        same(index.search(terms(q), 10), reference(corpus, live, q))
    accept = lambda b: b in ("b1", "b3")  # noqa: E731
    same(index.search(terms(QUERIES[0]), 10, accept), reference(corpus, live, QUERIES[0], accept=accept))

    merged = merge_segments("m", list(zip(index.segments, index.live)))
    assert merged.n_docs == len(live) and "stale" not in merged.terms
    again = Bm25Index.over([merged], lambda b, s: True)
    assert (again.n_docs, again.total_len, again.df) == (index.n_docs, index.total_len, index.df)
    for q in QUERIES:
        same(again.search(terms(q), 10), reference(corpus, live, q))


def test_statistics_are_updated_from_the_previous_index(corpus):
    ids = sorted(corpus)
    a = build_segment("a", [(i, *corpus[i]) for i in ids[:40]])
    b = build_segment("b", [(i, *corpus[i]) for i in ids[40:]])
    first = Bm25Index.over([a, b], lambda bid, s: True)
    removed = Bm25Index.over([a, b], lambda bid, s: bid != "b2", previous=first)
    fresh = Bm25Index.over([a, b], lambda bid, s: bid != "b2")
    assert (removed.n_docs, removed.total_len, removed.df) == (fresh.n_docs, fresh.total_len, fresh.df)
    dropped = Bm25Index.over([b], lambda bid, s: True, previous=removed)
    assert dropped.df == Bm25Index.over([b], lambda bid, s: True).df


def test_segment_files_round_trip_and_damage_is_named(corpus, tmp_path):
    store = SegmentStore(tmp_path / "bm25")
    seg = build_segment("seg-1", [(i, *v) for i, v in corpus.items()])
    store.save(seg)
    loaded = SegmentStore(tmp_path / "bm25").get("seg-1")
    assert loaded.chunk_ids.tolist() == seg.chunk_ids.tolist() and loaded.terms == seg.terms
    assert np.array_equal(loaded.tfs, seg.tfs) and np.array_equal(loaded.indptr, seg.indptr)
    path = store.path("seg-1")
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(SegmentError, match=r"bm25/seg-1.npz is unreadable"):
        SegmentStore(tmp_path / "bm25").get("seg-1")
    with pytest.raises(SegmentError, match=r"bm25/seg-2.npz is missing"):
        store.get("seg-2")


def test_tiered_merge_plan():
    assert merge_plan({"a": 60, "b": 70, "c": 65}, 4) is None
    assert sorted(merge_plan({"a": 60, "b": 70, "c": 65, "d": 66, "big": 5000}, 4)) == ["a", "b", "c", "d"]
    assert merge_plan({f"s{i}": 5000 for i in range(8)} | {"t": 70}, 8) == [f"s{i}" for i in range(8)]
    assert merge_plan({f"s{i}": 5000 for i in range(7)} | {"t": 70}, 8) is None


def test_index_uses_segments_and_merges(sample_index, settings):
    registry = json.loads((settings.store.index_dir / "registry.json").read_text())
    [entry] = registry["briefings"].values()
    assert entry["bm25_segment"] in sample_index.parts.segments.files()
    assert sample_index.bm25_search(terms("Intersputnik spacecraft"), 1)
