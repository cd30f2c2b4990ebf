"""The web chat's side of issue 9: an answer across briefings shown as a table with a date
column, each entry with its clickable citation, every document text escaped; the table-of-contents
kind labelled in the sources panel; the parser's warnings in the upload report."""

from __future__ import annotations

import re

from assistant.answer.assistant import Assistant
from assistant.ingest.ingestor import Ingestor
from assistant.models import KIND_LABELS, Answer, Citation, SectionRef, TimelineEntry
from assistant.web import panels, render
from assistant.web.uploads import ingest_files

from .conftest import DATA
from .fakes import EvidenceEchoChat
from .web_helpers import XSS_IMG, XSS_SCRIPT, assert_inert

ARCHIVE = DATA / "archive"
NEW_START = ("2019-03-14-briefing-zakharova.txt", "2021-01-27-briefing-zakharova.txt",
             "2023-02-22-briefing-zakharova.txt", "2022-07-14-briefing-zakharova.txt")


def _entry(n: int, date: str | None, title: str, text: str, kind: str = "statement") -> TimelineEntry:
    ref = SectionRef(briefing_id=f"b{n}", briefing_date=date, briefing_title=f"Briefing {XSS_IMG}",
                     section_title=title, section_kind=kind, section_index=0, start=0, end=len(text))
    return TimelineEntry(citation=Citation(number=n, ref=ref, quote=text, start=0, end=len(text)), text=text)


def _rows(markup: str) -> list[list[str]]:
    body = re.search(r'<table class="ba-timeline">.*?<tbody>(.*?)</tbody></table>', markup, re.S).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_a_timeline_answer_is_a_table_with_a_date_column_and_escaped_text():
    entries = (_entry(1, "2019-03-14", f"Future of the treaty {XSS_SCRIPT}", f"Talks are needed {XSS_IMG}."),
               _entry(2, None, "Suspension", "The treaty was suspended.", kind="contents"))
    answer = Answer(question=f"Timeline of the treaty {XSS_SCRIPT}", standalone_question="Timeline of the treaty",
                    text=f"2 briefings address it, by date: {XSS_IMG}\n\nline one [1]\n\nline two [2]",
                    citations=tuple(e.citation for e in entries), timeline=entries)
    markup = render.answer_message(answer, turn=3)["content"]
    assert_inert(markup)
    assert "<th>Date</th>" in markup and "2 briefings address it, by date: &lt;img" in markup
    assert "line one" not in markup  # the entries are the table, not the text's lines again
    [first, second] = _rows(markup)
    assert first[0] == "14 March 2019" and second[0] == render.UNDATED
    assert first[1] == "Future of the treaty &lt;script&gt;window.__pwned=1&lt;/script&gt;"
    assert first[2].startswith("“Talks are needed &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;.”")
    assert first[2].endswith('<span class="ba-mark ba-n-1 ba-t-3">[1]</span>')
    assert second[2].endswith('<span class="ba-mark ba-n-2 ba-t-3">[2]</span>')
    plain = Answer(question="q", standalone_question="q", text="Plain [1].", citations=(entries[0].citation,))
    assert "ba-timeline" not in render.answer_message(plain)["content"]


def test_a_timeline_from_the_archive_renders_by_date_with_its_citations(settings, embedder, index):
    report = Ingestor(index, settings).ingest([ARCHIVE / name for name in NEW_START], show_progress=False)
    assert report.ok, report.failed
    assistant = Assistant(settings, embedder=embedder, index=index, chat_models={"local": EvidenceEchoChat()})
    answer = assistant.ask("Which briefings mentioned the New START Treaty?", mode="extractive")
    assert len(answer.timeline) >= 3, answer.text
    rows = _rows(render.answer_message(answer, turn=0)["content"])
    assert len(rows) == len(answer.timeline)
    dates = [e.citation.ref.briefing_date for e in answer.timeline]
    assert dates == sorted(dates) and [r[0] for r in rows] == [render.long_date(d) for d in dates]
    for row, e in zip(rows, answer.timeline):
        assert row[1] == render.esc(e.citation.ref.section_title)
        assert f'ba-n-{e.citation.number} ba-t-0">[{e.citation.number}]</span>' in row[2]


def test_the_contents_kind_is_labelled_in_the_sources_panel():
    e = _entry(1, "2023-05-17", "Table of contents", "Humanitarian aid to Syria", kind="contents")
    answer = Answer(question="q", standalone_question="q", text="x [1]", citations=(e.citation,))
    sources = panels.render_sources("q", answer, 0)
    assert f"Briefing {render.esc(XSS_IMG)} · {render.esc(KIND_LABELS['contents'])}" in sources
    assert "cut short" in KIND_LABELS["contents"]


def test_the_upload_report_shows_the_parser_warnings(settings, index, tmp_path):
    page = tmp_path / f"cut {XSS_IMG}.txt"
    page.write_bytes((ARCHIVE / "2023-02-22-briefing-zakharova.txt").read_bytes())
    [(name, status, detail)] = ingest_files(index, settings, [str(page)])
    assert status == "added" and detail.endswith("; warning: body cut short after 'Foreign Minister Sergey "
                                                 "Lavrov’s talks with Foreign Minister of Mali Abdoulaye Diop'")
    report = render.ingest_report([(name, status, detail)])
    assert_inert(report)
    assert "warning: body cut short after &#x27;Foreign Minister" in report
