"""Parsing: the sample's structure, robustness to mirrors, HTML, generic text, bad structure."""

from __future__ import annotations

import re

import pytest

from assistant.errors import ParseError
from assistant.ingest.parsing import html_to_text, parse_text
from assistant.ingest.parsing.lines import split_lines
from assistant.ingest.parsing.media import align_pieces, split_pieces
from assistant.text import canonical_title, find_date

from .conftest import DATA

KAZAKHSTAN = "Mutual recognition of vaccination passports by Russia and Kazakhstan"


def parse(text: str, source: str = "sample.txt"):
    return parse_text(text, source=source, briefing_id="b", content_hash="h")


def toc_titles(text: str) -> tuple[list[str], list[str]]:
    """The table of contents of the sample, read independently of the parser."""
    head = text.split("\n\n\nMeeting of the Russian-French", 1)[0]
    statements_part, media_part = head.split("Answers to media questions:")
    pick = lambda part: [" ".join(m.split()) for m in re.findall(r"^\s*\d+\.\s+(.+?)\s*$", part, flags=re.M)]
    return pick(statements_part), pick(media_part)


def test_sample_structure(sample_text):
    b = parse(sample_text)
    statements, media = toc_titles(sample_text)
    assert (len(statements), len(media)) == (14, 16)
    assert len(b.sections) == 30
    assert [s.kind for s in b.sections] == ["statement"] * 14 + ["media_question"] * 16
    assert [canonical_title(s.title) for s in b.sections] == [canonical_title(t) for t in statements + media]
    assert all(s.title_from_toc for s in b.sections)
    assert [s.index for s in b.sections] == list(range(30))


def test_sample_metadata(sample_text):
    b = parse(sample_text)
    assert b.date == "2021-11-10"
    assert b.title == "Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, November 10, 2021"
    assert b.speaker == "Maria Zakharova"
    assert b.place == "Moscow"


def test_spans_point_into_the_normalised_text(sample_text):
    b = parse(sample_text)
    for s in b.sections:
        assert 0 <= s.start <= s.body_start < s.end <= len(b.text)
        body = b.text[s.body_start:s.end]
        assert "Back to top" not in body.splitlines()[-1]
        if s.kind == "statement":
            assert " ".join(b.text[s.start:s.body_start].split()) == " ".join(s.title.split())
        else:
            assert body.startswith("Question:")
    # sections are in order and do not overlap
    for a, c in zip(b.sections, b.sections[1:]):
        assert a.end <= c.start


def test_media_questions_have_question_and_answer(sample_text):
    b = parse(sample_text)
    for s in b.sections[14:]:
        assert s.question and s.answer
        ex = s.exchanges[0]
        assert b.text[ex.question_start:ex.question_end].startswith("Question:")
        assert b.text[ex.answer_start:ex.answer_end].startswith("Maria Zakharova:")
        assert not s.answer.startswith("Maria Zakharova:")  # the speaker label is not part of the answer
    coordinating = next(s for s in b.sections if s.title == "Russia and Belarus coordinating stances")
    assert "Will Minsk and Moscow further coordinate" in coordinating.question  # two-paragraph question


def test_follow_up_belongs_to_the_section_it_follows(sample_text):
    b = parse(sample_text)
    kz = next(s for s in b.sections if s.title == KAZAKHSTAN)
    assert len(kz.exchanges) == 2
    assert kz.exchanges[1].question == "Is it possible to talk about a time frame?"
    assert "I cannot say anything definite" in kz.exchanges[1].answer
    assert sum(len(s.exchanges) for s in b.sections) == 17


def test_boilerplate_is_not_in_any_section(sample_text):
    b = parse(sample_text)
    for s in b.sections:
        sentences = [b.text[a:e] for a, e in s.sentences]
        assert sentences
        for boiler in ("Back to top", "Asset Publisher", "Additional materials", "Advanced settings", "en-GB1"):
            assert all(boiler not in x for x in sentences), (s.title, boiler)


def test_without_table_of_contents(sample_text):
    """A mirror without the table of contents: statement titles from heading-like lines,
    media-question titles derived from the questions, follow-up still merged."""
    lines = sample_text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Table of contents"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("Meeting of the Russian-French")) - 1
    b = parse("\n".join(lines[:start] + lines[end:]))
    statements, _ = toc_titles(sample_text)
    kinds = [s.kind for s in b.sections]
    assert kinds.count("statement") == 14 and kinds.count("media_question") == 16
    assert [canonical_title(s.title) for s in b.sections[:14]] == [canonical_title(t) for t in statements]
    assert not any(s.title_from_toc for s in b.sections)
    assert b.sections[14].title.startswith("Can you comment on the reports in the media")
    assert sum(len(s.exchanges) == 2 for s in b.sections) == 1


def test_without_back_to_top_markers(sample_text):
    b = parse(sample_text.replace("Back to top", ""))
    assert len(b.sections) == 30 and all(s.title_from_toc for s in b.sections)


def test_without_toc_and_markers(sample_text):
    bare = re.sub(r"Table of contents.*?(?=\nMeeting of the Russian-French)", "", sample_text, flags=re.S)
    b = parse(bare.replace("Back to top", ""))
    assert len(b.sections) == 30


def test_cut_short(sample_text):
    b = parse(sample_text[:40000])
    statements, media = toc_titles(sample_text)
    # the table of contents is kept as a section of its own, and the briefing says where it stops
    contents, body = b.sections[0], b.sections[1:]
    assert contents.kind == "contents" and contents.title == "Table of contents"
    assert [b.text[a:e] for a, e in contents.sentences] == statements + ["Answers to media questions:"] + media
    assert [s.title for s in body[:14]] == [s.title for s in parse(sample_text).sections[:14]]
    found = [s.title for s in body[14:]]
    assert found == [t for t in media[: len(found)]]  # titles stay aligned, trailing ones unused
    assert 3 <= len(found) < 16
    assert b.warnings == (f"body cut short after '{found[-1]}'",)
    assert not parse(sample_text).warnings


def test_toc_missing_a_title(sample_text):
    """One media title dropped from the table of contents: that piece gets a title derived from
    its question and every other piece keeps its own title."""
    b = parse(sample_text.replace("  7. Incident involving employee of Russian Embassy in Berlin\n", ""))
    media = b.sections[14:]
    assert len(media) == 16
    berlin = media[6]
    assert not berlin.title_from_toc and "German media" in berlin.title
    assert media[7].title == "Black Sea security"
    assert media[13].title == KAZAKHSTAN and len(media[13].exchanges) == 2


def test_alignment_is_monotonic_and_uses_similarity():
    text = ("Question: What about the Gulf of Oman incident?\n\nMaria Zakharova: The Gulf of Oman incident must be verified.\n\n"
            "Question: Is that final?\n\nMaria Zakharova: Yes.\n\n"
            "Question: Tell us about Black Sea security.\n\nMaria Zakharova: Black Sea security matters.\n")
    pieces = split_pieces(split_lines(text))
    groups = align_pieces(pieces, ["Developments in the Gulf of Oman", "Black Sea security"])
    assert [(title, len(g)) for title, g in groups] == [("Developments in the Gulf of Oman", 2), ("Black Sea security", 1)]


def test_html_page_parses_like_the_transcript(sample_text):
    html = (DATA / "briefing-2021-11-10.html").read_text(encoding="utf-8")
    text = html_to_text(html)
    assert "window.tracker" not in text and "Press service" not in text  # script and nav removed
    b = parse_text(text, source="briefing.html", briefing_id="b", content_hash="h", fmt="html")
    ref = parse(sample_text)
    assert b.format == "html" and b.date == "2021-11-10" and b.speaker == "Maria Zakharova"
    assert [s.title for s in b.sections] == [s.title for s in ref.sections]
    assert [len(s.exchanges) for s in b.sections] == [len(s.exchanges) for s in ref.sections]


def test_generic_text_falls_back_to_headings():
    text = ("# Notes on the Vienna talks\n\nThe delegations met on 3 March 2022 in Vienna. They agreed on an agenda.\n\n"
            "## Next steps\n\nA second round is planned. Experts will meet first.\n")
    b = parse_text(text, source="notes.md", briefing_id="n", content_hash="h", fmt="text")
    assert [s.title for s in b.sections] == ["Notes on the Vienna talks", "Next steps"]
    assert all(s.kind == "statement" for s in b.sections)
    assert b.date == "2022-03-03"
    assert b.text[b.sections[1].body_start:b.sections[1].end].startswith("A second round")


def test_text_without_structure_is_refused():
    with pytest.raises(ParseError, match="blob.txt: no recognisable structure"):
        parse_text("just one long line of text without any headings or markers at all.",
                   source="blob.txt", briefing_id="x", content_hash="h")


@pytest.mark.parametrize("text,expected", [
    ("10 November 202120:53", "2021-11-10"),
    ("Moscow, November 10, 2021", "2021-11-10"),
    ("2021-11-10-briefing-zakharova.txt", "2021-11-10"),
    ("31 February 2021", None),
    ("no date here", None),
])
def test_find_date(text, expected):
    assert find_date(text) == expected
