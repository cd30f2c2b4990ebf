"""Statement sections: the body headings, matched to the table of contents when there is one,
else heading-like lines."""

from __future__ import annotations

from assistant.ingest.parsing.lines import MARKDOWN_HEADING, Line, content_lines, is_boilerplate, looks_like_heading
from assistant.text import canonical_title


def statement_sections(lines: list[Line], toc_titles: list[str]) -> list[tuple[str, bool, list[Line], Line | None]]:
    """(title, from_toc, body lines, title line) for the statement part of the body."""
    heads: list[tuple[int, str, bool]] = []  # (line index, title, from_toc)
    if toc_titles:
        wanted = [canonical_title(t) for t in toc_titles]
        k = 0
        for idx, ln in enumerate(lines):
            c = canonical_title(MARKDOWN_HEADING.sub("", ln.text))
            if not c:
                continue
            for kk in range(k, len(wanted)):
                if c == wanted[kk]:
                    heads.append((idx, toc_titles[kk], True))
                    k = kk + 1
                    break
    if not heads:
        nonblank = [i for i, ln in enumerate(lines) if ln.text and not is_boilerplate(ln)]
        for pos, idx in enumerate(nonblank):
            nxt = lines[nonblank[pos + 1]] if pos + 1 < len(nonblank) else None
            if looks_like_heading(lines[idx], nxt):
                heads.append((idx, MARKDOWN_HEADING.sub("", lines[idx].text).strip(), False))
    out = []
    for h, (idx, title, from_toc) in enumerate(heads):
        stop = heads[h + 1][0] if h + 1 < len(heads) else len(lines)
        body = content_lines(lines[idx + 1 : stop])
        if body:
            out.append((title, from_toc, body, lines[idx]))
    return out
