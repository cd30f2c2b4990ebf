"""One briefing, several copies (tests/data/copies/): the official page, a mirror site's copy and a
digest post of the briefing of 5 June 2024 are one briefing with three versions, the official
transcript first; a search returns each passage once, from the official transcript; answers and
timelines cite it. Another official's briefing of the same day stays a briefing of its own."""

from __future__ import annotations

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.retrieval import Retriever
from assistant.ingest.ingestor import Ingestor
from assistant.models import Filters, SectionHit
from assistant.store.index import Index
from assistant.store.registry import RegistryEntry
from assistant.store.versions import group_versions

from .conftest import DATA, indexed
from .fakes import EvidenceEchoChat

COPIES = DATA / "copies"
OFFICIAL = "2024-06-05-briefing-zakharova"
MIRROR = "2024-06-05-briefing-zakharova-mirror"
DIGEST = "2024-06-05-digest-zakharova"
OTHER = "2024-06-05-briefing-zaitsev"
# one question per passage the three copies share (the digest in its own words)
SHARED = (
    "freight trains border crossings Naushki station Mongolia",
    "How many Russian tourists did the Consulate General in Phuket help to leave the flooded areas?",
    "open readings film screenings language quizzes at embassies on June 6",
    "ships with free grain for Eritrea and the Central African Republic, tonnes of wheat",
)


@pytest.fixture
def copies_index(settings, embedder) -> Index:
    return indexed(settings, embedder, COPIES)


def _sections(settings, embedder, index, query, filters=None):
    return Retriever(index, embedder, settings).search(query, filters, k=8).sections


def test_copies_are_one_briefing_with_versions(copies_index):
    groups = {g.key: [e.briefing_id for e in g.versions] for g in copies_index.versions()}
    assert groups == {"2024-06-05 zakharova": [OFFICIAL, MIRROR, DIGEST], OTHER: [OTHER]}
    layouts = {e.briefing_id: e.layout for e in copies_index.briefings()}
    assert layouts == {OFFICIAL: "contents", MIRROR: "headings", DIGEST: "digest", OTHER: "contents"}


def _entry(bid: str, layout: str, speaker: str | None = "Anna Example", date: str | None = "2023-05-05",
           **kw) -> RegistryEntry:
    return RegistryEntry(briefing_id=bid, path=bid, content_hash=bid, pipeline="p", chunk_count=1, ingested_at="t",
                         date=date, title=bid, section_count=1, doc_file=bid, speaker=speaker, layout=layout, **kw)


def test_the_official_version_is_decided_by_structure():
    entries = [_entry("d", "digest"), _entry("h", "headings"), _entry("t", "text"),
               _entry("c", "contents", cut_short=True), _entry("a", "contents", speaker="A. Example")]
    [group] = group_versions(entries)
    # a complete page before a cut-short one; contents > headings only > no headings > digest
    assert [e.briefing_id for e in group.versions] == ["a", "h", "t", "d", "c"] and group.official.briefing_id == "a"


def test_copies_need_the_same_date_and_speaker():
    entries = [_entry("a", "contents"), _entry("b", "headings", speaker="Ivan Other"),
               _entry("c", "digest", speaker=None), _entry("d", "headings", date="2023-05-06"),
               _entry("e", "headings", synthetic=True), _entry("f", "headings", date=None)]
    groups = sorted(sorted(e.briefing_id for e in g.versions) for g in group_versions(entries))
    # a version without a speaker joins only when the date has a single speaker: here it has two
    assert groups == [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]
    groups = sorted(sorted(e.briefing_id for e in g.versions) for g in group_versions(entries[:1] + entries[2:3]))
    assert groups == [["a", "c"]]


def test_search_returns_each_shared_passage_once_from_the_official_transcript(copies_index, settings, embedder):
    for query in SHARED:
        sections = _sections(settings, embedder, copies_index, query)
        ids = [s.ref.briefing_id for s in sections]
        assert ids[0] == OFFICIAL, (query, ids)
        from_copies = [s.ref.section_title for s in sections if s.ref.briefing_id in (MIRROR, DIGEST)]
        assert from_copies in ([], ["NextBriefing"]), (query, from_copies)  # only what the official lacks
        keys = [(s.ref.briefing_id, s.ref.section_index) for s in sections]
        assert len(keys) == len(set(keys))


def test_without_folding_the_copies_return_the_same_passage_again(copies_index, settings, embedder):
    """What the folding prevents: the mirror's verbatim copy found next to the official one."""
    unfolded = settings.replace(fold_copies=False)
    ids = [s.ref.briefing_id for s in _sections(unfolded, embedder, copies_index, SHARED[1])]
    assert OFFICIAL in ids and MIRROR in ids


def test_a_passage_only_a_copy_has_is_kept(copies_index, settings, embedder):
    sections = _sections(settings, embedder, copies_index, "next briefing St Petersburg International Economic Forum")
    assert (sections[0].ref.briefing_id, sections[0].ref.section_title) == (DIGEST, "NextBriefing")


def test_a_copy_asked_for_by_the_filters_answers_for_itself(copies_index, settings, embedder):
    sections = _sections(settings, embedder, copies_index, SHARED[1], Filters(briefing_ids=(MIRROR,)))
    assert sections and {s.ref.briefing_id for s in sections} == {MIRROR}
    assert sections[0].ref.section_title == "Floods in Thailand"


def test_answers_and_timelines_cite_the_official_transcript(copies_index, settings, embedder):
    assistant = Assistant(settings, embedder=embedder, index=copies_index,
                          chat_models={"local": EvidenceEchoChat(), "openai": EvidenceEchoChat()})
    answer = assistant.ask(SHARED[1], mode="extractive")
    assert not answer.abstained and "340" in answer.text
    assert answer.citations[0].ref.briefing_id == OFFICIAL
    assert {c.ref.briefing_id for c in answer.citations} == {OFFICIAL}
    entries = assistant.timeline("freight trains at the Naushki station")
    assert [e.citation.ref.briefing_id for e in entries] == [OFFICIAL]
    assert "Naushki" in entries[0].citation.quote


def test_versions_that_differ_in_a_name_or_a_number_are_not_one_passage(settings, embedder, tmp_path):
    """Same date and speaker, the same words but another place or count: two passages."""
    folder = tmp_path / "pages"
    folder.mkdir()
    official = (COPIES / f"{OFFICIAL}.txt").read_text(encoding="utf-8")
    mirror = (COPIES / f"{MIRROR}.txt").read_text(encoding="utf-8")
    (folder / f"{OFFICIAL}.txt").write_text(official, encoding="utf-8")
    (folder / f"{MIRROR}.txt").write_text(mirror.replace("Phuket", "Krabi").replace("80 countries", "90 countries"),
                                          encoding="utf-8")
    index = Index(settings, embedder)
    assert Ingestor(index, settings).ingest([folder], show_progress=False).ok
    for query, title in (("Consulate General in Krabi helped Russian tourists", "Floods in Thailand"),
                         ("embassies in more than 90 countries open readings", "Russian Language Day")):
        refs = [(s.ref.briefing_id, s.ref.section_title) for s in _sections(settings, embedder, index, query)]
        assert refs[0] == (MIRROR, title), refs
    same = [(s.ref.briefing_id, s.ref.section_title) for s in _sections(settings, embedder, index, SHARED[0])]
    assert same[0][0] == OFFICIAL and all(bid != MIRROR or t != "Talks with Mongolia" for bid, t in same)


def test_a_timeline_keeps_copies_once_and_two_officials_of_one_day_apart(copies_index, settings, embedder):
    from assistant.answer.timeline import Timeline

    timeline = Timeline(copies_index, None, None, settings)
    ids = [e.briefing_id for e in copies_index.briefings() if e.date == "2024-06-05"]
    refs = [copies_index.section_ref(i, 0) for i in ids]
    hits = [SectionHit(ref=r, score=1.0 + n / 10, dense=0.5, bm25=1.0, chunks=()) for n, r in enumerate(refs)]
    kept = timeline._per_briefing(hits)
    groups = {copies_index.copies()[i].key if i in copies_index.copies() else i for i in ids}
    assert len(ids) == 4 and len(groups) == 2  # three copies of one briefing and another official's
    assert len(kept) == 2 and {h.ref.briefing_id for h in kept} <= set(ids)
