"""The login, with a back-off: after ``max_login_failures`` failed attempts from one client
address, further attempts from it are refused for ``login_lockout_s`` seconds (HTTP 429 with a
message and ``Retry-After``), even with the right password.

Gradio calls the ``auth`` callable with the user name and password only, so a small ASGI
middleware puts the client's address in a context variable for the duration of each request."""

from __future__ import annotations

import contextvars
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

from fastapi import HTTPException

CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("ba_client_address", default="unknown")


class ClientAddress:
    """ASGI middleware: ``CLIENT`` holds the address of the request's client."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http":
            return await self.app(scope, receive, send)
        client = scope.get("client")
        token = CLIENT.set(client[0] if client else "unknown")
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginGuard:
    """``guard(user, password) -> bool``: Gradio's ``auth`` callable for one ``user:password``
    pair, counting failures per client (``clock`` is injectable for tests)."""

    def __init__(self, user: str, password: str, max_failures: int, lockout_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self._user, self._password = user.encode(), password.encode()
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    @property
    def policy(self) -> str:
        minutes = self.lockout_s / 60
        wait = f"{minutes:g} minute{'s' if minutes != 1 else ''}" if self.lockout_s >= 60 else f"{self.lockout_s:g} s"
        return (f"After {self.max_failures} failed attempts from one address, "
                f"logins from it are refused for {wait}.")

    def _forget_old(self, now: float) -> None:
        """Records of clients that stopped failing long ago (bounded memory)."""
        stale = [c for c, r in self._records.items() if r.locked_until <= now and now - r.last > self.lockout_s]
        for c in stale:
            del self._records[c]

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` may try again (0: it may now)."""
        with self._lock:
            r = self._records.get(client)
            return max(0.0, r.locked_until - self.clock()) if r else 0.0

    def _refuse(self, wait: float) -> HTTPException:
        seconds = max(1, math.ceil(wait))
        return HTTPException(status_code=429, headers={"Retry-After": str(seconds)},
                             detail=f"Too many failed logins from your address: try again in {seconds} s. "
                                    f"{self.policy}")

    def check(self, user: str, password: str, client: str) -> bool:
        """True for the right pair; False for a wrong one; ``HTTPException(429)`` while ``client``
        is locked out (the pair is then not even compared)."""
        with self._lock:
            now = self.clock()
            self._forget_old(now)
            record = self._records.setdefault(client, _Record())
            if record.locked_until > now:
                raise self._refuse(record.locked_until - now)
            ok = secrets.compare_digest(user.encode(), self._user) & secrets.compare_digest(  # both compared
                password.encode(), self._password)
            if ok:
                del self._records[client]
                return True
            record.failures, record.last = record.failures + 1, now
            if record.failures >= self.max_failures:
                record.failures, record.locked_until = 0, now + self.lockout_s
            return False

    def __call__(self, user: str, password: str) -> bool:
        return self.check(user, password, CLIENT.get())
