"""Ingest of the bundled sample: with and without the model load, re-ingest of the unchanged
file, and ingest chunks/s against a plain sentence-transformers encode of the same chunks.

    python scripts/measure_ingest.py
"""
import json, shutil, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
import assistant.offline  # noqa
from assistant.config import Settings
from assistant.store.embedding import MiniLMEmbedder
from assistant.store.index import Index
from assistant.ingest.ingestor import Ingestor

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
root = Path(tempfile.mkdtemp())
s = Settings(index_dir=root / "index", _env_file=None)
e = MiniLMEmbedder()
idx = Index(s, e)
ing = Ingestor(idx, s)
t0 = time.perf_counter()
r1 = ing.ingest([str(CORPUS)], show_progress=False)
t_ingest_cold = time.perf_counter() - t0          # includes the model load
load = e.load_seconds
t0 = time.perf_counter(); r2 = ing.ingest([str(CORPUS)], show_progress=False); t_reingest = time.perf_counter() - t0
# ingest again, model loaded, into fresh indexes (median of 3 runs)
warm = []
for n in range(3):
    s2 = Settings(index_dir=root / f"warm{n}", _env_file=None)
    idx2 = Index(s2, e)
    idx2.collection()  # open the new store first: its one-off creation is not per-briefing work
    t0 = time.perf_counter(); Ingestor(idx2, s2).ingest([str(CORPUS)], show_progress=False); warm.append(time.perf_counter() - t0)
t_warm = sorted(warm)[1]
chunks = list(idx2.snapshot.chunks.values())
texts = [c.embed_text for c in chunks]
rates = []
for _ in range(3):
    t0 = time.perf_counter(); e.encode(texts, batch_size=s.embedding.embed_batch_size); rates.append(len(texts) / (time.perf_counter() - t0))
raw = sorted(rates)[1]
out = {"sections": len(idx.briefing(r1.results[0].briefing_id).sections),
       "chunks": len(chunks), "model_load_s": round(load, 2), "ingest_with_model_load_s": round(t_ingest_cold, 2),
       "ingest_model_loaded_s": round(t_warm, 2), "reingest_unchanged_s": round(t_reingest, 4),
       "reingest_status": r2.results[0].status, "reingest_embedded": r2.results[0].embedded,
       "ingest_chunks_per_s": round(len(chunks) / t_warm, 1), "raw_encode_chunks_per_s": round(raw, 1),
       "ingest_vs_raw": round(len(chunks) / t_warm / raw, 3)}
print(json.dumps(out, indent=1))
shutil.rmtree(root)
