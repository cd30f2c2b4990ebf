"""Reading input files safely: size limit, binary detection, encoding detection, and one clear
error message per bad file."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from assistant.config import MB
from assistant.errors import SourceError

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".rst"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}  # rendered to HTML (Python-Markdown), then read as HTML


@dataclass(frozen=True)
class SourceDocument:
    path: str
    text: str
    encoding: str
    content_hash: str  # sha256 of the raw bytes
    is_html: bool


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > max(8, len(sample) // 50)


def decode(data: bytes, path: str | Path) -> tuple[str, str]:
    """Bytes -> (text, encoding). UTF-8 first; another encoding only when detection is confident;
    a UTF-8 file with corrupt bytes is refused rather than mangled."""
    for bom, enc in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                raise SourceError(path, "undecodable bytes: starts with a UTF-16 mark but is not UTF-16") from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as err:
        first_bad = err.start
    # Mostly valid UTF-8 with multi-byte characters: a damaged UTF-8 file, not another encoding.
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    multibyte = len(re.findall(rb"[\xc2-\xf4][\x80-\xbf]+", data))
    if multibyte >= 3 and bad <= multibyte:
        raise SourceError(path, f"undecodable bytes: invalid UTF-8 at byte {first_bad} ({bad} bad sequence(s))")
    matches = list(from_bytes(data))
    if not matches or matches[0].chaos > 0.25:
        raise SourceError(path, f"undecodable bytes: not UTF-8 (invalid at byte {first_bad}) and no other text encoding fits")
    # equally plausible single-byte encodings (cp1250 vs cp1252 for French): prefer the common one
    tied = [m for m in matches if (m.chaos, m.coherence) == (matches[0].chaos, matches[0].coherence)]
    best = min(tied, key=lambda m: _PREFERRED.index(m.encoding) if m.encoding in _PREFERRED else len(_PREFERRED))
    return str(best), best.encoding


_PREFERRED = ["cp1252", "latin_1", "iso8859_15", "cp1251", "koi8_r", "cp1250", "iso8859_2"]


def read_source(path: str | Path, max_bytes: int, *, data: bytes | None = None) -> SourceDocument:
    """Read and decode one file. ``data`` may be given for uploads (``path`` is then its name)."""
    p = Path(path)
    if data is None:
        if not p.exists():
            raise SourceError(path, "no such file or folder")
        if not p.is_file():
            raise SourceError(path, "not a regular file")
        size = p.stat().st_size
        if size > max_bytes:
            raise SourceError(path, f"file is {size / MB:.1f} MB, over the {max_bytes / MB:.1f} MB limit "
                                    f"(ASSISTANT_MAX_FILE_MB)")
        try:
            data = p.read_bytes()
        except OSError as err:
            raise SourceError(path, f"cannot read: {err.strerror or err}") from err
    elif len(data) > max_bytes:
        raise SourceError(path, f"file is {len(data) / MB:.1f} MB, over the {max_bytes / MB:.1f} MB limit")
    if not data.strip():
        raise SourceError(path, "empty file")
    if _looks_binary(data) and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(path, "binary file, not text (expected a UTF-8 text or HTML transcript)")
    text, encoding = decode(data, path)
    if not text.strip():
        raise SourceError(path, "empty file")
    text, is_html = _as_markup(p.suffix.lower(), text)
    return SourceDocument(str(path), text, encoding, content_hash(data), is_html)


def _as_markup(suffix: str, text: str) -> tuple[str, bool]:
    """(text, whether it is HTML): a Markdown file is rendered to HTML ('#' headings, '**'
    emphasis, lists)."""
    head = text[:2000].lower()
    if suffix in HTML_SUFFIXES or "<html" in head or "<!doctype html" in head:
        return text, True
    if suffix in MARKDOWN_SUFFIXES:
        import markdown

        return markdown.markdown(text), True
    return text, False


def expand_paths(paths: list[str | Path]) -> tuple[list[Path], list[SourceError]]:
    """Files as given; folders recursively (text-like files only, hidden ones skipped)."""
    files: list[Path] = []
    errors: list[SourceError] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                errors.append(SourceError(p, "folder has no .txt/.html/.md files"))
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            errors.append(SourceError(p, "no such file or folder"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique, errors
