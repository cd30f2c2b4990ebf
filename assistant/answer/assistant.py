"""The question-answering pipeline and its Python API.

question (+history) -> standalone question -> hybrid retrieval -> answer-or-abstain decision
-> numbered evidence -> answer (LLM or extractive) -> verified citations -> ``Answer``."""

from __future__ import annotations

import time
from typing import Any, Generator, Iterator, Mapping, Sequence

from assistant.answer.answerability import Decision, answer_type_failure, decide
from assistant.answer.citations import Attributor
from assistant.answer.conversation import resolve
from assistant.answer.evidence import EvidenceBuilder, VectorCache
from assistant.answer.extractive import extractive_answer
from assistant.answer.modes import MODES, AnswerMode, mode_class
from assistant.answer.prompts import Prompts
from assistant.answer.retrieval import Retriever
from assistant.config import Settings, get_settings
from assistant.errors import InputError
from assistant.models import Answer, EvidenceItem, Filters, SectionHit
from assistant.store.embedding import Embedder, MiniLMEmbedder
from assistant.store.index import Index
from assistant.text import count_tokens


class Assistant:
    """``Assistant.from_settings().ask("Who convened the Paris conference on Libya?")``."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, index: Index | None = None,
                 chat_models: Mapping[str, Any] | None = None):
        """``chat_models`` may bring LangChain chat models by mode name (tests, custom backends);
        the others are started on first use and released by ``close()``."""
        self.settings = settings
        self.embedder = embedder or MiniLMEmbedder(settings.embedding.torch_threads)
        self.index = index or Index(settings, self.embedder)
        self.retriever = Retriever(self.index, self.embedder, settings)
        self.vectors = VectorCache(self.embedder)
        self.evidence = EvidenceBuilder(self.index, self.vectors, settings)
        self.attributor = Attributor(self.vectors)
        self.prompts = Prompts(settings.prompts_dir)
        injected = dict(chat_models or {})
        self.modes: dict[str, AnswerMode] = {name: cls(settings, injected.get(name)) for name, cls in MODES.items()
                                             if name in injected or cls.available(settings)}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs) -> "Assistant":
        return cls(settings or get_settings(), **kwargs)

    # ------------------------------------------------------------------ building blocks
    def mode(self, name: str | None = None) -> AnswerMode:
        """The answer mode ``name`` (default: the configured one), if this assistant offers it."""
        name = name or self.settings.generation.llm
        mode_class(name)  # unknown names get the list of modes
        if name not in self.modes:
            raise InputError(f"answer mode {name!r} is not available here (available: {', '.join(self.modes)})")
        return self.modes[name]

    def _filters(self, filters: Filters | Mapping[str, Any] | None) -> Filters | None:
        """Checked filters: dates in order, and only briefing ids the index knows."""
        f = Filters.parse(filters)
        if f is not None:
            known = {e.briefing_id for e in self.index.briefings()}
            unknown = [i for i in f.briefing_ids if i not in known]
            if unknown:
                raise InputError(f"no briefing {unknown[0]!r} in the index (see `briefing-assistant list`)")
        return f

    def available_modes(self) -> list[str]:
        return list(self.modes)

    def close(self) -> None:
        """Release the models this assistant started (the local LLM server)."""
        for mode in self.modes.values():
            mode.close()

    def warm_up(self, mode: str | None = None) -> None:
        """Load the models so the first question is not slow."""
        self.retriever.search("warm up")
        answer_mode = self.mode(mode)
        if answer_mode.uses_llm:
            answer_mode.chat_model().invoke("Say OK.", max_tokens=2)

    def retrieve(self, question: str, k: int = 5, filters: Filters | Mapping | None = None) -> list[SectionHit]:
        return self.retriever.search(question, self._filters(filters), k=k).sections

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
        answer_mode = self.mode(mode)
        mode = answer_mode.name
        if question is not None and not isinstance(question, str):
            raise InputError("the question must be text")
        question = (question or "").strip()
        if not question:
            raise InputError("empty question")
        limit = self.settings.answer.max_question_chars
        if len(question) > limit:
            raise InputError(f"the question is {len(question):,} characters long; the limit is {limit:,}")
        standalone = resolve(question, history)
        timings: dict[str, float] = {}

        def done(answer: Answer) -> Answer:
            timings["total_ms"] = (time.perf_counter() - t0) * 1000
            return answer.model_copy(update={"timings": timings})

        retrieval = self.retriever.search(standalone, self._filters(filters))
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
        if not answer_mode.uses_llm:
            text, citations = extractive_answer(evidence, standalone)
            yield text
            yield done(Answer(text=text, citations=tuple(citations), **base))
            return
        raw, problem = yield from self._generate(answer_mode, standalone, evidence, timings, t0)
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

    def _generate(self, mode: AnswerMode, question: str, evidence: list[EvidenceItem], timings: dict[str, float],
                  t0: float) -> Generator[str, None, tuple[str, str | None]]:
        """Stream the LLM's answer (yielding deltas); returns the raw text, or the problem that
        stopped it (backend failure, timeout)."""
        raw, problem = "", None
        t2 = time.perf_counter()
        deadline = t2 + self.settings.generation.llm_timeout_s
        try:
            for chunk in mode.chat_model().stream(self.prompts.answer_messages(question, evidence)):
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
