"""BM25 search p50 over an index's committed segments, as they are and merged into one segment, in
one run (the index folder is only read): `PYTHONPATH=. python scripts/bm25_segments_bench.py INDEX [ROUNDS]`."""
import sys, time, statistics, os
from pathlib import Path
from assistant.store.registry import RegistryFile
from assistant.store.bm25 import SegmentStore, Bm25Index, merge_segments
from assistant.tools.bench.run import QUESTIONS
from assistant.text import terms
root = Path(sys.argv[1]); rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
reg = RegistryFile(root / "registry.json").read()
store = SegmentStore(root / "bm25")
names = sorted({e.bm25_segment for e in reg.briefings.values()})
def is_live(b, s):
    e = reg.briefings.get(b); return e is not None and e.bm25_segment == s
segs = [store.get(n) for n in names]
many = Bm25Index.over(segs, is_live)
t = time.perf_counter()
one_seg = merge_segments("seg-merged", [(s, m) for s, m in zip(many.segments, many.live)])
merge_s = time.perf_counter() - t
one = Bm25Index.over([one_seg], lambda b, s: True)
qs = [terms(q) for q in QUESTIONS]
for q in qs: many.search(q, 40); one.search(q, 40)
res = {"many": [], "one": []}
for r in range(rounds):
    for name, ix in (("many", many), ("one", one)) if r % 2 == 0 else (("one", one), ("many", many)):
        for q in qs:
            t = time.perf_counter(); a = ix.search(q, 40); res[name].append((time.perf_counter() - t) * 1000)
same = all([s for _, s in many.search(q, 40)] == [s for _, s in one.search(q, 40)] for q in qs)
print(f"{len(names)} segments, {many.n_docs} docs; merge all -> 1: {merge_s:.2f}s; same top-40 scores: {same}")
for k, v in res.items():
    v.sort(); print(f"{k}: p50 {statistics.median(v):.2f} ms  p95 {v[int(len(v)*0.95)]:.2f} ms  (n={len(v)})")
print("load", os.getloadavg())
