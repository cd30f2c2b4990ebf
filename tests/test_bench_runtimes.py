"""The runtime comparison's report and the quality check between eval runs of two runtimes."""

from __future__ import annotations

import json

import pytest

from assistant.tools.bench.agreement import compare, table
from assistant.tools.bench.runtimes import table as runtime_table


def _eval_out(folder, recall1: float, keyword: float, top1: list[str]):
    folder.mkdir()
    result = {"retrieval": {"recall@1": recall1, "recall@3": 1.0}, "answers": {"keyword_accuracy": keyword},
              "per_question": [{"id": f"q{i}", "retrieved": [{"briefing_date": "2021-11-10", "section_title": t}]}
                               for i, t in enumerate(top1)]}
    (folder / "dev_qa-extractive.json").write_text(json.dumps(result))
    return folder


def test_a_runtime_passes_within_the_tolerance_and_top1_agreement_is_counted(tmp_path):
    torch = _eval_out(tmp_path / "torch-fp32", 0.90, 0.80, ["Libya", "Afghanistan", "Ethiopia"])
    close = _eval_out(tmp_path / "openvino-fp32", 0.905, 0.80, ["Libya", "Afghanistan", "Ethiopia"])
    far = _eval_out(tmp_path / "onnx-int8", 0.88, 0.80, ["Libya", "Belarus", "Ethiopia"])
    (row,) = compare(torch, far)
    assert row.top1_same == 2 and row.questions == 3 and row.largest_change == pytest.approx(0.02)
    report = table(torch, [close, far])
    assert "| onnx-int8 | dev_qa | 0.880 (-0.020) | 1.000 (+0.000) | 0.800 (+0.000) | 2/3 | no |" in report
    assert report.endswith("openvino-fp32: passes; onnx-int8: FAILS")


def test_eval_runs_of_different_sets_are_not_compared(tmp_path):
    torch = _eval_out(tmp_path / "torch-fp32", 0.9, 0.8, ["Libya"])
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ValueError, match="its QA sets"):
        compare(torch, other)


def test_runtime_table_gives_medians_and_per_round_ratios():
    rows = [{"runtime": "torch-fp32", "chunks_per_s": [10.0, 12.0], "vs_torch": [1.0, 1.0], "query_ms_p50": [20.0, 30.0],
             "query_vs_torch": [1.0, 1.0], "cos_mean": 1.0, "cos_min": 1.0, "top1_agree": 22, "top1_of": 22},
            {"runtime": "openvino-fp32", "chunks_per_s": [15.0, 16.0], "vs_torch": [1.5, 1.33],
             "query_ms_p50": [10.0, 12.0], "query_vs_torch": [0.5, 0.4], "cos_mean": 0.99999, "cos_min": 0.99998,
             "top1_agree": 22, "top1_of": 22}]
    text = runtime_table({"rows": rows})
    assert "| openvino-fp32 | 15.5 | 1.50 / 1.33 | 11.0 | 0.50 / 0.40 | 1.0000 / 1.0000 | 22/22 |" in text
