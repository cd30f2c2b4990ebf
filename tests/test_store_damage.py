"""The damage matrix: each part of an index folder deleted, truncated or overwritten. Every case
gives a one-line diagnosis (readers and writers refuse with the folder, the problem and "run:
briefing-assistant check --repair"; ``check`` lists it), and ``check --repair`` gives the answers
back: retrieval finds the sample's "Update on Afghanistan" section again."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import assistant.answer.assistant
import assistant.store.embed_runtimes
import assistant.store.embedding
from assistant.config import Settings
from assistant.errors import IndexDamaged
from assistant.ingest.ingestor import Ingestor
from assistant.store.index import Index
from assistant.text import terms
from assistant.tools import cli

from .conftest import SAMPLE
from .fakes import HashEmbedder

HINT = "run: briefing-assistant check --repair"
QUESTION = "How many passports were issued in Afghanistan in one month?"
SECTION = "Update on Afghanistan"


class FakeMiniLM(HashEmbedder):
    def __init__(self, threads=None):
        super().__init__()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    """An index of the sample (and its source file), built once and copied for each case."""
    root = tmp_path_factory.mktemp("pristine")
    source = root / "docs" / SAMPLE.name
    source.parent.mkdir()
    shutil.copy(SAMPLE, source)
    settings = _settings(root / "index")
    index = Index(settings, HashEmbedder())
    assert Ingestor(index, settings).ingest([source], show_progress=False).ok
    index.parts.vectors.close()
    index.close()
    return root / "index", source


def _settings(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir, llm="extractive", model_process=False, _env_file=None)


@pytest.fixture
def damaged_copy(pristine, tmp_path) -> Path:
    index_dir = tmp_path / "index"
    shutil.copytree(pristine[0], index_dir)
    return index_dir


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setattr(assistant.store.embedding, "MiniLMEmbedder", FakeMiniLM)
    monkeypatch.setattr(assistant.store.embed_runtimes, "make_embedder", lambda settings, runtime=None: FakeMiniLM())

    def _run(index_dir: Path, *argv: str):
        monkeypatch.setattr(cli, "get_settings", lambda: _settings(index_dir))
        code = cli.main(["--index", str(index_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def finds_the_section(index_dir: Path) -> bool:
    embedder = HashEmbedder()
    index = Index(_settings(index_dir), embedder)
    try:
        dense = index.dense_search(embedder.encode([QUESTION])[0], 5)
        sparse = index.bm25_search(terms(QUESTION), 5)
        titles_dense = {index.chunk(h.chunk_id).section_title for h in dense}
        titles_sparse = {index.chunk(cid).section_title for cid, _ in sparse}
        return SECTION in titles_dense and SECTION in titles_sparse
    finally:
        index.parts.vectors.close()
        index.close()


# --------------------------------------------------------------------------- the damage
def _one(folder: Path, pattern: str) -> Path:
    [path] = sorted(folder.glob(pattern))
    return path


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _scribble(path: Path) -> None:
    """Overwrite a stretch in the middle with noise, keeping the size."""
    data = bytearray(path.read_bytes())
    start = len(data) // 3
    data[start:start + 4096] = os.urandom(min(4096, len(data) - start))
    path.write_bytes(bytes(data))


DAMAGE = {
    "registry deleted": lambda d: (d / "registry.json").unlink(),
    "registry truncated": lambda d: _truncate(d / "registry.json"),
    "registry is {}": lambda d: (d / "registry.json").write_text("{}"),
    "registry overwritten": lambda d: (d / "registry.json").write_bytes(os.urandom(700)),
    "chroma folder deleted": lambda d: shutil.rmtree(d / "chroma"),
    "chroma sqlite deleted": lambda d: (d / "chroma" / "chroma.sqlite3").unlink(),
    "chroma sqlite truncated": lambda d: _truncate(d / "chroma" / "chroma.sqlite3"),
    "chroma sqlite overwritten": lambda d: _scribble(d / "chroma" / "chroma.sqlite3"),
    "bm25 folder deleted": lambda d: shutil.rmtree(d / "bm25"),
    "bm25 segment truncated": lambda d: _truncate(_one(d / "bm25", "seg-*.npz")),
    "bm25 segment overwritten": lambda d: _one(d / "bm25", "seg-*.npz").write_bytes(os.urandom(5000)),
    "parsed file deleted": lambda d: _one(d / "briefings", "*.json").unlink(),
    "parsed file truncated": lambda d: _truncate(_one(d / "briefings", "*.json")),
    "text store deleted": lambda d: [p.unlink() for p in d.glob("docs.sqlite3*")],
    "text store truncated": lambda d: _truncate(d / "docs.sqlite3"),
    "text store overwritten": lambda d: _scribble(d / "docs.sqlite3"),
}


# a same-size overwrite inside a SQLite file is found by ``check`` (SQLite's quick check), not by the
# cheap check at start: a reader notices it only when it reads a damaged page (a one-line
# IndexDamaged then too)
NOTICED_LATER = {"chroma sqlite overwritten", "text store overwritten"}


def _reader_diagnosis(index_dir: Path) -> str | None:
    """What a reader (ask, the web chat) says when it opens the index and searches it."""
    try:
        index = Index(_settings(index_dir), HashEmbedder())
        try:
            index.dense_search(HashEmbedder().encode([QUESTION])[0], 5)  # Chroma is opened on first use
            index.bm25_search(terms(QUESTION), 5)
        finally:
            index.parts.vectors.close()
            index.close()
    except IndexDamaged as err:
        return str(err)
    return None


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damage_is_diagnosed_in_one_line_and_repaired(case, damaged_copy, run):
    DAMAGE[case](damaged_copy)

    message = _reader_diagnosis(damaged_copy)
    if message is not None or case not in NOTICED_LATER:
        assert message is not None, "the damage went unnoticed"
        assert "\n" not in message and message.startswith(str(damaged_copy)) and message.endswith(HINT), message
        code, out, err = run(damaged_copy, "ask", QUESTION, "--llm", "extractive")
        assert code == 2 and out == "" and err.count("\n") == 1 and HINT in err, (out, err)

    code, out, _ = run(damaged_copy, "check")
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert code == 1 and errors and all(len(line) < 400 for line in errors), out
    assert out.splitlines()[-1].endswith(HINT)

    code, out, _ = run(damaged_copy, "check", "--repair")
    assert code == 0, out
    assert "repaired: " in out and "consistent: 1 briefings" in out.splitlines()[-1], out
    assert finds_the_section(damaged_copy)
    code, out, _ = run(damaged_copy, "check")
    assert code == 0 and "error" not in out, out


def test_a_scribbled_parsed_file_is_found_by_check_and_rewritten(damaged_copy, run):
    """Readers do not read parsed files (the text is in docs.sqlite3): a same-size overwrite
    does not stop them, the check finds it and the repair rewrites it."""
    parsed = _one(damaged_copy / "briefings", "*.json")
    _scribble(parsed)
    assert finds_the_section(damaged_copy)
    code, out, _ = run(damaged_copy, "check", "--json")
    report = json.loads(out)
    assert code == 1 and [p["part"] for p in report["problems"] if p["fatal"]] == ["parsed"]
    assert "is truncated or not valid JSON" in report["problems"][0]["message"]
    code, out, _ = run(damaged_copy, "check", "--repair")
    assert code == 0 and f"rewrote briefings/{parsed.name} from docs.sqlite3" in out, out
    json.loads(parsed.read_text(encoding="utf-8"))


def test_parsed_file_and_text_gone_are_parsed_again_from_the_source(damaged_copy, run):
    _one(damaged_copy / "briefings", "*.json").unlink()
    for p in damaged_copy.glob("docs.sqlite3*"):
        p.unlink()
    code, out, _ = run(damaged_copy, "check", "--repair")
    assert code == 0 and "parsed" in out and SAMPLE.name in out, out
    assert finds_the_section(damaged_copy)


def test_without_parsed_file_text_or_source_the_briefing_is_dropped(damaged_copy, pristine, run, tmp_path):
    source = pristine[1]
    hidden = tmp_path / "hidden.txt"
    shutil.copy(source, hidden)
    source.unlink()
    try:
        _one(damaged_copy / "briefings", "*.json").unlink()
        for p in damaged_copy.glob("docs.sqlite3*"):
            p.unlink()
        code, out, _ = run(damaged_copy, "check", "--repair")
        assert code == 0 and "cannot be restored" in out and "consistent: 0 briefings" in out, out
    finally:
        shutil.copy(hidden, source)


def test_an_empty_registry_never_deletes_the_other_briefings(damaged_copy, run, tmp_path):
    parsed = _one(damaged_copy / "briefings", "*.json")
    (damaged_copy / "registry.json").write_text("{}")
    other = tmp_path / "2021-11-17-briefing.txt"
    other.write_text(SAMPLE.read_text(encoding="utf-8").replace("10 November 2021", "17 November 2021"))
    code, _, err = run(damaged_copy, "ingest", "--quiet", str(other))
    assert code == 2 and "registry.json is not a registry" in err and HINT in err
    assert parsed.exists()  # the other briefing's parsed file is still there
    assert run(damaged_copy, "check", "--repair")[0] == 0
    code, out, _ = run(damaged_copy, "ingest", "--quiet", str(other))
    assert code == 0
    code, out, _ = run(damaged_copy, "list", "--json")
    assert len(json.loads(out)) == 2


def test_stale_temp_files_never_break_ask_and_are_cleaned_on_the_next_write(damaged_copy, run, sample_copy):
    dead_pid = 2 ** 22 + 12345  # above pid_max: no such process
    stale = [damaged_copy / f".registry.json.{dead_pid}.tmp", damaged_copy / "briefings" / f".x.json.{dead_pid}.tmp"]
    stale[0].write_text('{"version": 2, "briefin')  # what a full disk leaves
    stale[1].write_text("{")
    assert finds_the_section(damaged_copy)
    code, out, err = run(damaged_copy, "ask", QUESTION, "--llm", "extractive")
    assert code == 0, err
    code, out, _ = run(damaged_copy, "check")
    assert code == 0 and "warning: files: 2 temporary file(s)" in out, out
    index = Index(_settings(damaged_copy), HashEmbedder())
    with index.writing():
        pass
    assert not any(p.exists() for p in stale)


def test_a_failed_registry_write_leaves_no_temp_file(damaged_copy, monkeypatch):
    index = Index(_settings(damaged_copy), HashEmbedder())
    real_fsync = os.fsync

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        with index.writing():
            index._writer.mark_pending("x")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert not list(damaged_copy.glob(".*.tmp"))
    assert finds_the_section(damaged_copy)


def test_an_index_of_the_previous_format_is_upgraded_by_repair(damaged_copy, run):
    """Format 1: parsed files without their entry, no text store, one bm25s index in bm25/."""
    registry = json.loads((damaged_copy / "registry.json").read_text())
    parsed = _one(damaged_copy / "briefings", "*.json")
    legacy_name = ".".join(parsed.name.split(".")[:2]) + ".json"
    data = json.loads(parsed.read_text())
    del data["entry"]
    (damaged_copy / "briefings" / legacy_name).write_text(json.dumps(data))
    parsed.unlink()
    for entry in registry["briefings"].values():
        for key in ("doc_bytes", "bm25_segment"):
            del entry[key]
        entry["doc_file"] = legacy_name
    v1 = {"version": 1, "generation": registry["generation"], "embed_model": "hash-embedder",
          "briefings": registry["briefings"], "pending": None}
    (damaged_copy / "registry.json").write_text(json.dumps(v1))
    shutil.rmtree(damaged_copy / "bm25")
    (damaged_copy / "bm25").mkdir()
    (damaged_copy / "bm25" / "params.index.json").write_text("{}")
    for p in damaged_copy.glob("docs.sqlite3*"):
        p.unlink()

    message = _reader_diagnosis(damaged_copy)
    assert message and "older version of briefing-assistant (index format 1" in message and message.endswith(HINT)
    code, out, _ = run(damaged_copy, "check", "--repair")
    assert code == 0 and "upgraded the registry from index format 1 to 2" in out, out
    assert finds_the_section(damaged_copy)
    assert not (damaged_copy / "bm25" / "params.index.json").exists()
    assert json.loads((damaged_copy / "registry.json").read_text())["version"] == 2
