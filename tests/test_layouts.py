"""Every real layout parses: the archive fixtures (EXPECTED.json) and small texts of our own for
the edge cases (contents headings with look-alike letters, bare contents lists, pages that start
inside the contents or are cut short, digests, mirrors, Russian transcripts, dates given by the
user)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.errors import InputError, ParseError
from assistant.ingest.ingestor import parse_document
from assistant.ingest.parsing import parse_text
from assistant.ingest.parsing.lines import is_contents_heading, is_media_heading
from assistant.ingest.sources import read_source
from assistant.text.dates import find_date_span

from .conftest import DATA

ARCHIVE = DATA / "archive"
EXPECTED = json.loads((ARCHIVE / "EXPECTED.json").read_text(encoding="utf-8"))

# what must never become a section title (written independently of the parser's patterns)
DOCUMENT_NUMBER = re.compile(r"^\d{3,5}-\d{2}-\d{2}-\d{4}$")
CONTENTS_HEADING = re.compile(r"^(?:table\s+of\s+[cс]ontents|contents|содержание)\s*:?$", re.IGNORECASE)
NUMBERED_ITEM = re.compile(r"^\s*(?:\d{1,3}[.)]|[-•])\s")


def parse(text: str, source: str = "page.txt", **kw):
    return parse_text(text, source=source, briefing_id="b", content_hash="h", **kw)


def body_titles(b) -> list[str]:
    return [s.title for s in b.sections if s.kind != "contents"]


def check_layout(case: dict, folder: Path) -> None:
    """The parse of ``folder / case["file"]`` against its expectation (EXPECTED.json format)."""
    doc = read_source(folder / case["file"], 10_000_000)
    b = parse_document(doc, "b")
    assert (b.date, b.speaker, b.place) == (case["date"], case["speaker"], case["place"])
    titles = body_titles(b)
    for t in titles:
        assert not DOCUMENT_NUMBER.match(t) and not CONTENTS_HEADING.match(t) and not NUMBERED_ITEM.match(t), t
    if not case["cut_short"]:
        assert titles == case["sections"]
        assert not b.warnings and all(s.kind != "contents" for s in b.sections)
        return
    # cut short: what exists is ingested, the contents list is a section, and a warning says so
    assert titles == case["sections"][: len(titles)]
    contents = [s for s in b.sections if s.kind == "contents"]
    assert len(contents) == 1 and contents[0].index == 0
    items = [b.text[a:e] for a, e in contents[0].sentences]
    assert all(t in items for t in case["sections"])
    expected = f"body cut short after '{titles[-1]}'" if titles else "body missing after the table of contents"
    assert b.warnings == (expected,)


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_archive_layout(case):
    check_layout(case, ARCHIVE)


def test_copies_have_the_same_topics():
    """A mirror and a digest of a briefing parse into as many sections as the original."""
    by_file = {c["file"]: c for c in EXPECTED}
    for case in EXPECTED:
        if case["copies_of"]:
            assert len(case["sections"]) == len(by_file[case["copies_of"]]["sections"])


# --- small layouts of our own ---------------------------------------------------------------

HEADER = "Briefing by Foreign Ministry Spokesperson Anna Example, Springfield, May 5, 2023"
PARA = "The delegations agreed to meet again in the autumn and to prepare a joint report for the ministers."


def page(*blocks: str) -> str:
    return "\n\n".join(blocks) + "\n"


RAIL = "Two new rail links will connect the port with the regional centres; the links open next spring."


def test_contents_heading_with_look_alike_letters_and_a_typo():
    text = page(HEADER, "Tаble of Contents:", "  1. Harbour reconstruction programme", "  2. Regional rail links",
                "Harbour reconstruction programme", PARA, "Back to top",
                "Regional rail linsk", RAIL, "Back to top")  # Cyrillic "а"; a typo in the body heading
    b = parse(text)
    assert body_titles(b) == ["Harbour reconstruction programme", "Regional rail links"]
    assert all(s.title_from_toc for s in b.sections) and not b.warnings


@pytest.mark.parametrize("listed,heading,body,kept", [
    ("Regional rail linsk", "Regional rail links", RAIL, "Regional rail links"),  # the typo in the contents
    ("Regional rail links", "Regional rail linsk", RAIL, "Regional rail links"),  # in the heading
    ("Regional rail linsk", "Regional rail links", PARA, "Regional rail links"),  # the text says neither: the heading
    ("Regional rail links", "Regional rail linsk", PARA, "Regional rail linsk"),
    # marks or punctuation around the same words: the contents' title
    ("Regional rail links", "**Regional rail links**", PARA, "Regional rail links"),
    ("Regional rail links", "Regional rail links:", RAIL, "Regional rail links"),
    ("Regional rail links", "«Regional rail links»", PARA, "Regional rail links"),
])
def test_a_typo_keeps_the_spelling_the_page_uses(listed, heading, body, kept):
    b = parse(page(HEADER, "Table of contents", f"  1. {listed}", "  2. Harbour works", heading, body,
                   "Harbour works", PARA))
    assert body_titles(b) == [kept, "Harbour works"]


@pytest.mark.parametrize("line,contents,media", [
    ("Table of contents", True, False), ("TABLE OF CONTENTS:", True, False), ("Tаble of сontents", True, False),
    ("ТABLE OF CONTENTS", True, False), ("Содержание", True, False), ("4. Answers to media questions:", False, True),
    ("Answer to a media question", False, True), ("ОТВЕТЫ НА ВОПРОСЫ СМИ:", False, True),
    ("Contents of the package", False, False), ("Answers to media questions were many", False, False),
    ("Replies to media questions:", False, True),
])
def test_contents_and_media_headings(line, contents, media):
    assert (is_contents_heading(line), is_media_heading(line)) == (contents, media)


def test_title_with_a_colon_in_the_contents_is_found_in_the_body():
    text = page(HEADER, "Table of contents", "  1. Harbour: the second stage", "  2. Rail links",
                "Harbour: the second stage", PARA, "Rail links", PARA)
    assert body_titles(parse(text)) == ["Harbour: the second stage", "Rail links"]


def test_contents_list_of_bullets_without_a_heading_and_nested_answers():
    text = page(HEADER, "- Harbour reconstruction programme", "- Regional rail links",
                "- Answers to media questions:\n    - Fishing quotas",
                "Harbour reconstruction programme", PARA, "Back to top", "Regional rail links", PARA,
                "Back to top", "Answers to media questions:",
                "Question: What about the fishing quotas for next year?",
                "Anna Example: The quotas will be set in December.")
    b = parse(text)
    assert body_titles(b) == ["Harbour reconstruction programme", "Regional rail links", "Fishing quotas"]
    assert [s.kind for s in b.sections] == ["statement", "statement", "media_question"]
    assert b.speaker == "Anna Example" and b.place == "Springfield"


def test_a_list_in_the_text_is_not_a_table_of_contents():
    text = page(HEADER, "Harbour reconstruction programme", "The work has three stages:",
                "- dredging the channel", "- rebuilding the piers", PARA)
    b = parse(text)
    assert body_titles(b) == ["Harbour reconstruction programme"]


def test_numbered_answers_item_singular_heading_and_numbering_gaps():
    text = page(HEADER, "Table of contents", "  2. Harbour reconstruction programme", "  5. Regional rail links",
                "  6. Answer to a media question:\n      1. Fishing quotas",
                "Harbour reconstruction programme", PARA, "Regional rail links", PARA,
                "Answer to a media question:", "Question: What about the fishing quotas?",
                "Anna Example: They will be set in December.")
    b = parse(text)
    assert body_titles(b) == ["Harbour reconstruction programme", "Regional rail links", "Fishing quotas"]


def test_questions_without_an_answers_heading_take_the_last_contents_titles():
    text = page(HEADER, "0931-05-05-2023", "Table of contents", "  1. Harbour reconstruction programme",
                "  2. Fishing quotas", "  3. Rail fares",
                "Harbour reconstruction programme", PARA, "Back to top",
                "Question: What about the fishing quotas?", "Anna Example: They will be set in December.",
                "Back to top", "Question: Will rail fares go up?", "Anna Example: Not this year.")
    b = parse(text)
    assert body_titles(b) == ["Harbour reconstruction programme", "Fishing quotas", "Rail fares"]


def test_page_starting_inside_the_contents_uses_the_date_given_or_the_file_name():
    text = page("  2. Regional rail links", "Answers to media questions:", "  1. Fishing quotas",
                "Harbour reconstruction programme", PARA, "Back to top", "Regional rail links", PARA,
                "Back to top", "Answers to media questions:", "Question: What about the fishing quotas?",
                "Anna Example: They will be set in December.")
    b = parse(text, source="notes.txt", date_hint="2023-05-05")
    assert b.date == "2023-05-05" and b.speaker is None and b.place is None
    assert body_titles(b) == ["Harbour reconstruction programme", "Regional rail links", "Fishing quotas"]
    assert parse(text, source="2023-05-06-notes.txt").date == "2023-05-06"
    assert parse(text, source="notes.txt").date is None


def test_date_given_by_the_user_never_overrides_the_header():
    b = parse(page(HEADER, "Harbour reconstruction programme", PARA), date_hint="2023-05-04")
    assert b.date == "2023-05-05" and "2023-05-04" in b.warnings[0]
    with pytest.raises(InputError):
        parse(page(HEADER, "Harbour", PARA), date_hint="next Tuesday")


def test_digest_post_one_section_per_hashtag():
    text = page("#Example briefing, 5 May 2023", "Topics:\n🔸 Harbour works\n🔸 Rail links",
                "#Harbour", "▪️ The channel will be dredged first.", "▪️ The piers follow in 2024.",
                "#RailLinks", "• Two new lines open in June.", "📎 Full transcript: see the channel")
    b = parse(text)
    assert body_titles(b) == ["Harbour", "RailLinks"] and b.speaker == "Example" and b.date == "2023-05-05"
    last = b.sections[-1]
    assert "Full transcript" not in b.text[last.start:last.end]
    first = b.sections[0]  # a bullet is not part of the sentence quoted
    assert [b.text[a:e] for a, e in first.sentences] == ["The channel will be dredged first.", "The piers follow in 2024."]


def test_mirror_banners_glued_header_and_a_title_over_the_question():
    text = page("Example Mirror", "Home | News | Contacts", "Statements › Briefings",
                "Briefing by Foreign Ministry Spokesperson Anna Example, Springfield,May 5, 2023",
                "Share: Mail | Chat | Post", "Harbour works", PARA, "Fishing quotas",
                "Question: What about the fishing quotas?", "Anna Example: They will be set in December.",
                "Related materials", "Subscribe to our newsletter", "© 2023 Example Mirror")
    b = parse(text)
    assert (b.date, b.place, b.speaker) == ("2023-05-05", "Springfield", "Anna Example")
    assert body_titles(b) == ["Harbour works", "Fishing quotas"]
    assert b.sections[1].answer == "They will be set in December."


def test_document_number_and_date_lines_are_never_titles():
    text = page("5 May 2023 14:05", HEADER, "0931-05-05-2023", "Harbour works", PARA, "Rail links", PARA)
    assert body_titles(parse(text)) == ["Harbour works", "Rail links"]


def test_header_without_place_and_header_with_text_only():
    b = parse(page("Briefing by Foreign Ministry Spokesperson Anna Example, May 5, 2023",
                   PARA + " " + PARA))
    assert b.place is None and b.speaker == "Anna Example"
    assert [s.kind for s in b.sections] == ["statement"] and b.sections[0].title == b.title
    with pytest.raises(ParseError, match="header but no text"):
        parse(page(HEADER))


def test_cut_short_pages_keep_the_contents():
    toc = ["TABLE OF CONTENTS:", "  1. Harbour works", "  2. Rail links", "Answers to media questions:",
           "  1. Fishing quotas"]
    missing = parse(page(HEADER, *toc), source="x.txt")
    assert missing.sections[0].title == "Table of contents"
    assert [s.kind for s in missing.sections] == ["contents"] and missing.warnings == (
        "body missing after the table of contents",)
    sentences = [missing.text[a:e] for a, e in missing.sections[0].sentences]
    assert sentences == ["Harbour works", "Rail links", "Answers to media questions:", "Fishing quotas"]
    truncated = parse(page(HEADER, *toc, "Harbour works", PARA, "Back to top", "Rail links", "The new line wi"))
    assert body_titles(truncated) == ["Harbour works", "Rail links"]
    assert truncated.warnings == ("body cut short after 'Rail links'",)


def test_a_whole_page_is_not_cut_short_when_a_last_title_finds_no_question():
    """The page reaches its closing furniture: one answer covering the last two titles of the
    contents is not a page cut short."""
    text = page(HEADER, "Table of contents", "  1. Harbour works", "Answers to media questions:",
                "  1. Fishing quotas", "  2. Fishing licences", "Harbour works", PARA,
                "Answers to media questions:", "Question: What about the fishing quotas and licences?",
                "Anna Example: Both will be settled in December.", "Additional materials")
    b = parse(text)
    assert body_titles(b) == ["Harbour works", "Fishing quotas"] and not b.warnings


def test_russian_transcript():
    text = page("Брифинг официального представителя МИД России А.Б.Примеровой, Энск, 5 мая 2023 года",
                "Содержание", "  1. О ремонте порта", "Ответы на вопросы СМИ:", "  1. О квотах на вылов рыбы",
                "О ремонте порта", "Работы начнутся летом и завершатся в следующем году.",
                "Ответы на вопросы СМИ:", "Вопрос: Когда будут установлены квоты?",
                "А.Б.Примерова: Квоты установят в декабре.")
    b = parse(text)
    assert (b.date, b.speaker, b.place) == ("2023-05-05", "А.Б.Примерова", "Энск")
    assert body_titles(b) == ["О ремонте порта", "О квотах на вылов рыбы"]
    assert b.sections[1].question == "Когда будут установлены квоты?"


@pytest.mark.parametrize("text,expected", [
    ("Moscow,April 22, 2021", ("2021-04-22", 7, 21)),
    ("27 January 202118:30", ("2021-01-27", 0, 15)),
    ("Москва, 10 ноября 2021 года", ("2021-11-10", 8, 22)),
    ("April 27", None),
    # day first, as the ministry writes it; a weekday belongs to the date
    ("Moscow, 21.09.2022", ("2022-09-21", 8, 18)),
    ("Posted: 27/05/2020 · Views: 3", ("2020-05-27", 8, 18)),
    ("Moscow, Wednesday, 14 February 2024", ("2024-02-14", 8, 35)),
    ("on 31.02.2022", None),
    # ordinals, abbreviated months and weekdays
    ("Kazan, Thursday 28th September 2023", ("2023-09-28", 7, 35)),
    ("Moscow, Thu, 19 Dec 2019", ("2019-12-19", 8, 24)),
    ("on September 28th, 2023", ("2023-09-28", 3, 23)),
])
def test_find_date_span(text, expected):
    assert find_date_span(text) == expected
