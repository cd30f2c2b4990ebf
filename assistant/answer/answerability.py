"""Answer or abstain, decided by the pipeline rather than by trusting a small LLM.

A question is answerable when one of the top sections (a) contains every named entity and
number of the question, (b) contains enough of its other key terms, and (c) is semantically
close enough (dense similarity). "How many Sputnik V doses were delivered to Vietnam?" is
refused although the corpus talks about Sputnik V doses: no section mentions Vietnam."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Iterable, Sequence

from assistant.answer.answer_types import COUNT, AnswerType, expected_answer
from assistant.answer.entities import EntityTagger
from assistant.answer.related import RelatedWords
from assistant.answer.scope import FactDate
from assistant.config import Settings
from assistant.store.index import Index
from assistant.models import EvidenceItem, SectionHit
from assistant.text.lexicon import word_map, word_set
from assistant.text import DATE_EXPRESSION, QUESTION_WORDS, STOPWORDS, present, stem, words
from assistant.text.terms import camel_parts, surface_words

# Words that are not topics: sentence openers, courtesy words, and words naming the kind of
# answer wanted ("in which year", "what was the name").
_NOT_ENTITIES = STOPWORDS | QUESTION_WORDS | word_set("request_words")
# Capitalised descriptors of a region or a group rather than a name: checked like ordinary terms.
_REGIONAL = word_set("regional_words")
# Demonyms whose stem does not share a prefix with the country name.
DEMONYMS = word_map("demonyms")
# A capital in a question may stand for its country ("What did Washington say?"); one in a passage
# is often just a venue ("the earlier meetings in Berlin"), so only the question's is widened.
_CAPITALS = word_map("capitals")


@dataclass
class KeyTerms:
    entities: list[str]  # stems that must occur (names, acronyms, numbers)
    content: list[str]  # other topic stems
    surface: dict[str, str] = field(default_factory=dict)  # stem -> the word as the user wrote it


COVERS_LITTLE = "the closest passages cover too little of the question"
MENTIONS_NOTHING = "the closest passages do not mention what the question asks about"


@dataclass
class SectionCheck:
    hit: SectionHit
    missing_entities: list[str]
    coverage: float  # weighted share of the question's key terms present (entities count double)
    content_found: int = 0  # how many of the non-name key terms are present
    content_total: int = 0
    count_ok: bool = True  # "how many X": a sentence gives a number of X
    unnamed_dates: list[str] = field(default_factory=list)  # dates of the fact it must name and does not
    lacking: list[str] = field(default_factory=list)  # the non-name key terms absent, as the user wrote them
    weight: float = 0.0  # the weight of all key terms (the denominator of ``coverage``)

    def failure(self, settings: Settings) -> str | None:
        """Why this section cannot support an answer, or None when it can."""
        if self.missing_entities or self.unnamed_dates:
            return f"no passage mentions {', '.join(self.missing_entities + self.unnamed_dates)}"
        if self.hit.dense < settings.answer.min_dense_score:
            return "no passage is close enough to the question"
        if self.coverage < settings.answer.min_term_coverage:
            return COVERS_LITTLE
        if self.content_total and not self.content_found and self.hit.dense < settings.answer.min_dense_unmatched:
            return MENTIONS_NOTHING
        if not self.count_ok:
            return "no passage gives that number"
        return None


@dataclass
class Decision:
    answerable: bool
    reason: str
    sections: list[SectionHit]  # supporting section first
    checks: list[SectionCheck] = field(default_factory=list)

    @property
    def best(self) -> SectionCheck | None:
        return self.checks[0] if self.checks else None


_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s")  # "ICTs" -> "ICT"


def _key_word(part: str, first: bool) -> tuple[str, bool] | None:
    """One word of a question as a key term: (its stem or lower-cased name, is it a name/number),
    or None when it is not a topic word."""
    if part.endswith(("'s", "’s")):
        part = part[:-2]
    if _PLURAL_ACRONYM.fullmatch(part):
        part = part[:-1]
    low = part.lower()
    if low in _NOT_ENTITIES or (len(low) < 2 and not low.isdigit()):
        return None
    capitalised = part[0].isupper() and (not first or part.isupper())
    is_entity = (part[0].isdigit() or capitalised) and low not in _REGIONAL
    return DEMONYMS.get(low) or (low.replace(",", "") if is_entity else stem(low)), is_entity


def key_terms(question: str) -> KeyTerms:
    """The question's names and numbers (which a supporting section must contain) and its other
    topic words; the first word of the question counts as a name only when written in capitals."""
    entities: list[str] = []
    content: list[str] = []
    surface: dict[str, str] = {}
    for pos, word in enumerate(surface_words(question)):
        key = _key_word(word, pos == 0)
        if key is not None:
            (entities if key[1] else content).append(key[0])
            surface.setdefault(key[0], word)
    return KeyTerms(list(dict.fromkeys(entities)), [t for t in dict.fromkeys(content) if t not in entities], surface)


_CAPITALISED_RUN = re.compile(r"(?:\b[A-Z][\w’'-]*(?:\s+(?:of|for|and|the|on|in)?\s*)?){2,}")


def acronyms(text: str) -> set[str]:
    """Acronyms of capitalised word runs: "Russian Direct Investment Fund" -> "rdif"."""
    out = set()
    for m in _CAPITALISED_RUN.finditer(text):
        caps = [w[0] for w in m.group().split() if w[:1].isupper()]
        for i in range(len(caps)):
            for j in range(i + 2, len(caps) + 1):
                out.add("".join(caps[i:j]).lower())
    return out


_LETTERS = re.compile(r"[^\W\d_]+")


def home_country(titles: Iterable[str]) -> str | None:
    """The country whose capital most briefing titles (their headers) name: the ministry's own, a
    party to every fact it states, wherever a briefing is held (another city, or no place given);
    the first such title decides a tie."""
    counts = Counter(_CAPITALS[w] for t in titles for w in dict.fromkeys(_LETTERS.findall(t.lower()))
                     if w in _CAPITALS)
    return counts.most_common(1)[0][0] if counts else None


@lru_cache(maxsize=4096)
def _section_vocabulary(text: str) -> frozenset[str]:
    """Stems, plain lower-case words (and those run together in CamelCase), demonym countries and
    acronyms found in a section."""
    plain = set(words(text)) | set(camel_parts(text))
    vocab = {stem(w) for w in plain} | plain
    vocab |= {DEMONYMS[w] for w in plain if w in DEMONYMS}
    vocab |= acronyms(text)
    return frozenset(vocab)


HOW_MANY = re.compile(r"\bhow many\s+(.+)", re.IGNORECASE)


def counted_noun(question: str) -> str | None:
    """The thing counted in a "how many" question: "How many Egyptian peacekeepers…" -> peacekeepers."""
    m = HOW_MANY.search(question)
    if not m:
        return None
    tokens = re.findall(r"[^\W\d_][\w-]*", m.group(1))
    lowered = question == question.lower()
    for tok in tokens:
        if tok.lower() in _NOT_ENTITIES:
            continue
        if lowered or not tok[0].isupper():
            return tok.lower()
    return None


def gives_count(text: str, noun: str, entities: list[str] = ()) -> bool:
    """Some paragraph mentions ``noun`` together with a number that is not part of a date, and the
    ``entities`` the count is about, there or in the paragraph before it, which often names them
    ("How many Egyptian peacekeepers were injured?" is not answered by a paragraph whose only
    numbers are dates)."""
    paragraphs = text.split("\n\n")
    for i, paragraph in enumerate(paragraphs):
        if mentions_noun(paragraph, noun) and COUNT.search(DATE_EXPRESSION.sub(" ", paragraph)):
            vocab = _section_vocabulary("\n\n".join(paragraphs[max(0, i - 1):i + 1]))
            if all(present(e, vocab) for e in entities):
                return True
    return False


def noun_mention(text: str, noun: str) -> re.Match | None:
    """The first mention of the counted noun, in any form: a word opening with its stem's first
    five letters ("provinces" for "province")."""
    return re.search(rf"\b{re.escape(stem(noun)[:5])}\w*", text, re.IGNORECASE)


def mentions_noun(text: str, noun: str) -> bool:
    """Whether the counted noun occurs at all; when it does not (the section says "militants" for
    "fighters"), the count is checked on the evidence sentences instead (see
    answer_type_failure)."""
    return noun_mention(text, noun) is not None


def _absent(key: list[str], vocab: frozenset[str]) -> list[str]:
    """The key terms not in ``vocab``; a capital is there when its country is."""
    return [t for t in key if not (present(t, vocab) or _CAPITALS.get(t, "") in vocab)]


def check_section(index: Index, hit: SectionHit, kt: KeyTerms, question: str = "",
                  implicit: frozenset[str] = frozenset(), dated: Sequence[FactDate] = ()) -> SectionCheck:
    """How well one section supports the question. Words naming the briefing itself (its speaker,
    its place and the place's country: "Russia" at a Moscow briefing), and the ``implicit`` ones,
    are satisfied by every section and count neither way; the section title counts as part of the
    section. The ``dated`` dates of the fact must be named in it (``FactDate``)."""
    briefing = index.briefing(hit.ref.briefing_id)
    section = briefing.sections[hit.ref.section_index]
    text = briefing.text[section.start:section.end]
    header = _section_vocabulary(f"{briefing.speaker or ''}\n{briefing.place or ''}")
    header |= {_CAPITALS[w] for w in header if w in _CAPITALS} | implicit
    entities, content = _absent(kt.entities, header), _absent(kt.content, header)
    titled = f"{section.title}\n{text}"
    vocab = _section_vocabulary(titled)
    missing, lacking = _absent(entities, vocab), _absent(content, vocab)
    total = 2.0 * len(entities) + len(content)
    got = 2.0 * (len(entities) - len(missing)) + len(content) - len(lacking)
    noun = counted_noun(question)
    counted = _absent(entities, _section_vocabulary(section.title))
    return SectionCheck(hit, [kt.surface.get(m, m) for m in missing], got / total if total else 0.0,
                        content_found=len(content) - len(lacking), content_total=len(content),
                        count_ok=noun is None or gives_count(text, noun, counted) or not mentions_noun(text, noun),
                        lacking=[kt.surface.get(t, t) for t in lacking], weight=total,
                        unnamed_dates=[d.label() for d in dated if not d.named_in(titled)])


def _worded(check: SectionCheck, index: Index, settings: Settings, related: RelatedWords | None) -> SectionCheck:
    """The check, or, when it fails for its wording alone, the check with the question words the
    section says in other words counted as present."""
    if related is None or not check.lacking or check.failure(settings) not in (COVERS_LITTLE, MENTIONS_NOTHING):
        return check
    briefing = index.briefing(check.hit.ref.briefing_id)
    section = briefing.sections[check.hit.ref.section_index]
    found = related.found(check.lacking, f"{section.title}\n{briefing.text[section.start:section.end]}")
    if not found:
        return check
    return replace(check, coverage=check.coverage + len(found) / check.weight,
                   content_found=check.content_found + len(found),
                   lacking=[w for w in check.lacking if w not in found])


def decide(question: str, sections: list[SectionHit], index: Index, settings: Settings,
           related: RelatedWords | None = None, implicit: frozenset[str] = frozenset(),
           dated: Sequence[FactDate] = ()) -> Decision:
    """Answerable or not, and the supporting section first. With ``related``, a section that fails
    only for its wording (too little of the question covered, or none of its topic words) is
    checked again counting the question words it says in other words; the choice among the
    sections that pass still reads the question's own words. ``implicit`` words name every
    briefing (``home_country``); the ``dated`` dates of the fact must be named by the section."""
    if not sections:
        return Decision(False, "nothing in the index matches the question", [])
    kt = key_terms(question)
    literal = [check_section(index, h, kt, question, implicit, dated) for h in sections[: settings.answer.check_sections]]
    checks = [_worded(c, index, settings, related) for c in literal]
    ok = [i for i, c in enumerate(checks) if c.failure(settings) is None]
    if ok:
        # retrieval order, unless a section close behind covers clearly more of the question as
        # worded (related words only decide whether a section may answer, not which one does)
        top = literal[ok[0]]
        best = checks[max(ok, key=lambda i: (literal[i].coverage - top.coverage >= 0.15
                                             and literal[i].hit.score >= 0.8 * top.hit.score, i == ok[0]))]
        ordered = [best.hit] + [h for h in sections if h is not best.hit]
        return Decision(True, "supported", ordered, [best] + [c for c in checks if c is not best])
    return Decision(False, checks[0].failure(settings) or "no supporting passage", sections, checks)


TYPE_TOP = 3  # how many of the best evidence sentences must hold an answer of the asked type


def answer_type_failure(question: str, evidence: list[EvidenceItem], tagger: EntityTagger,
                        top: int = TYPE_TOP) -> str | None:
    """A question asking who, when or how many is refused when none of the best evidence
    sentences names a person or body, gives a date, or gives a number (beyond those in the
    question itself)."""
    wanted = expected_answer(question)
    if wanted is None or not wanted.strict or not evidence:
        return None
    best = sorted(evidence, key=lambda e: e.score, reverse=True)[:top]
    if any(wanted.answers(e.body, question, tagger) for e in best):
        return None
    return _not_said(wanted)


def unanswered_type(question: str, lead: str | None) -> str | None:
    """A question asking who, when or how many whose composed answer found no phrase of that kind
    to lead with (the quoted sentences only talk around it) is refused."""
    wanted = expected_answer(question)
    if wanted is None or not wanted.strict or lead:
        return None
    return _not_said(wanted)


def _not_said(wanted: AnswerType) -> str:
    return f"the closest passages do not say {wanted.what}"
