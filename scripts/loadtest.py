"""Load test of the web chat's ``/ask`` API (issue 12): ``--clients`` clients (plain HTTP to the
Gradio API, or gradio_client with one session each) ask normal questions while, in every other
phase, ``--oversized`` more clients send questions of ``--chars`` characters as fast as they are
refused. The two conditions alternate (without, with, without, with, … ``--rounds`` times); the
normal questions' p50/p95 are compared, per round and over all rounds (the p95 of every answer of a
condition: the target's number).

Checked on every request: a normal question gets the answer to *its own* question (the returned
``question`` is the one sent and the answer holds that question's keyword: no cross-talk) and no
error; an oversized one is refused with the length message (``max_question_chars``).

    python scripts/loadtest.py                    # serves a temp index (sample corpus, extractive mode)
    python scripts/loadtest.py --url http://127.0.0.1:7860/ --json out.json

Without ``--url`` it starts ``python -m assistant serve`` with ``ASSISTANT_LLM=extractive`` on a
fresh index in a temp folder (the sample briefing is ingested on start) and stops it at the end.
Exit status 0 when there were no errors, no cross-talk, every oversized question was refused with
the length message and the p95 with oversized clients (all rounds) is within ``--target`` times the
p95 without. On a shared machine the per-round ratios scatter; record ``uptime`` (printed per phase).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

from assistant.tools.chroma_server import free_port  # noqa: E402

# (question, keywords: the answer to this question holds one of them) — all about the sample briefing
QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("Who convened the Paris conference on Libya?", ("Macron",)),
    ("Who is the Moldovan foreign minister coming to Moscow for talks with Lavrov?", ("Moldova",)),
    ("What percentage of the vote did Daniel Ortega get?", ("75 percent",)),
    ("How many children is the polio vaccination drive in Afghanistan supposed to reach?", ("10 million",)),
    ("how many isis fighters surrendered in afghanistan in the last two months", ("250",)),
    ("Which armed group has joined the Tigray Defence Forces in the fighting against the Ethiopian army?", ("Oromo",)),
    ("When does Lavrov meet OSCE Chairperson-in-Office Ann Linde?", ("November 19",)),
    ("Which French ministers will sit across from Lavrov and Shoigu at the 2+2 talks in Paris?",
     ("Security Cooperation Council",)),
]
LENGTH_MESSAGE = "characters long; the limit is"


class HttpClient:
    """The ``/ask`` API over plain HTTP (``POST /gradio_api/call/ask``, then its event stream):
    the same calls as ``gradio_client.Client.predict`` at a fraction of its CPU (on a 2-core
    machine the load generator competes with the server, so its cost matters). Errors raise
    ``RuntimeError`` with the server's message."""

    ARGS = ("", None, "", "")  # mode, briefing_ids, date_from, date_to: all five values are required

    def __init__(self, url: str):
        import httpx

        self.url = url.rstrip("/") + "/gradio_api/call/ask"
        self.http = httpx.Client(timeout=300)

    def predict(self, question, *args, api_name: str = "/ask"):
        values = [question, *args, *self.ARGS[len(args):]]
        event = self.http.post(self.url, json={"data": values})
        event.raise_for_status()
        kind = None
        with self.http.stream("GET", f"{self.url}/{event.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind in ("complete", "error"):
                    data = json.loads(line[5:])
                    if kind == "complete":
                        return data[0]
                    raise RuntimeError(data.get("error") if isinstance(data, dict) else data)
        raise RuntimeError("the event stream ended without a result")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def load_average() -> float:
    return os.getloadavg()[0]


class Phase:
    """One condition of the test: the normal clients' answers and, when ``oversized``, the
    refusals of the oversized clients that ran meanwhile."""

    def __init__(self, oversized: bool):
        self.oversized = oversized
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.crosstalk: list[str] = []
        self.refusals: list[float] = []
        self.bad_refusals: list[str] = []
        self.lock = threading.Lock()

    def normal(self, client, questions: Sequence[tuple[str, tuple[str, ...]]], start: threading.Barrier) -> None:
        start.wait()
        for question, keywords in questions:
            t0 = time.perf_counter()
            try:
                result = client.predict(question, api_name="/ask")
            except Exception as err:  # noqa: BLE001 - counted and reported
                with self.lock:
                    self.errors.append(f"{question[:40]!r}: {type(err).__name__}: {str(err)[:200]}")
                continue
            elapsed = time.perf_counter() - t0
            with self.lock:
                self.latencies.append(elapsed)
                if result.get("question") != question or result.get("abstained") or not any(
                        k in result.get("answer", "") for k in keywords):
                    self.crosstalk.append(f"asked {question[:40]!r}, got {result.get('question', '')[:40]!r}: "
                                          f"{result.get('answer', '')[:120]!r}")

    def flood(self, client, chars: int, start: threading.Barrier, stop: threading.Event) -> None:
        unit = "Who convened the Paris conference on Libya? "
        question = (unit * (chars // len(unit) + 1))[:chars]
        start.wait()
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                client.predict(question, api_name="/ask")
                problem = "answered instead of refused"
            except Exception as err:  # noqa: BLE001 - the refusal is the expected outcome
                problem = None if LENGTH_MESSAGE in str(err) else f"{type(err).__name__}: {str(err)[:200]}"
            with self.lock:
                self.refusals.append(time.perf_counter() - t0)
                if problem:
                    self.bad_refusals.append(problem)

    def run(self, normal_clients: list, flood_clients: list, per_client: int, chars: int,
            questions: Sequence[tuple[str, tuple[str, ...]]]) -> dict:
        floods = flood_clients if self.oversized else []
        start = threading.Barrier(len(normal_clients) + len(floods))
        stop = threading.Event()
        load_before = load_average()
        workers = [threading.Thread(target=self.normal, args=(c, [questions[(i + j) % len(questions)]
                                                                  for j in range(per_client)], start))
                   for i, c in enumerate(normal_clients)]
        flooders = [threading.Thread(target=self.flood, args=(c, chars, start, stop)) for c in floods]
        t0 = time.perf_counter()
        for t in workers + flooders:
            t.start()
        for t in workers:
            t.join()
        stop.set()
        for t in flooders:
            t.join()
        return {
            "oversized": self.oversized, "answers": len(self.latencies), "wall_s": time.perf_counter() - t0,
            "p50_s": percentile(self.latencies, 50), "p95_s": percentile(self.latencies, 95),
            "max_s": max(self.latencies, default=float("nan")), "latencies_s": self.latencies,
            "errors": self.errors, "crosstalk": self.crosstalk,
            "refused": len(self.refusals), "refusal_p50_s": percentile(self.refusals, 50),
            "refusal_p95_s": percentile(self.refusals, 95), "bad_refusals": self.bad_refusals[:10],
            "load_before": load_before, "load_after": load_average(),
        }


def run(url: str, clients: int = 20, oversized: int = 2, rounds: int = 2, per_client: int = 3,
        chars: int = 100_000, questions: Sequence[tuple[str, tuple[str, ...]]] = QUESTIONS,
        transport: str = "http") -> dict:
    """The alternating phases against the app at ``url``; a summary with every phase.
    ``transport``: ``http`` (``HttpClient``) or ``gradio_client`` (one ``Client`` per client)."""
    if transport == "gradio_client":
        from gradio_client import Client

        def make():
            return Client(url, verbose=False)
    else:
        def make():
            return HttpClient(url)

    normal = [make() for _ in range(clients)]
    floods = [make() for _ in range(oversized)]
    for q, _ in questions:  # warm-up: each question once, not measured
        normal[0].predict(q, api_name="/ask")
    phases = [Phase(flag).run(normal, floods, per_client, chars, questions)
              for _ in range(rounds) for flag in (False, True)]
    without = [p for p in phases if not p["oversized"]]
    with_ = [p for p in phases if p["oversized"]]
    ratios = [w["p95_s"] / wo["p95_s"] for wo, w in zip(without, with_)]
    pooled = {name: [t for p in group for t in p["latencies_s"]]
              for name, group in (("without", without), ("with", with_))}
    p95 = {name: percentile(values, 95) for name, values in pooled.items()}
    return {
        "url": url, "transport": transport, "clients": clients, "oversized_clients": oversized,
        "per_client": per_client, "chars": chars,
        "phases": phases, "p95_ratio_per_round": ratios,
        "p50_without_s": percentile(pooled["without"], 50), "p50_with_s": percentile(pooled["with"], 50),
        "p95_without_s": p95["without"], "p95_with_s": p95["with"], "p95_ratio": p95["with"] / p95["without"],
        "errors": sum(len(p["errors"]) for p in phases), "crosstalk": sum(len(p["crosstalk"]) for p in phases),
        "refused": sum(p["refused"] for p in with_), "bad_refusals": sum(len(p["bad_refusals"]) for p in with_),
    }


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request_costs(url: str, pid: int | None, chars: int = 100_000, n: int = 30) -> dict:
    """One client alone, ``n`` requests of each kind one after the other: latency p50/p95 and,
    given the server's ``pid``, its CPU per request. Shows what a refusal costs the server."""
    client = HttpClient(url)
    unit = "Who convened the Paris conference on Libya? "
    kinds = {f"{chars:,}-char question": (unit * (chars // len(unit) + 1))[:chars], "empty question": "",
             "normal question": QUESTIONS[0][0]}
    out = {}
    for name, question in kinds.items():
        latencies, cpu0 = [], process_cpu_s(pid) if pid else 0.0
        for _ in range(n):
            t0 = time.perf_counter()
            try:
                client.predict(question)
                outcome = "answered"
            except RuntimeError as err:
                outcome = str(err)
            latencies.append(time.perf_counter() - t0)
        cpu = (process_cpu_s(pid) - cpu0) / n if pid else float("nan")
        out[name] = {"p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95), "server_cpu_s": cpu,
                     "outcome": outcome}
        print(f"{name:<26} alone: p50 {out[name]['p50_s'] * 1000:5.0f} ms, p95 {out[name]['p95_s'] * 1000:5.0f} ms, "
              f"server CPU {cpu * 1000:4.0f} ms/request — {outcome[:70]}", flush=True)
    return out


def start_server(folder: Path, port: int, timeout: float = 600.0, name: str = "serve") -> subprocess.Popen:
    """``python -m assistant serve`` in extractive mode on a new index in ``folder`` (or the one a
    server started before made there); returns once the page answers (the sample is ingested
    first). Its output goes to ``folder/<name>.log``."""
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(folder / "index"), "ASSISTANT_LLM": "extractive",
           "ASSISTANT_HOST": "127.0.0.1", "ASSISTANT_PORT": str(port)}
    env.pop("ASSISTANT_AUTH", None)
    log = open(folder / f"{name}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped; see {folder / f'{name}.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the server did not start within {timeout:.0f} s; see {folder / f'{name}.log'}")


def report(summary: dict, target: float) -> bool:
    print(f"{'phase':<16}{'answers':>8}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'refused':>9}{'ref.p95 s':>10}"
          f"{'load':>12}{'wall s':>8}")
    for i, p in enumerate(summary["phases"]):
        name = f"{i // 2 + 1}: {'with' if p['oversized'] else 'without'}"
        print(f"{name:<16}{p['answers']:>8}{p['p50_s']:>8.2f}{p['p95_s']:>8.2f}{p['max_s']:>8.2f}{p['refused']:>9}"
              f"{p['refusal_p95_s']:>10.3f}{p['load_before']:>6.2f}→{p['load_after']:<5.2f}{p['wall_s']:>8.1f}")
    ratios = ", ".join(f"{r:.2f}" for r in summary["p95_ratio_per_round"])
    print(f"all rounds: without p50 {summary['p50_without_s']:.2f} s p95 {summary['p95_without_s']:.2f} s; "
          f"with p50 {summary['p50_with_s']:.2f} s p95 {summary['p95_with_s']:.2f} s; "
          f"p95 ratio {summary['p95_ratio']:.2f} (per round: {ratios})")
    print(f"errors {summary['errors']}, cross-talk {summary['crosstalk']}, oversized refused "
          f"{summary['refused']} (not with the length message: {summary['bad_refusals']})")
    for p in summary["phases"]:
        for line in (p["errors"] + p["crosstalk"] + p["bad_refusals"])[:5]:
            print("  ", line)
    ok = (summary["errors"] == 0 and summary["crosstalk"] == 0 and summary["bad_refusals"] == 0
          and summary["refused"] > 0 and summary["p95_ratio"] <= target)
    print(f"target (p95 ratio over all rounds ≤ {target}, no errors, no cross-talk, every oversized refused): "
          f"{'met' if ok else 'NOT met'}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running web chat (default: start one on a temp index)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--oversized", type=int, default=2)
    ap.add_argument("--chars", type=int, default=100_000, help="length of the oversized questions")
    ap.add_argument("--rounds", type=int, default=2, help="pairs of phases (without, with)")
    ap.add_argument("--per-client", type=int, default=3, help="questions each normal client asks per phase")
    ap.add_argument("--target", type=float, default=1.5)
    ap.add_argument("--transport", choices=("http", "gradio_client"), default="http",
                    help="plain HTTP to the Gradio API (cheap on the client) or gradio_client")
    ap.add_argument("--costs", action="store_true", help="first: each kind of request alone, with the server's CPU")
    ap.add_argument("--server-pid", type=int, help="the pid of the server at --url (for --costs)")
    ap.add_argument("--json", type=Path, help="write the summary here")
    args = ap.parse_args(argv)
    server = folder = None
    try:
        url = args.url
        if not url:
            folder = Path(tempfile.mkdtemp(prefix="loadtest-"))
            port = free_port()
            print(f"starting the server on a new index in {folder} …", flush=True)
            server = start_server(folder, port)
            url = f"http://127.0.0.1:{port}/"
        costs = request_costs(url, server.pid if server else args.server_pid, args.chars) if args.costs else None
        summary = run(url, args.clients, args.oversized, args.rounds, args.per_client, args.chars,
                      transport=args.transport)
        summary["costs_alone"] = costs
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
            shutil.rmtree(folder, ignore_errors=True)
    ok = report(summary, args.target)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
