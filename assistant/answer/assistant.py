"""The question-answering pipeline and its Python API.

question (+history) -> standalone question -> hybrid retrieval -> answer-or-abstain decision
-> numbered evidence -> answer (LLM or extractive) -> verified citations -> ``Answer``."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Iterator, Mapping, Sequence

from assistant.answer.answer_types import asks_who_said, expected_answer
from assistant.answer.answerability import Decision, answer_type_failure, decide, home_country, unanswered_type
from assistant.answer.conversation import describing_words, resolve
from assistant.answer.entities import EntityTagger
from assistant.answer.evidence import EvidenceBuilder, VectorCache
from assistant.answer.related import RelatedWords
from assistant.answer.compose import Composed, compose, grounded_lead, later_lead
from assistant.answer.extractive import select_sentences
from assistant.answer.model_process import ModelProcess, RemoteEmbedder, remote_entities, start_models
from assistant.answer.modes import MODES, AnswerMode, mode_class
from assistant.answer.prompts import ANSWER_SCHEMA, Prompts
from assistant.answer.retrieval import Retriever
from assistant.answer.scope import Scope, SearchPlan, parse_scope, plan_search, resolve_relative
from assistant.answer.timeline import Timeline, timeline_text
from assistant.config import Settings, get_settings
from assistant.errors import InputError
from assistant.models import Answer, EvidenceItem, Filters, SectionHit, TimelineEntry
from assistant.store import embed_runtimes
from assistant.store.embedding import Embedder
from assistant.store.index import Index
from assistant.text import count_tokens


class Assistant:
    """``Assistant.from_settings().ask("Who convened the Paris conference on Libya?")``."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, index: Index | None = None,
                 chat_models: Mapping[str, Any] | None = None, preload: bool = False,
                 models: ModelProcess | None = None):
        """``chat_models`` may bring LangChain chat models by mode name (tests, custom backends);
        the others are started on first use and released by ``close()``. ``preload`` starts
        loading the models at once: the query embedder and spaCy in the model process
        (``models``, started here when not given and ``answer.model_process`` is on), the rest in
        background threads (see ``preload_models``); this assistant closes ``models``."""
        self.settings = settings
        # questions and evidence sentences are embedded by the query runtime; the index's own
        # embedder (loaded only when something is ingested) by the ingest runtime: same vectors
        bulk = embedder or (index.embedder if index is not None else embed_runtimes.make_embedder(settings))
        query = embedder or embed_runtimes.make_query_embedder(settings, bulk)
        # with ``preload``, the query embedder and spaCy load in a second process while this one opens the index
        if models is None and preload and embedder is None:
            models = start_models(settings)
        self.models = models
        self.embedder = RemoteEmbedder(self.models, query) if self.models else query
        self.entities = remote_entities(self.models) if self.models else EntityTagger()
        self.loading = self.preload_models() if preload else []
        self.index = index or Index(settings, bulk)
        if preload:  # the vector store loads its segment before the first question needs it
            self.loading.append(_start(self.index.warm_up, "load-vectors"))
        self.retriever = Retriever(self.index, self.embedder, settings)
        self.vectors = VectorCache(self.embedder)
        self.evidence = EvidenceBuilder(self.index, self.vectors, settings)
        self.related = RelatedWords(self.vectors)
        self.prompts = Prompts(settings.prompts_dir)
        self.timeline_finder = Timeline(self.index, self.retriever, self.evidence, settings)
        # (registry commit, the words naming the briefings, the words taken as said in every one)
        self._describing: tuple[str | None, frozenset[str], frozenset[str]] = (None, frozenset(), frozenset())
        injected = dict(chat_models or {})
        self.modes: dict[str, AnswerMode] = {name: cls(settings, injected.get(name)) for name, cls in MODES.items()
                                             if name in injected or cls.available(settings)}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs) -> "Assistant":
        return cls(settings or get_settings(), **kwargs)

    # ------------------------------------------------------------------ building blocks
    def describing(self) -> frozenset[str]:
        """The words that name the indexed briefings (speakers, places, their countries), which a
        follow-up question may use without changing its topic; cached per set of briefings."""
        return self._briefing_words()[1]

    def implicit(self) -> frozenset[str]:
        """The words every fact question's passage is taken to say: the ministry's own country
        (``home_country``), a party to every fact it states wherever a briefing is held (a list of
        the briefings about a topic does not take it as said); cached per set of briefings."""
        return self._briefing_words()[2]

    def _briefing_words(self) -> tuple[str | None, frozenset[str], frozenset[str]]:
        self.index.refresh()  # the commit and the titles of one view
        view = self.index.snapshot
        commit = view.registry.commit
        if self._describing[0] != commit:
            titles = [e.title or "" for e in view.by_date]
            home = home_country(titles)
            self._describing = (commit, describing_words(titles), frozenset({home} if home else ()))
        return self._describing

    def mode(self, name: str | None = None) -> AnswerMode:
        """The answer mode ``name`` (default: the configured one), if this assistant offers it."""
        name = name or self.settings.generation.llm
        mode_class(name)  # unknown names get the list of modes
        if name not in self.modes:
            raise InputError(f"answer mode {name!r} is not available here (available: {', '.join(self.modes)})")
        return self.modes[name]

    def check_question(self, question: Any) -> str:
        """The question, stripped; ``InputError`` when it is not text, empty, or too long."""
        if question is not None and not isinstance(question, str):
            raise InputError("the question must be text")
        question = (question or "").strip()
        if not question:
            raise InputError("empty question")
        limit = self.settings.answer.max_question_chars
        if len(question) > limit:
            raise InputError(f"the question is {len(question):,} characters long; the limit is {limit:,}")
        return question

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
        """Wait for the background loads this assistant started (none keeps touching the index
        after it is closed) and release the models it started (the local LLM server)."""
        for thread in self.loading:
            thread.join()
        for mode in self.modes.values():
            mode.close()
        if self.models is not None:
            self.models.close()

    def __enter__(self) -> "Assistant":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def preload_models(self) -> list[threading.Thread]:
        """Start loading the embedder, spaCy's entity tagger and the token counter, each in a daemon
        thread, and return at once: a question asked meanwhile waits only for the model it needs
        (each loads once, under its own lock); a failed load is tried again, and reported, by the
        first use. The model process loads its two models by itself."""
        jobs = [] if self.models else [
            getattr(self.embedder, "load", None) or (lambda: self.embedder.encode(["warm up"])), self.entities.warm_up]
        jobs.append(lambda: count_tokens("warm up"))
        return [_start(job, f"load-{i}") for i, job in enumerate(jobs)]

    def warm_up(self, mode: str | None = None) -> None:
        """Load the models so the first question is not slow."""
        for t in self.preload_models():
            t.join()
        self.retriever.search("warm up")
        answer_mode = self.mode(mode)
        if answer_mode.uses_llm:
            answer_mode.chat_model().invoke("Say OK.", max_tokens=2)

    def retrieve(self, question: str, k: int = 5, filters: Filters | Mapping | None = None,
                 history: Sequence | None = None) -> list[SectionHit]:
        """The top ``k`` sections for a question, searched as ``ask`` searches them (follow-ups
        resolved, dates in the question as scope)."""
        standalone = resolve(question, history, self.describing())
        dates = [e.date for e in self.index.briefings() if e.date]
        scope = resolve_relative(parse_scope(standalone), dates)
        plan = plan_search(scope, self._filters(filters), dates)
        if plan.missing:
            return []
        return self.retriever.search(scope.topic(standalone) or standalone, plan.attempts[0], k=k).sections

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
        question = self.check_question(question)
        standalone = resolve(question, history, self.describing())
        timings: dict[str, float] = {}

        def done(answer: Answer) -> Answer:
            timings["total_ms"] = (time.perf_counter() - t0) * 1000
            return answer.model_copy(update={"timings": timings})

        user_filters = self._filters(filters)
        dates = [e.date for e in self.index.briefings() if e.date]
        scope = resolve_relative(parse_scope(standalone), dates)
        topic = scope.topic(standalone) or standalone
        base = dict(question=question, standalone_question=standalone, mode=mode)
        if scope.intent != "fact":
            answer = done(self._across(scope, topic, user_filters, dates, base))
            yield answer.text
            yield answer
            return
        plan = plan_search(scope, user_filters, dates)
        if plan.missing:
            answer = done(Answer(text=plan.missing, abstained=True, **base))
            yield answer.text
            yield answer
            return
        base["scope"] = plan.scope
        decision, evidence = self._support(topic, plan, timings)
        if not decision.answerable:
            answer = done(self._abstain(decision, base))
            yield answer.text
            yield answer
            return
        timings["evidence_tokens"] = float(sum(count_tokens(e.text) for e in evidence))
        notice, drafted = None, False
        selected, lead = later_lead(select_sentences(evidence, topic), evidence, topic, self.entities)
        extractive = compose(selected, topic, self.entities, lead=lead)
        composed = extractive
        if answer_mode.uses_llm:
            # the extractive answer (verbatim quotes) is shown as a draft while the model works;
            # the model's checked answer then replaces it
            if not unanswered_type(topic, extractive.lead):
                timings["ttft_ms"] = (time.perf_counter() - t0) * 1000
                yield extractive.text
                drafted = True
            raw, problem = self._generate(answer_mode, standalone, evidence, timings)
            if problem is None:
                composed, problem = self._grounded(raw, evidence, selected, topic, extractive.lead)
            if problem is not None:
                composed = extractive
                notice = self.prompts.fallback.format(mode=mode, problem=problem)
                base["mode"] = f"{mode}→extractive"
            timings.setdefault("ttft_ms", (time.perf_counter() - t0) * 1000)  # only verified text is shown
        if unanswered := unanswered_type(topic, composed.lead):
            answer = done(self._abstain(Decision(False, unanswered, decision.sections, decision.checks), base))
        else:
            answer = done(Answer(text=composed.text, citations=tuple(composed.citations), lead=composed.lead,
                                 notice=notice, **base))
        if not drafted:  # a draft is replaced by the final answer, not extended
            yield answer.text
        yield answer

    def _generate(self, mode: AnswerMode, question: str, evidence: list[EvidenceItem],
                  timings: dict[str, float]) -> tuple[str, str | None]:
        """The model's choice of evidence and answer phrase (constrained JSON, evidence first):
        the raw reply, or the problem that stopped it (backend failure, timeout)."""
        t2 = time.perf_counter()
        raw, problem = "", None
        try:
            model = mode.chat_model().bind(response_format={
                "type": "json_schema", "json_schema": {"name": "answer", "schema": ANSWER_SCHEMA}})
            for chunk in model.stream(self.prompts.answer_messages(question, evidence)):
                raw += chunk.content if isinstance(chunk.content, str) else ""
        except Exception as err:  # noqa: BLE001 - any backend failure falls back to extractive
            problem = f"failed ({type(err).__name__}: {str(err)[:160]})"
        timings["generation_ms"] = (time.perf_counter() - t2) * 1000
        if problem is None and timings["generation_ms"] > self.settings.generation.llm_timeout_s * 1000:
            problem = f"did not finish within {self.settings.generation.llm_timeout_s:g} s"
        return raw, problem

    def _grounded(self, raw: str, evidence: list[EvidenceItem], selected: list[EvidenceItem],
                  question: str, extractive_lead: str | None) -> tuple[Composed | None, str | None]:
        """The model's reply as a span-grounded answer (quoting the extractive ``selected`` sentences
        too, and led by the extractive answer's lead when the model's is not grounded and none is
        read from the quoted sentences, or when the question asks who said something), or why it
        cannot be one."""
        read = _read_reply(raw, evidence)
        if read is None:
            return None, "gave no readable answer"
        chosen, lead = read
        if not chosen:
            return None, "chose no passage that answers the question"
        wanted = expected_answer(question)
        if wanted is not None and wanted.strict and not any(wanted.answers(e.body, question, self.entities)
                                                            for e in chosen):
            return None, f"chose passages that hold no {wanted.name} the question asks for"
        grounded = grounded_lead(lead, chosen, question, self.entities)
        if extractive_lead and asks_who_said(question):
            grounded = extractive_lead  # "who said …": who says the passage, which its text may not name
        # the model picks the answer phrase; what is quoted is never less than the extractive answer
        quoted = list({e.number: e for e in [*selected, *chosen]}.values())
        composed = compose(quoted, question, self.entities, lead=grounded)
        if composed.lead is None and extractive_lead:
            composed = compose(quoted, question, self.entities, lead=extractive_lead)
        return composed, None

    def _support(self, topic: str, plan: SearchPlan,
                 timings: dict[str, float]) -> tuple[Decision, list[EvidenceItem]]:
        """Retrieval, the answer-or-abstain decision and the evidence, trying the plan's filters in
        order until one gives an answerable section."""
        decision, evidence = None, []
        for attempt, filters in enumerate(plan.attempts):
            retrieval = self.retriever.search(topic, filters)
            timings["retrieval_ms"] = timings.get("retrieval_ms", 0.0) + retrieval.timings["retrieval"] * 1000
            # outside the asked dates, the passage must name the date the question gives the fact
            decision = decide(topic, retrieval.sections, self.index, self.settings, self.related, self.implicit(),
                              plan.required(attempt))
            evidence = []
            if decision.answerable:
                t1 = time.perf_counter()
                evidence = self.evidence.build(topic, retrieval.query_vec, decision.sections)
                timings["evidence_ms"] = (time.perf_counter() - t1) * 1000
                missing = answer_type_failure(topic, evidence, self.entities)
                if missing:
                    decision = Decision(False, missing, decision.sections, decision.checks)
            if decision.answerable:
                break
        return decision, evidence

    def _abstain(self, decision: Decision, base: dict) -> Answer:
        closest = tuple(h.ref for h in decision.sections[:3])
        text = self.prompts.abstain.format(reason=decision.reason)
        return Answer(text=text, abstained=True, closest=closest, **base)

    def _across(self, scope: Scope, topic: str, user_filters: Filters | None, dates: list[str], base: dict) -> Answer:
        """A question across briefings: the briefings that address the topic, by date."""
        plan = plan_search(scope, user_filters, dates)
        if plan.missing:
            return Answer(text=plan.missing, abstained=True, **base)
        found = self.timeline_finder.find(topic, plan.attempts[0])
        if not found.entries:
            text = self.prompts.abstain.format(reason=f"no briefing addresses it ({found.considered} checked)")
            return Answer(text=text, abstained=True, scope=plan.scope, **base)
        entries = found.entries
        return Answer(text=timeline_text(scope.intent, entries), citations=tuple(e.citation for e in entries),
                      timeline=tuple(entries), scope=plan.scope, **base)

    def timeline(self, query: str, date_from: str | None = None, date_to: str | None = None,
                 limit: int | None = None) -> list[TimelineEntry]:
        """The briefings that address ``query``, by date, each with its cited passage."""
        filters = self._filters({"date_from": date_from, "date_to": date_to})
        return self.timeline_finder.find(query, filters, limit).entries

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


def _start(job, name: str) -> threading.Thread:
    thread = threading.Thread(target=_quietly, args=(job,), name=name, daemon=True)
    thread.start()
    return thread


def _quietly(job) -> None:
    try:
        job()
    except Exception:  # noqa: BLE001 - the first question that needs the model reports the error
        pass


def _read_reply(raw: str, evidence: list[EvidenceItem]) -> tuple[list[EvidenceItem], str] | None:
    """The evidence a model's JSON reply chooses (by number, each once) and its answer phrase;
    None when the reply cannot be read."""
    try:
        reply = json.loads(raw)
        numbers = [int(n) for n in reply.get("evidence", [])]
        lead = str(reply.get("answer", ""))
    except (ValueError, TypeError, AttributeError):
        return None
    by_number = {e.number: e for e in evidence}
    return [by_number[n] for n in dict.fromkeys(numbers) if n in by_number], lead
