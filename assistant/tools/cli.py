"""``briefing-assistant`` command line: ingest, inspect, list, remove, ask, eval, bench, serve."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant import offline  # noqa: F401  (offline environment before any heavy import)
from assistant.answer.modes import MODES
from assistant.config import Settings, get_settings
from assistant.errors import AssistantError


def _settings(args) -> Settings:
    settings = get_settings()
    updates = {}
    if getattr(args, "index", None):
        updates["index_dir"] = Path(args.index)
    if getattr(args, "llm", None):
        updates["llm"] = args.llm
    return settings.replace(**updates) if updates else settings


def _err(msg: str) -> None:
    print(f"briefing-assistant: {msg}", file=sys.stderr)


def _embedder(settings: Settings):
    from assistant.store import embed_runtimes

    return embed_runtimes.make_embedder(settings)


def _open_index(settings: Settings):
    from assistant.store.index import Index

    return Index(settings, _embedder(settings))


def _assistant(settings: Settings):
    from assistant.answer.model_process import start_models

    models = start_models(settings)  # first: the models load on another core while the rest imports
    from assistant.answer.assistant import Assistant
    from assistant.errors import EmptyIndex

    try:
        assistant = Assistant.from_settings(settings, preload=True, models=models)
    except BaseException:
        if models is not None:
            models.close()
        raise
    if len(assistant.index) == 0:
        assistant.close()
        raise EmptyIndex(f"the index at {settings.store.index_dir} is empty; run: briefing-assistant ingest PATH")
    return assistant


def cmd_inspect(args) -> int:
    from assistant.ingest.ingestor import parse_file
    from assistant.tools.cli_output import inspect_text

    b = parse_file(args.file, _settings(args), date=args.date)
    if args.json:
        summary = b.summary()
        summary.pop("id")
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    print(inspect_text(b))
    return 0


def cmd_ingest(args) -> int:
    from assistant.ingest.ingestor import Ingestor, check_date
    from assistant.tools.cli_output import ingest_report

    settings = _settings(args)
    date = check_date(args.date)  # before the index is opened
    report = Ingestor(_open_index(settings), settings).ingest(args.paths, show_progress=not args.quiet, date=date)
    return ingest_report(report, args.json)


def cmd_list(args) -> int:
    from assistant.tools.cli_output import list_json, list_text

    settings = _settings(args)
    index = _open_index(settings)
    groups = index.versions()
    if args.json:
        print(list_json(groups))
        return 0
    if not groups:
        print(f"the index at {index.root} is empty; add briefings with: briefing-assistant ingest PATH")
        return 0
    print(list_text(groups))
    return 0


def cmd_remove(args) -> int:
    from assistant.ingest.ingestor import Ingestor

    settings = _settings(args)
    entry = Ingestor(_open_index(settings), settings).remove(args.briefing_id)
    print(f"removed {entry.briefing_id} ({entry.chunk_count} chunks)")
    return 0


def cmd_check(args) -> int:
    from assistant.store.index import open_parts
    from assistant.store.repair import repair_index, run_check

    settings = _settings(args)
    embedder = _embedder(settings)
    parts = open_parts(settings, embedder)
    if args.repair:
        actions, report = repair_index(parts, settings, embedder, show_progress=not args.json)
    else:
        actions, report = [], run_check(parts)
    if args.json:
        print(json.dumps({**report.to_json(), "repaired": actions}, indent=2, ensure_ascii=False))
        return 0 if report.ok else 1
    for action in actions:
        print(f"repaired: {action}")
    for line in report.lines():
        print(line)
    state = "consistent" if report.ok else "damaged"
    hint = "" if report.ok or args.repair else "; run: briefing-assistant check --repair"
    print(f"{report.root}: {state}: {report.briefings} briefings, {report.chunks} chunks, "
          f"embedder {report.embedder}{hint}")
    return 0 if report.ok else 1


def _filters(args):
    from assistant.models import Filters

    return Filters.parse(briefing_ids=args.briefing or (), date_from=args.date_from, date_to=args.date_to)


def _print_answer(answer) -> None:
    if answer.scope:
        print(f"({answer.scope})\n")
    print(answer.text)
    if answer.abstained and answer.closest:
        print("\nClosest sections:")
        for ref in answer.closest:
            print(f"  {ref.label}")
    if answer.notice:
        print(f"\n({answer.notice})")
    if answer.standalone_question != answer.question:
        print(f"\n(understood as: {answer.standalone_question})")
    for c in answer.citations:
        print(f"\n[{c.number}] {c.ref.label}\n    “{c.quote}”  (chars {c.start}–{c.end})")


def cmd_ask(args) -> int:
    settings = _settings(args)
    filters = _filters(args)
    answer = None
    with _assistant(settings) as assistant:
        for item in assistant.stream(args.question, filters=filters, mode=args.llm):
            if isinstance(item, str):
                if not args.json and args.stream:
                    print(item, end="", flush=True)
            else:
                answer = item
    if args.json:
        print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
        return 0
    if args.stream:
        print("\n")
    _print_answer(answer)
    return 0


def cmd_timeline(args) -> int:
    from assistant.text import long_date

    settings = _settings(args)
    with _assistant(settings) as assistant:
        entries = assistant.timeline(args.query, date_from=args.date_from, date_to=args.date_to, limit=args.limit)
    if args.json:
        print(json.dumps({"query": args.query, "entries": [e.to_json() for e in entries]}, indent=2,
                         ensure_ascii=False))
        return 0
    if not entries:
        print(f"no briefing addresses “{args.query}”")
    for e in entries:
        c = e.citation
        print(f"{long_date(c.ref.briefing_date):>18}  {c.ref.section_title}\n{'':>18}  “{e.text}” [{c.number}]")
    return 0


def cmd_eval(args) -> int:
    from assistant.tools.eval import evaluate, load_qa, to_markdown

    settings = _settings(args)
    items = load_qa(args.qa)
    with _assistant(settings) as assistant:
        assistant.warm_up(args.llm or settings.generation.llm)
        result = evaluate(assistant, items, mode=args.llm, k=args.k, show_progress=not args.quiet)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    if args.report:
        Path(args.report).write_text(to_markdown(result, args.qa), encoding="utf-8")
    summary = {k: result[k] for k in ("n_questions", "retrieval", "answers", "latency_ms")}
    print(json.dumps(summary, indent=2))
    return 0


def cmd_bench(args) -> int:
    from assistant.errors import InputError
    from assistant.tools.bench import run_bench

    settings = _settings(args)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--sizes must be comma-separated integers, not {args.sizes!r}") from None
    result = run_bench(settings, sizes, json_out=args.json, plot_out=args.plot, show_progress=not args.quiet,
                       real_embed_limit=args.real_embed_limit, keep_dir=bool(args.keep_in),
                       work_dir=args.keep_in, chroma_host=args.chroma_host, chroma_port=args.chroma_port,
                       cold_start_each=args.cold_start_each)
    print(json.dumps(result, indent=2))
    return 0


def cmd_serve(args) -> int:
    from assistant.answer.model_process import start_models

    settings = _settings(args)
    updates = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings.replace(**updates) if updates else settings
    models = start_models(settings)  # first: the models load on another core while the chat imports
    from assistant.web.app import serve

    serve(settings, models)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="briefing-assistant",
                                description="Question answering over press-briefing transcripts, with citations.")
    p.add_argument("--index", help="index folder (default: ASSISTANT_INDEX_DIR or ./index)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="add briefing files or folders to the index")
    s.add_argument("paths", nargs="+")
    s.add_argument("--date", help="YYYY-MM-DD: the date of pages that have none of their own (a page that starts "
                                  "inside its table of contents); a page's own date is never replaced")
    s.add_argument("--json", action="store_true", help="machine-readable report")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("inspect", help="print the parsed structure of a file without indexing it")
    s.add_argument("file")
    s.add_argument("--date", help="YYYY-MM-DD: the date of a page that has none of its own")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_inspect)

    s = sub.add_parser("list", help="list the ingested briefings (copies of one briefing grouped, official first)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("remove", help="remove a briefing from the index")
    s.add_argument("briefing_id")
    s.set_defaults(func=cmd_remove)

    s = sub.add_parser("check", help="check the index folder for damage and inconsistencies")
    s.add_argument("--repair", action="store_true",
                   help="re-embed or rebuild what is missing or damaged, from the parsed (or source) files")
    s.add_argument("--json", action="store_true", help="machine-readable report")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("ask", help="ask a question")
    s.add_argument("question")
    s.add_argument("--llm", choices=list(MODES))
    s.add_argument("--json", action="store_true")
    s.add_argument("--stream", action="store_true", help="print the answer as it is generated")
    s.add_argument("--briefing", action="append", help="only this briefing id (repeatable)")
    s.add_argument("--date-from", help="YYYY-MM-DD")
    s.add_argument("--date-to", help="YYYY-MM-DD")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("timeline", help="the briefings that address a topic, by date, each with its passage")
    s.add_argument("query")
    s.add_argument("--from", dest="date_from", help="YYYY-MM-DD")
    s.add_argument("--to", dest="date_to", help="YYYY-MM-DD")
    s.add_argument("--limit", type=int, help="most briefings listed (default: ASSISTANT_TIMELINE_ENTRIES)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_timeline)

    s = sub.add_parser("eval", help="evaluate on a QA file")
    s.add_argument("--qa", required=True)
    s.add_argument("--llm", choices=list(MODES))
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--json", help="write the full result here")
    s.add_argument("--report", help="write a Markdown report here")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("bench", help="benchmark ingest and retrieval on synthetic corpora")
    s.add_argument("--sizes", default="1,10,100,500")
    s.add_argument("--json")
    s.add_argument("--plot")
    s.add_argument("--real-embed-limit", type=int, default=None, metavar="N",
                   help="embed only the first N chunks with the model; later chunks get copies of real vectors "
                        "(memory, retrieval and cold start at sizes too large to embed in the run; no ingest "
                        "throughput for those steps)")
    s.add_argument("--keep-in", metavar="DIR", help="make the bench's corpus and index in DIR and keep them")
    s.add_argument("--chroma-host", metavar="H", help="put the vectors on this Chroma server (`chroma run`), in a "
                                                      "collection of the bench's own deleted at the end (default: "
                                                      "an embedded store in the temporary index)")
    s.add_argument("--chroma-port", type=int, metavar="P", help="port of that server (default: ASSISTANT_CHROMA_PORT)")
    s.add_argument("--cold-start-each", action="store_true", help="measure the cold start at every size, not "
                                                                   "only the largest")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser("serve", help="start the web chat")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except AssistantError as err:
        if get_settings().debug:
            raise
        _err(str(err))
        return err.exit_code
    except Exception as err:  # noqa: BLE001 - the last line of defence: one readable line
        if get_settings().debug:
            raise
        _err(f"unexpected {type(err).__name__}: {err} (ASSISTANT_DEBUG=1 shows the traceback)")
        return 2


if __name__ == "__main__":
    sys.exit(main())
