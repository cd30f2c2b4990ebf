"""Instant start: ``Assistant(..., preload=True)`` returns while the embedder and the entity tagger
are still loading in background threads; a question asked then waits for them and is answered."""

from __future__ import annotations

import threading

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
