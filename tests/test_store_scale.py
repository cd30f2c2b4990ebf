"""Scale: memory per briefing, the time to add one briefing to a large index, and resuming an
archive ingest after a kill. Synthetic briefings (``assistant.tools.synthetic``) and the hashing
embedder keep it to the store's own costs.

The measurements reported in the store's notes are made with this module as a script::

    python -m tests.test_store_scale build --briefings 2000 --out /tmp/scale   # ingest, timed
    python -m tests.test_store_scale rss --index /tmp/scale/index-200            # RSS of a reader
    python -m tests.test_store_scale add-one --index /tmp/scale/index-2000       # 1 more briefing
    python -m tests.test_store_scale visibility --index /tmp/scale/index-2000    # seen by another process
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from assistant.config import Settings
from assistant.ingest.ingestor import Ingestor
from assistant.store.index import Index
from assistant.text import terms
from assistant.tools.synthetic import load_template, write_synthetic

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["How many passports were issued in Afghanistan in one month?", "Intersputnik spacecraft",
             "Who convened the conference on Libya?", "Black Sea exercises", "Nicaragua election results"]


def _settings(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir, llm="extractive", _env_file=None)


def _embedder():
    from tests.fakes import HashEmbedder

    return HashEmbedder()


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def synthetic_files(folder: Path, first: int, last: int) -> list[Path]:
    template = load_template(_settings(folder / "unused"))
    return write_synthetic(template, range(first, last + 1), folder, seed=0)


def read_everything(index: Index, rounds: int = 3) -> None:
    """What a reader does: searches, and the chunks and briefings they lead to."""
    from assistant.answer.retrieval import Retriever

    retriever = Retriever(index, index.embedder, index.settings)
    for _ in range(rounds):
        for q in QUESTIONS:
            for hit in retriever.search(q).sections:
                index.briefing(hit.ref.briefing_id)


# --------------------------------------------------------------------------- script
def cmd_build(args) -> None:
    """Ingest ``--briefings`` synthetic files; copies of the index at each ``--keep`` size."""
    import shutil

    out = Path(args.out)
    files = synthetic_files(out / "corpus", 1, args.briefings)
    index_dir = out / "index"
    index = Index(_settings(index_dir), _embedder())
    keep = sorted({int(k) for k in args.keep.split(",") if k} | {args.briefings})
    done = 0
    for size in keep:
        t0 = time.perf_counter()
        report = Ingestor(index, index.settings).ingest(files[done:size], show_progress=not args.quiet)
        assert report.ok, report.failed[:3]
        seconds = time.perf_counter() - t0
        print(json.dumps({"briefings": size, "chunks": len(index), "ingest_s": round(seconds, 1),
                          "per_file_s": round(seconds / (size - done), 3), "rss_mb": round(_rss_mb(), 1),
                          "disk_mb": round(index.disk_bytes() / 2**20, 1)}), flush=True)
        done = size
        index.parts.vectors.close()
        shutil.copytree(index_dir, out / f"index-{size}", dirs_exist_ok=True)


def cmd_rss(args) -> None:
    """RSS of a new process that opens the index and answers a few searches."""
    base = _rss_mb()
    import assistant.answer.retrieval  # noqa: F401  (imports before the baseline)
    import chromadb  # noqa: F401

    base = _rss_mb()
    t0 = time.perf_counter()
    index = Index(_settings(Path(args.index)), _embedder())
    open_s = time.perf_counter() - t0
    read_everything(index)
    print(json.dumps({"index": args.index, "briefings": len(index.briefings()), "chunks": len(index),
                      "open_s": round(open_s, 2), "rss_base_mb": round(base, 1), "rss_mb": round(_rss_mb(), 1),
                      "growth_mb": round(_rss_mb() - base, 1)}))


def cmd_add_one(args) -> None:
    """The time to add one new briefing to the index: in a process with the index open, and the
    whole ``briefing-assistant ingest`` of one file in a new process (opening included)."""
    index_dir = Path(args.index)
    folder = index_dir.parent / "extra"
    index = Index(_settings(index_dir), _embedder())
    n = len(index.briefings())
    files = synthetic_files(folder, n + 1, n + 2)
    read_everything(index, 1)  # Chroma and the caches warm, as in a running web chat
    t0 = time.perf_counter()
    report = Ingestor(index, index.settings).ingest(files[:1], show_progress=False)
    in_process = time.perf_counter() - t0
    assert report.ok and report.results[0].status == "added"
    index.parts.vectors.close()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tests.test_store_scale", "_ingest", str(index_dir), str(files[1])],
                   check=True, cwd=ROOT)
    new_process = time.perf_counter() - t0
    print(json.dumps({"briefings": n, "add_one_in_process_s": round(in_process, 2),
                      "add_one_new_process_s": round(new_process, 2)}))


def cmd_visibility(args) -> None:
    """Seconds until a reader process that keeps the index open retrieves a briefing another
    process ingested, and stops retrieving it after its removal (the index is left as it was)."""
    from tests import test_store_replicas as t

    source = Path(args.index).parent / f"{t.NEW_ID}.txt"
    source.write_text(t.SAMPLE.read_text(encoding="utf-8").replace("Afghanistan", t.WORD), encoding="utf-8")
    reader = subprocess.Popen([sys.executable, "-c", t.READER, args.index, str(args.unseen_limit)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=t._env(), cwd=ROOT)
    try:
        t._wait_for(reader, lambda m: "ready" in m, 600)
        added = t._run(t.WRITER, args.index, "ingest", str(source))
        seen = t._wait_for(reader, lambda m: m.get("state") and all(m["state"].values()), 120)
        removed = t._run(t.WRITER, args.index, "remove", t.NEW_ID)
        gone = t._wait_for(reader, lambda m: m.get("state") and not any(m["state"].values()), 120)
    finally:
        reader.kill()
    print(json.dumps({"ingest_visible_after_s": round(seen["t"] - added["t"], 2),
                      "removal_visible_after_s": round(gone["t"] - removed["t"], 2)}))


def cmd_ingest(args) -> None:
    index = Index(_settings(Path(args.index)), _embedder())
    report = Ingestor(index, index.settings).ingest(args.files, show_progress=False)
    assert report.ok, report.failed


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tests.test_store_scale")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("build")
    s.add_argument("--briefings", type=int, default=200)
    s.add_argument("--keep", default="1,200")
    s.add_argument("--out", required=True)
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_build)
    s = sub.add_parser("rss")
    s.add_argument("--index", required=True)
    s.set_defaults(func=cmd_rss)
    s = sub.add_parser("add-one")
    s.add_argument("--index", required=True)
    s.set_defaults(func=cmd_add_one)
    s = sub.add_parser("visibility")
    s.add_argument("--index", required=True)
    s.add_argument("--unseen-limit", type=int, default=32, help="0: the reader reopens Chroma instead")
    s.set_defaults(func=cmd_visibility)
    s = sub.add_parser("_ingest")
    s.add_argument("index")
    s.add_argument("files", nargs="+")
    s.set_defaults(func=cmd_ingest)
    args = p.parse_args(argv)
    args.func(args)


# --------------------------------------------------------------------------- tests
def test_resumes_after_a_kill_mid_folder(tmp_path):
    """Each file is committed on its own: a kill in the middle of a folder loses at most the
    file in hand, and the next run skips the files already done."""
    files = synthetic_files(tmp_path / "corpus", 1, 12)
    index_dir = tmp_path / "index"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    slow = ("import sys, time, tests.test_store_scale as m, assistant.store.writer as w; "
            "real = w.Writer.add\n"
            "def add(self, *a, **k):\n"
            "    time.sleep(0.3); return real(self, *a, **k)\n"
            "w.Writer.add = add; m.main(sys.argv[1:])")
    proc = subprocess.Popen([sys.executable, "-c", slow, "_ingest", str(index_dir), str(tmp_path / "corpus")],
                            cwd=ROOT, env=env)
    registry = index_dir / "registry.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            done = len(json.loads(registry.read_text())["briefings"])
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    index = Index(_settings(index_dir), _embedder())
    committed = {e.briefing_id for e in index.briefings()}
    assert 5 <= len(committed) < 12
    report = Ingestor(index, index.settings).ingest([tmp_path / "corpus"], show_progress=False)
    statuses = {r.briefing_id: r.status for r in report.results}
    assert all(statuses[b] == "unchanged" for b in committed)
    assert sorted(statuses.values()).count("added") == 12 - len(committed)
    assert len(index.briefings()) == 12 and len(index) == sum(e.chunk_count for e in index.briefings())
    from assistant.store.repair import run_check

    assert run_check(index.parts).ok


def test_adding_one_briefing_writes_one_small_segment(tmp_path):
    """BM25 is not rebuilt when a file is added: one segment of its chunks is written, and
    segments are merged (tiered) so that their number stays small."""
    files = synthetic_files(tmp_path / "corpus", 1, 19)
    index = Index(_settings(tmp_path / "index").replace(bm25_merge_factor=4), _embedder())
    Ingestor(index, index.settings).ingest(files[:18], show_progress=False)
    before = set(index.parts.segments.files())
    assert len(before) <= 6  # 18 files, merged 4 at a time (tiers by size)
    index = Index(index.settings.replace(bm25_merge_factor=100), _embedder())  # no merge now
    [r] = Ingestor(index, index.settings).ingest(files[18:], show_progress=False).results
    [name] = set(index.parts.segments.files()) - before
    assert index.parts.segments.get(name).n_docs == r.chunks == index.snapshot.registry.briefings[r.briefing_id].chunk_count
    hits = index.bm25_search(terms("Intersputnik spacecraft"), 5)
    assert hits and len({index.chunk(c).briefing_id for c, _ in hits}) > 1


def test_memory_stays_on_disk(tmp_path):
    """No text is held per briefing: the parsed briefings in memory are bounded by the cache."""
    files = synthetic_files(tmp_path / "corpus", 1, 12)
    settings = _settings(tmp_path / "index").replace(doc_cache_briefings=4, chunk_cache_size=50)
    index = Index(settings, _embedder())
    Ingestor(index, settings).ingest(files, show_progress=False)
    reader = Index(settings, _embedder())
    read_everything(reader)
    for e in reader.briefings():
        assert reader.briefing(e.briefing_id).id == e.briefing_id
    assert len(reader.parts.docs._briefings) <= 4 and len(reader.parts.docs._chunks) <= 50


def test_a_search_reads_its_chunks_in_one_query(tmp_path):
    """``Index.chunks`` gives what ``Index.chunk`` gives one by one, reading all the cache's misses
    with one query (a search looks up ~80 chunks; one query each cost ~4 ms per search)."""
    files = synthetic_files(tmp_path / "corpus", 1, 3)
    settings = _settings(tmp_path / "index").replace(chunk_cache_size=5)
    Ingestor(Index(settings, _embedder()), settings).ingest(files, show_progress=False)
    reader = Index(settings, _embedder())
    ids = [c.id for e in reader.briefings() for c in reader.chunks_of(e.briefing_id)][:40]
    docs = reader.parts.docs
    queries: list[str] = []
    docs._db().set_trace_callback(queries.append)
    got = reader.chunks(ids + ["no-such-chunk"])
    assert sum(q.lstrip().upper().startswith("SELECT DOC, ID, DATA") for q in queries) == 1
    assert list(got) == ids and all(got[i] == reader.chunk(i) for i in ids)
    assert len(docs._chunks) <= 5


if __name__ == "__main__":
    main()
