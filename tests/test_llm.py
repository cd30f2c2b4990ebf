"""LLM backends: assembling and verifying the chunked model file, endpoints, and (one test, marked
``model``) the real bundled model served on 127.0.0.1 behind an API key."""

from __future__ import annotations

import re

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from assistant.config import Settings
from assistant.answer.llm import Endpoint, assemble_model, openai_endpoint
from assistant.answer.modes import ExtractiveMode, LocalMode, OpenAIMode
from assistant.errors import InputError
from assistant.errors import ModelError

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 2048, b"c" * 7]


@pytest.fixture
def parts(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    paths = []
    for i, data in enumerate(PARTS, start=1):
        p = folder / f"part{i:02d}.bin"
        p.write_bytes(data)
        paths.append(p)
    return paths


WHOLE = b"".join(PARTS)
SIZE = len(WHOLE)
SHA = hashlib.sha256(WHOLE).hexdigest()


def test_assemble_concatenates_in_order_verifies_and_marks(tmp_path, parts):
    cache = tmp_path / "cache" / "nested"
    path = assemble_model(cache, parts, expected_size=SIZE, expected_sha256=SHA, name="m.gguf")
    assert path == cache / "m.gguf"
    assert path.read_bytes() == WHOLE
    marker = json.loads((cache / "m.gguf.verified").read_text())
    assert marker["size"] == SIZE and marker["sha256"] == SHA
    assert marker["mtime_ns"] == path.stat().st_mtime_ns
    assert sorted(p.name for p in cache.iterdir()) == ["m.gguf", "m.gguf.verified"]  # no temporary file left


def test_order_of_parts_matters(tmp_path, parts):
    with pytest.raises(ModelError, match="SHA-256"):
        assemble_model(tmp_path / "cache", list(reversed(parts)), expected_size=SIZE, expected_sha256=SHA,
                       name="m.gguf")


def test_a_verified_model_is_not_read_again(tmp_path, parts):
    cache = tmp_path / "cache"
    first = assemble_model(cache, parts, expected_size=SIZE, expected_sha256=SHA, name="m.gguf")
    for p in parts:
        p.unlink()
    again = assemble_model(cache, parts, expected_size=SIZE, expected_sha256=SHA, name="m.gguf")
    assert again == first and again.read_bytes() == WHOLE


def test_a_changed_model_file_is_assembled_again(tmp_path, parts):
    cache = tmp_path / "cache"
    path = assemble_model(cache, parts, expected_size=SIZE, expected_sha256=SHA, name="m.gguf")
    path.write_bytes(b"x" * SIZE)  # same size, different content and mtime: the marker no longer matches
    again = assemble_model(cache, parts, expected_size=SIZE, expected_sha256=SHA, name="m.gguf")
    assert again.read_bytes() == WHOLE


def test_a_marker_for_another_hash_does_not_count(tmp_path, parts):
    cache = tmp_path / "cache"
    assemble_model(cache, parts, expected_size=SIZE, expected_sha256=SHA, name="m.gguf")
    for p in parts:
        p.unlink()
    with pytest.raises(FileNotFoundError):  # expected hash changed: the parts are read again
        assemble_model(cache, parts, expected_size=SIZE, expected_sha256="0" * 64, name="m.gguf")


def test_size_mismatch_is_refused_and_leaves_no_file(tmp_path, parts):
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match=f"assembled model is {SIZE} bytes, expected {SIZE + 1}"):
        assemble_model(cache, parts, expected_size=SIZE + 1, expected_sha256=SHA, name="m.gguf")
    assert list(cache.iterdir()) == []


def test_hash_mismatch_is_refused_and_leaves_no_file(tmp_path, parts):
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="SHA-256") as err:
        assemble_model(cache, parts, expected_size=SIZE, expected_sha256="f" * 64, name="m.gguf")
    assert SHA in str(err.value) and "refusing" in str(err.value)
    assert list(cache.iterdir()) == []


def test_a_corrupt_part_is_refused(tmp_path, parts):
    parts[1].write_bytes(b"b" * 2047 + b"X")
    cache = tmp_path / "cache"
    with pytest.raises(ModelError):
        assemble_model(cache, parts, expected_size=SIZE, expected_sha256=SHA, name="m.gguf")
    assert not (cache / "m.gguf").exists() and not (cache / "m.gguf.verified").exists()


def test_openai_mode_without_a_base_url_is_a_clear_error(tmp_path):
    s = Settings(_env_file=None, cache_dir=tmp_path, openai_base_url=None)
    with pytest.raises(ModelError, match="ASSISTANT_OPENAI_BASE_URL"):
        openai_endpoint(s)


def test_openai_mode_with_a_base_url(tmp_path):
    s = Settings(_env_file=None, cache_dir=tmp_path, openai_base_url="http://127.0.0.1:9/v1",
                 openai_api_key="sk-test", openai_model="tiny")
    assert openai_endpoint(s) == Endpoint("http://127.0.0.1:9/v1", "sk-test", "tiny")
    assert OpenAIMode.available(s) and not OpenAIMode.available(Settings(_env_file=None, openai_base_url=None))


def test_extractive_mode_has_no_chat_model(tmp_path):
    with pytest.raises(InputError, match="uses no language model"):
        ExtractiveMode(Settings(_env_file=None, cache_dir=tmp_path)).chat_model()


def test_an_unknown_mode_in_the_settings_is_refused():
    with pytest.raises(ValueError, match="ASSISTANT_LLM must be one of local, openai, extractive"):
        Settings(_env_file=None, llm="gpt-17")


def test_chat_model_for_openai_is_configured_from_the_settings(tmp_path):
    from assistant.answer.llm import chat_model

    s = Settings(_env_file=None, cache_dir=tmp_path, openai_base_url="http://127.0.0.1:9/v1",
                 openai_api_key="sk-test", openai_model="tiny", llm_max_tokens=33, llm_timeout_s=7)
    m = OpenAIMode(s).chat_model()
    assert m.model_name == "tiny" and m.max_tokens == 33 and m.max_retries == 0 and m.streaming
    assert str(m.openai_api_base).startswith("http://127.0.0.1:9/v1")


# --------------------------------------------------------------------------- the real model


def _post(url: str, key: str | None) -> int:
    body = json.dumps({"model": "x", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}).encode()
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url + "/chat/completions", data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.model
def test_the_bundled_model_is_served_locally_behind_a_key(tmp_path):
    s = Settings(_env_file=None, cache_dir=tmp_path / "cache", index_dir=tmp_path / "index", llm="local",
                 llm_max_tokens=8, llm_ctx=1024, llm_timeout_s=120)
    mode = LocalMode(s)
    model = mode.chat_model()  # starts the server this mode owns
    server = mode.server
    assert urllib.parse.urlsplit(server.base_url).hostname == "127.0.0.1"
    assert server.base_url.endswith("/v1")
    assert len(server.api_key) >= 20
    ep = server.endpoint()
    assert ep.api_key == server.api_key
    assert _post(server.base_url, None) == 401
    assert _post(server.base_url, "wrong-key") == 401

    reply = model.invoke("Reply with the single word: yes", max_tokens=4)
    assert isinstance(reply.content, str) and reply.content.strip()
    mode.close()
    assert mode.server is None


@pytest.mark.model
def test_openai_mode_talks_to_any_openai_compatible_server(tmp_path):
    """``ASSISTANT_LLM=openai`` with a base URL and key: here the in-process llama.cpp server
    stands in for vLLM/Ollama/OpenAI, reached over HTTP like any remote one."""
    from assistant.answer.assistant import Assistant
    from assistant.ingest.ingestor import Ingestor
    from pydantic import SecretStr

    from .conftest import SAMPLE
    from .fakes import HashEmbedder

    local = Settings(_env_file=None, cache_dir=tmp_path / "cache", index_dir=tmp_path / "index", llm="local")
    owner = LocalMode(local)
    owner.chat_model()
    server = owner.server
    remote = local.replace(**{"llm": "openai", "openai_base_url": server.base_url,
                                      "openai_api_key": SecretStr(server.api_key), "openai_model": "any",
                                      "llm_max_tokens": 60, "min_dense_score": 0.0})
    assistant = Assistant(remote, embedder=HashEmbedder())
    Ingestor(assistant.index, remote).ingest([SAMPLE], show_progress=False)
    assert assistant.available_modes() == ["local", "openai", "extractive"]
    deltas = []
    answer = None
    for item in assistant.stream("How many passports were issued in Afghanistan in one month?"):
        if isinstance(item, str):
            deltas.append(item)
        else:
            answer = item
    assert answer is not None and answer.mode in ("openai", "openai→extractive")
    assert len(deltas) == 1 and answer.citations  # one draft or the answer: verified text only
    quotes = re.findall(r"“(.+?)”", deltas[0])
    assert quotes and all(f"“{q}”" in answer.text for q in quotes)  # a draft quotes what the answer quotes
    assert "90,000" in answer.text
    owner.close()
    assert "ttft_ms" in answer.timings
