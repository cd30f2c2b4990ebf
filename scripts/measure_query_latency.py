"""Where a search's time goes, and how fast the bundled model can embed one question on this CPU.

    python scripts/measure_query_latency.py INDEX [--qa FILE] [--rounds 3]

1. Searches of an index (``Retriever.search``, the settings' query embedder) for every question
   of the QA file, ``rounds`` times after a warm-up: p50/p95 of the whole search and p50 of its
   parts (query embedding, Chroma, BM25; the rest is fusion and grouping).
2. The query embedding alone, per runtime and thread count (onnxruntime and OpenVINO fp32 from
   the cache's exported model, 1 and 2 threads), the same questions, interleaved per round: the
   floor a search cannot go below without another model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant.answer.retrieval import Retriever
from assistant.config import Settings
from assistant.store.embed_export import RUNTIMES, build_artifact, packaged_model_dir
from assistant.store.embed_runtimes import Tokenizer, make_embedder, make_query_embedder
from assistant.store.index import Index


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def searches(index_dir: Path, questions: list[str], rounds: int) -> None:
    settings = Settings(index_dir=index_dir, llm="extractive", _env_file=None)
    query = make_query_embedder(settings, make_embedder(settings))
    retriever = Retriever(Index(settings, query), query, settings)
    for q in questions[:3]:
        retriever.search(q)
    total: list[float] = []
    parts: dict[str, list[float]] = {}
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            result = retriever.search(q)
            total.append((time.perf_counter() - t0) * 1000)
            for name, seconds in result.timings.items():
                parts.setdefault(name, []).append(seconds * 1000)
    print(f"search p50 {statistics.median(total):.2f} ms, p95 {p(total, 0.95):.2f} ms ({len(total)} searches); parts p50: "
          + ", ".join(f"{k} {statistics.median(v):.2f} ms" for k, v in parts.items() if k != "retrieval"))


def _engine(path: Path, engine: str, threads: int):
    if engine == "onnxruntime":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, x)[0]
    import openvino as ov

    compiled = ov.Core().compile_model(str(path), "CPU", {
        "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads})
    request = compiled.create_infer_request()
    return lambda x: request.infer(x)[0]


def query_embedding(cache_dir: Path, questions: list[str], rounds: int) -> None:
    model_dir = packaged_model_dir()
    tokenizer = Tokenizer(model_dir)
    inputs = [Tokenizer.pad(tokenizer.ids([q])) for q in questions]
    variants = {}
    for runtime, engine in (("onnx-fp32", "onnxruntime"), ("openvino-fp32", "openvino")):
        path = build_artifact(RUNTIMES[runtime], model_dir, cache_dir)
        for threads in (1, 2):
            variants[f"{engine} {threads} thread(s)"] = _engine(path, engine, threads)
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, infer in variants.items():
            for x in inputs[:3]:
                infer(x)
            t0 = time.perf_counter()
            for x in inputs:
                infer(x)
            times[name].append((time.perf_counter() - t0) / len(inputs) * 1000)
    tokens = statistics.median(x["input_ids"].shape[1] for x in inputs)
    print(f"query embedding, {len(inputs)} questions of {tokens:g} tokens (median), per question, median of {rounds} rounds:")
    for name, values in times.items():
        print(f"  {name}: {statistics.median(values):.2f} ms  (rounds: {', '.join(f'{v:.1f}' for v in values)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index", type=Path)
    ap.add_argument("--qa", type=Path, default=Path("tests/data/holdout_qa.jsonl"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    searches(args.index, questions, args.rounds)
    query_embedding(Path(Settings(_env_file=None).cache_dir), questions, max(args.rounds, 5))


if __name__ == "__main__":
    main()
