"""Instant start: ``Assistant(..., preload=True)`` returns while the embedder and the entity tagger
are still loading in background threads; a question asked then waits for them and is answered."""

from __future__ import annotations

import threading

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.entities import EntityTagger

from .fakes import HashEmbedder


class SlowLoadingEmbedder(HashEmbedder):
    """Its ``load`` blocks until the test releases it; ``encode`` waits for the load."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.loaded = threading.Event()
        self.loads_in: list[str] = []
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if not self.loaded.is_set():
                self.loads_in.append(threading.current_thread().name)
                self.release.wait(timeout=30)
                self.loaded.set()

    def encode(self, texts, batch_size=64):
        self.load()
        return super().encode(texts, batch_size)


def test_the_assistant_starts_before_its_models_are_loaded(settings, sample_index, monkeypatch):
    tagger_loads: list[str] = []
    monkeypatch.setattr(EntityTagger, "warm_up", lambda self: tagger_loads.append(threading.current_thread().name))
    embedder = SlowLoadingEmbedder()
    sample_index.embedder = embedder
    assistant = Assistant(settings, embedder=embedder, index=sample_index, preload=True)
    assert not embedder.loaded.is_set()  # the constructor did not wait for the model
    asked = threading.Thread(target=lambda: answers.append(assistant.ask("Who convened the Paris conference on "
                                                                         "Libya?", mode="extractive")))
    answers: list = []
    asked.start()
    embedder.release.set()
    asked.join(timeout=60)
    for t in assistant.loading:
        t.join(timeout=60)
    assert embedder.loads_in == ["load-0"] and tagger_loads == ["load-1"]  # each in its own background thread
    assert answers and "Macron" in answers[0].text


def test_without_preload_nothing_loads_at_construction(settings, sample_index):
    embedder = SlowLoadingEmbedder()
    assistant = Assistant(settings, embedder=embedder, index=sample_index)
    assert assistant.loading == [] and embedder.loads_in == []


def test_preload_also_loads_the_token_counter(settings, sample_index, monkeypatch):
    monkeypatch.setattr(EntityTagger, "warm_up", lambda self: None)
    assistant = Assistant(settings, embedder=HashEmbedder(), index=sample_index, preload=True)
    with assistant:
        assert [t.name for t in assistant.loading] == ["load-0", "load-1", "load-2", "load-vectors"]
    assert not any(t.is_alive() for t in assistant.loading)  # closing waits for the loads


@pytest.mark.model
def test_the_entity_recogniser_alone_finds_what_the_full_pipeline_finds(sample_text):
    """The tagger loads the recogniser without the shared token encoder and the tagger (it has its
    own encoder): the same entities as the pipeline with them."""
    import importlib

    from assistant.answer.entities import PACKAGE
    from assistant.store.embedding import without_torch

    with without_torch():
        full = importlib.import_module(PACKAGE).load(exclude=["parser", "lemmatizer", "senter"])
    assert "tok2vec" in full.pipe_names  # the pipes the tagger leaves out do exist
    paragraphs = [p for p in sample_text.split("\n") if p.strip()][:80]
    tagger = EntityTagger()
    expected = [tuple((e.start_char, e.end_char, e.label_) for e in doc.ents) for doc in full.pipe(paragraphs)]
    got = [tuple((e.start, e.end, e.label) for e in tagger.entities(p)) for p in paragraphs]
    assert got == expected and sum(map(len, got)) > 50
    assert tagger._model().pipe_names == ["ner"]


def test_importing_the_package_does_not_load_the_answer_pipeline():
    """A command that only ingests or checks starts faster; ``from assistant import Assistant``
    still works."""
    import subprocess
    import sys

    code = ("import sys, assistant; assert 'assistant.answer.assistant' not in sys.modules; "
            "from assistant import Assistant; print(Assistant.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "Assistant", out.stderr
