"""A Chroma server (``chroma run``) on loopback for tests, scripts and measurements: started as a
subprocess on a free port with its own data folder, ready once its heartbeat answers (polled with
a deadline), stopped on exit. Telemetry off."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil

HOST = "127.0.0.1"


class ChromaServerError(RuntimeError):
    """The server did not start (the message holds the end of its log)."""


def chroma_executable() -> str | None:
    """The ``chroma`` command (installed with the chromadb package), or None."""
    return shutil.which("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def heartbeat(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/api/v2/heartbeat", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def listening_pid(port: int) -> int | None:
    """The process listening on this TCP port of this machine, or None."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return conn.pid
    except psutil.Error:
        pass
    return None


def process_rss_mb(pid: int | None) -> float | None:
    """A process's resident memory in MB (None: no such process)."""
    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1) if pid else None
    except psutil.Error:
        return None


class ChromaServer:
    """``with ChromaServer(path) as server:`` serves ``path`` on ``server.port`` until the block ends."""

    def __init__(self, path: str | Path, port: int | None = None, start_timeout_s: float = 60.0):
        self.path = Path(path)
        self.port = port or free_port()
        self.host = HOST
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self.log_path = self.path.parent / f"{self.path.name}.chroma.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ChromaServer":
        exe = chroma_executable()
        if exe is None:
            raise ChromaServerError("the chroma command (from the chromadb package) is not on PATH")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([exe, "run", "--path", str(self.path), "--host", self.host,
                                          "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.start_timeout_s
        while not heartbeat(self.host, self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise ChromaServerError(f"chroma run did not answer its heartbeat on port {self.port}: {tail}")
            time.sleep(0.1)
        return self

    def rss_mb(self) -> float | None:
        """The server process's resident memory."""
        return process_rss_mb(self.proc.pid if self.proc else None)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)

    def __enter__(self) -> "ChromaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
