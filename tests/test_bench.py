"""The ``bench`` command: synthetic briefings and a tiny end-to-end run with the hashing embedder."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from assistant.tools.bench import QUESTIONS, run_bench
from assistant.tools.synthetic import Perturber, load_template, shuffle_sentences, synthetic_briefing, write_synthetic
from assistant.ingest.chunking import chunk_briefing
from assistant.config import Settings
from assistant.store.index import Index
from assistant.ingest.ingestor import parse_file

from .fakes import HashEmbedder

N = 12


def _settings() -> Settings:
    return Settings(_env_file=None)


@pytest.fixture(scope="module")
def template():
    return load_template(_settings())


@pytest.fixture(scope="module")
def parsed(template, tmp_path_factory):
    """N synthetic briefings written as files and read back with the real reader and parser."""
    folder = tmp_path_factory.mktemp("synthetic")
    paths = write_synthetic(template, range(1, N + 1), folder)
    return [(synthetic_briefing(template, n), parse_file(p, _settings())) for n, p in zip(range(1, N + 1), paths)]


def test_synthetic_briefings_parse_with_the_expected_structure(parsed):
    for synthetic, b in parsed:
        assert f"[synthetic #{synthetic.number}]" in b.title
        assert b.date == synthetic.date.isoformat()
        assert b.speaker == "Maria Zakharova" and b.place == "Moscow"
        kinds = Counter(s.kind for s in b.sections)
        assert kinds["statement"] == len(synthetic.statement_titles) > 0
        assert kinds["media_question"] == len(synthetic.media_titles) > 0
        # every section was found under its table-of-contents title, in the order of the table
        assert all(s.title_from_toc for s in b.sections)
        assert [s.title for s in b.sections] == [*synthetic.statement_titles, *synthetic.media_titles]
        assert all(s.exchanges for s in b.sections if s.kind == "media_question")


def test_synthetic_briefings_differ_from_each_other(parsed, template):
    dates = [b.date for _, b in parsed]
    assert len(set(dates)) == len(dates)
    layouts = {(s.statement_titles, s.media_titles) for s, _ in parsed}
    assert len(layouts) == len(parsed)  # sections dropped and reordered differently
    chunks = [c for _, b in parsed for c in chunk_briefing(b)]
    assert len({c.id for c in chunks}) == len(chunks)
    # not only the ids (they include the briefing id and date): the embedded texts differ too
    texts = Counter(c.embed_text for c in chunks)
    assert len(texts) >= 0.97 * len(chunks)
    sample_texts = {c.embed_text for c in chunk_briefing(parse_file(template.source, _settings()))}
    assert len(sample_texts & set(texts)) <= 0.05 * len(chunks)


def test_synthetic_briefings_are_deterministic(template):
    a = synthetic_briefing(template, 7)
    assert synthetic_briefing(template, 7) == a
    assert synthetic_briefing(template, 7, seed=1).text != a.text
    assert synthetic_briefing(template, 8).text != a.text


def test_perturber_is_consistent_and_keeps_codes(template):
    p = Perturber("t", template.date.replace(year=2019, month=3), template.date)
    text = "On November 12, 2021, COVID-19 talks in the 2+2 format in Paris; the 21st session."
    out = p(text)
    assert p(text) == out  # the same text always gets the same rewrite (titles stay aligned)
    assert "COVID-19" in out and "2+2" in out
    assert "2019" in out and "March" in out and "November" not in out
    assert p.number("21", "st") in out and p.number("21", "st").endswith(("st", "nd", "rd", "th"))
    assert p.number("2021", None) == "2019"


def test_shuffle_keeps_the_speaker_label_in_front():
    sentences = ["We are against escalation.", "We urge dialogue.", "This is our position.", "Nothing else."]
    para = "Maria Zakharova: " + " ".join(sentences)
    for seed in range(5):
        out = shuffle_sentences(para, random.Random(seed), drop_one=True, marker_rate=0)
        assert out.startswith("Maria Zakharova: ")
        kept = out.removeprefix("Maria Zakharova: ")
        assert sum(x in kept for x in sentences) == 3
        assert len(kept) == len(" ".join(sentences)) - len(next(x for x in sentences if x not in kept)) - 1
    assert shuffle_sentences("Back to top", random.Random(0), drop_one=True) == "Back to top"


def test_questions_are_about_the_sample():
    assert len(QUESTIONS) >= 20
    assert QUESTIONS[0] == "Who convened the Paris conference on Libya?"


def test_bench_end_to_end_with_the_hashing_embedder(settings, tmp_path):
    json_out, plot_out = tmp_path / "out" / "bench.json", tmp_path / "out" / "bench.png"
    work = tmp_path / "work"
    work.mkdir()
    embedder = HashEmbedder()
    result = run_bench(settings, [2, 1, 2], json_out=json_out, plot_out=plot_out, show_progress=False,
                       embedder=embedder, cold_start_run=False, work_dir=work)

    assert result["sizes"] == [1, 2]
    assert json.loads(json_out.read_text()) == result
    assert plot_out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(work.iterdir()) == []  # the temporary corpus and index are gone
    assert not settings.store.index_dir.exists()  # the user's index was never touched
    steps = result["steps"]
    assert [s["briefings"] for s in steps] == [1, 2]
    assert 0 < steps[0]["chunks"] < steps[1]["chunks"]
    assert steps[0]["embedded"] == steps[0]["chunks"]  # every chunk of a new briefing is embedded
    assert steps[0]["embedded"] + steps[1]["embedded"] == steps[1]["chunks"]
    assert embedder.encoded >= steps[1]["chunks"]
    for s in steps:
        assert s["ingest_seconds"] > 0 and s["chunks_per_s"] > 0
        assert s["raw_encode_chunks"] == s["embedded"] and s["raw_encode_chunks_per_s"] > 0
        assert s["ingest_vs_raw"] == pytest.approx(s["chunks_per_s"] / s["raw_encode_chunks_per_s"], rel=0.02, abs=1e-3)
        assert 0 < s["retrieval_ms"]["p50"] <= s["retrieval_ms"]["p95"]
        assert s["answer_ms"]["p50"] > 0
        assert s["abstained"] == len(QUESTIONS) or s["answered_ms"]["p50"] > 0
        assert s["index_mb"] > 0 and s["rss_mb"] > 50
        assert s["ingest_errors"] == []
        assert s["abstained"] < len(QUESTIONS)
    assert steps[1]["index_mb"] > steps[0]["index_mb"]
    assert result["cold_start_s"] is None
    assert result["machine"]["cpus"] >= 1 and result["machine"]["embedder"] == "hash-embedder"
    assert "synthetic" in result["notes"]


def test_bench_keeps_its_folder_on_request(settings, tmp_path):
    run_bench(settings, [1], show_progress=False, embedder=HashEmbedder(), cold_start_run=False,
              keep_dir=True, work_dir=tmp_path)
    (kept,) = tmp_path.iterdir()
    index = Index(settings.replace(**{"index_dir": kept / "index"}), HashEmbedder())
    (entry,) = index.briefings()
    assert "[synthetic #1]" in entry.title


def test_bench_rejects_bad_sizes(settings):
    with pytest.raises(ValueError):
        run_bench(settings, [0, 5], show_progress=False, embedder=HashEmbedder(), cold_start_run=False)
