"""Do the answer-side rules added on 28 November (fourth, fifth and seventh sessions) earn their place?
Each is switched back to the behaviour before it, alone, and the differences per QA file are
printed (tune and held-out files reported separately by their names).

    python scripts/ablate_answers.py QA.jsonl... --index IX [--corpus FILES...]
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import assistant.offline  # noqa: F401,E402
from assistant.answer import answer_types, answerability, assistant as assistant_module, compose, scope  # noqa: E402
from assistant.text import DATE_EXPRESSION  # noqa: E402
from ablate_rules import METRICS, scores  # noqa: E402
from assistant.tools.eval import load_qa  # noqa: E402
from eval_sets import arguments, open_assistant  # noqa: E402



def _paragraph_only_count(text: str, noun: str, entities=()) -> bool:
    """gives_count before the change: the names must be in the same paragraph."""
    for paragraph in text.split("\n\n"):
        if answerability.mentions_noun(paragraph, noun) and answerability.COUNT.search(
                DATE_EXPRESSION.sub(" ", paragraph)):
            vocab = answerability._section_vocabulary(paragraph)
            if all(answerability.present(e, vocab) for e in entities):
                return True
    return False


def _with_ministry(name: str):
    words = ORIGINAL["word_set"](name)
    return words | {"ministry"} if name == "briefing_words" else words


ORIGINAL = {"parse_scope": assistant_module.parse_scope, "word_set": scope.word_set,
            "_number_lead": compose._number_lead, "gives_count": answerability.gives_count,
            "_FOLLOWING_LABELS": compose._FOLLOWING_LABELS,
            "ANSWER_TYPES": answer_types.ANSWER_TYPES, "_worded": answerability._worded,
            "later_lead": assistant_module.later_lead}
NEVER = re.compile(r"(?!)")


def _without_type(name: str) -> tuple:
    """The answer types as before the fifth session's ``name``: "on what date" asked a date, only
    "where" and "in which city/country/place/region" asked a place (not strictly), no sum."""
    types = {t.name: t for t in ORIGINAL["ANSWER_TYPES"]}
    if name == "calendar date":
        both = f"{types['date'].asks.pattern}|{types['calendar date'].asks.pattern}"
        types["date"] = dataclasses.replace(types["date"], asks=re.compile(both, re.I))
    types[name] = dataclasses.replace(types[name], asks=NEVER)
    if name == "named place":
        old = r"^\s*(?:where|in (?:what|which) (?:city|country|place|region))\b"
        types["place"] = dataclasses.replace(types["place"], asks=re.compile(old, re.I))
    return tuple(types.values())



def _strict_day(question: str):
    s = ORIGINAL["parse_scope"](question)
    return dataclasses.replace(s, strict=True) if s.one_day else s


RULES = {
    "a day without briefing words dates the event when no briefing was held":
        [(assistant_module, "parse_scope", _strict_day)],
    "'ministry' is not a briefing word": [(scope, "word_set", _with_ministry)],
    "'how long' accepts a time":
        [(compose, "_number_lead", lambda s, q, found, bound=False: ORIGINAL["_number_lead"](
            s, q, [e for e in found if e.label != "TIME"], bound))],
    "a count's names may be in the paragraph before": [(answerability, "gives_count", _paragraph_only_count)],
    "a who/when lead from the next sentence": [(compose, "_FOLLOWING_LABELS", {})],
    "'who said' is answered by who says the passage": [(compose, "asks_who_said", lambda q: False),
                                                          (assistant_module, "asks_who_said", lambda q: False)],
    "'on what date' asks a day on the calendar": [(answer_types, "ANSWER_TYPES", _without_type("calendar date"))],
    "'which port/city/…' asks a place, named next to the noun": [
        (answer_types, "ANSWER_TYPES", _without_type("named place"))],
    "'what was the budget', 'how much money' ask a sum": [(answer_types, "ANSWER_TYPES", _without_type("sum"))],
    "question words said in other words count as covered": [
        (answerability, "_worded", lambda check, index, settings, related: check)],
    "a lead from a later sentence among the three best": [
        (assistant_module, "later_lead", lambda selected, evidence, question, tagger: (list(selected), None))],
}


def main() -> int:
    args = arguments().parse_args()
    assistant = open_assistant(args.index, args.corpus, "extractive")
    sets = {Path(f).parent.name if Path(f).stem == "qa" else Path(f).stem: load_qa(f) for f in args.qa}
    base = {name: scores(assistant, items) for name, items in sets.items()}
    for name, got in base.items():
        print(f"as is, {name}:", got, flush=True)
    for rule, patches in RULES.items():
        for module, attr, value in patches:
            setattr(module, attr, value)
        for name, items in sets.items():
            got = scores(assistant, items)
            diff = {m: round(got[m] - base[name][m], 4) for m in METRICS}
            if any(diff.values()):
                print(f"without '{rule}', {name}:", diff, flush=True)
        for module, attr, _ in patches:
            setattr(module, attr, ORIGINAL[attr])
        print(f"done: {rule}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
