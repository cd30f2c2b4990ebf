"""The one place where the web chat turns errors into messages: every event handler is wrapped
by ``ErrorGate.wrap`` when it is wired. An ``AssistantError`` (bad question, date, filter or
answer mode, busy session, …) is shown with its own one-line message as ``gr.Error``; anything
else is logged with its traceback and shown as a generic message. Messages never carry Python
exception text or server paths, and ``<``/``&`` are escaped (Gradio renders them as HTML)."""

from __future__ import annotations

import functools
import html
import inspect
import logging
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import gradio as gr

from assistant.errors import AssistantError

log = logging.getLogger(__name__)

UNEXPECTED = "The server could not complete this request; the problem was logged."
_ABSOLUTE_PATH = re.compile(r"(?<![\w/.~])(?:[A-Za-z]:)?[/\\](?:[^\s/\\'\"“”]+[/\\])+([^\s/\\'\"“”]*)")


class ErrorGate:
    """Wraps handlers so that what they raise reaches the page as a safe message."""

    def __init__(self, hidden: Iterable[tuple[str | Path, str]] = ()):
        """``hidden``: (server folder, what to call it in messages), e.g. the index folder."""
        pairs = []
        for folder, name in hidden:
            for form in {str(folder), str(Path(folder).expanduser().resolve())}:
                if form and form not in (".", os.sep):
                    pairs.append((form.rstrip("/\\"), name))
        self.hidden = sorted(pairs, key=lambda p: -len(p[0]))  # longest first: nested folders

    def message(self, err: BaseException) -> str:
        """What the user is told about ``err``."""
        if not isinstance(err, AssistantError):
            return UNEXPECTED
        text = str(err)
        for folder, name in self.hidden:
            text = text.replace(folder, name)
        return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "a server folder", text)

    def error(self, err: BaseException) -> gr.Error:
        if not isinstance(err, AssistantError):
            log.error("a web request failed", exc_info=err)
        return gr.Error(html.escape(self.message(err), quote=False), print_exception=False)

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` (a function or a generator function) with its errors turned into ``gr.Error``.
        The signature is kept, so Gradio still injects ``gr.Request``, ``gr.Progress``, event data."""
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen(*args, **kwargs):
                try:
                    yield from fn(*args, **kwargs)
                except gr.Error:
                    raise
                except Exception as err:  # noqa: BLE001 - the one place errors become messages
                    raise self.error(err) from None
            return gen

        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as err:  # noqa: BLE001 - the one place errors become messages
                raise self.error(err) from None
        return call
