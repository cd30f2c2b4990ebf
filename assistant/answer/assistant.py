"""The question-answering pipeline and its Python API.

question (+history) -> standalone question -> hybrid retrieval -> answer-or-abstain decision
-> numbered evidence -> answer (LLM or extractive) -> verified citations -> ``Answer``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Generator, Iterator, Mapping, Sequence

from assistant.answer.answerability import Decision, answer_type_failure, decide
from assistant.answer.citations import Attributor
from assistant.config import Settings, get_settings
from assistant.answer.conversation import resolve
from assistant.store.embedding import Embedder, MiniLMEmbedder
from assistant.answer.evidence import EvidenceBuilder, VectorCache, neighbours_needed
from assistant.store.index import Index
from assistant.ingest.ingestor import Ingestor
from assistant.models import Answer, Citation, EvidenceItem, Filters, SectionHit
from assistant.answer.retrieval import Retriever
from assistant.text import count_tokens, terms, with_markers



class Prompts:
    """Prompt templates read from files in ``prompts/``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

        def read(name: str) -> str:
            path = self.folder / name
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as err:
                raise FileNotFoundError(f"{path}: prompt file missing (ASSISTANT_PROMPTS_DIR)") from err

        from langchain_core.prompts import ChatPromptTemplate

        self.system = read("answer_system.txt")
        self.user = read("answer_user.txt")
        self.abstain = read("abstain.txt")
        self.fallback = read("fallback_notice.txt")
        self.answer = ChatPromptTemplate.from_messages([("system", self.system), ("human", self.user)])

    def answer_messages(self, question: str, evidence: Sequence[EvidenceItem]):
        return self.answer.format_messages(evidence=format_evidence(evidence), question=question)


def format_evidence(evidence: Sequence[EvidenceItem]) -> str:
    lines = []
    current = None
    for e in evidence:
        key = (e.ref.briefing_id, e.ref.section_index)
        if key != current:
            current = key
            lines.append(f"({e.ref.briefing_date or 'undated'} — {e.ref.section_title})")
        lines.append(f"[{e.number}] {e.text}")
    return "\n".join(lines)


def coerce_filters(filters: Filters | Mapping[str, Any] | None) -> Filters | None:
    if filters is None or isinstance(filters, Filters):
        return filters
    return Filters.model_validate(dict(filters))


class Assistant:
    """``Assistant.from_settings().ask("Who convened the Paris conference on Libya?")``."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, index: Index | None = None,
                 chat_models: Mapping[str, Any] | None = None):
        self.settings = settings
        self.embedder = embedder or MiniLMEmbedder(settings.embedding.torch_threads)
        self.index = index or Index(settings, self.embedder)
        self.retriever = Retriever(self.index, self.embedder, settings)
        self.vectors = VectorCache(self.embedder)
        self.evidence = EvidenceBuilder(self.index, self.vectors, settings)
        self.attributor = Attributor(self.vectors)
        self.prompts = Prompts(settings.prompts_dir)
        self._chat_models: dict[str, Any] = dict(chat_models or {})
        self._llm_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs) -> "Assistant":
        return cls(settings or get_settings(), **kwargs)

    # ------------------------------------------------------------------ building blocks
    def ingestor(self) -> Ingestor:
        return Ingestor(self.index, self.settings)

    def chat_model(self, mode: str):
        with self._llm_lock:
            if mode not in self._chat_models:
                from assistant.answer.llm import chat_model

                self._chat_models[mode] = chat_model(self.settings, mode)
            return self._chat_models[mode]

    def available_modes(self) -> list[str]:
        modes = ["local", "extractive"]
        if self.settings.generation.openai_base_url or "openai" in self._chat_models:
            modes.insert(1, "openai")
        return modes

    def warm_up(self, mode: str | None = None) -> None:
        """Load the models so the first question is not slow."""
        self.retriever.search("warm up")
        mode = mode or self.settings.generation.llm
        if mode != "extractive":
            self.chat_model(mode).invoke("Say OK.", max_tokens=2)

    def retrieve(self, question: str, k: int = 5, filters: Filters | Mapping | None = None) -> list[SectionHit]:
        return self.retriever.search(question, coerce_filters(filters), k=k).sections

    # ------------------------------------------------------------------ answering
    def ask(self, question: str, history: Sequence | None = None, filters: Filters | Mapping | None = None,
            mode: str | None = None) -> Answer:
        answer = None
        for item in self.stream(question, history, filters, mode):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: Sequence | None = None, filters: Filters | Mapping | None = None,
               mode: str | None = None) -> Iterator[str | Answer]:
        """Text deltas as they are generated, then the final ``Answer`` (whose text is the
        verified version: unsupported sentences removed, markers fixed)."""
        t0 = time.perf_counter()
        mode = mode or self.settings.generation.llm
        if mode not in ("local", "openai", "extractive"):
            raise ValueError(f"unknown answer mode {mode!r} (local, openai, extractive)")
        question = (question or "").strip()
        if not question:
            raise ValueError("empty question")
        standalone = resolve(question, history)
        timings: dict[str, float] = {}

        def done(answer: Answer) -> Answer:
            timings["total_ms"] = (time.perf_counter() - t0) * 1000
            return answer.model_copy(update={"timings": timings})

        retrieval = self.retriever.search(standalone, coerce_filters(filters))
        timings["retrieval_ms"] = retrieval.timings["retrieval"] * 1000
        decision = decide(standalone, retrieval.sections, self.index, self.settings)
        evidence: list[EvidenceItem] = []
        if decision.answerable:
            t1 = time.perf_counter()
            evidence = self.evidence.build(standalone, retrieval.query_vec, decision.sections)
            timings["evidence_ms"] = (time.perf_counter() - t1) * 1000
            missing = answer_type_failure(standalone, evidence)
            if missing:
                decision = Decision(False, missing, decision.sections, decision.checks)
        if not decision.answerable:
            answer = done(self._abstain(question, standalone, decision, mode))
            yield answer.text
            yield answer
            return
        timings["evidence_tokens"] = float(sum(count_tokens(e.text) for e in evidence))
        base = dict(question=question, standalone_question=standalone, mode=mode)
        if mode == "extractive":
            text, citations = extractive_answer(evidence, standalone)
            yield text
            yield done(Answer(text=text, citations=tuple(citations), **base))
            return
        raw, problem = yield from self._generate(mode, standalone, evidence, timings, t0)
        attribution = None
        if problem is None:
            t3 = time.perf_counter()
            attribution = self.attributor.attribute(raw, evidence, standalone)
            timings["attribution_ms"] = (time.perf_counter() - t3) * 1000
            if not attribution.citations:
                problem = "gave an answer that the briefings do not support"
        if problem is not None:
            text, citations = extractive_answer(evidence, standalone)
            notice = self.prompts.fallback.format(mode=mode, problem=problem)
            yield done(Answer(text=text, citations=tuple(citations), notice=notice,
                              **{**base, "mode": f"{mode}→extractive"}))
            return
        notice = None
        if attribution.dropped:
            n = len(attribution.dropped)
            notice = f"{n} sentence{'s' if n > 1 else ''} of the model's answer had no support in the briefings and " \
                     f"{'were' if n > 1 else 'was'} removed."
        yield done(Answer(text=attribution.text, citations=tuple(attribution.citations), notice=notice, **base))

    def _generate(self, mode: str, question: str, evidence: list[EvidenceItem], timings: dict[str, float],
                  t0: float) -> Generator[str, None, tuple[str, str | None]]:
        """Stream the LLM's answer (yielding deltas); returns the raw text, or the problem that
        stopped it (backend failure, timeout)."""
        raw, problem = "", None
        t2 = time.perf_counter()
        deadline = t2 + self.settings.generation.llm_timeout_s
        try:
            for chunk in self.chat_model(mode).stream(self.prompts.answer_messages(question, evidence)):
                delta = chunk.content if isinstance(chunk.content, str) else ""
                if delta:
                    if not raw:
                        timings["ttft_ms"] = (time.perf_counter() - t0) * 1000
                    raw += delta
                    yield delta
                if time.perf_counter() > deadline:
                    problem = f"did not finish within {self.settings.generation.llm_timeout_s:g} s"
                    break
        except Exception as err:  # noqa: BLE001 - any backend failure falls back to extractive
            problem = f"failed ({type(err).__name__}: {str(err)[:160]})"
        timings["generation_ms"] = (time.perf_counter() - t2) * 1000
        return raw, problem

    def _abstain(self, question: str, standalone: str, decision: Decision, mode: str) -> Answer:
        closest = tuple(h.ref for h in decision.sections[:3])
        text = self.prompts.abstain.format(reason=decision.reason)
        if closest:
            text += "\nClosest sections: " + "; ".join(
                f"{r.briefing_date or 'undated'} — {r.section_title}" for r in closest) + "."
        return Answer(question=question, standalone_question=standalone, text=text, abstained=True,
                      mode=mode, closest=closest)

    # ------------------------------------------------------------------ LangChain
    def as_runnable(self):
        """The pipeline as a LangChain Runnable: input ``{"question", "history"?, "filters"?,
        "mode"?}`` (or a plain question string), output ``Answer``."""
        from langchain_core.runnables import RunnableLambda

        def run(inp: str | Mapping[str, Any]) -> Answer:
            if isinstance(inp, str):
                return self.ask(inp)
            return self.ask(inp["question"], inp.get("history"), inp.get("filters"), inp.get("mode"))

        return RunnableLambda(run, name="briefing_assistant")


def extractive_answer(evidence: Sequence[EvidenceItem], question: str = "", max_sentences: int = 3,
                      max_words: int = 110) -> tuple[str, list[Citation]]:
    """The best evidence sentences of the supporting section, quoted, in reading order: the best
    one, the ones scoring close to it, and the neighbours they cannot be read without (see
    ``neighbours_needed``)."""
    if not evidence:
        return "", []
    first = (evidence[0].ref.briefing_id, evidence[0].ref.section_index)
    same = [e for e in evidence if (e.ref.briefing_id, e.ref.section_index) == first]
    by_position = {e.position: e for e in same}
    q_terms = terms(question)
    ranked = sorted(same, key=lambda e: e.score, reverse=True)
    chosen: dict[int, EvidenceItem] = {}
    for e in ranked:
        if len(chosen) >= max_sentences or (chosen and e.score < ranked[0].score - EXTRACTIVE_MARGIN):
            break
        group = [e] + [by_position[e.position + off] for off in neighbours_needed(e.body, q_terms)
                       if e.position + off in by_position]
        if chosen and sum(len(x.text.split()) for x in [*chosen.values(), *group]) > max_words:
            break
        for x in group:
            chosen[x.position] = x
    ordered = [chosen[p] for p in sorted(chosen)]
    citations = [Citation.from_evidence(i + 1, e) for i, e in enumerate(ordered)]
    text = " ".join(with_markers(e.text, [i + 1]) for i, e in enumerate(ordered))
    return text, citations


EXTRACTIVE_MARGIN = 0.15
