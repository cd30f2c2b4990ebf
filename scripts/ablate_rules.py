"""Does each rule of the answer-or-abstain check earn its place? Like ablate.py, for rules rather
than constants: each one switched off alone, the differences per QA file (tune and test splits
reported separately).

    python scripts/ablate_rules.py tests/data/qa/sample_tune.jsonl tests/data/qa/sample_test.jsonl \
        tests/data/qa/archive_tune.jsonl tests/data/qa/archive_test.jsonl --index /tmp/ix --corpus corpus tests/data/archive
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import assistant.offline  # noqa: F401,E402
from assistant.answer import answerability  # noqa: E402
from assistant.text import present  # noqa: E402
from assistant.text.lexicon import word_set  # noqa: E402
from assistant.tools.eval import evaluate, load_qa  # noqa: E402
from eval_sets import arguments, open_assistant  # noqa: E402

METRICS = ("keyword_accuracy", "abstention_recall", "false_abstention_rate")
QUESTION_SIDE = answerability._absent
NOT_ENTITIES = answerability._NOT_ENTITIES
# the words of question_words.txt that ask whether a briefing dealt with a topic
META = frozenset("touch touched agenda include included includes cover covered covers mention mentioned "
                 "mentions".split()) & word_set("question_words")

RULES = {
    "a capital in the question stands for its country":
        lambda: setattr(answerability, "_absent", lambda key, vocab: [t for t in key if not present(t, vocab)]),
    "'did the briefing touch on X' words are not topic words":
        lambda: setattr(answerability, "_NOT_ENTITIES", NOT_ENTITIES - META),
}


def scores(assistant, items) -> dict:
    r = evaluate(assistant, items, mode="extractive", show_progress=False)["answers"]
    return {m: r[m] for m in METRICS}


def main() -> int:
    args = arguments().parse_args()
    assistant = open_assistant(args.index, args.corpus, "extractive")
    sets = {Path(f).stem: load_qa(f) for f in args.qa}
    base = {name: scores(assistant, items) for name, items in sets.items()}
    for name, got in base.items():
        print(f"as is, {name}:", got, flush=True)
    for rule, switch_off in RULES.items():
        switch_off()
        for name, items in sets.items():
            got = scores(assistant, items)
            print(f"without '{rule}', {name}:", {m: round(got[m] - base[name][m], 4) for m in METRICS}, flush=True)
        answerability._absent, answerability._NOT_ENTITIES = QUESTION_SIDE, NOT_ENTITIES
    return 0


if __name__ == "__main__":
    sys.exit(main())
