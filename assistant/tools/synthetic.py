"""Synthetic briefings for the benchmark, made from the sample transcript.

Each synthetic briefing is written as a ``.txt`` file in the same transcript format and goes
through the real reader, parser, chunker and index. It is perturbed deterministically (seeded by
its number) so that its chunks are new text: another date, a subset of the sections in another
order, sentences shuffled (and sometimes one dropped) within paragraphs, numbers, months, place
names and some wording swapped. Its title says ``[synthetic #N]``."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from assistant.config import Settings
from assistant.ingest.ingestor import parse_file
from assistant.text.dates import ENGLISH_MONTHS
from assistant.models import Briefing, SectionKind
from assistant.ingest.parsing import ANSWER_LINE, BOILERPLATE, QUESTION_LINE
from assistant.text import sentence_spans

# --------------------------------------------------------------------------------------------
# synthetic briefings

_MONTH_NAMES = ENGLISH_MONTHS
_LANGUAGE_LINE = "  • de-DE1 en-GB1 es-ES1 ru-RU1 fr-FR1"
_MEDIA_HEADER = "Answers to media questions:"
_BACK_TO_TOP = "Back to top"

# names swapped among themselves (one permutation per group and briefing)
ENTITY_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Paris", "Geneva", "Vienna", "Rome", "Istanbul"),
    ("Palermo", "Naples", "Milan"),
    ("Estonia", "Latvia", "Lithuania"),
    ("Nicaragua", "Venezuela", "Bolivia", "Cuba"),
    ("Ethiopia", "Sudan", "Somalia", "Mali"),
    ("Philippines", "Indonesia", "Vietnam", "Malaysia"),
    ("Kazakhstan", "Uzbekistan", "Kyrgyzstan", "Tajikistan"),
    ("Sweden", "Finland", "Norway", "Denmark"),
    ("Romania", "Bulgaria", "Greece"),
    ("Ann Linden", "Zbigniew Rau", "Bujar Osmani", "Ian Borg"),
    ("Thomas West", "Zalmay Khalilzad", "Karen Decker"),
    ("Moussa Mahamat", "Moussa Faki", "Amina Mohammed"),
    ("Nicolae Popescu", "Aureliu Ciocoi", "Mihai Popsoi"),
    ("Germany", "France", "Italy"),
    ("German", "French", "Italian"),
    ("MINUSCA", "MINUSMA", "MONUSCO"),
    ("Missiya Dobro (Mission Good)", "Dobraya Volya (Good Will)", "Otkrytoe Serdtse (Open Heart)"),
    ("EUFOR-Althea", "EUFOR-Concordia", "EUFOR-Artemis"),
    ("Intersputnik", "Interkosmos", "Intercosmos"),
    ("Tigray", "Amhara", "Afar"),
    ("Gulf of Oman", "Gulf of Aden", "Strait of Hormuz"),
    ("Black Sea", "Baltic Sea", "Sea of Azov"),
)

# wording swapped with an alternative (one choice per word and briefing)
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("important", "significant", "essential"),
    ("discuss", "consider", "review", "examine"),
    ("discussed", "considered", "reviewed", "examined"),
    ("issues", "matters", "questions"),
    ("countries", "states", "nations"),
    ("country", "state", "nation"),
    ("efforts", "endeavours", "attempts"),
    ("situation", "state of affairs", "circumstances"),
    ("talks", "negotiations", "consultations"),
    ("meeting", "session", "gathering"),
    ("cooperation", "collaboration", "partnership"),
    ("however", "nevertheless", "still"),
    ("unfortunately", "regrettably", "sadly"),
    ("regularly", "routinely", "repeatedly"),
    ("consistently", "invariably", "steadily"),
    ("recently", "lately", "of late"),
    ("statement", "declaration", "announcement"),
    ("problem", "issue", "difficulty"),
    ("problems", "difficulties", "challenges"),
    ("conflict", "confrontation", "dispute"),
    ("believe", "think", "consider"),
    ("provide", "supply", "deliver"),
    ("main", "principal", "key"),
    ("current", "present", "ongoing"),
    ("many", "numerous", "a great many"),
    ("large", "big", "major"),
    ("partners", "counterparts", "colleagues"),
    ("approach", "method", "line"),
    ("active", "vigorous", "energetic"),
    ("information", "data"),
    ("organisation", "organization", "body"),
    ("initiative", "proposal", "undertaking"),
    ("principles", "tenets", "foundations"),
    ("serious", "grave", "profound"),
    ("new", "fresh", "novel"),
    ("ensure", "guarantee", "secure"),
    ("urge", "call on", "encourage"),
    ("also", "likewise", "in addition"),
    ("very", "extremely", "highly"),
    ("Foreign Ministry", "Ministry of Foreign Affairs", "MFA"),
    ("international", "global", "worldwide"),
    ("said", "stated", "noted"),
    ("note", "point out", "stress", "emphasise"),
    ("hope", "trust", "expect"),
    ("would like to", "wish to", "want to"),
    ("possible", "feasible"),
    ("Earlier this year", "Earlier in the year", "This year"),
    ("investigation", "inquiry", "probe"),
    ("primarily", "above all", "first of all"),
    ("held", "organised", "conducted"),
    ("take part", "participate"),
    ("participation", "involvement"),
    ("region", "area"),
    ("developments", "events"),
    ("activities", "operations"),
    ("comprehensive", "all-round", "broad"),
    ("constructive", "productive"),
    ("relations", "ties"),
    ("sides", "parties"),
    ("agreements", "accords", "arrangements"),
    ("attention", "consideration"),
    ("the United States", "the US", "Washington"),
    ("Western", "Euro-Atlantic"),
    ("measures", "steps"),
    ("decision", "ruling"),
    ("we are", "we're"),
    ("it is", "it's"),
)

_NUMBER = r"(?<![\w+\-–./,:])(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<ord>st|nd|rd|th)?(?![\w+\-–/]|[.,:]\d)"
_MONTH_DAY = rf"\b(?P<month>{'|'.join(_MONTH_NAMES)})(?P<sep>\s+)(?P<day>\d{{1,2}})(?![\d\-–])"


@dataclass(frozen=True)
class TemplateSection:
    title: str
    kind: SectionKind
    paragraphs: tuple[str, ...]  # body paragraphs; a media section's start with "Question: ..."


@dataclass(frozen=True)
class Template:
    """The sample briefing taken apart into the pieces a synthetic briefing is built from."""

    source: Path
    date: dt.date
    kind: str  # "Briefing"
    speaker: str  # "Foreign Ministry Spokeswoman Maria Zakharova"
    place: str  # "Moscow"
    statements: tuple[TemplateSection, ...]
    media: tuple[TemplateSection, ...]


@dataclass(frozen=True)
class SyntheticBriefing:
    number: int
    date: dt.date
    title: str
    filename: str
    text: str
    statement_titles: tuple[str, ...]
    media_titles: tuple[str, ...]


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip())


def _template_section(briefing: Briefing, index: int) -> TemplateSection:
    s = briefing.sections[index]
    start = s.body_start if s.kind == "statement" else s.start
    paragraphs = _paragraphs(briefing.text[start:s.end])
    return TemplateSection(title=" ".join(s.title.split()), kind=s.kind, paragraphs=paragraphs)


def find_sample(sample_dir: Path) -> Path:
    files = sorted(Path(sample_dir).glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"{sample_dir}: no sample transcript (.txt) to build synthetic briefings from")
    return files[0]


def load_template(settings: Settings, sample: Path | None = None) -> Template:
    """Parse the sample with the real parser and keep its sections as templates."""
    path = sample or find_sample(settings.sample_corpus_dir)
    briefing = parse_file(path, settings)
    sections = [_template_section(briefing, i) for i in range(len(briefing.sections))]
    m = re.search(r"^(?P<kind>.*?)\s+by\s+(?P<who>[^,]+)", briefing.title)
    statements = tuple(s for s in sections if s.kind == "statement")
    media = tuple(s for s in sections if s.kind == "media_question")
    if not statements or not media:
        raise ValueError(f"{path}: the sample needs statement and media-question sections to serve as a template")
    return Template(
        source=path,
        date=dt.date.fromisoformat(briefing.date) if briefing.date else dt.date(2021, 11, 10),
        kind=m.group("kind") if m else "Briefing",
        speaker=m.group("who").strip() if m else (briefing.speaker or "the Spokesperson"),
        place=briefing.place or "Moscow",
        statements=statements,
        media=media,
    )


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _match_case(word: str, like: str) -> str:
    return _capitalise(word) if like[:1].isupper() else word


class Perturber:
    """One synthetic briefing's consistent rewrite of any text: the same input always gives the
    same output, so section titles stay identical in the table of contents and in the body."""

    def __init__(self, key: str, date: dt.date, template_date: dt.date):
        self.key = key
        self.year_shift = date.year - template_date.year
        self.month_shift = date.month - template_date.month
        self.day_shift = (date.day - template_date.day) % 28
        self.words = self._word_map()
        alternation = "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))
        self.pattern = re.compile(rf"{_MONTH_DAY}|(?P<word>(?<!\w)(?:{alternation})(?!\w))|{_NUMBER}")

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join([self.key, *map(str, parts)]))

    def _word_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for g, group in enumerate(ENTITY_GROUPS):
            shuffled = list(group)
            self.rng("entities", g).shuffle(shuffled)
            out.update(zip(group, shuffled))
        for group in SYNONYM_GROUPS:
            choice = self.rng("synonym", group[0]).choice(group)
            out[group[0]] = choice
            out[_capitalise(group[0])] = _capitalise(choice)
        for m, name in enumerate(_MONTH_NAMES):
            out[name] = self.month(m + 1)
        return out

    def month(self, number: int) -> str:
        return _MONTH_NAMES[(number - 1 + self.month_shift) % 12]

    def number(self, token: str, suffix: str | None) -> str:
        value = int(token.replace(",", ""))
        if len(token) == 4 and 1900 <= value <= 2099 and not suffix:
            return str(value + self.year_shift)
        if value == 0:
            return token
        spread = max(1, value // 4)
        new = max(1, value + self.rng("number", token).randint(-spread, spread))
        text = f"{new:,}" if "," in token else str(new)
        return text + (_ordinal(new) if suffix else "")

    def _replace(self, m: re.Match) -> str:
        if m.group("month"):
            month = _MONTH_NAMES.index(m.group("month")) + 1
            day = (int(m.group("day")) - 1 + self.day_shift) % 28 + 1
            return f"{self.month(month)}{m.group('sep')}{day}"
        if m.group("word"):
            return _match_case(self.words[m.group("word")], m.group("word"))
        return self.number(m.group("num"), m.group("ord"))

    def __call__(self, text: str) -> str:
        return self.pattern.sub(self._replace, text)


def _split_prefix(paragraph: str) -> tuple[str, str]:
    """("Question: " or "Maria Zakharova: ", rest) so the speaker label stays in front."""
    m = QUESTION_LINE.match(paragraph) or ANSWER_LINE.match(paragraph)
    return (m.group(0), paragraph[m.end():]) if m else ("", paragraph)


DISCOURSE_MARKERS = ("Indeed, ", "As you know, ", "In fact, ", "Of course, ", "Clearly, ", "Let me add that ",
                     "I would like to stress that ", "Once again, ")
_LOWERCASE_STARTS = frozenset("We The This These It They There Our In On At As That Such".split())


def with_marker(sentence: str, rng: random.Random) -> str:
    """A spokesperson's verbal habit: "Indeed, we ..." for "We ..."."""
    first = sentence.split(" ", 1)[0]
    if first in _LOWERCASE_STARTS:
        sentence = sentence[0].lower() + sentence[1:]
    return rng.choice(DISCOURSE_MARKERS) + sentence


def shuffle_sentences(paragraph: str, rng: random.Random, drop_one: bool, marker_rate: float = 0.15) -> str:
    """Sentences of a paragraph in another order, perhaps one fewer, some with a discourse marker;
    a "Question:"/"Speaker:" label stays in front."""
    if BOILERPLATE.match(paragraph):
        return paragraph
    prefix, rest = _split_prefix(paragraph)
    sentences = [s.of(rest) for s in sentence_spans(rest)]
    if len(sentences) > 1:
        rng.shuffle(sentences)
    if drop_one and len(sentences) >= 3:
        sentences.pop(rng.randrange(len(sentences)))
    rate = marker_rate if len(sentences) > 1 else min(1.0, 3 * marker_rate)  # a lone sentence varies little
    sentences = [with_marker(x, rng) if rng.random() < rate else x for x in sentences]
    return prefix + " ".join(sentences)


def _pick_sections(sections: Sequence[TemplateSection], rng: random.Random, keep: float) -> list[TemplateSection]:
    """A random subset (at least one) in a random order."""
    chosen = [s for s in sections if rng.random() < keep] or [rng.choice(list(sections))]
    rng.shuffle(chosen)
    return chosen


def _render_section(section: TemplateSection, perturb: Perturber, rng: random.Random) -> tuple[str, list[str]]:
    paragraphs = [shuffle_sentences(perturb(p), rng, drop_one=rng.random() < 0.3) for p in section.paragraphs]
    return perturb(section.title), paragraphs


def synthetic_date(template: Template, number: int) -> dt.date:
    """Weekly briefings going back from the sample's date: distinct for distinct numbers."""
    return template.date - dt.timedelta(days=7 * number)


def synthetic_briefing(template: Template, number: int, seed: int = 0, keep: float = 0.8) -> SyntheticBriefing:
    """Synthetic briefing number ``number`` (1, 2, ...): the same number and seed always give the
    same text, whatever corpus size it is generated for."""
    date = synthetic_date(template, number)
    key = f"bench:{seed}:{number}"
    perturb = Perturber(key, date, template.date)
    rng = random.Random(f"{key}:layout")
    statements = [_render_section(s, perturb, rng) for s in _pick_sections(template.statements, rng, keep)]
    media = [_render_section(s, perturb, rng) for s in _pick_sections(template.media, rng, keep)]
    title = (f"{template.kind} [synthetic #{number}] by {template.speaker}, {template.place}, "
             f"{date.strftime('%B')} {date.day}, {date.year}")
    text = _render_text(date, rng, title, statements, media)
    return SyntheticBriefing(number=number, date=date, title=title,
                             filename=f"synthetic-{number:04d}-{date.isoformat()}.txt", text=text,
                             statement_titles=tuple(t for t, _ in statements),
                             media_titles=tuple(t for t, _ in media))


def _render_text(date: dt.date, rng: random.Random, title: str, statements: list[tuple[str, list[str]]],
                 media: list[tuple[str, list[str]]]) -> str:
    """The layout of the ministry's plain-text transcripts (see the sample)."""
    out = ["Asset Publisher", "", f"{date.day} {date.strftime('%B')} {date.year}"
           f"{rng.randint(9, 21):02d}:{rng.randint(0, 59):02d}", "", title, "", "", _LANGUAGE_LINE, "", "",
           "Table of contents", "", ""]
    for k, (t, _) in enumerate(statements, start=1):
        out += [f"  {k}. {t}", ""]
    out += [_MEDIA_HEADER, ""]
    out += [f"  {k}. {t}" for k, (t, _) in enumerate(media, start=1)]
    out += ["", ""]
    for t, paragraphs in statements:
        out += [t, "", ""]
        for p in paragraphs:
            out += [p, ""]
        out += [_BACK_TO_TOP, "", ""]
    out += [_MEDIA_HEADER, ""]
    for _, paragraphs in media:
        for p in paragraphs:
            out += [p, ""]
        out += [_BACK_TO_TOP, ""]
    out += ["Additional materials", "", "", "Advanced settings", ""]
    return "\n".join(out)


def write_synthetic(template: Template, numbers: Sequence[int], folder: Path, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in numbers:
        b = synthetic_briefing(template, n, seed)
        path = folder / b.filename
        path.write_text(b.text, encoding="utf-8")
        paths.append(path)
    return paths
