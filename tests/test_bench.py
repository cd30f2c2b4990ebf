"""The ``bench`` command: synthetic briefings and a tiny end-to-end run with the hashing embedder."""

from __future__ import annotations

import json
import random
from collections import Counter

import numpy as np
import pytest

from assistant.tools.bench import QUESTIONS, run_bench
from assistant.tools.bench.measure import torch_fp32_reference
from assistant.tools.bench.reuse import ReusingEmbedder
from assistant.tools.bench.results import Percentiles
from assistant.tools.eval import _p as eval_percentile
from assistant.tools.stats import percentile
from assistant.store.embedding import MODEL_NAME, MiniLMEmbedder
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


def test_percentile_interpolates_linearly_between_ranks():
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([4, 1, 3, 2], 50) == 2.5  # even count: the mean of the middle two, whatever the order
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)  # h = 3 * 0.95 = 2.85 -> 3 + 0.85 * (4 - 3)
    assert percentile([15, 20, 35, 40, 50], 40) == pytest.approx(29.0)  # h = 1.6 -> 20 + 0.6 * (35 - 20)
    assert percentile(iter([3, 1, 2]), 50) == 2.0
    with pytest.raises(ValueError):
        percentile([1, 2], 150)


def test_bench_and_eval_share_the_percentile():
    values = [12.0, 10.0, 30.0, 20.0]
    assert Percentiles.of(values) == Percentiles(p50=16.0, p95=28.5)  # sorted: 10 12 20 30
    assert Percentiles.of([0.0123456], digits=3) == Percentiles(p50=0.012, p95=0.012)
    assert eval_percentile(values, 0.5) == 16.0 and eval_percentile(values, 0.95) == 28.5
    assert eval_percentile([], 0.5) is None
    empty = Percentiles.of([])
    assert empty.p50 != empty.p50 and empty.p95 != empty.p95  # NaN (None in the JSON)


def test_torch_fp32_reference_is_the_torch_model():
    torch_model = MiniLMEmbedder()
    assert torch_fp32_reference(torch_model) is torch_model
    other = torch_fp32_reference(HashEmbedder(), threads=1)
    assert isinstance(other, MiniLMEmbedder) and other.name == MODEL_NAME
    assert other._model is None  # loaded only when the bench first uses it


def test_bench_end_to_end_with_the_hashing_embedder(settings, tmp_path):
    json_out, plot_out = tmp_path / "out" / "bench.json", tmp_path / "out" / "bench.png"
    work = tmp_path / "work"
    work.mkdir()
    embedder, reference = HashEmbedder(), HashEmbedder()
    result = run_bench(settings, [2, 1, 2], json_out=json_out, plot_out=plot_out, show_progress=False,
                       embedder=embedder, torch_fp32=reference, cold_start_run=False, work_dir=work)

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
    # the reference encoded each step's new chunks once, and nothing else (warm-up: one text)
    assert reference.encoded == 1 + sum(s["torch_fp32_chunks"] for s in steps)
    for s in steps:
        assert s["ingest_seconds"] > 0 and s["chunks_per_s"] > 0
        assert s["torch_fp32_chunks"] == s["embedded"] and s["torch_fp32_chunks_per_s"] > 0
        assert s["ingest_vs_torch_fp32"] == pytest.approx(s["chunks_per_s"] / s["torch_fp32_chunks_per_s"],
                                                          rel=0.02, abs=1e-3)
        assert 0 < s["retrieval_ms"]["p50"] <= s["retrieval_ms"]["p95"]
        # the query embedding is part of each search
        assert 0 < s["query_embed_ms"]["p50"] <= s["query_embed_ms"]["p95"] <= s["retrieval_ms"]["p95"] + 0.01
        assert set(s["retrieval_parts_ms"]) == {"embed_query", "dense", "bm25"}
        assert s["answer_ms"]["p50"] > 0
        assert s["abstained"] == len(QUESTIONS) or s["answered_ms"]["p50"] > 0
        assert s["index_mb"] > 0 and s["rss_mb"] > 50
        assert s["ingest_errors"] == []
        assert s["abstained"] < len(QUESTIONS)
        assert "raw_encode_chunks_per_s" not in s
    assert steps[1]["index_mb"] > steps[0]["index_mb"]
    assert "cold_start_s" in result and result["cold_start_s"] is None and result["cold_start"] is None
    assert result["machine"]["cpus"] >= 1 and result["machine"]["embedder"] == "hash-embedder"
    assert result["machine"]["torch_fp32_embedder"] == "hash-embedder"
    assert "synthetic" in result["notes"] and "torch fp32" in result["notes"]
    assert "query_embed_ms" in result["notes"] and "Cold start skipped" in result["notes"]


@pytest.mark.model
def test_bench_with_the_real_model_measures_the_cold_start(settings, tmp_path):
    """The torch fp32 model is its own reference, and the cold start runs."""
    settings = settings.replace(embedding_runtime="torch-fp32")
    result = run_bench(settings, [1], show_progress=False, questions=QUESTIONS[:3], work_dir=tmp_path)
    (step,) = result["steps"]
    assert result["machine"]["embedder"] == result["machine"]["torch_fp32_embedder"] == MODEL_NAME
    assert step["torch_fp32_chunks"] == step["embedded"] > 0 and step["torch_fp32_chunks_per_s"] > 0
    assert 0 < step["query_embed_ms"]["p50"] <= step["query_embed_ms"]["p95"]
    cold = result["cold_start"]
    assert cold["error"] is None and cold["briefings"] == 1
    assert 0 < result["cold_start_s"] == cold["seconds_to_answer"] <= cold["seconds_to_exit"]
    assert cold["answer_total_ms"] > 0 and cold["rss_mb"] > 100
    assert "cold_start_s" in result["notes"]


def test_bench_keeps_its_folder_on_request(settings, tmp_path):
    run_bench(settings, [1], show_progress=False, embedder=HashEmbedder(), torch_fp32=HashEmbedder(),
              cold_start_run=False, keep_dir=True, work_dir=tmp_path)
    (kept,) = tmp_path.iterdir()
    index = Index(settings.replace(**{"index_dir": kept / "index"}), HashEmbedder())
    (entry,) = index.briefings()
    assert "[synthetic #1]" in entry.title


def test_bench_rejects_bad_sizes(settings):
    with pytest.raises(ValueError):
        run_bench(settings, [0, 5], show_progress=False, embedder=HashEmbedder(), cold_start_run=False)


def test_past_the_real_embedding_limit_chunks_get_copies_of_real_vectors():
    inner = HashEmbedder()
    reusing = ReusingEmbedder(inner, limit=3)
    texts = ["Lavrov met the OSCE chairperson", "grain deal extended", "passports issued in Kabul",
             "Black Sea exercises", "Nicaragua election results"]
    first = reusing.encode(texts[:2])
    both = reusing.encode(texts[2:])
    assert inner.encoded == 3 and reusing.real == 3 and reusing.copied == 2
    assert np.allclose(both[0], inner.encode([texts[2]])[0])  # within the limit: the model's own vector
    pool = np.vstack([first, both[:1]])
    for row in both[1:]:
        assert np.isclose(pool @ row, 1.0).any()  # a copy of one of the real vectors
    assert np.array_equal(reusing.encode(texts[3:4]), both[1:2])  # the same text gets the same copy
    assert reusing.variant == "hash-embedder"


def test_bench_with_a_real_embedding_limit_reports_which_steps_copied(settings, tmp_path):
    result = run_bench(settings, [1, 2], show_progress=False, embedder=HashEmbedder(), torch_fp32=HashEmbedder(),
                       cold_start_run=False, work_dir=tmp_path, real_embed_limit=10)
    first, second = result["steps"]
    assert first["copied_vectors"] == first["chunks"] - 10 and first["chunks_per_s"] is None
    assert second["copied_vectors"] == second["embedded"] and second["chunks_per_s"] is None
    assert second["retrieval_ms"]["p50"] > 0 and second["torch_fp32_chunks_per_s"] > 0
    assert result["corpus"]["chunks_embedded_for_real"] == 10
    assert "Real-embedding limit 10 chunks" in result["notes"]


@pytest.mark.server
def test_bench_against_a_chroma_server_uses_and_deletes_a_collection_of_its_own(settings, tmp_path, chroma_server):
    import chromadb

    client = chromadb.HttpClient(host=chroma_server.host, port=chroma_server.port)
    other = client.create_collection(settings.store.collection)  # the user's collection on that server
    other.add(ids=["kept"], embeddings=[[0.5] * HashEmbedder().dim], metadatas=[{"briefing_id": "x"}])
    (tmp_path / "work").mkdir()
    result = run_bench(settings, [1, 2], show_progress=False, embedder=HashEmbedder(), torch_fp32=HashEmbedder(),
                       cold_start_run=False, work_dir=tmp_path / "work", chroma_host=chroma_server.host,
                       chroma_port=chroma_server.port)
    assert result["machine"]["vector_store"] == f"chroma server {chroma_server.host}:{chroma_server.port}"
    collection = result["corpus"]["collection"]
    assert collection.startswith("bench-") and collection != settings.store.collection
    first, second = result["steps"]
    assert 0 < first["chunks"] < second["chunks"] and second["retrieval_ms"]["p50"] > 0
    assert second["chroma_server_rss_mb"] > 0 and "deleted at the end" in result["notes"]
    assert [c.name for c in client.list_collections()] == [settings.store.collection]  # the bench's is gone
    assert other.get(include=[])["ids"] == ["kept"]  # and nothing else was touched
    assert list((tmp_path / "work").iterdir()) == [] and not settings.store.index_dir.exists()
