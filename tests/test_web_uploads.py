"""Uploads through the chat: per-file errors, unique storage per upload, the file-count limit,
and the bundled sample ingested into an empty index at start."""

from __future__ import annotations


import pytest

pytest.importorskip("gradio_client")

import gradio as gr  # noqa: E402

from assistant.answer.assistant import Assistant  # noqa: E402
from assistant.web import app as web_app  # noqa: E402
from assistant.web import options, render  # noqa: E402
from assistant.web.uploads import ingest_files  # noqa: E402

from .fakes import EvidenceEchoChat  # noqa: E402
from .web_helpers import (GOOD_BRIEFING, HOSTILE_BRIEFING, SAMPLE_ID)  # noqa: E402


def rows_by_file(rows):
    return {name: (status, detail) for name, status, detail in rows}


def test_upload_reports_each_bad_file_and_ingests_the_good_one(settings, fake_assistant, tmp_path):
    good = tmp_path / "narnia-2021-12-01.txt"
    good.write_text(GOOD_BRIEFING, encoding="utf-8")
    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    calls = []
    rows = ingest_files(fake_assistant.index, settings, [str(binary), str(empty), str(good)],
                        progress=lambda *a, **k: calls.append((a, k)))
    by_file = rows_by_file(rows)
    assert by_file["photo.png"][0] == "error" and by_file["photo.png"][1].startswith("binary")
    assert by_file["empty.txt"][0] == "error" and "empty" in by_file["empty.txt"][1]
    assert by_file["narnia-2021-12-01.txt"][0] == "added"
    assert "2021-12-01 — " in by_file["narnia-2021-12-01.txt"][1]
    assert "1 file ingested, 2 failed" in render.ingest_report(rows)
    assert calls and calls[-1][0][0] == (3, 3)
    assert any("Ingesting narnia-2021-12-01.txt" == k.get("desc") for _, k in calls)  # the name as uploaded
    choices = options.briefing_choices(fake_assistant.index)
    assert any(label.startswith("2021-12-01 — ") for label, _ in choices)
    # the new briefing is searchable at once
    answer = fake_assistant.ask("Which museum will the Narnian minister visit in Saint Petersburg?")
    assert not answer.abstained
    assert answer.citations[0].ref.briefing_id.startswith("narnia-2021-12-01-")


def test_uploads_with_the_same_name_do_not_replace_each_other(settings, fake_assistant, tmp_path):
    first, second = tmp_path / "one" / "a.txt", tmp_path / "two" / "a.txt"
    for path, text in ((first, GOOD_BRIEFING), (second, HOSTILE_BRIEFING)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    assert rows_by_file(ingest_files(fake_assistant.index, settings, [str(first)]))["a.txt"][0] == "added"
    assert rows_by_file(ingest_files(fake_assistant.index, settings, [str(second)]))["a.txt"][0] == "added"
    ids = [e.briefing_id for e in fake_assistant.index.briefings()]
    assert len(ids) == 3 and len([i for i in ids if i.startswith("a-")]) == 2
    assert not fake_assistant.ask("Which museum will the Narnian minister visit in Saint Petersburg?").abstained
    assert not fake_assistant.ask("Where will the wardrobe summit on glacier diplomacy open?").abstained
    # the same file again: not a second copy of the briefing
    status, detail = rows_by_file(ingest_files(fake_assistant.index, settings, [str(first)]))["a.txt"]
    assert status == "unchanged" and detail.startswith("already indexed: 2021-12-01 — ")
    assert len(fake_assistant.index.briefings()) == 3


def test_upload_limits_the_number_of_files(settings, fake_assistant, tmp_path):
    limited = settings.replace(max_upload_files=1)
    paths = []
    for i in range(3):
        p = tmp_path / f"b{i}.txt"
        p.write_text(GOOD_BRIEFING.replace("Narnia", f"Narnia{i}"), encoding="utf-8")
        paths.append(str(p))
    rows = ingest_files(fake_assistant.index, limited, paths)
    report = render.ingest_report(rows)
    assert report.count("at most 1 files per upload") == 2
    assert "1 file ingested, 2 failed" in report
    ids = [e.briefing_id for e in fake_assistant.index.briefings()]
    assert any(i.startswith("b0-") for i in ids) and not any(i.startswith("b1") for i in ids)


def test_prepare_index_ingests_the_sample_into_an_empty_index(settings, embedder, index):
    assistant = Assistant(settings, embedder=embedder, index=index, chat_models={"local": EvidenceEchoChat()})
    assert not assistant.index.briefings()
    web_app.prepare_index(assistant, settings)
    assert [e.briefing_id for e in assistant.index.briefings()] == [SAMPLE_ID]
    web_app.prepare_index(assistant, settings)  # not again
    assert len(assistant.index.briefings()) == 1
