"""The command line: inspect, ingest, list, remove and ask, with the hashing embedder standing in
for the real model (the CLI makes its embedder inside its functions)."""

from __future__ import annotations

import json

import pytest

import assistant.answer.assistant
import assistant.store.embed_runtimes
import assistant.store.embedding
from assistant.tools import cli

from .conftest import SAMPLE
from .fakes import HashEmbedder

SAMPLE_ID = "2021-11-10-briefing-zakharova"
NICARAGUA_Q = "Which party won most seats in Nicaragua's parliamentary election?"


class FakeMiniLM(HashEmbedder):
    """Accepts the CLI's ``threads`` argument; behaves like the hashing embedder."""

    instances = 0

    def __init__(self, threads=None):
        super().__init__()
        FakeMiniLM.instances += 1


@pytest.fixture
def run(monkeypatch, settings, capsys):
    """``run(*argv)`` -> (exit code, stdout, stderr), against the tmp index, never the real models
    (nor the model process, which would load them)."""
    monkeypatch.setattr(cli, "get_settings", lambda: settings.replace(model_process=False))
    monkeypatch.setattr(assistant.store.embedding, "MiniLMEmbedder", FakeMiniLM)
    monkeypatch.setattr(assistant.store.embed_runtimes, "make_embedder", lambda settings, runtime=None: FakeMiniLM())

    def _run(*argv: str):
        code = cli.main(["--index", str(settings.store.index_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


# --------------------------------------------------------------------------- inspect


def test_inspect_json_on_the_sample(run):
    code, out, err = run("inspect", str(SAMPLE), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"date", "title", "speaker", "place", "layout", "sections"}
    assert data["date"] == "2021-11-10" and data["layout"] == "contents"
    assert data["speaker"] == "Maria Zakharova" and data["place"] == "Moscow"
    assert "Maria Zakharova" in data["title"]
    assert len(data["sections"]) == 30
    for s in data["sections"]:
        assert {"title", "kind", "start", "end"} <= set(s)
        assert s["kind"] in ("statement", "media_question")
        assert 0 <= s["start"] < s["end"]
        if s["kind"] == "media_question":
            assert s["question"]
        else:
            assert "question" not in s
    starts = [s["start"] for s in data["sections"]]
    assert starts == sorted(starts)
    assert data["sections"][4]["title"] == "Nicaragua election results"
    assert [s["kind"] for s in data["sections"]].count("media_question") == 16


def test_inspect_text_output(run):
    code, out, _ = run("inspect", str(SAMPLE))
    assert code == 0
    assert "30 sections: 14 statements, 16 media questions" in out
    assert "Nicaragua election results" in out


def test_inspect_does_not_touch_the_index(run, settings):
    run("inspect", str(SAMPLE), "--json")
    assert not (settings.store.index_dir / "registry.json").exists()


def test_inspect_binary_file(run, tmp_path):
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    code, out, err = run("inspect", str(binary))
    assert code == 1 and out == ""
    assert "binary" in err and str(binary) in err


def test_inspect_missing_file(run, tmp_path):
    code, _, err = run("inspect", str(tmp_path / "nope.txt"))
    assert code == 1 and "no such file" in err


# --------------------------------------------------------------------------- ingest, list, remove


def test_list_json_on_an_empty_index(run):
    code, out, _ = run("list", "--json")
    assert code == 0 and json.loads(out) == []


def test_list_text_on_an_empty_index(run):
    code, out, _ = run("list")
    assert code == 0 and "is empty" in out


def test_ingest_reports_each_bad_file_and_keeps_the_good_one(run, sample_copy, tmp_path):
    missing = tmp_path / "missing.txt"
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    code, out, err = run("ingest", "--quiet", str(sample_copy), str(missing), str(empty))
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    assert any(line.startswith(f"error: {missing}: ") and "no such file" in line for line in errors)
    assert any(line.startswith(f"error: {empty}: ") and "empty file" in line for line in errors)
    assert "added" in out and SAMPLE_ID in out
    assert "1 file(s) ingested, 2 failed" in out

    code, out, _ = run("list", "--json")
    entries = json.loads(out)
    assert code == 0 and [e["briefing_id"] for e in entries] == [SAMPLE_ID]
    assert entries[0]["date"] == "2021-11-10" and entries[0]["section_count"] == 30 and entries[0]["chunk_count"] > 0

    code, out, _ = run("list")
    assert code == 0 and SAMPLE_ID in out and "2021-11-10" in out


def test_ingest_again_is_unchanged_and_remove(run, sample_copy):
    assert run("ingest", "--quiet", str(sample_copy))[0] == 0
    code, out, _ = run("ingest", "--quiet", str(sample_copy))
    assert code == 0
    assert out.split()[0] == "unchanged" and "0 embedded" in out

    code, out, _ = run("ingest", "--quiet", "--json", str(sample_copy))
    report = json.loads(out)
    assert code == 0 and [f["status"] for f in report["files"]] == ["unchanged"]

    code, out, _ = run("remove", SAMPLE_ID)
    assert code == 0 and out.startswith(f"removed {SAMPLE_ID}")
    assert json.loads(run("list", "--json")[1]) == []

    code, _, err = run("remove", SAMPLE_ID)
    assert code == 1 and "no briefing" in err


def test_ingest_json_report(run, sample_copy, tmp_path):
    code, out, _ = run("ingest", "--quiet", "--json", str(sample_copy), str(tmp_path / "missing.txt"))
    assert code == 1
    report = json.loads(out)
    statuses = {f["status"] for f in report["files"]}
    assert statuses == {"added", "error"}
    bad = next(f for f in report["files"] if f["status"] == "error")
    assert "missing.txt" in bad["error"]


# --------------------------------------------------------------------------- ask


def test_ask_on_an_empty_index(run):
    code, _, err = run("ask", NICARAGUA_Q, "--llm", "extractive")
    assert code == 1 and "is empty" in err


def test_ask_json(run, sample_copy):
    assert run("ingest", "--quiet", str(sample_copy))[0] == 0
    before = FakeMiniLM.instances
    code, out, err = run("ask", NICARAGUA_Q, "--llm", "extractive", "--json")
    assert code == 0, err
    assert FakeMiniLM.instances > before  # the stand-in, not the real model, embedded the question
    data = json.loads(out)
    assert {"answer", "abstained", "citations", "timings"} <= set(data)
    assert data["abstained"] is False and data["mode"] == "extractive"
    assert "Sandinista" in data["answer"] and "[1]" in data["answer"]
    assert {"retrieval_ms", "total_ms"} <= set(data["timings"])
    text = sample_copy.read_text(encoding="utf-8")
    for c in data["citations"]:
        assert {"briefing_date", "section_title", "quote", "start", "end"} <= set(c)
        assert c["briefing_date"] == "2021-11-10" and c["section_title"] == "Nicaragua election results"
        assert c["quote"] and c["quote"] in text  # a verbatim passage of the file


def test_ask_text_output_and_abstention(run, sample_copy):
    assert run("ingest", "--quiet", str(sample_copy))[0] == 0
    code, out, _ = run("ask", NICARAGUA_Q, "--llm", "extractive")
    assert code == 0
    assert "Sandinista" in out and "[1] 2021-11-10 — Nicaragua election results" in out

    code, out, _ = run("ask", "How many Sputnik V doses were delivered to Vietnam?", "--llm", "extractive", "--json")
    data = json.loads(out)
    assert code == 0 and data["abstained"] is True and data["citations"] == []
    assert "Vietnam" in data["answer"] and data["closest_sections"]


def test_ask_filters(run, sample_copy):
    assert run("ingest", "--quiet", str(sample_copy))[0] == 0
    code, out, err = run("ask", NICARAGUA_Q, "--llm", "extractive", "--json", "--briefing", "nope")
    assert code == 2 and out == "" and "no briefing 'nope' in the index" in err
    code, out, _ = run("ask", NICARAGUA_Q, "--llm", "extractive", "--json", "--date-from", "2021-11-01",
                       "--date-to", "2021-11-30", "--briefing", SAMPLE_ID)
    assert code == 0 and json.loads(out)["abstained"] is False
    code, _, err = run("ask", NICARAGUA_Q, "--llm", "extractive", "--date-from", "10/11/2021")
    assert code == 2 and "'from' date '10/11/2021' is not a date like 2021-11-10" in err
    code, _, err = run("ask", NICARAGUA_Q, "--llm", "extractive", "--date-from", "2021-12-01", "--date-to", "2021-11-01")
    assert code == 2 and "'from' date 2021-12-01 is after the 'to' date 2021-11-01" in err


def test_unknown_llm_choice_is_a_usage_error(run):
    with pytest.raises(SystemExit) as exit_:
        run("ask", NICARAGUA_Q, "--llm", "gpt-17")
    assert exit_.value.code == 2


def test_timeline_command(run, sample_copy):
    assert run("ingest", "--quiet", str(sample_copy))[0] == 0
    code, out, err = run("timeline", "Nicaragua election", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["query"] == "Nicaragua election" and data["entries"]
    e = data["entries"][0]
    assert e["briefing_date"] == "2021-11-10" and e["section_title"] == "Nicaragua election results"
    from assistant.text import normalise

    assert e["quote"] and normalise(sample_copy.read_text(encoding="utf-8"))[e["start"]:e["end"]] == e["quote"]
    code, out, _ = run("timeline", "Nicaragua election", "--from", "2022-01-01")
    assert code == 0 and "no briefing addresses" in out


# --------------------------------------------------------------------------- dates, warnings, copies

ARCHIVE = SAMPLE.parent.parent / "tests" / "data" / "archive"
COPIES = ARCHIVE.parent / "copies"


def _list(run) -> list[dict]:
    code, out, _ = run("list", "--json")
    assert code == 0
    return json.loads(out)


def test_ingest_date_dates_a_page_that_has_none(run, tmp_path):
    page = tmp_path / "notes.txt"  # starts inside its contents; no date in the text or the file name
    page.write_text((ARCHIVE / "2022-03-03-briefing.txt").read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run("ingest", "--quiet", "--date", "3 March", str(page))
    assert code == 2 and "the briefing date '3 March' is not a date like 2022-03-03 (YYYY-MM-DD)" in err
    assert _list(run) == []  # refused before anything was read
    assert run("ingest", "--quiet", str(page))[0] == 0
    assert [e["date"] for e in _list(run)] == [None]
    code, out, _ = run("ingest", "--quiet", "--date", "2022-03-03", str(page))
    assert code == 0 and out.split()[0] == "updated"
    assert [e["date"] for e in _list(run)] == ["2022-03-03"]
    code, out, _ = run("ingest", "--quiet", "--date", "2022-03-03", str(page))
    assert out.split()[0] == "unchanged"


def test_ingest_date_never_replaces_the_page_date(run, sample_copy):
    code, out, _ = run("ingest", "--quiet", "--date", "2020-01-01", str(sample_copy))
    assert code == 0
    assert "warning: the date given (2020-01-01) differs from the page's date (2021-11-10)" in out
    assert [e["date"] for e in _list(run)] == ["2021-11-10"]


def test_inspect_shows_the_contents_kind_and_the_warnings(run):
    page = ARCHIVE / "2023-05-17-briefing-zakharova.txt"  # cut short: nothing after the contents
    code, out, _ = run("inspect", str(page))
    assert code == 0
    assert "  0 C [" in out and "Table of contents  [Table of contents (the page's body is missing or cut short)]" in out
    assert "warning: body missing after the table of contents" in out
    data = json.loads(run("inspect", str(page), "--json")[1])
    assert data["sections"][0]["kind"] == "contents" and "cut short" in data["sections"][0]["kind_label"]
    assert data["warnings"] == ["body missing after the table of contents"]


def test_ingest_shows_the_parser_warnings(run):
    page = ARCHIVE / "2023-02-22-briefing-zakharova.txt"  # cut short in the middle of the body
    code, out, _ = run("ingest", "--quiet", str(page))
    assert code == 0 and "warning: body cut short after 'Foreign Minister Sergey Lavrov" in out
    assert "1 with warnings" in out
    code, out, _ = run("ingest", "--quiet", "--json", str(page))
    [f] = json.loads(out)["files"]
    assert f["status"] == "unchanged" and f["warnings"][0].startswith("body cut short after")
    assert _list(run)[0]["cut_short"] is True


def test_list_groups_the_copies_of_a_briefing(run):
    assert run("ingest", "--quiet", str(COPIES))[0] == 0
    entries = _list(run)
    official, mirror, digest, other = ("2024-06-05-briefing-zakharova", "2024-06-05-briefing-zakharova-mirror",
                                       "2024-06-05-digest-zakharova", "2024-06-05-briefing-zaitsev")
    by_id = {e["briefing_id"]: e for e in entries}
    assert by_id[mirror]["versions"] == [official, mirror, digest] == by_id[digest]["versions"]
    assert [by_id[b]["official"] for b in (official, mirror, digest, other)] == [True, False, False, True]
    assert by_id[other]["versions"] == [other] and by_id[official]["briefing"] == by_id[digest]["briefing"]
    ids = [e["briefing_id"] for e in entries]  # versions next to each other, the official first
    assert ids.index(mirror) == ids.index(official) + 1 and ids.index(digest) == ids.index(official) + 2
    code, out, _ = run("list")
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if "one briefing, 3 versions" in line)
    assert lines[head].startswith("2024-06-05  Maria Zakharova")
    assert lines[head + 1].lstrip().startswith(f"official {official}") and "[transcript with contents]" in lines[head + 1]
    assert lines[head + 2].lstrip().startswith(f"copy     {mirror}") and "headings only" in lines[head + 2]
    assert lines[head + 3].lstrip().startswith(f"copy     {digest}") and "[digest post]" in lines[head + 3]
    assert sum(other in line for line in lines) == 1
