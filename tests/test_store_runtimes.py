"""Embedder runtimes: the variant is known without loading a model, the exported model is cached
under a key of what made it and published atomically, a missing runtime falls back to torch, a
broken export of an fp32 runtime continues on torch and of an int8 runtime is an error. The last
test (marked ``model``) exports the real model and compares its vectors with torch's."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import get_args

import numpy as np
import pytest

import assistant.store.embed_export as export
import assistant.store.embed_runtimes as runtimes
import assistant.store.embedding as embedding
from assistant.config import EmbeddingRuntime
from assistant.errors import IndexDamaged, ModelError
from assistant.store.embed_export import RUNTIMES, artifact_dir, artifact_key, build_artifact, packaged_model_dir
from assistant.store.embed_runtimes import ExportedEmbedder, Tokenizer, encode_sorted, length_batches, make_embedder
from assistant.store.index import Index

from .fakes import HashEmbedder


class FakeTorch(HashEmbedder):
    """Stands in for the torch model (``MiniLMEmbedder``): no model is loaded."""

    name = embedding.MODEL_NAME
    variant = embedding.MODEL_NAME

    def __init__(self, threads=None):
        super().__init__()

    def load(self) -> None:
        pass


@pytest.fixture
def model_files(tmp_path) -> Path:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    for rel in export.MODEL_FILES:
        (folder / rel).write_text(f"contents of {rel}")
    return folder


@pytest.fixture
def fake_export(monkeypatch):
    """``export_onnx`` writes a small file instead of exporting; returns the list of its calls."""
    calls: list[Path] = []

    def fake(model_dir: Path, onnx_path: Path) -> Path:
        calls.append(onnx_path)
        onnx_path.write_bytes(b"onnx graph")
        return onnx_path

    monkeypatch.setattr(export, "export_onnx", fake)
    return calls


def test_the_setting_lists_every_runtime():
    assert set(get_args(EmbeddingRuntime)) == set(RUNTIMES)


def test_variants_are_known_without_loading_a_model(settings):
    openvino = make_embedder(settings, "openvino-fp32")
    assert isinstance(openvino, ExportedEmbedder) and not openvino.loaded
    # the variant names the vectors' numbers: every fp32 runtime makes torch's vectors, so an index
    # moves between them without re-embedding; a quantised one differs
    assert openvino.variant == "all-MiniLM-L6-v2"
    assert make_embedder(settings, "onnx-fp32").variant == "all-MiniLM-L6-v2"
    assert make_embedder(settings, "onnx-int8").variant == "all-MiniLM-L6-v2/onnx-int8"
    torch = make_embedder(settings, "torch-fp32")
    assert isinstance(torch, embedding.MiniLMEmbedder) and not torch.loaded
    assert torch.variant == "all-MiniLM-L6-v2"


def test_the_runtime_comes_from_the_settings(settings, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING_RUNTIME", "onnx-int8-perchannel")
    from assistant.config import Settings

    chosen = make_embedder(Settings(_env_file=None))
    assert chosen.variant == "all-MiniLM-L6-v2/onnx-int8-perchannel"
    assert chosen.cache_dir == Settings(_env_file=None).cache_dir
    with pytest.raises(ModelError, match="ASSISTANT_EMBEDDING_RUNTIME must be one of torch-fp32, openvino-fp32"):
        make_embedder(settings, "tensorrt")


def test_a_runtime_not_installed_falls_back_to_torch(settings, monkeypatch):
    real = runtimes.importlib.util.find_spec
    monkeypatch.setattr(runtimes.importlib.util, "find_spec", lambda m: None if m == "openvino" else real(m))
    monkeypatch.setattr(embedding, "MiniLMEmbedder", FakeTorch)
    chosen = make_embedder(settings, "openvino-fp32")
    assert isinstance(chosen, FakeTorch) and chosen.variant == "all-MiniLM-L6-v2"


def test_an_index_of_another_variant_says_re_embed_needed_before_any_model_loads(sample_index, settings):
    embedder = make_embedder(settings, "onnx-int8")
    with pytest.raises(IndexDamaged, match="re-embed needed: built with hash-embedder, this embedder is "
                                           "all-MiniLM-L6-v2/onnx-int8"):
        Index(settings, embedder)
    assert not embedder.loaded


def test_the_cache_key_covers_model_files_and_runtime(model_files):
    openvino, onnx = RUNTIMES["openvino-fp32"], RUNTIMES["onnx-int8"]
    key = artifact_key(openvino, model_files)
    assert len(key) == 64 and key != artifact_key(onnx, model_files)
    assert key != artifact_key(RUNTIMES["onnx-int8-perchannel"], model_files) != artifact_key(onnx, model_files)
    (model_files / "model.safetensors").write_text("other weights")
    artifact_key.cache_clear()
    assert artifact_key(openvino, model_files) != key


def test_the_export_is_built_once_and_published_whole(model_files, tmp_path, fake_export):
    spec = RUNTIMES["onnx-fp32"]
    cache = tmp_path / "cache"
    path = build_artifact(spec, model_files, cache)
    assert path == artifact_dir(spec, model_files, cache) / "model.onnx" and path.read_bytes() == b"onnx graph"
    meta = json.loads((path.parent / "meta.json").read_text())
    assert meta["runtime"] == "onnx-fp32" and meta["key"] == artifact_key(spec, model_files)
    assert build_artifact(spec, model_files, cache) == path and len(fake_export) == 1  # cached
    assert [p.name for p in (cache / "embedders").iterdir()] == [path.parent.name]  # no temporary folder left
    assert fake_export[0].parent.name.startswith(".tmp-")  # built aside, then renamed


def test_every_runtime_is_made_from_one_onnx_export(model_files, tmp_path, fake_export, monkeypatch):
    """A fresh machine exports the model once: the quantized model is made from the cached fp32
    ONNX export (the query runtime's own model), which is published first."""
    quantized: list[str] = []
    monkeypatch.setattr("onnxruntime.quantization.quantize_dynamic",
                        lambda source, target, **kw: (quantized.append(source), Path(target).write_bytes(b"q")))
    cache = tmp_path / "cache"
    int8 = build_artifact(RUNTIMES["onnx-int8"], model_files, cache)
    base = artifact_dir(RUNTIMES["onnx-fp32"], model_files, cache) / "model.onnx"
    assert int8.read_bytes() == b"q" and quantized == [str(base)] and base.read_bytes() == b"onnx graph"
    build_artifact(RUNTIMES["onnx-fp32"], model_files, cache)
    assert len(fake_export) == 1


def test_two_threads_of_one_process_build_one_model_at_a_time(model_files, tmp_path, monkeypatch):
    """The query model and the ingest model load in two threads on a fresh machine's first start;
    torch.export breaks when two threads run it at once, so builds take turns and the ONNX export
    runs once."""
    import threading
    import time

    exports, inside, overlaps = [], [0], []

    def slow_export(model_dir: Path, onnx_path: Path) -> Path:
        inside[0] += 1
        overlaps.append(inside[0] > 1)
        time.sleep(0.2)  # a window for the other thread (the lock, not the sleep, decides)
        onnx_path.write_bytes(b"onnx graph")
        exports.append(onnx_path)
        inside[0] -= 1
        return onnx_path

    monkeypatch.setattr(export, "export_onnx", slow_export)
    monkeypatch.setattr("onnxruntime.quantization.quantize_dynamic",
                        lambda source, target, **kw: Path(target).write_bytes(b"q"))
    cache = tmp_path / "cache"
    threads = [threading.Thread(target=build_artifact, args=(RUNTIMES[name], model_files, cache))
               for name in ("onnx-int8", "onnx-fp32")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(exports) == 1 and overlaps == [False]
    assert all((artifact_dir(RUNTIMES[n], model_files, cache) / RUNTIMES[n].artifact).is_file()
               for n in ("onnx-int8", "onnx-fp32"))


def test_questions_are_embedded_by_the_query_runtime_when_it_makes_the_same_vectors(settings):
    from assistant.store.embed_runtimes import make_query_embedder

    def with_runtimes(ingest: str, query: str):
        s = settings.model_copy(update={"embedding": settings.embedding.model_copy(
            update={"embedding_runtime": ingest, "query_runtime": query})})
        bulk = make_embedder(s)
        return bulk, make_query_embedder(s, bulk)

    bulk, query = with_runtimes("openvino-fp32", "onnx-fp32")
    assert query.spec.name == "onnx-fp32" and query.variant == bulk.variant
    bulk, query = with_runtimes("onnx-int8", "onnx-fp32")  # other vectors: the index's runtime
    assert query is bulk
    bulk, query = with_runtimes("onnx-fp32", "onnx-fp32")  # the same runtime: one model
    assert query is bulk


def test_when_another_process_publishes_first_its_model_is_used(model_files, tmp_path, monkeypatch):
    spec = RUNTIMES["onnx-fp32"]
    cache = tmp_path / "cache"
    final = artifact_dir(spec, model_files, cache)

    def racing_export(model_dir: Path, onnx_path: Path) -> Path:
        final.mkdir(parents=True)  # the other process finished while this one was exporting
        (final / "model.onnx").write_bytes(b"the other process's graph")
        onnx_path.write_bytes(b"this process's graph")
        return onnx_path

    monkeypatch.setattr(export, "export_onnx", racing_export)
    path = build_artifact(spec, model_files, cache)
    assert path.read_bytes() == b"the other process's graph"
    assert [p.name for p in (cache / "embedders").iterdir()] == [final.name]


def test_a_failed_export_leaves_nothing_behind(model_files, tmp_path, monkeypatch):
    def broken(model_dir: Path, onnx_path: Path) -> Path:
        onnx_path.write_bytes(b"half a graph")
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(export, "export_onnx", broken)
    with pytest.raises(RuntimeError, match="exporter crashed"):
        build_artifact(RUNTIMES["onnx-fp32"], model_files, tmp_path / "cache")
    assert list((tmp_path / "cache" / "embedders").iterdir()) == []


def _broken_build(spec, model_dir, cache_dir):
    raise OSError(f"{cache_dir}: no space left on device")


def test_an_fp32_runtime_that_cannot_load_continues_on_torch(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(runtimes, "build_artifact", _broken_build)
    monkeypatch.setattr(embedding, "MiniLMEmbedder", FakeTorch)
    embedder = ExportedEmbedder(RUNTIMES["openvino-fp32"], tmp_path / "cache", model_dir=tmp_path)
    vectors = embedder.encode(["Lavrov met the OSCE Chairperson."])
    assert isinstance(embedder.fallback, FakeTorch) and vectors.shape == (1, 384)
    assert "using torch fp32" in caplog.text and "no space left on device" in caplog.text


def test_an_int8_runtime_that_cannot_load_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(runtimes, "build_artifact", _broken_build)
    embedder = ExportedEmbedder(RUNTIMES["onnx-int8"], tmp_path / "cache", model_dir=tmp_path)
    with pytest.raises(ModelError, match=r"cache: the onnx-int8 embedder cannot be built or loaded \(OSError: .*"
                                         r"no space left on device\); set ASSISTANT_EMBEDDING_RUNTIME=torch-fp32"):
        embedder.encode(["text"])
    assert embedder.fallback is None and not embedder.loaded


def test_batches_are_padded_per_batch_and_rows_keep_the_input_order():
    tokenizer = Tokenizer(packaged_model_dir())
    texts = ["short", "a much longer text with many more words in it", "", "medium length text"]
    ids = tokenizer.ids(texts)
    assert len(tokenizer.ids(["word " * 400])[0]) == 256  # truncated to 256, not the packaged 128
    seen: list[tuple[int, int]] = []

    def infer(inputs: dict[str, np.ndarray]) -> np.ndarray:
        seen.append(inputs["input_ids"].shape)
        lengths = inputs["attention_mask"].sum(1)
        assert (inputs["input_ids"][inputs["attention_mask"] == 0] == 0).all()
        return np.stack([np.full(384, float(n)) for n in lengths])

    out = encode_sorted(tokenizer, infer, texts, batch_size=2)
    batches = length_batches([len(x) for x in ids], 2)
    assert seen == [(len(b), max(len(ids[i]) for i in b)) for b in batches]  # longest first, padded per batch
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert np.allclose(out[:, 0] * np.sqrt(384), 1.0)  # each row its own text's (normalised) value


def test_batches_end_at_the_size_or_where_texts_get_much_shorter():
    """Little time is spent on padding: a batch ends after ``batch_size`` texts, or before a text
    shorter than 85 % of the batch's longest; every index comes once, longest first."""
    lengths = [100, 50, 98, 99, 90, 80, 200, 97, 49]
    batches = [[lengths[i] for i in b] for b in length_batches(lengths, 3)]
    assert batches == [[200], [100, 99, 98], [97, 90], [80], [50, 49]]
    assert sorted(i for b in length_batches(lengths, 64) for i in b) == list(range(len(lengths)))
    assert [len(b) for b in length_batches([120] * 130, 64)] == [64, 64, 2]
    assert length_batches([], 8) == []


def test_openvino_sends_no_telemetry():
    """``import openvino`` would initialise its telemetry and send an "import" event; the package
    makes it use OpenVINO's no-op stub instead."""
    import assistant  # noqa: F401
    import openvino  # noqa: F401
    import openvino.tools.ovc.telemetry_utils as telemetry_utils

    assert sys.modules.get("openvino_telemetry", "absent") is None
    assert telemetry_utils.tm.__name__ == "openvino.tools.ovc.telemetry_stub"


@pytest.mark.model
def test_the_openvino_export_gives_torch_vectors_offline(tmp_path):
    """Exports the real model into an empty cache (about 30 s), then cosine >= 0.999 against torch."""
    from .test_offline import record_sockets

    texts = ["Who convened the Paris conference on Libya?",
             "Maria Zakharova said that 12,000 passports were issued in Afghanistan in one month.",
             "Russia will send humanitarian aid to Afghanistan. " * 30]
    with record_sockets() as seen:
        openvino = ExportedEmbedder(RUNTIMES["openvino-fp32"], tmp_path / "cache")
        vectors = openvino.encode(texts)
    assert openvino.fallback is None and seen == [] and "nncf" not in sys.modules
    reference = embedding.MiniLMEmbedder().encode(texts)
    assert (vectors * reference).sum(1).min() >= 0.999


def test_the_assistant_answers_with_the_query_model_and_ingests_with_the_index_model(settings):
    """Nothing loads when the assistant is made; one model object when both runtimes are the same."""
    from assistant.answer.assistant import Assistant

    def with_runtimes(ingest: str, query: str) -> Assistant:
        return Assistant(settings.model_copy(update={"embedding": settings.embedding.model_copy(
            update={"embedding_runtime": ingest, "query_runtime": query})}))

    a = with_runtimes("openvino-fp32", "onnx-fp32")
    assert a.embedder.spec.name == "onnx-fp32" and a.index.embedder.spec.name == "openvino-fp32"
    assert a.retriever.embedder is a.embedder and a.vectors.embedder is a.embedder
    assert not a.embedder.loaded and not a.index.embedder.loaded
    a.close()
    a = with_runtimes("onnx-fp32", "onnx-fp32")
    assert a.embedder is a.index.embedder
    a.close()
