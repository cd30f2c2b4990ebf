"""BM25 merges are off the commit path: a commit writes one segment and never merges; an ingest
merges after its commits, an upload in a background thread that answers never wait for; merging
changes no result."""

from __future__ import annotations

import threading

import numpy as np

from assistant.ingest.ingestor import Ingestor
from assistant.store.bm25 import Bm25Index, build_segment, merge_segments
from assistant.store.index import Index
from assistant.store.writer import Writer
from assistant.text import terms
from tests.test_store_scale import QUESTIONS, _embedder, _settings, synthetic_files


def _index(tmp_path, factor: int = 2) -> Index:
    return Index(_settings(tmp_path / "index").replace(bm25_merge_factor=factor), _embedder())


def _results(index: Index) -> list:
    """Per question: the top scores, and the chunks above the last score (equal scores may come
    in another order once segments are merged)."""
    out = []
    for q in QUESTIONS:
        hits = index.bm25_search(terms(q), 10)
        out.append(([s for _, s in hits], {c for c, s in hits if s > hits[-1][1]}))
    return out


def test_a_commit_never_merges_and_merging_changes_no_result(tmp_path, monkeypatch):
    files = synthetic_files(tmp_path / "corpus", 1, 4)
    index = _index(tmp_path)
    monkeypatch.setattr(Index, "merge_segments", lambda self, held=False: 0)  # the ingest's own merges, off
    Ingestor(index, index.settings).ingest(files, show_progress=False)
    assert len(index.snapshot.bm25.segments) == 4  # one per file, none merged by the commits
    before = _results(index)
    monkeypatch.undo()
    assert index.merge_segments() == 3  # 2 + 2 -> 2 segments of a tier -> 1
    assert len(index.snapshot.bm25.segments) == 1 and len(index.parts.segments.files()) == 1
    assert _results(index) == before
    assert index.merge_segments() == 0


def test_an_upload_returns_before_its_merge_and_answers_do_not_wait(tmp_path, monkeypatch):
    files = synthetic_files(tmp_path / "corpus", 1, 2)
    index = _index(tmp_path)
    Ingestor(index, index.settings).ingest(files[:1], show_progress=False)
    started, release = threading.Event(), threading.Event()
    real_step = Writer.merge_step

    def held_step(self):
        started.set()
        assert release.wait(30)
        return real_step(self)

    monkeypatch.setattr(Writer, "merge_step", held_step)
    [r] = Ingestor(index, index.settings).ingest_uploads([(files[1].name, files[1].read_bytes())]).results
    assert r.status == "added"
    assert started.wait(30)  # the merge holds the write lock now, in its thread
    assert len(index.snapshot.bm25.segments) == 2
    hits = index.bm25_search(terms("Intersputnik spacecraft"), 5)  # a reader is not blocked
    assert hits and index.dense_search(index.embedder.encode(["Intersputnik"])[0], 5)
    release.set()
    index.wait_for_merges()
    assert len(index.snapshot.bm25.segments) == 1
    assert index.bm25_search(terms("Intersputnik spacecraft"), 5) == hits


def test_a_merge_started_during_another_looks_again(tmp_path, monkeypatch):
    """A commit made while the background merger finishes is merged too (no segment is left)."""
    files = synthetic_files(tmp_path / "corpus", 1, 3)
    index = _index(tmp_path)
    monkeypatch.setattr(Index, "merge_segments", lambda self: 0)
    Ingestor(index, index.settings).ingest(files[:1], show_progress=False)
    monkeypatch.undo()
    calls = []
    real_step = Writer.merge_step
    gate = threading.Event()

    def step(self):
        calls.append(1)
        if len(calls) == 1:  # the first look finds nothing due; a second file is committed meanwhile
            gate.wait(30)
        return real_step(self)

    monkeypatch.setattr(Writer, "merge_step", step)
    index.merge_in_background()
    with monkeypatch.context() as m:
        m.setattr(Index, "merge_in_background", lambda self: None)
        Ingestor(index, index.settings).ingest_uploads([(files[1].name, files[1].read_bytes())])
    index.merge_in_background()  # while the first look is still running
    gate.set()
    index.wait_for_merges()
    assert len(index.snapshot.bm25.segments) == 1


def test_the_top_k_over_segments_is_the_top_k_of_one_segment():
    """Only the k best over all segments are returned (and only their ids decoded): the same
    scores as one merged segment gives; equal scores may come in another order."""
    docs = [(f"c{i}", f"b{i % 3}", ["alpha", "beta"] * (1 + i % 4) + ["gamma"] * (i % 5)) for i in range(12)]
    segs = [build_segment(f"s{j}", docs[4 * j:4 * j + 4]) for j in range(3)]
    split = Bm25Index.over(segs, lambda b, s: True)
    one = Bm25Index.over([merge_segments("m", [(s, np.ones(s.n_docs, bool)) for s in segs])], lambda b, s: True)
    for k in (1, 3, 5, 12):
        a, b = split.search(["alpha", "beta"], k), one.search(["alpha", "beta"], k)
        assert len(a) == k and [s for _, s in a] == [s for _, s in b]
    assert {c for c, _ in split.search(["gamma"], 12)} == {c for c, _ in one.search(["gamma"], 12)}


def test_a_long_ingest_merges_between_its_groups_of_files(tmp_path, monkeypatch):
    """Readers meanwhile see a few segments, not one per file ingested so far."""
    from assistant.ingest import ingestor as ingest_module

    files = synthetic_files(tmp_path / "corpus", 1, 3 * ingest_module.EMBED_GROUP_FILES)
    index = _index(tmp_path)
    seen: list[int] = []  # segments when each group starts
    real_group = Ingestor._run_group

    def counting(self, group, first, *args):
        seen.append(len(index.snapshot.bm25.segments))
        return real_group(self, group, first, *args)

    monkeypatch.setattr(Ingestor, "_run_group", counting)
    Ingestor(index, index.settings).ingest(files, show_progress=False)
    group = ingest_module.EMBED_GROUP_FILES
    assert seen[0] == 0 and len(seen) == 3
    assert seen[1] < group and seen[2] < group  # 8, then 16 files committed: merged pairwise
    assert len(index.snapshot.bm25.segments) < 4  # the last group merged after the commits


def test_merging_stops_without_error_when_another_process_holds_the_lock(tmp_path):
    """A removal or an ingest has committed; if another writer takes the lock before the merge,
    that writer merges after its own commits, and this one does not fail."""
    import fcntl

    files = synthetic_files(tmp_path / "corpus", 1, 2)
    index = _index(tmp_path)
    Ingestor(index, index.settings).ingest(files, show_progress=False)
    with open(index.root / ".lock", "a+") as other:  # another open file: flock treats it as another writer
        fcntl.flock(other, fcntl.LOCK_EX)
        assert index.merge_segments() == 0
        fcntl.flock(other, fcntl.LOCK_UN)
