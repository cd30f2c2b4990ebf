"""What the command line prints for ``inspect``, ``ingest`` and ``list`` (text and JSON)."""

from __future__ import annotations

import json
import sys

from assistant.models import KIND_LABELS, Briefing
from assistant.store.versions import BriefingVersions, layout_label

KIND_TAGS = {"statement": "S", "media_question": "Q", "contents": "C"}


def inspect_text(b: Briefing) -> str:
    """The parsed structure: header, the sections with their kind, and the parser's warnings."""
    lines = [f"{b.title}\n  date: {b.date or '?'}   speaker: {b.speaker or '?'}   place: {b.place or '?'}"
             f"   layout: {b.layout}"]
    kinds = [s.kind for s in b.sections]
    counts = f"{kinds.count('statement')} statements, {kinds.count('media_question')} media questions"
    if "contents" in kinds:
        counts += f", {kinds.count('contents')} {KIND_LABELS['contents'].lower()}"
    lines.append(f"  {len(b.sections)} sections: {counts}")
    for s in b.sections:
        extra = f"  ({len(s.exchanges)} exchanges)" if len(s.exchanges) > 1 else ""
        toc = "" if s.title_from_toc or s.kind == "contents" else "  [title not from the table of contents]"
        label = f"  [{KIND_LABELS[s.kind]}]" if s.kind == "contents" else ""
        lines.append(f"  {s.index:3d} {KIND_TAGS[s.kind]} [{s.start}:{s.end}] {s.title}{label}{extra}{toc}")
    lines.append("  kinds: " + ", ".join(f"{KIND_TAGS[k]} = {KIND_LABELS[k].lower()}" for k in KIND_TAGS
                                           if k in kinds))
    lines += [f"  warning: {w}" for w in b.warnings]
    return "\n".join(lines)


def ingest_report(report, as_json: bool) -> int:
    """One line per file (its warnings below it), errors on stderr, a summary; the exit code."""
    if as_json:
        files = [{**r.__dict__, "warnings": list(r.warnings)} for r in report.results]
        print(json.dumps({"seconds": round(report.seconds, 3), "files": files}, indent=2, ensure_ascii=False))
        return 0 if report.ok else 1
    for r in report.results:
        if r.status == "error":
            print(f"error: {r.error}", file=sys.stderr)
            continue
        print(f"{r.status:9s} {r.briefing_id}  ({r.chunks} chunks, {r.embedded} embedded, "
              f"{r.seconds:.1f} s)  {r.path}")
        for w in r.warnings:
            print(f"          warning: {w}")
    ok = len(report.results) - len(report.failed)
    warned = sum(1 for r in report.results if r.warnings)
    print(f"{ok} file(s) ingested, {len(report.failed)} failed, {report.embedded} chunks embedded "
          f"in {report.seconds:.1f} s" + (f"; {warned} with warnings" if warned else ""))
    return 0 if report.ok else 1


def list_json(groups: list[BriefingVersions]) -> str:
    """Every version, copies of one briefing next to each other (the official one first); each
    entry names its briefing (``briefing``), whether it is the official version and all versions."""
    out = []
    for g in groups:
        ids = [e.briefing_id for e in g.versions]
        for e in g.versions:
            out.append({**e.model_dump(mode="json"), "briefing": g.key, "official": e is g.official,
                        "versions": ids})
    return json.dumps(out, indent=2, ensure_ascii=False)


def _entry_line(e, indent: str = "") -> str:
    return (f"{indent}{e.briefing_id}  {e.date or '????-??-??'}  {e.section_count} sections  {e.chunk_count} chunks  "
            f"{e.ingested_at}  {e.path}" + ("  (warnings: " + "; ".join(e.warnings) + ")" if e.warnings else ""))


def list_text(groups: list[BriefingVersions]) -> str:
    """One line per briefing; a briefing with copies gets a line and one indented line per version."""
    lines = []
    for g in groups:
        if len(g.versions) == 1:
            lines.append(_entry_line(g.official))
            continue
        speaker = g.official.speaker or "speaker unknown"
        lines.append(f"{g.date}  {speaker}: one briefing, {len(g.versions)} versions")
        for e in g.versions:
            role = "official" if e is g.official else "copy"
            lines.append(f"{_entry_line(e, f'  {role:8s} ')}  [{layout_label(e)}]")
    return "\n".join(lines)
