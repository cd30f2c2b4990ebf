"""The load test (scripts/loadtest.py), reduced: a few clients through gradio_client against the
app with the fake models, with and without clients sending 100,000-character questions. Checks
what does not depend on the machine's speed: no errors, no cross-talk, every oversized question
refused with the length message — before it reaches retrieval or the embedder. (The latencies are
measured by the script against the real server; see docs/notes/issue-12.md.)"""

from __future__ import annotations

import importlib.util

import pytest

pytest.importorskip("gradio_client")

from .conftest import ROOT  # noqa: E402
from .web_helpers import LIBYA, TIGRAY, launch, make_assistant, make_settings  # noqa: E402


def load_script():
    spec = importlib.util.spec_from_file_location("loadtest", ROOT / "scripts" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_percentile_is_nearest_rank():
    loadtest = load_script()
    values = [float(v) for v in range(1, 21)]
    assert loadtest.percentile(values, 50) == 10.0 and loadtest.percentile(values, 95) == 19.0
    assert loadtest.percentile([3.0], 95) == 3.0


def test_oversized_questions_are_refused_before_retrieval_without_cross_talk(tmp_path):
    loadtest = load_script()
    settings = make_settings(tmp_path)
    assistant = make_assistant(settings)
    reached: list[int] = []  # lengths of the texts that reached retrieval and the embedder
    search, encode = assistant.retriever.search, assistant.embedder.encode
    assistant.retriever.search = lambda q, *a, **k: reached.append(len(q)) or search(q, *a, **k)
    assistant.embedder.encode = lambda texts, *a, **k: reached.extend(map(len, texts)) or encode(texts, *a, **k)
    demo, url = launch(assistant, settings)
    try:
        questions = [(LIBYA, ("Libya",)), (TIGRAY, ("Tigray", "Oromo"))]
        summary = loadtest.run(url, clients=4, oversized=2, rounds=1, per_client=2, chars=100_000,
                               questions=questions)
    finally:
        demo.close()
    without, with_ = summary["phases"]
    assert without["answers"] == with_["answers"] == 8
    assert summary["errors"] == 0 and summary["crosstalk"] == 0, summary
    assert summary["refused"] >= 2 and summary["bad_refusals"] == 0, summary
    assert without["refused"] == 0
    assert reached and max(reached) <= settings.answer.max_question_chars  # the answers did reach them
