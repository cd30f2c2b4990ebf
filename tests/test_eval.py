"""Evaluation: QA file loading and its errors, gold matching, the metrics of ``evaluate`` on the
fake pipeline, the Markdown report and the ``eval`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.tools import cli
from assistant.answer.assistant import Assistant
from assistant.errors import QAFileError
from assistant.tools.eval import QAItem, evaluate, failures, is_gold, keyword_hit, load_qa, to_markdown

from .conftest import DATA

NICARAGUA = {"id": "n1", "question": "Which party won most seats in Nicaragua's parliamentary election?",
             "answerable": True, "briefing_date": "2021-11-10", "sections": ["Nicaragua election results"],
             "answer_keywords": [["Sandinista"]]}
WHITNEY = {"id": "w1", "question": "When did the USS Mount Whitney enter the Black Sea?", "answerable": True,
           "briefing_date": "2021-11-10", "sections": ["Developments in southeastern Ukraine"],
           "answer_keywords": [["November 4", "4 November"]]}
WRONG_KEYWORDS = {"id": "p1", "question": "When did the Philippines approve Sputnik Light?", "answerable": True,
                  "briefing_date": "2021-11-10", "sections": ["Joint Russia-Philippines COVID-19 response effort"],
                  "answer_keywords": [["Kazakhstan"]]}
VENEZUELA = {"id": "v1", "question": "What did the spokeswoman say about the elections in Venezuela?",
             "answerable": False, "briefing_date": None, "sections": [], "answer_keywords": []}

RETRIEVAL_KEYS = {"recall@1", "recall@3", "recall@5", "mrr"}
ANSWER_KEYS = {"keyword_accuracy", "lead_accuracy", "citation_precision", "citation_coverage", "abstention_recall",
               "false_abstention_rate", "inconsistent_sentences"}
LATENCY_KEYS = {"retrieval_p50", "answer_p50", "answer_p95", "ttft_p50"}


def write_qa(path: Path, *items, raw: list[str] | None = None) -> Path:
    lines = [json.dumps(i, ensure_ascii=False) for i in items] + (raw or [])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- load_qa


@pytest.mark.parametrize("name", ["holdout_qa.jsonl", "test_qa.jsonl"])
def test_load_qa_reads_the_bundled_qa_sets(name):
    items = load_qa(DATA / name)
    assert len(items) >= 40
    assert len({i.id for i in items}) == len(items)
    assert all(i.sections for i in items if i.answerable)
    assert any(not i.answerable for i in items)


def test_load_qa_good_file_with_blank_lines(tmp_path):
    p = tmp_path / "qa.jsonl"
    p.write_text(json.dumps(NICARAGUA) + "\n\n" + json.dumps(VENEZUELA) + "\n   \n", encoding="utf-8")
    items = load_qa(p)
    assert [i.id for i in items] == ["n1", "v1"]
    assert items[0].answer_keywords == [["Sandinista"]] and items[0].briefing_date == "2021-11-10"
    assert items[1].answerable is False and items[1].sections == []


def test_optional_fields_default(tmp_path):
    p = write_qa(tmp_path / "qa.jsonl", {"id": "x", "question": "Anything about Venezuela?", "answerable": False})
    item = load_qa(p)[0]
    assert item.sections == [] and item.answer_keywords == [] and item.briefing_date is None


@pytest.mark.parametrize("raw, message", [
    ('{"id": "x", "question": "Q?", "answerable": true,', "not valid JSON"),
    ('{"id": "x", "answerable": false}', "question"),
    ('{"question": "Q?", "answerable": false}', "id"),
    ('{"id": "x", "question": "", "answerable": false}', "question"),
    ('{"id": "x", "question": "Q?", "answerable": "perhaps"}', "answerable"),
    ('{"id": "n1", "question": "Again?", "answerable": false}', "duplicate id 'n1'"),
    ('{"id": "x", "question": "Q?", "answerable": true, "sections": []}', "answerable question without gold sections"),
    ('[1, 2, 3]', ""),
])
def test_load_qa_errors_name_file_and_line(tmp_path, raw, message):
    p = write_qa(tmp_path / "bad.jsonl", NICARAGUA, raw=["", raw])  # the bad line is line 3
    with pytest.raises(QAFileError) as err:
        load_qa(p)
    assert str(err.value).startswith(f"{p}:3: ")
    assert message in str(err.value)


def test_load_qa_missing_and_empty_files(tmp_path):
    with pytest.raises(QAFileError, match="no such file"):
        load_qa(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(QAFileError, match="no questions"):
        load_qa(empty)


# --------------------------------------------------------------------------- gold and keywords


def test_is_gold_ignores_case_whitespace_and_quote_style():
    item = QAItem(id="x", question="q?", answerable=True, briefing_date="2021-11-10",
                  sections=["Foreign Minister Sergey Lavrov’s upcoming participation in the international "
                            "conference on Libya in Paris"])
    assert is_gold(item, "foreign minister sergey lavrov's upcoming participation in the international  "
                         "conference on libya in paris", "2021-11-10")
    assert is_gold(item, "  FOREIGN MINISTER SERGEY LAVROV’S UPCOMING PARTICIPATION IN THE INTERNATIONAL\n"
                         "CONFERENCE ON LIBYA IN PARIS ", "2021-11-10")
    assert not is_gold(item, "Foreign Minister Sergey Lavrov’s upcoming participation", "2021-11-10")


def test_is_gold_checks_the_briefing_date():
    item = QAItem(id="x", question="q?", answerable=True, briefing_date="2021-11-10",
                  sections=["Nicaragua election results"])
    assert is_gold(item, "Nicaragua election results", "2021-11-10")
    assert not is_gold(item, "Nicaragua election results", "2021-11-11")
    assert not is_gold(item, "Nicaragua election results", None)
    undated = item.model_copy(update={"briefing_date": None})
    assert is_gold(undated, "Nicaragua election results", "2030-01-01")


def test_keyword_hit_needs_one_string_of_every_group():
    item = QAItem(id="x", question="q?", answerable=True, sections=["s"],
                  answer_keywords=[["Lavrov"], ["Shoigu", "defence minister"]])
    assert keyword_hit(item, "Sergey LAVROV and Defence Minister Sergey Shoigu")
    assert keyword_hit(item, "lavrov and the defence minister")
    assert not keyword_hit(item, "Lavrov alone")


# --------------------------------------------------------------------------- evaluate


@pytest.fixture
def small_qa(tmp_path) -> Path:
    return write_qa(tmp_path / "small.jsonl", NICARAGUA, WHITNEY, WRONG_KEYWORDS, VENEZUELA)


def check_metrics_consistent(result: dict) -> None:
    pq = result["per_question"]
    ans = [q for q in pq if q["answerable"]]
    unans = [q for q in pq if not q["answerable"]]
    ranks = [q["gold_rank"] for q in ans]
    r, a = result["retrieval"], result["answers"]
    for n in (1, 3, 5):
        assert r[f"recall@{n}"] == pytest.approx(sum(1 for x in ranks if x and x <= n) / len(ans), abs=1e-4)
    assert r["mrr"] == pytest.approx(sum(1 / x for x in ranks if x) / len(ans), abs=1e-4)
    assert r["recall@1"] <= r["recall@3"] <= r["recall@5"]
    assert a["keyword_accuracy"] == pytest.approx(sum(q["keyword_hit"] for q in ans) / len(ans), abs=1e-4)
    if unans:
        assert a["abstention_recall"] == pytest.approx(sum(q["abstained"] for q in unans) / len(unans), abs=1e-4)
    assert a["false_abstention_rate"] == pytest.approx(sum(q["abstained"] for q in ans) / len(ans), abs=1e-4)
    cits = [c for q in ans for c in q["citations"]]
    if cits:
        assert a["citation_precision"] == pytest.approx(sum(c["gold"] for c in cits) / len(cits), abs=1e-4)
    for group in (r, a):
        for v in group.values():
            assert v is None or 0.0 <= v <= 1.0
    for v in result["latency_ms"].values():
        assert v is None or v >= 0


def test_evaluate_result_shape_and_metrics(fake_assistant, small_qa):
    result = evaluate(fake_assistant, load_qa(small_qa), mode="extractive", show_progress=False)
    assert {"n_questions", "retrieval", "answers", "latency_ms", "per_question"} <= set(result)
    assert set(result) - {"n_questions", "retrieval", "answers", "latency_ms", "per_question"} <= {"mode", "k", "timeline", "by_category"}
    assert set(result["retrieval"]) == RETRIEVAL_KEYS
    assert set(result["answers"]) == ANSWER_KEYS
    assert set(result["latency_ms"]) == LATENCY_KEYS
    assert result["n_questions"] == 4 == len(result["per_question"])
    assert result["mode"] == "extractive" and result["k"] == 5
    check_metrics_consistent(result)

    by_id = {q["id"]: q for q in result["per_question"]}
    assert by_id["n1"]["keyword_hit"] and by_id["w1"]["keyword_hit"]
    assert not by_id["p1"]["keyword_hit"] and not by_id["p1"]["abstained"]  # answered, wrong keywords
    assert by_id["v1"]["abstained"] and by_id["v1"]["citations"] == [] and not by_id["v1"]["keyword_hit"]
    assert result["answers"]["keyword_accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert result["answers"]["abstention_recall"] == 1.0
    assert result["answers"]["false_abstention_rate"] == 0.0
    assert result["latency_ms"]["ttft_p50"] is None  # no LLM in extractive mode
    for q in (by_id["n1"], by_id["w1"], by_id["p1"]):
        assert q["gold_rank"] == 1
        assert q["retrieved"][0]["section_title"] == q["gold_sections"][0]
        assert q["citations"] and all(c["gold"] for c in q["citations"])
        assert all(set(c) == {"number", "briefing_date", "section_title", "quote", "start", "end", "gold"}
                   for c in q["citations"])
        assert q["cited_sentences"] == q["sentences"] >= 1
    assert result["answers"]["citation_coverage"] == 1.0
    json.dumps(result)  # serialisable as is


def test_evaluate_with_the_llm_reports_ttft(fake_assistant, small_qa):
    result = evaluate(fake_assistant, load_qa(small_qa), mode="local", show_progress=False)
    assert result["mode"] == "local"
    assert result["latency_ms"]["ttft_p50"] is not None and result["latency_ms"]["ttft_p50"] >= 0
    assert all(q["mode"] == "local" for q in result["per_question"])
    check_metrics_consistent(result)


def test_evaluate_counts_misses(fake_assistant, tmp_path):
    """A wrong gold section (rank > 1, citations outside it) and an 'unanswerable' question that is answered."""
    wrong_gold = {**WHITNEY, "id": "w2", "sections": ["Black Sea security"]}
    answered = {**NICARAGUA, "id": "n2", "answerable": False, "sections": [], "answer_keywords": []}
    p = write_qa(tmp_path / "misses.jsonl", NICARAGUA, wrong_gold, answered)
    result = evaluate(fake_assistant, load_qa(p), mode="extractive", k=3, show_progress=False)
    check_metrics_consistent(result)
    by_id = {q["id"]: q for q in result["per_question"]}
    assert by_id["w2"]["gold_rank"] != 1
    assert result["retrieval"]["recall@1"] == 0.5
    assert not any(c["gold"] for c in by_id["w2"]["citations"])
    assert result["answers"]["citation_precision"] < 1.0
    assert result["answers"]["abstention_recall"] == 0.0
    assert len(by_id["w2"]["retrieved"]) == 3
    why = {q["id"]: reasons for q, reasons in failures(result)}
    assert set(why) == {"w2", "n2"}
    assert why["n2"] == ["answered an unanswerable question"]
    assert any("citation(s) outside the gold sections" in r for r in why["w2"])


def test_markdown_report_has_the_table_and_the_failed_questions(fake_assistant, small_qa):
    result = evaluate(fake_assistant, load_qa(small_qa), mode="extractive", show_progress=False)
    md = to_markdown(result, str(small_qa))
    assert md.startswith(f"# Evaluation report: {small_qa}")
    assert "| group | metric | value |" in md
    for name in RETRIEVAL_KEYS | ANSWER_KEYS | LATENCY_KEYS:
        assert f"| {name} |" in md
    assert "| answers | keyword_accuracy | 0.667 |" in md
    assert "| latency_ms | ttft_p50 | n/a |" in md
    assert "## Failed questions (1)" in md
    failed = md.split("## Failed questions (1)", 1)[1]
    p1 = next(q for q in result["per_question"] if q["id"] == "p1")
    assert f"### p1: {WRONG_KEYWORDS['question']}" in failed
    assert "answer lacks the expected keywords" in failed
    assert f"- answer: {p1['answer']}" in failed
    assert "Sputnik Light in August" in failed
    for c in p1["citations"]:
        assert f"[{c['number']}] 2021-11-10 — {c['section_title']} (gold): “{c['quote']}”" in failed
    for ok in ("n1", "w1", "v1"):
        assert f"### {ok}:" not in md


def test_markdown_report_without_failures(fake_assistant, tmp_path):
    p = write_qa(tmp_path / "ok.jsonl", NICARAGUA, VENEZUELA)
    md = to_markdown(evaluate(fake_assistant, load_qa(p), mode="extractive", show_progress=False))
    assert "## Failed questions (0)" in md and "None." in md


# --------------------------------------------------------------------------- the eval command


@pytest.fixture
def cli_settings(monkeypatch, settings):
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return settings


def test_eval_command_reports_a_bad_qa_file_with_its_line(tmp_path, capsys, cli_settings, monkeypatch):
    def no_model(*a, **kw):
        raise AssertionError("the assistant must not be built for a bad QA file")

    monkeypatch.setattr(Assistant, "from_settings", classmethod(no_model))
    bad = write_qa(tmp_path / "bad.jsonl", NICARAGUA, raw=['{"id": "n1", "question": "Dup?", "answerable": false}'])
    code = cli.main(["--index", str(tmp_path / "index"), "eval", "--qa", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}:2: duplicate id 'n1'" in err

    broken = write_qa(tmp_path / "broken.jsonl", raw=["", "", "{not json"])
    assert cli.main(["--index", str(tmp_path / "index"), "eval", "--qa", str(broken)]) == 2
    assert f"{broken}:3: not valid JSON" in capsys.readouterr().err


def test_eval_command_writes_json_and_report(tmp_path, capsys, cli_settings, fake_assistant, small_qa,
                                             monkeypatch):
    monkeypatch.setattr(Assistant, "from_settings", classmethod(lambda cls, settings=None, **kw: fake_assistant))
    out_json, out_md = tmp_path / "result.json", tmp_path / "report.md"
    code = cli.main(["--index", str(tmp_path / "index"), "eval", "--qa", str(small_qa), "--llm", "extractive",
                     "--k", "3", "--json", str(out_json), "--report", str(out_md), "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) == {"n_questions", "retrieval", "answers", "latency_ms"}
    assert summary["n_questions"] == 4
    full = json.loads(out_json.read_text(encoding="utf-8"))
    assert full["k"] == 3 and full["mode"] == "extractive" and len(full["per_question"]) == 4
    assert full["answers"] == summary["answers"] and full["retrieval"] == summary["retrieval"]
    assert all(len(q["retrieved"]) <= 3 for q in full["per_question"])
    md = out_md.read_text(encoding="utf-8")
    assert md.startswith(f"# Evaluation report: {small_qa}") and "### p1:" in md


def test_eval_command_on_an_empty_index(tmp_path, capsys, cli_settings, settings, embedder, small_qa, monkeypatch):
    from assistant.store.index import Index

    empty = Assistant(settings, embedder=embedder, index=Index(settings, embedder))
    monkeypatch.setattr(Assistant, "from_settings", classmethod(lambda cls, s=None, **kw: empty))
    assert cli.main(["eval", "--qa", str(small_qa)]) == 1
    assert "is empty" in capsys.readouterr().err


def test_categories_history_and_timeline_metrics(fake_assistant, tmp_path):
    """Per-category metrics, follow-ups asked with their history, and questions across briefings
    scored on the briefings they list."""
    qa = tmp_path / "qa.jsonl"
    rows = [
        {"id": "c1", "question": "Which party won most seats in Nicaragua's parliamentary election?",
         "answerable": True, "briefing_date": "2021-11-10", "sections": ["Nicaragua election results"],
         "answer_keywords": [["Sandinista"]], "category": "who"},
        {"id": "c2", "question": "And what about Kazakhstan?", "answerable": True, "briefing_date": "2021-11-10",
         "sections": ["Mutual recognition of vaccination passports by Russia and Kazakhstan"],
         "answer_keywords": [["Kazakhstan"]], "category": "follow_up",
         "history": ["Did Russia and Belarus agree to recognise each other's vaccination certificates?"]},
        {"id": "c3", "question": "Which briefings mentioned Nicaragua?", "answerable": True,
         "briefing_date": "2021-11-10", "sections": ["Nicaragua election results"], "answer_keywords": [["Nicaragua"]],
         "category": "which_briefings", "expected_dates": ["2021-11-10"]},
    ]
    qa.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = evaluate(fake_assistant, load_qa(qa), mode="extractive", show_progress=False)
    assert set(result["by_category"]) == {"who", "follow_up", "which_briefings"}
    assert result["by_category"]["who"]["keyword_accuracy"] == 1.0
    follow_up = next(q for q in result["per_question"] if q["id"] == "c2")
    assert "Kazakhstan" in follow_up["answer"] and not follow_up["abstained"]
    assert result["timeline"] == {"n": 1, "dates_listed": 1.0, "in_date_order": 1.0, "all_cited_to_gold": 1.0}
