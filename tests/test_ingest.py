"""Ingest and index: registry, re-ingest, replacement, bad input, interruptions, removal, filters."""

from __future__ import annotations

import datetime as dt
import fcntl
import shutil

import pytest

from assistant.errors import IndexUnavailable, InputError
from assistant.store.index import Index
from assistant.ingest.ingestor import Ingestor
from assistant.models import Filters
from assistant.text import terms

from .conftest import DATA, SAMPLE
from .fakes import HashEmbedder

CHANGE = ("2.8 million doses", "3.1 million doses")


def chroma_ids(index: Index, briefing_id: str | None = None) -> set[str]:
    where = {"briefing_id": briefing_id} if briefing_id else None
    return set(index.collection().get(where=where, include=[])["ids"])


def search(index: Index, embedder, text: str, filters=None) -> list[str]:
    """Texts of the chunks both retrievers find."""
    dense = index.dense_search(embedder.encode([text])[0], 5, filters)
    sparse = index.bm25_search(terms(text), 5, filters)
    return [index.chunk(h.chunk_id).text for h in dense] + [index.chunk(cid).text for cid, _ in sparse]


def ingest(index, settings, *paths):
    return Ingestor(index, settings).ingest(list(paths), show_progress=False)


def test_ingest_sample(index, settings, embedder):
    report = ingest(index, settings, SAMPLE)
    [r] = report.results
    assert report.ok and r.status == "added" and r.briefing_id == "2021-11-10-briefing-zakharova"
    assert r.embedded == r.chunks == len(index) > 30
    [entry] = index.briefings()
    assert entry.path == str(SAMPLE.resolve()) and entry.date == "2021-11-10" and entry.section_count == 30
    assert entry.chunk_count == r.chunks and len(entry.content_hash) == 64 and not entry.synthetic
    assert chroma_ids(index) == set(index.snapshot.chunks)
    assert any("Macron" in t for t in search(index, embedder, "conference on Libya convened by Macron"))


def test_reingest_unchanged_embeds_nothing(sample_index, settings, embedder):
    before = embedder.encoded
    report = ingest(sample_index, settings, SAMPLE)
    assert [r.status for r in report.results] == ["unchanged"]
    assert embedder.encoded == before


def test_changed_file_replaces_its_chunks(index, settings, embedder, sample_copy):
    first = ingest(index, settings, sample_copy).results[0]
    old_doc = index.briefings()[0].doc_file
    sample_copy.write_text(sample_copy.read_text().replace(*CHANGE))
    r = ingest(index, settings, sample_copy).results[0]
    assert r.status == "updated" and r.briefing_id == first.briefing_id
    assert r.embedded == 1  # only the chunk whose embedded text changed
    assert chroma_ids(index) == set(index.snapshot.chunks) and len(index) == first.chunks
    assert not (index.root / "briefings" / old_doc).exists()
    texts = search(index, embedder, "Russian Direct Investment Fund delivered million doses Sputnik V")
    assert any("3.1 million doses" in t for t in texts) and not any("2.8 million doses" in t for t in texts)


def test_bad_input_reported_per_file_and_nothing_lost(index, settings, tmp_path):
    ingest(index, settings, SAMPLE)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"%PDF-1.4\x00\x01\x02" * 100)
    blob = tmp_path / "blob.txt"
    blob.write_text("no structure at all, just one line of words without a heading.")
    big = tmp_path / "big.txt"
    big.write_text("x" * (settings.ingest.max_file_bytes + 10))
    html = DATA / "briefing-2021-11-10.html"
    report = ingest(index, settings, tmp_path / "missing.txt", empty, binary, blob, big, html)
    errors = {r.path: r.error for r in report.failed}
    assert not report.ok and len(errors) == 5
    assert "no such file" in errors[str(tmp_path / "missing.txt")]
    assert errors[str(empty)] == f"{empty}: empty file"
    assert "binary file" in errors[str(binary)]
    assert "no recognisable structure" in errors[str(blob)]
    assert "over the" in errors[str(big)]
    assert all(e.count("\n") == 0 and e.startswith(p) for p, e in errors.items())
    # the good file in the same batch is ingested, and the earlier briefing is untouched
    assert {e.briefing_id for e in index.briefings()} == {"2021-11-10-briefing-zakharova", "briefing-2021-11-10"}


def test_bad_new_version_keeps_the_indexed_one(index, settings, sample_copy):
    ingest(index, settings, sample_copy)
    before = dict(index.snapshot.chunks)
    sample_copy.write_bytes(b"\x00\x01binary now")
    report = ingest(index, settings, sample_copy)
    assert not report.ok and "binary file" in report.failed[0].error
    assert index.snapshot.chunks == before and chroma_ids(index) == set(before)


class Interrupt(BaseException):
    """Stands in for a kill: not an Exception, so nothing on the way catches it."""


def test_interrupted_ingest_leaves_previous_index_usable(settings, sample_copy, monkeypatch):
    index = Index(settings, HashEmbedder())
    ingest(index, settings, sample_copy)
    old_chunks = dict(index.snapshot.chunks)
    # a new version of the file, with many changed chunks, is killed half-way through writing its
    # vectors to Chroma (after the first of several upserts)
    sample_copy.write_text(sample_copy.read_text().replace("Russia", "Rossiya"))
    from chromadb.api.models.Collection import Collection

    real_upsert = Collection.upsert
    calls = []

    def dying_upsert(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise Interrupt()
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", dying_upsert)
    monkeypatch.setattr("assistant.store.vectors._batches", lambda items, n: (items[i:i + 8] for i in range(0, len(items), 8)))
    interrupted = Index(settings, HashEmbedder())
    with pytest.raises(Interrupt):
        ingest(interrupted, settings, sample_copy)
    monkeypatch.undo()
    assert len(chroma_ids(interrupted)) > len(old_chunks)  # half-written chunks are in Chroma...
    reopened = Index(settings, HashEmbedder())
    assert reopened.snapshot.chunks == old_chunks  # ...but the committed index is the previous one
    embedder = HashEmbedder()
    hits = reopened.dense_search(embedder.encode(["Rossiya"])[0], 50)
    assert hits and all(h.chunk_id in old_chunks for h in hits)
    assert "Russia" in search(reopened, embedder, "Russia will be represented by Lavrov")[0]
    # the next write cleans up and the new version goes in whole
    r = ingest(reopened, settings, sample_copy).results[0]
    assert r.status == "updated" and chroma_ids(reopened) == set(reopened.snapshot.chunks)
    assert reopened.snapshot.registry.pending is None


def test_embedding_failure_reports_the_file_and_keeps_the_index(settings, sample_copy):
    class BrokenEmbedder(HashEmbedder):
        def encode(self, texts, batch_size=64):
            raise RuntimeError("out of memory")

    index = Index(settings, HashEmbedder())
    ingest(index, settings, sample_copy)
    before = dict(index.snapshot.chunks)
    sample_copy.write_text(sample_copy.read_text().replace(*CHANGE))
    broken = Index(settings, BrokenEmbedder())
    report = ingest(broken, settings, sample_copy)
    assert not report.ok and "RuntimeError: out of memory" in report.failed[0].error
    assert Index(settings, HashEmbedder()).snapshot.chunks == before


def test_crash_after_commit_is_recovered(index, settings, sample_copy, monkeypatch):
    ingest(index, settings, sample_copy)
    sample_copy.write_text(sample_copy.read_text().replace(*CHANGE))

    def crash(self, briefing_id):
        raise Interrupt()

    monkeypatch.setattr("assistant.store.writer.Writer.clean_up", crash)
    with pytest.raises(Interrupt):
        ingest(index, settings, sample_copy)
    monkeypatch.undo()
    reopened = Index(settings, HashEmbedder())
    assert any("3.1 million" in c.text for c in reopened.snapshot.chunks.values())  # committed
    assert len(chroma_ids(reopened)) == len(reopened) + 1  # the replaced chunk lingers
    with reopened.writing():
        pass  # any write recovers
    assert chroma_ids(reopened) == set(reopened.snapshot.chunks)


def test_remove(sample_index, settings):
    bid = "2021-11-10-briefing-zakharova"
    doc = sample_index.briefings()[0].doc_file
    entry = Ingestor(sample_index, settings).remove(bid)
    assert entry.briefing_id == bid and sample_index.briefings() == []
    assert chroma_ids(sample_index) == set() and len(sample_index) == 0
    assert sample_index.bm25_search(["macron"], 5) == []
    assert not (sample_index.root / "briefings" / doc).exists()
    with pytest.raises(KeyError, match="no briefing"):
        Ingestor(sample_index, settings).remove(bid)


def test_same_name_in_two_folders_gets_two_ids(index, settings, tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        shutil.copy(SAMPLE, tmp_path / d / SAMPLE.name)
    report = ingest(index, settings, tmp_path / "a", tmp_path / "b")
    ids = [r.briefing_id for r in report.results]
    assert ids[0] == "2021-11-10-briefing-zakharova" and ids[1].startswith(ids[0] + "-") and len(set(ids)) == 2


def test_reopened_index_loads_persisted_bm25(sample_index, settings, monkeypatch):
    def no_rebuild(*args):
        raise AssertionError("BM25 rebuilt although it was persisted")

    monkeypatch.setattr("assistant.store.bm25.build_segment", no_rebuild)
    reopened = Index(settings, HashEmbedder())
    assert reopened.snapshot.chunks == sample_index.snapshot.chunks
    [(cid, score)] = reopened.bm25_search(terms("Intersputnik spacecraft"), 1)
    assert "30 spacecraft" in reopened.chunk(cid).text


def test_filters_by_briefing_and_date(index, settings, embedder, tmp_path):
    later = tmp_path / "2021-11-17-briefing.txt"
    later.write_text(SAMPLE.read_text().replace("10 November 2021", "17 November 2021")
                     .replace("November 10, 2021", "November 17, 2021"))
    ingest(index, settings, SAMPLE, later)
    assert [e.date for e in index.briefings()] == ["2021-11-10", "2021-11-17"]
    q = "Intersputnik spacecraft"
    qv = embedder.encode([q])[0]
    by_id = Filters(briefing_ids=["2021-11-17-briefing"])
    by_date = Filters(date_from=dt.date(2021, 11, 11))
    until = Filters(date_to=dt.date(2021, 11, 10))
    for f, date in ((by_id, 20211117), (by_date, 20211117), (until, 20211110)):
        dense = index.dense_search(qv, 10, f)
        sparse = index.bm25_search(terms(q), 10, f)
        assert dense and sparse
        assert {index.chunk(h.chunk_id).date for h in dense} == {date}
        assert {index.chunk(cid).date for cid, _ in sparse} == {date}
    nothing = Filters(date_from=dt.date(2022, 1, 1))
    assert index.dense_search(qv, 10, nothing) == [] and index.bm25_search(terms(q), 10, nothing) == []


def test_second_writer_is_refused(sample_index, settings, sample_copy):
    holder = open(sample_index.root / ".lock", "a+")
    fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process holding the write lock
    try:
        with pytest.raises(IndexUnavailable, match="another process is writing"):
            ingest(sample_index, settings, sample_copy)
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        holder.close()
    assert ingest(sample_index, settings, sample_copy).ok


def test_uploads(index, settings):
    data = SAMPLE.read_bytes()
    ing = Ingestor(index, settings)
    first = ing.ingest_uploads([("../../evil/briefing.txt", data), ("notes.bin", b"\x00\x01\x02")])
    ok, bad = first.results
    assert ok.status == "added" and ok.briefing_id == "briefing" and ok.path == "briefing.txt"
    assert bad.status == "error" and "binary" in bad.error
    assert index.briefings()[0].path == "upload:briefing.txt"
    assert ing.ingest_uploads([("briefing.txt", data)]).results[0].status == "unchanged"
    assert not list(index.root.parent.glob("evil*"))


def test_a_date_for_pages_without_one_through_the_python_api(index, settings, tmp_path):
    page = tmp_path / "notes.txt"  # a page that starts inside its contents: no header, no date
    page.write_text((DATA / "archive" / "2022-03-03-briefing.txt").read_text(encoding="utf-8"), encoding="utf-8")
    ing = Ingestor(index, settings)
    for bad in ("2022-3-3", "03.03.2022", "2022-02-30", "yesterday"):
        with pytest.raises(InputError, match=f"the briefing date '{bad}' is not a date like 2022-03-03"):
            ing.ingest([page], show_progress=False, date=bad)
    assert index.briefings() == []
    report = ing.ingest([page, SAMPLE], show_progress=False, date=dt.date(2022, 3, 3))
    assert report.ok and {e.briefing_id: e.date for e in index.briefings()} == {
        "notes": "2022-03-03", "2021-11-10-briefing-zakharova": "2021-11-10"}  # the sample keeps its own date
    sample = next(r for r in report.results if r.briefing_id == "2021-11-10-briefing-zakharova")
    assert sample.warnings == ("the date given (2022-03-03) differs from the page's date (2021-11-10); "
                               "the page's date is used",)
    assert {c.date for c in index.chunks_of("notes")} == {20220303}


def test_a_dense_hit_counts_only_when_a_live_version_holds_its_chunk(sample_index):
    """Dense search reads no metadata back from Chroma: the docstore says which versions hold a
    chunk, and only chunks of live versions are answers."""
    doc = sample_index.briefings()[0].doc_file
    ids = sorted(sample_index.snapshot.chunks)[:5]
    docs = sample_index.parts.docs
    assert docs.held_by({doc}, [*ids, "no-such-chunk"]) == set(ids)
    assert docs.held_by({"another-version.json"}, ids) == set()
