"""Processes with the real models (issue 12): running web chats (A; ``--web-chats 2``: A and A2)
and the command line (B) on one index. B runs ``python -m assistant ingest`` of a new briefing,
then ``remove`` of it; a client per web chat polls its ``/ask`` all the while. Reported: the time
from B's commit (the replacement of ``registry.json``) and from B's exit until each web chat
answers from the new briefing — and until it no longer cites it after the removal. Target: at
most 3 s. ``--chroma`` puts the vectors on a Chroma server (``chroma run``) started for the run,
which every process shares (issue 11: past one machine).

    python scripts/measure_web_sync.py                # serves a temp index (sample, extractive)
    python scripts/measure_web_sync.py --chroma --web-chats 2
    python scripts/measure_web_sync.py --url http://127.0.0.1:7860/ --index ./index

The tested, fast version (hashing embedder): tests/test_web_replicas.py.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest import ROOT, free_port, start_server  # noqa: E402

sys.path.insert(0, str(ROOT))
from assistant.tools.chroma_server import ChromaServer  # noqa: E402

NEW_ID = "2021-12-01-narnia"
QUESTION = "Which museum will the Narnian minister visit in Saint Petersburg?"
BRIEFING = (ROOT / "tests" / "data" / "web" / "2021-12-01-narnia.txt").read_text(encoding="utf-8")


class Poller(threading.Thread):
    """Asks A the question again and again; ``seen`` holds (time answered, cites the new briefing)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        from gradio_client import Client

        self.client = Client(url, verbose=False)
        self.seen: list[tuple[float, bool]] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                r = self.client.predict(QUESTION, api_name="/ask")
            except Exception as err:  # noqa: BLE001 - counted and reported
                self.errors.append(f"{time.strftime('%H:%M:%S')} {type(err).__name__}: {str(err)[:300]}")
                continue
            cites = not r["abstained"] and any(c["briefing_id"] == NEW_ID for c in r["citations"])
            self.seen.append((time.time(), cites))

    def first(self, after: float, cites: bool, timeout: float = 60.0) -> float:
        deadline = time.time() + timeout
        while time.time() < deadline:
            hits = [t for t, c in list(self.seen) if t > after and c == cites]
            if hits:
                return hits[0]
            time.sleep(0.02)
        raise SystemExit(f"A did not {'answer from' if cites else 'forget'} the new briefing within {timeout} s")


def listed(registry: Path) -> bool | None:
    """Whether the committed registry lists the new briefing (None: unreadable right now)."""
    try:
        return NEW_ID in json.loads(registry.read_text(encoding="utf-8"))["briefings"]
    except (OSError, ValueError, KeyError):
        return None


def cli(index: Path, *argv: str) -> tuple[float, float]:
    """B: ``python -m assistant …`` on ``index``; (its commit: the first moment ``registry.json``
    lists the new briefing for an ingest, or no longer lists it for a removal, polled every 5 ms
    while B runs; its exit time). Before the commit B rewrites the registry to mark the briefing
    pending, so a change of the file alone is not the commit."""
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index)}
    registry = index / "registry.json"
    wanted = argv[0] == "ingest"
    errors = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=errors, text=True)
    commit = None
    while proc.poll() is None:
        if commit is None and listed(registry) is wanted:
            commit = time.time()
        time.sleep(0.005)
    done = time.time()
    if proc.returncode != 0:
        errors.seek(0)
        raise SystemExit(f"{' '.join(argv)} failed: {errors.read()[-2000:]}")
    if commit is None:
        raise SystemExit(f"the commit of {' '.join(argv)} was not seen")
    return commit, done


def start_web_chats(folder: Path, n: int) -> tuple[list[subprocess.Popen], list[str]]:
    """``n`` web chats on one new index in ``folder``, one after the other (the first ingests the
    sample)."""
    servers, urls = [], []
    for i in range(n):
        port = free_port()
        print(f"starting web chat {i + 1} of {n} on the index in {folder} …", flush=True)
        servers.append(start_server(folder, port, name=f"serve-{i + 1}"))
        urls.append(f"http://127.0.0.1:{port}/")
    return servers, urls


def measure(urls: list[str], index: Path, new_file: Path, repeat: int) -> tuple[list[dict], list[Poller]]:
    pollers = [Poller(url) for url in urls]
    for poller in pollers:
        poller.start()
    rows = []
    try:
        for poller in pollers:
            poller.first(0, cites=False)
        for _ in range(repeat):
            commit, exit_ = cli(index, "ingest", "--quiet", str(new_file))
            answered = [poller.first(commit, cites=True) for poller in pollers]
            rcommit, rexit = cli(index, "remove", NEW_ID)
            forgotten = [poller.first(rcommit, cites=False) for poller in pollers]
            rows.append({"ingest_from_commit_s": [t - commit for t in answered],
                         "ingest_from_exit_s": [t - exit_ for t in answered],
                         "remove_from_commit_s": [t - rcommit for t in forgotten],
                         "remove_from_exit_s": [t - rexit for t in forgotten], "load": os.getloadavg()[0]})
            print(json.dumps({k: [round(x, 2) for x in v] if isinstance(v, list) else round(v, 2)
                              for k, v in rows[-1].items()}), flush=True)
    finally:
        for poller in pollers:
            poller.stop.set()
        for poller in pollers:
            poller.join(timeout=120)  # its last question finishes before the server stops
    return rows, pollers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", action="append", help="a running web chat (repeatable; default: start them on a "
                                                   "temp index)")
    ap.add_argument("--index", type=Path, help="the index folder of the web chat(s) at --url")
    ap.add_argument("--web-chats", type=int, default=1, help="web chats to start on the temp index (without --url)")
    ap.add_argument("--chroma", action="store_true", help="start a Chroma server (chroma run) for the temp index; "
                                                          "every process uses it")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="websync-"))
    servers: list[subprocess.Popen] = []
    chroma, index = None, None
    try:
        if args.chroma:
            chroma = ChromaServer(folder / "chroma-server").start()
            os.environ.update(ASSISTANT_CHROMA_HOST=chroma.host, ASSISTANT_CHROMA_PORT=str(chroma.port))
        if args.url:
            urls, index = args.url, args.index.resolve()
        else:
            servers, urls = start_web_chats(folder, args.web_chats)
            index = folder / "index"
        new_file = folder / f"{NEW_ID}.txt"
        new_file.write_text(BRIEFING, encoding="utf-8")
        if listed(index / "registry.json") is not False:
            raise SystemExit(f"{index}/registry.json is unreadable or already lists {NEW_ID}")
        from gradio_client import Client

        if not all(Client(url, verbose=False).predict(QUESTION, api_name="/ask")["abstained"] for url in urls):
            raise SystemExit("a web chat answers the question before the ingest (a copy of the briefing is "
                             "indexed?): use an index without one")
        rows, pollers = measure(urls, index, new_file, args.repeat)
    finally:
        if index is not None and listed(index / "registry.json"):  # stopped half-way: leave the index as it was
            subprocess.run([sys.executable, "-m", "assistant", "remove", NEW_ID], cwd=ROOT,
                           env={**os.environ, "ASSISTANT_INDEX_DIR": str(index)}, capture_output=True)
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if chroma is not None:
            chroma.stop()
        shutil.rmtree(folder, ignore_errors=True)
    polls = sum(len(p.seen) for p in pollers)
    errors = [e for p in pollers for e in p.errors]
    worst = max(max(*r["ingest_from_commit_s"], *r["remove_from_commit_s"]) for r in rows)
    print(f"{len(errors)} /ask errors", *errors[:5], sep="\n  ")
    print(f"{polls} /ask polls of {len(urls)} web chat(s); worst time from B's commit to a web chat's answer "
          f"changing: {worst:.2f} s (target ≤ 3 s: {'met' if worst <= 3 else 'NOT met'})")
    if args.json:
        args.json.write_text(json.dumps({"urls": urls, "chroma_server": bool(chroma), "rows": rows, "polls": polls,
                                         "errors": errors}, indent=2))
    return 0 if worst <= 3 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
