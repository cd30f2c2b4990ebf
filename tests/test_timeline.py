"""Timeline entries: each quotes a briefing's best sentence on the topic and the sentence after it
when the same speaker goes on; a table-of-contents line stays alone (the next line is another
topic); every quote is the exact span it cites."""

from __future__ import annotations

from assistant.answer.assistant import Assistant
from assistant.answer.citations import disagreements
from assistant.ingest.ingestor import Ingestor

from .conftest import DATA

GRAIN = ("2023-03-15-briefing-zakharova.txt", "2023-05-17-briefing-zakharova.txt",
         "2023-07-19-briefing-zakharova.txt")


def test_entries_quote_two_sentences_of_one_turn_and_a_contents_line_alone(settings, embedder, index):
    report = Ingestor(index, settings).ingest([DATA / "archive" / name for name in GRAIN], show_progress=False)
    assert report.ok, report.failed
    answer = Assistant(settings, embedder=embedder, index=index).ask(
        "How did the Black Sea Grain Initiative evolve in 2023?", mode="extractive")
    kinds = {}
    for e in answer.timeline:
        c = e.citation
        briefing = index.briefing(c.ref.briefing_id)
        section = briefing.sections[c.ref.section_index]
        kinds[section.kind] = e
        assert briefing.text[c.start:c.end] == c.quote  # the quote is the span it cites
        starts = [a for a, _ in section.sentences]
        assert c.start in starts
        following = [a for a in starts if c.start < a < c.end]
        if section.kind == "contents":
            assert following == [] and "\n" not in c.quote
        elif starts.index(c.start) + 1 < len(starts):
            assert len(following) == 1 and section.label_end(following[0]) == following[0]
    assert {"contents", "statement"} <= set(kinds), answer.text
    assert disagreements(answer.text, answer.citations) == []  # «two sentences» [n] is one copied claim
