"""What a new process pays Chroma to add one briefing's vectors to a large index: importing
chromadb, opening the collection, loading its graph (a count does it), and the upsert, with or
without the count first. Writes 85 random unit vectors into the store: run it on a copy.

    python scripts/measure_chroma_add.py COPY_OF_INDEX_DIR count|nocount [TAG]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
from assistant.config import Settings as AppSettings  # noqa: E402


def main(index: Path, count: bool, tag: str) -> None:
    t0 = time.perf_counter()
    import chromadb
    import numpy as np
    from chromadb.config import Settings

    t1 = time.perf_counter()
    client = chromadb.PersistentClient(path=str(index / "chroma"), settings=Settings(anonymized_telemetry=False))
    collection = client.get_collection(AppSettings(_env_file=None).store.collection)
    t2 = time.perf_counter()
    if count:
        collection.count()
    t3 = time.perf_counter()
    vectors = np.random.default_rng(0).random((85, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    collection.upsert(ids=[f"measure-{tag}-{i}" for i in range(85)], embeddings=vectors,
                      metadatas=[{"briefing_id": f"measure-{tag}", "date": 20261111}] * 85)
    t4 = time.perf_counter()
    print(f"{'count' if count else 'nocount'}: import {t1 - t0:.2f} s, open {t2 - t1:.2f} s, "
          f"count {t3 - t2:.2f} s, upsert {t4 - t3:.2f} s, total {t4 - t0:.2f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] == "count", sys.argv[3] if len(sys.argv) > 3 else "x")
