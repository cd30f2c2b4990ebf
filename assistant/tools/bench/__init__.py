"""``briefing-assistant bench``: ingest throughput (and the plain torch fp32 encode of the same
chunks), index size, retrieval, query-embedding and answer latency, memory and cold start on
synthetic corpora of growing size.

The corpora are made from the sample transcript by ``assistant.tools.synthetic`` (perturbed
copies labelled ``[synthetic #N]``) and go through the real reader, parser, chunker and index.

Everything is written to a temporary folder with its own index (never the user's index); the
corpus grows step by step (1, then 9 more, ...), so the total work is that of the largest size.

Modules: ``results`` (the typed results), ``measure`` (the measurements), ``run`` (the run),
``report`` (log lines, notes, plot), ``reuse`` (copied vectors past ``--real-embed-limit``, for
sizes too large to embed in the run); and, run on their own, ``runtimes`` (embedder runtimes
compared, interleaved) and ``agreement`` (their QA results against torch fp32)."""

from assistant.tools.bench.run import QUESTIONS, run_bench

__all__ = ["QUESTIONS", "run_bench"]
