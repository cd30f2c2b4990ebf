"""Evaluation on a QA file (format: JSON Lines, see README "QA files"): retrieval, answer,
citation and abstention metrics, latencies, a JSON result and a Markdown report."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Iterable

from pydantic import BaseModel, Field, ValidationError
from tqdm import tqdm

from assistant.answer.citations import disagreements, split_claims
from assistant.errors import QAFileError
from assistant.models import Answer, Citation, SectionRef
from assistant.text import canonical_title
from assistant.tools.stats import percentile


class QAItem(BaseModel):
    id: str
    question: str = Field(min_length=1)
    answerable: bool
    briefing_date: str | None = None
    sections: list[str] = []
    answer_keywords: list[list[str]] = []
    category: str | None = None  # reported per category
    history: list[str] = []  # earlier user questions of the conversation (follow-ups)
    expected_dates: list[str] = []  # questions across briefings: every briefing that addresses the topic

    @property
    def gold_dates(self) -> set[str]:
        return set(self.expected_dates) | ({self.briefing_date} if self.briefing_date else set())


def load_qa(path: str | Path) -> list[QAItem]:
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QAFileError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise QAFileError(f"{p}: cannot read ({err})") from None
    items: list[QAItem] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = QAItem.model_validate(json.loads(line))
        except json.JSONDecodeError as err:
            raise QAFileError(f"{p}:{n}: not valid JSON ({err.msg})") from None
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(x) for x in first["loc"]) or "line"
            raise QAFileError(f"{p}:{n}: {field}: {first['msg']}") from None
        if item.id in seen:
            raise QAFileError(f"{p}:{n}: duplicate id {item.id!r}")
        if item.answerable and not item.sections:
            raise QAFileError(f"{p}:{n}: answerable question without gold sections")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise QAFileError(f"{p}: no questions")
    return items


def is_gold(item: QAItem, section_title: str, briefing_date: str | None) -> bool:
    if item.gold_dates and briefing_date not in item.gold_dates:
        return False
    return canonical_title(section_title) in {canonical_title(t) for t in item.sections}


def keyword_hit(item: QAItem, text: str) -> bool:
    low = text.lower()
    return all(any(k.lower() in low for k in group) for group in item.answer_keywords)


def _p(values: list[float], q: float) -> float | None:
    """The shared ``percentile`` with ``q`` as a fraction (0.5 = p50), rounded to 0.1 ms."""
    value = percentile(values, q * 100)
    return None if value is None else round(value, 1)


def _mean(values: Iterable[float]) -> float | None:
    v = list(values)
    return round(statistics.fmean(v), 4) if v else None


def _judged(item: QAItem, answer: Answer) -> dict:
    """How the answer fares: keywords in the whole answer and in its lead phrase, the cited
    claims, and the claims that disagree with what they cite."""
    if answer.abstained:
        return {"keyword_hit": False, "lead": None, "lead_hit": False, "disagreements": [], "sentences": 0,
                "cited_sentences": 0}
    claims = split_claims(answer.text)
    return {"keyword_hit": item.answerable and keyword_hit(item, answer.text), "lead": answer.lead,
            "lead_hit": bool(item.answerable and answer.lead and keyword_hit(item, answer.lead)),
            "disagreements": disagreements(answer.text, answer.citations), "sentences": len(claims),
            "cited_sentences": sum(1 for c in claims if c.markers)}


def _record(item: QAItem, hits: list, answer: Answer, k: int, retrieval_ms: float, answer_ms: float) -> dict:
    """One question's outcome, as the JSON result stores it."""
    ranks = [i for i, h in enumerate(hits) if is_gold(item, h.ref.section_title, h.ref.briefing_date)]
    ttft = answer.timings.get("ttft_ms")
    return {
        "id": item.id, "question": item.question, "answerable": item.answerable, "category": item.category,
        "gold_sections": item.sections, "scope": answer.scope,
        "timeline_dates": [e.citation.ref.briefing_date for e in answer.timeline],
        "expected_dates": item.expected_dates,
        "retrieved": [_ref(h.ref) for h in hits[:k]],
        "gold_rank": ranks[0] + 1 if ranks else None,
        "answer": answer.text, "abstained": answer.abstained, "mode": answer.mode, "notice": answer.notice,
        **_judged(item, answer),
        "citations": [_citation(item, c) for c in answer.citations],
        "latency_ms": {"retrieval": round(retrieval_ms, 1), "answer": round(answer_ms, 1),
                       "ttft": round(ttft, 1) if ttft is not None else None},
    }


def evaluate(assistant, items: list[QAItem], mode: str | None = None, k: int = 5,
             show_progress: bool = True) -> dict:
    mode = mode or assistant.settings.generation.llm
    per_question = []
    for item in tqdm(items, desc=f"eval ({mode})", unit="q", disable=not show_progress, file=sys.stderr):
        history = [{"role": "user", "content": h} for h in item.history] or None
        t0 = time.perf_counter()
        hits = assistant.retrieve(item.question, k=max(k, 5), history=history)
        t1 = time.perf_counter()
        answer: Answer = assistant.ask(item.question, history=history, mode=mode)
        t2 = time.perf_counter()
        per_question.append(_record(item, hits, answer, k, (t1 - t0) * 1000, (t2 - t1) * 1000))
    return summarise(per_question, mode, k)


def _ref(ref: SectionRef) -> dict:
    return {"briefing_date": ref.briefing_date, "section_title": ref.section_title}


def _citation(item: QAItem, c: Citation) -> dict:
    return {"number": c.number, "briefing_date": c.ref.briefing_date, "section_title": c.ref.section_title,
            "quote": c.quote, "start": c.start, "end": c.end, "gold": is_gold(item, c.ref.section_title, c.ref.briefing_date)}


def _retrieval_metrics(ans: list[dict]) -> dict:
    ranks = [q["gold_rank"] for q in ans]

    def recall(n: int) -> float | None:
        return _mean(1.0 if r is not None and r <= n else 0.0 for r in ranks)

    return {"recall@1": recall(1), "recall@3": recall(3), "recall@5": recall(5),
            "mrr": _mean(1.0 / r if r else 0.0 for r in ranks)}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _share(qs: Iterable[dict], key: str) -> float | None:
    """The share of ``qs`` whose ``key`` is true."""
    return _mean(1.0 if q[key] else 0.0 for q in qs)


def _answer_metrics(per_question: list[dict], ans: list[dict], unans: list[dict]) -> dict:
    answered = [q for q in ans if not q["abstained"]]
    citations = [c for q in ans for c in q["citations"]]
    return {
        "keyword_accuracy": _share(ans, "keyword_hit"),
        # of the answers led by a short phrase (the person, date or count asked for), those whose
        # phrase alone holds the expected keywords
        "lead_accuracy": _share((q for q in answered if q["lead"]), "lead_hit"),
        "citation_precision": _ratio(sum(c["gold"] for c in citations), len(citations)),
        "citation_coverage": _ratio(sum(q["cited_sentences"] for q in answered), sum(q["sentences"] for q in answered)),
        "abstention_recall": _share(unans, "abstained"),
        "false_abstention_rate": _share(ans, "abstained"),
        # answer sentences whose number, name, date or negation is not in the passage they cite
        "inconsistent_sentences": sum(len(q["disagreements"]) for q in per_question),
    }


def _latency_metrics(per_question: list[dict]) -> dict:
    ttft = [q["latency_ms"]["ttft"] for q in per_question if q["latency_ms"]["ttft"] is not None]
    answer_lat = [q["latency_ms"]["answer"] for q in per_question]
    return {"retrieval_p50": _p([q["latency_ms"]["retrieval"] for q in per_question], 0.5),
            "answer_p50": _p(answer_lat, 0.5), "answer_p95": _p(answer_lat, 0.95), "ttft_p50": _p(ttft, 0.5)}


def summarise(per_question: list[dict], mode: str, k: int) -> dict:
    ans = [q for q in per_question if q["answerable"]]
    unans = [q for q in per_question if not q["answerable"]]
    categories = sorted({q["category"] for q in per_question if q["category"]})
    return {
        "n_questions": len(per_question),
        "mode": mode,
        "k": k,
        "retrieval": _retrieval_metrics(ans),
        "answers": _answer_metrics(per_question, ans, unans),
        "latency_ms": _latency_metrics(per_question),
        "timeline": _timeline_metrics(per_question),
        "by_category": {cat: _category_metrics([q for q in per_question if q["category"] == cat]) for cat in categories},
        "per_question": per_question,
    }


def _category_metrics(qs: list[dict]) -> dict:
    ans = [q for q in qs if q["answerable"]]
    unans = [q for q in qs if not q["answerable"]]
    return {"n": len(qs),
            "recall@1": _mean(1.0 if q["gold_rank"] == 1 else 0.0 for q in ans),
            "keyword_accuracy": _mean(1.0 if q["keyword_hit"] else 0.0 for q in ans),
            "answerable_refused": _mean(1.0 if q["abstained"] else 0.0 for q in ans),
            "unanswerable_refused": _mean(1.0 if q["abstained"] else 0.0 for q in unans)}


def _timeline_metrics(per_question: list[dict]) -> dict:
    """Questions with ``expected_dates``: share of those briefings listed, and whether the list is
    in date order with every entry cited to a gold section."""
    qs = [q for q in per_question if q["expected_dates"]]
    if not qs:
        return {}
    recall = [len(set(q["timeline_dates"]) & set(q["expected_dates"])) / len(set(q["expected_dates"])) for q in qs]
    ordered = [q["timeline_dates"] == sorted(q["timeline_dates"]) for q in qs]
    cited = [all(c["gold"] for c in q["citations"]) and bool(q["citations"]) for q in qs]
    return {"n": len(qs), "dates_listed": _mean(recall), "in_date_order": _mean(1.0 if o else 0.0 for o in ordered),
            "all_cited_to_gold": _mean(1.0 if c else 0.0 for c in cited)}


def failures(result: dict) -> list[tuple[dict, list[str]]]:
    out = []
    for q in result["per_question"]:
        why = []
        if q["answerable"]:
            if q["gold_rank"] != 1:
                why.append(f"gold section at rank {q['gold_rank'] or '>' + str(result['k'])}")
            if q["abstained"]:
                why.append("refused an answerable question")
            elif not q["keyword_hit"]:
                why.append("answer lacks the expected keywords")
            bad = [c for c in q["citations"] if not c["gold"]]
            if bad:
                why.append(f"{len(bad)} citation(s) outside the gold sections")
        elif not q["abstained"]:
            why.append("answered an unanswerable question")
        if why:
            out.append((q, why))
    return out


def _fmt(v) -> str:
    return "n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) and v <= 1.0 else str(v))


def to_markdown(result: dict, qa_path: str = "") -> str:
    lines = [f"# Evaluation report{': ' + qa_path if qa_path else ''}", "",
             f"{result['n_questions']} questions, answer mode `{result['mode']}`, k = {result['k']}.", "",
             "| group | metric | value |", "| --- | --- | --- |"]
    for group in ("retrieval", "answers", "latency_ms"):
        for name, value in result[group].items():
            lines.append(f"| {group} | {name} | {_fmt(value)} |")
    fails = failures(result)
    lines += ["", f"## Failed questions ({len(fails)})", ""]
    if not fails:
        lines.append("None.")
    for q, why in fails:
        lines += [f"### {q['id']}: {q['question']}", "", f"- problem: {'; '.join(why)}",
                  f"- gold: {', '.join(q['gold_sections']) or '(unanswerable)'}",
                  f"- retrieved: {', '.join(r['section_title'] for r in q['retrieved'][:3])}",
                  f"- answer{' (abstained)' if q['abstained'] else ''}: {q['answer']}"]
        if q["notice"]:
            lines.append(f"- notice: {q['notice']}")
        for c in q["citations"]:
            mark = "gold" if c["gold"] else "NOT gold"
            lines.append(f"- [{c['number']}] {c['briefing_date']} — {c['section_title']} ({mark}): “{c['quote']}”")
        lines.append("")
    return "\n".join(lines) + "\n"
