"""The one error hierarchy. Every error the program expects is an ``AssistantError`` whose message
names the file or the input and the problem, in one line a user can act on; the CLI and the web
chat catch ``AssistantError`` once each and show its message (tracebacks only with
``ASSISTANT_DEBUG``)."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every expected error; ``str(err)`` is the one-line message shown to users.
    ``exit_code`` is the command line's: 1 when the request failed on its input, 2 when the
    request itself or the environment is wrong (usage, index, models, configuration)."""

    exit_code = 1


class InputError(AssistantError, ValueError):
    """A request that cannot be answered as given (empty question, unknown answer mode, bad date)."""

    exit_code = 2


class SourceError(AssistantError, ValueError):
    """A briefing file that cannot be read (missing, empty, binary, undecodable, too large)."""

    def __init__(self, path: str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class ParseError(AssistantError, ValueError):
    """Text with no structure we can cite (the message names the file)."""


class IndexUnavailable(AssistantError, RuntimeError):
    """The index cannot be used as it is (the message says why and what to do)."""

    exit_code = 2


class IndexDamaged(IndexUnavailable):
    """The index folder is inconsistent or damaged (a file missing, truncated or unreadable, the
    stores disagreeing, vectors made by another embedder); the message names the folder and the
    problem and ends with "run: briefing-assistant check --repair"."""


class EmptyIndex(AssistantError):
    """The index holds no briefing yet (the message says how to add some)."""


class NotInIndex(AssistantError, KeyError):
    """A briefing id that is not in the index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelError(AssistantError, RuntimeError):
    """A language model that cannot be assembled, loaded or reached."""

    exit_code = 2


class ConfigError(AssistantError, FileNotFoundError):
    """A resource the settings point at is missing or malformed (prompt files, lexicon files)."""

    exit_code = 2


class QAFileError(AssistantError, ValueError):
    """A malformed QA file; the message names the file and the line."""

    exit_code = 2
