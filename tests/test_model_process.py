"""The model process: the query embedder and spaCy load and run in a child process; its protocol,
its errors, the fall-back to this process when it is gone, and the same results as in-process."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from assistant.answer.entities import Entity, EntityTagger
from assistant.answer.model_process import ModelProcess, ModelProcessGone, RemoteEmbedder, remote_entities, start_models
from assistant.config import Settings
from assistant.errors import ModelError

from .fakes import HashEmbedder

# a child speaking the protocol without models: "encode" -> one row of 1s per text, "entities" ->
# the whole text as one ORG, anything else -> an error sent back
ECHO = """
import pickle, sys
requests, replies = sys.stdin.buffer, sys.stdout.buffer
pickle.load(requests)
while True:
    try:
        op, arg = pickle.load(requests)
    except EOFError:
        break
    if op == "encode":
        import numpy as np
        reply = (True, np.ones((len(arg), 4), dtype=np.float32))
    elif op == "entities":
        from assistant.answer.entities import Entity
        reply = (True, (Entity(0, len(arg), arg, "ORG"),))
    else:
        reply = (False, "KeyError: " + op)
    pickle.dump(reply, replies)
    replies.flush()
"""


class CountingTagger(EntityTagger):
    def __init__(self):
        super().__init__(tag=self._count)
        self.texts: list[str] = []

    def _count(self, text: str) -> tuple[Entity, ...]:
        self.texts.append(text)
        return (Entity(0, 1, text[:1], "LOCAL"),)


def _echo(settings) -> ModelProcess:
    return ModelProcess(settings, command=[sys.executable, "-c", ECHO])


def test_requests_and_replies_go_through_the_child(settings):
    process = _echo(settings)
    try:
        local = HashEmbedder()
        embedder = RemoteEmbedder(process, local)
        assert embedder.name == local.name and embedder.dim == local.dim
        assert embedder.encode(["a", "b"]).tolist() == [[1.0] * 4, [1.0] * 4]
        assert embedder.encode([]).shape == (0, local.dim)  # nothing sent for nothing
        tagger = remote_entities(process, local=CountingTagger())
        assert tagger.entities("Moscow") == (Entity(0, 6, "Moscow", "ORG"),)
        with pytest.raises(ModelError, match="the model process failed: KeyError: unknown"):
            process.call("unknown", None)
        assert process.call("encode", ["c"]).shape == (1, 4)  # an error there does not end the child
    finally:
        process.close()


def test_a_child_that_stops_is_replaced_by_the_models_in_this_process(settings, caplog):
    process = ModelProcess(settings, command=[sys.executable, "-c", "pass"])  # ends at once
    local = HashEmbedder()
    fallback = CountingTagger()
    embedder, tagger = RemoteEmbedder(process, local), remote_entities(process, local=fallback)
    with caplog.at_level(logging.WARNING):
        vectors = embedder.encode(["Who convened the conference?"])
        found = tagger.entities("Paris")
    assert np.allclose(vectors, local.encode(["Who convened the conference?"]))
    assert found == (Entity(0, 1, "P", "LOCAL"),) and fallback.texts == ["Paris"]
    assert "the model process cannot serve: it stopped" in caplog.text
    assert "loading the query embedder in this process" in caplog.text
    with pytest.raises(ModelProcessGone):
        process.call("encode", ["x"])
    process.close()


def test_a_child_that_cannot_start_says_why(settings):
    process = ModelProcess(settings, command=["/nonexistent/python"])
    with pytest.raises(ModelProcessGone, match="could not start"):
        process.call("encode", ["x"])
    process.close()


def test_closing_ends_the_child(settings):
    process = _echo(settings)
    child = process._proc
    process.close()
    assert child is not None and child.poll() is not None
    with pytest.raises(ModelProcessGone, match="closed"):
        process.call("encode", ["x"])


def test_the_setting_switches_the_model_process_off(settings):
    assert start_models(settings.replace(model_process=False)) is None


@pytest.mark.model
def test_the_child_gives_what_this_process_gives(tmp_path):
    """The real child: the same question vectors and the same entities as the models loaded here."""
    from assistant.store import embed_runtimes

    settings = Settings(_env_file=None, index_dir=tmp_path / "index", llm="extractive")
    process = start_models(settings)
    assert process is not None
    try:
        texts = ["Who convened the Paris conference on Libya?", "On 12 November, Emmanuel Macron hosted it."]
        here = embed_runtimes.make_query_embedder(settings)
        remote = RemoteEmbedder(process, here)
        assert np.allclose(remote.encode(texts), here.encode(texts), atol=1e-5)
        assert remote_entities(process).entities(texts[1]) == EntityTagger().entities(texts[1])
    finally:
        process.close()
