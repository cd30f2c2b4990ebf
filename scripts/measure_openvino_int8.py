"""OpenVINO int8 (NNCF static quantization, calibrated on the bundled sample's paragraphs) against
the OpenVINO and onnxruntime fp32 embedders, in one run: agreement of the vectors (cosine, top-1
passage of the QA questions over archive-fixture chunks) and speed (ingest batches, single
questions), alternating rounds. A measurement tool: it needs ``nncf`` (not a dependency).

    pip install nncf && python scripts/measure_openvino_int8.py [ROUNDS]

On this project's CPU (AVX2, no VNNI) int8 is no faster than fp32 (see the closing note of
2026-11-28, fourth session), so the runtime is not offered.
"""
from __future__ import annotations

import glob
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
import assistant.offline  # noqa: E402,F401  (blocks OpenVINO/NNCF telemetry)
import numpy as np  # noqa: E402

from assistant.config import get_settings  # noqa: E402
from assistant.store.embed_export import RUNTIMES, build_artifact, packaged_model_dir  # noqa: E402
from assistant.store.embed_runtimes import Tokenizer, _onnxruntime_infer, _openvino_infer, encode_sorted  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def quantized(source: Path, tok: Tokenizer, out: Path) -> Path:
    import nncf
    import openvino as ov

    text = next((ROOT / "corpus").glob("*.txt")).read_text(encoding="utf-8")
    calibration = [Tokenizer.pad(tok.ids([p])) for p in text.split("\n") if len(p.strip()) > 40]
    model = nncf.quantize(ov.Core().read_model(str(source)), nncf.Dataset(calibration),
                          model_type=nncf.ModelType.TRANSFORMER, subset_size=len(calibration))
    ov.save_model(model, str(out), compress_to_fp16=False)
    return out


def main(rounds: int) -> None:
    model_dir, cache = packaged_model_dir(), Path(get_settings().cache_dir)
    tok = Tokenizer(model_dir)
    fp32 = build_artifact(RUNTIMES["openvino-fp32"], model_dir, cache)
    int8 = quantized(fp32, tok, Path(tempfile.mkdtemp()) / "model-int8.xml")
    engines = {"onnx-fp32": _onnxruntime_infer(build_artifact(RUNTIMES["onnx-fp32"], model_dir, cache), 2),
               "openvino-fp32": _openvino_infer(fp32, 2), "openvino-int8": _openvino_infer(int8, 2)}
    chunks = []
    for f in sorted(glob.glob(str(ROOT / "tests/data/archive/*.txt"))):
        words = Path(f).read_text(encoding="utf-8", errors="ignore").split()
        chunks += [" ".join(words[i:i + 150]) for i in range(0, len(words), 150)]
    questions = [line.split('"question": "')[1].split('"')[0] for f in glob.glob(str(ROOT / "tests/data/qa/*.jsonl"))
                 for line in open(f, encoding="utf-8") if '"question": "' in line][:200]
    a, b = (encode_sorted(tok, engines[n], chunks, 64) for n in ("openvino-fp32", "openvino-int8"))
    qa, qb = (encode_sorted(tok, engines[n], questions, 64) for n in ("openvino-fp32", "openvino-int8"))
    cos, qcos = (a * b).sum(1), (qa * qb).sum(1)
    agree = float((np.argmax(qa @ a.T, 1) == np.argmax(qb @ b.T, 1)).mean())
    print(f"{len(chunks)} chunks, {len(questions)} questions; int8 vs fp32 cosine: chunks mean {cos.mean():.4f} "
          f"min {cos.min():.4f}, questions mean {qcos.mean():.4f}; top-1 chunk agreement {agree:.2f}")
    for r in range(rounds):
        for name in ("openvino-fp32", "openvino-int8"):
            t = time.perf_counter()
            encode_sorted(tok, engines[name], chunks, 64)
            print(f"round {r} {name}: ingest {len(chunks) / (time.perf_counter() - t):.1f} chunks/s")
        for name, infer in engines.items():
            times = []
            for q in questions[:80]:
                t = time.perf_counter()
                encode_sorted(tok, infer, [q], 64)
                times.append((time.perf_counter() - t) * 1000)
            print(f"round {r} {name}: one question p50 {statistics.median(times):.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
