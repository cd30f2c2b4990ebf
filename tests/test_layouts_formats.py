"""Layouts met on pages saved or copied in other formats: Markdown files, the place and date on
the line under the header, day-first numeric dates, keycap-numbered digest items, mirror pages,
text from PDFs (small texts of our own)."""

from __future__ import annotations

from assistant.ingest.ingestor import parse_document
from assistant.ingest.parsing import html_to_text, parse_text
from assistant.ingest.sources import read_source
from assistant.text.normalise import normalise


def parse(text: str, source: str = "page.txt"):
    return parse_text(text, source=source, briefing_id="b", content_hash="h")


def titles(b) -> list[tuple[str, str]]:
    return [(s.kind, s.title) for s in b.sections]


MARKDOWN = """# Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, October 14, 2020

## Table of contents

1. Talks with the ministers of the region
2. Return of citizens from abroad

**Answers to media questions:**

- A journalist detained abroad

---

## Talks with the ministers of the region

On October 16, the Minister will **take part** in a videoconference with ten ministers of the region.

## Return of citizens from abroad

On October 10, a special flight brought home 212 citizens.

## Answers to media questions

### A journalist detained abroad

**Question:** Can you comment on the detention of our correspondent?

**Maria Zakharova:** He was detained on October 9, and we expect his release.
"""


def test_a_markdown_transcript_is_read_as_the_page_it_renders(tmp_path):
    path = tmp_path / "2020-10-14-briefing.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = read_source(path, 10_000_000)
    assert doc.is_html
    b = parse_document(doc, "b")
    assert (b.date, b.speaker, b.place) == ("2020-10-14", "Maria Zakharova", "Moscow")
    assert titles(b) == [("statement", "Talks with the ministers of the region"),
                         ("statement", "Return of citizens from abroad"),
                         ("media_question", "A journalist detained abroad")]
    assert "**" not in b.text and "#" not in b.text
    assert b.sections[2].exchanges[0].answer.startswith("He was detained on October 9")


def test_the_place_and_date_on_the_line_under_the_header():
    b = parse("Briefing by Foreign Ministry Spokeswoman Maria Zakharova\nMoscow, Wednesday, 14 February 2024\n\n"
              "Table of contents\n\n1. Evacuation from the island\n\nEvacuation from the island\n\n"
              "Thirty-eight citizens were evacuated by air on February 10.\n")
    assert (b.date, b.speaker, b.place) == ("2024-02-14", "Maria Zakharova", "Moscow")
    assert [s.title for s in b.sections] == ["Evacuation from the island"]


def test_a_day_first_numeric_date_in_the_header():
    b = parse("Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, 21.09.2022\n\n"
              "Contents:\n\n1) Demining in the region\n\nDemining in the region\n\n"
              "Our specialists cleared 120 hectares this summer.\n", source="page.txt")
    assert (b.date, b.place) == ("2022-09-21", "Moscow")


def test_keycap_numbers_open_numbered_lines():
    assert normalise("1\ufe0f\u20e3 Floods: help to tourists\n") == "1. Floods: help to tourists\n"
    rule = "\u2501" * 16
    b = parse(f"Weekly briefing | 18 June 2025\n\nIn brief:\n1\ufe0f\u20e3 Economic forum: foreign guests\n"
              f"2\ufe0f\u20e3 Floods on the coast: help to tourists\n\n{rule}\n\n"
              f"1\ufe0f\u20e3 Economic forum: foreign guests\n\n\u2014 More than 21,000 participants registered.\n\n"
              f"{rule}\n\n2\ufe0f\u20e3 Floods on the coast: help to tourists\n\n"
              "\u2014 Our embassy moved 64 tourists to the capital.\n", source="2025-06-18-digest.txt")
    assert [s.title for s in b.sections] == ["Economic forum: foreign guests", "Floods on the coast: help to tourists"]


MIRROR = """Diplomacy Mirror — an archive of official statements
Home · Briefings · Documents · About

Foreign Ministry Spokeswoman Maria Zakharova’s weekly briefing (Moscow)

Posted: 27/05/2020 · Views: 1 204

1. Return of citizens from abroad

On May 25, two special flights brought home 618 citizens from the region.

2. Doctors in the mountains

On May 20, a team of 11 military doctors arrived with 30 ventilators.

Read also:
» Another interview

3 comments
Leave a reply — your email address will not be published.
"""


def test_a_mirror_page_with_a_possessive_header_numbered_headings_and_a_footer():
    b = parse(MIRROR, source="mirror-copy.txt")
    assert (b.date, b.speaker, b.place) == ("2020-05-27", "Maria Zakharova", "Moscow")
    assert [s.title for s in b.sections] == ["Return of citizens from abroad", "Doctors in the mountains"]
    assert b.text[b.sections[-1].start:b.sections[-1].end].rstrip().endswith("30 ventilators.")


def test_a_follow_up_question_is_a_second_exchange():
    b = parse("Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, March 5, 2020\n\n"
              "Assistance to citizens abroad\n\n"
              "Since February 1, our embassies have received over 9,400 requests from citizens.\n\n"
              "Answers to media questions:\n\nVisit to Finland\n\n"
              "Question: When will the Minister go to Helsinki?\n\nMaria Zakharova: On March 10.\n\n"
              "Follow-up question: Whom will he meet?\n\nMaria Zakharova: The President and the Minister.\n")
    assert [s.title for s in b.sections] == ["Assistance to citizens abroad", "Visit to Finland"]
    assert [e.question for e in b.sections[1].exchanges] == ["When will the Minister go to Helsinki?",
                                                             "Whom will he meet?"]


def test_an_inline_read_also_link_between_sections_does_not_end_the_page():
    b = parse("Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow,September 9, 2021\n\n"
              "Voting abroad\n\nCitizens abroad will vote at 359 polling stations in 144 countries.\n\n"
              "Read also: Lavrov on the prospects of the dialogue\n\n"
              "Evacuation from the capital\n\nFour aircraft evacuated 384 people to Russia.\n")
    assert [s.title for s in b.sections] == ["Voting abroad", "Evacuation from the capital"]


WRAPPED_LINE = "The ministers will review the agreements reached during the visit of"


def test_a_hard_wrapped_text_from_a_pdf_is_joined_into_paragraphs():
    paragraph = "\n".join([WRAPPED_LINE, "the President to Russia in August and the delivery of 200 trucks and",
                           "the training of geologists at Russian universities."])
    pages = "\n\n".join(["1. Talks with the Foreign Minister of a friendly country in the south", paragraph] * 6)
    text = normalise(pages.replace("the training", "the\n\nBriefing, 20 June 2019        Page 1 of 3\n\ntraining", 1))
    assert f"{WRAPPED_LINE} the President to Russia" in text and "Page 1 of 3" not in text
    assert "200 trucks and the training of geologists" in text
    assert "1. Talks with the Foreign Minister of a friendly country in the south\n\n" in text


def test_a_text_with_one_paragraph_per_line_is_left_as_it_is():
    text = f"Talks with the minister\n\n{WRAPPED_LINE * 3}.\nQuestion: When?\n"
    assert normalise(text) == text


UNTITLED_QUESTIONS = ("Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, October 7, 2020\n\n"
                      "Table of contents\n\nHelp to citizens in Cyprus\n\nAnswers to media questions:\n\n"
                      "Help to citizens in Cyprus\n\nTwo families were moved from the flooded village to Larnaca.\n\n"
                      "Answers to media questions:\n\n"
                      "Question (Izvestia): Will the consulate in Limassol reopen soon?\n\n"
                      "Maria Zakharova: It will reopen on Monday.\n\n"
                      "Question (RBC): Are flights to Baku still suspended?\n\n"
                      "Maria Zakharova: Yes, until further notice.\n\n"
                      "Question: When will the festival in Minsk start?\n\n"
                      "Maria Zakharova: On November 2.\n\n"
                      "Question: And who will open it?\n\n"
                      "Maria Zakharova: The two ministers of culture.\n")


def test_untitled_media_questions_are_separate_unless_they_read_as_follow_ups():
    """No title for any media question: a short question is not thereby a follow-up; another
    outlet asking is never one; "And …" still is."""
    b = parse(UNTITLED_QUESTIONS)
    media = [s for s in b.sections if s.kind == "media_question"]
    assert [s.title for s in media] == ["Will the consulate in Limassol reopen soon?",
                                        "Are flights to Baku still suspended?",
                                        "When will the festival in Minsk start?"]
    assert [e.question for e in media[-1].exchanges] == ["When will the festival in Minsk start?",
                                                          "And who will open it?"]


def test_another_outlet_is_never_a_follow_up_even_when_the_contents_title_the_questions():
    text = UNTITLED_QUESTIONS.replace("Answers to media questions:\n\nHelp", "Answers to media questions:\n"
                                      "Reopening of the consulate in Limassol\n\nHelp", 1)
    media = [s for s in parse(text).sections if s.kind == "media_question"]
    assert [s.title for s in media][:2] == ["Reopening of the consulate in Limassol",
                                            "Are flights to Baku still suspended?"]


def test_an_answer_with_no_label_starts_after_the_question():
    """"Question:" with the spokesperson's answer in the next paragraphs, unlabelled: the question
    runs to its paragraph ending with "?" (its first paragraph when none does)."""
    head = "Briefing by Foreign Ministry Spokesperson Anna Example, Portville, March 5, 2020\n\n"
    b = parse(head + "Answers to media questions:\n\nClimbers missing in the mountains\n\n"
              "Question: Two climbers have been missing since March 8. Their relatives say no helicopter flew.\n\n"
              "Why was the search delayed?\n\n"
              "The search was suspended from March 10 to 13. This was due to a heavy snowstorm.\n\n"
              "We continue to hope for a good outcome.\n\n"
              "Border crossings\n\n"
              "Question: Please comment on the queues at the border.\n\n"
              "About 1,200 lorries are waiting. The carriers lose money every day.\n")
    climbers, border = (s.exchanges[0] for s in b.sections)
    assert climbers.question.endswith("Why was the search delayed?")
    assert climbers.answer.startswith("The search was suspended") and climbers.answer.endswith("good outcome.")
    assert border.question == "Please comment on the queues at the border."
    assert border.answer == "About 1,200 lorries are waiting. The carriers lose money every day."


def test_an_unlabelled_answer_is_read_by_paragraphs():
    head = "Briefing by Foreign Ministry Spokesperson Anna Example, Portville, March 5, 2020\n\n"
    wrapped = parse(head + "Answers to media questions:\n\nBorder crossings\n\n"
                    "Question: Please comment on the queues at the\nborder crossing near Portville.\n\n"
                    "About 1,200 lorries are waiting.\n")
    [ex] = wrapped.sections[0].exchanges
    assert ex.question.endswith("near Portville.") and ex.answer == "About 1,200 lorries are waiting."
    unanswered = parse(head + "Answers to media questions:\n\nClimbers\n\n"
                       "Question: Two climbers have been missing since March 8.\n\nWhy was the search delayed?\n")
    [ex] = unanswered.sections[0].exchanges
    assert ex.question.endswith("Why was the search delayed?") and not ex.answer  # no reply is made up
