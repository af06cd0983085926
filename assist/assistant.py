"""The whole question: an owner's description (and, with a VIN, the car's evidence) -> an
``Answer`` with the likeliest diagnoses, best first, or an honest "not sure".

``Assistant.build(rules, model)`` indexes the catalogue once (BM25 and the embedding model);
``ask`` is then a pure function of the text and the evidence (a few milliseconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from assist.catalogue import Entry, build_entries
from assist.errors import QuestionError
from assist.evidence import CarEvidence, OpenJob, StoredCode
from assist.explain import explain
from assist.language import detect
from assist.lexical import LexicalIndex, Tokenizer, build_lexical
from assist.rank import DEFAULT_THRESHOLDS, RRF_K, Thresholds, confident, fuse
from assist.relate import Reason, reasons_for, strongest_rule, weight_of
from assist.semantic import Encoder, SemanticIndex, build_semantic
from rules.model import Rule

MAX_TEXT = 500
EVIDENCE_TOP = 3
"""The car's evidence re-ranks the entries the text ranks among the first three: it confirms
what the owner describes and does not replace it (``python -m bench.assist`` measures both)."""
EVIDENCE_BOOST = 0.25
UNSURE = {
    "en": (
        "I cannot match this to a known fault with confidence. "
        "A general inspection lets a workshop look at it."
    ),
    "zh": "无法把您的描述可靠地对应到已知故障。建议预约一次全面检查，由维修站查看。",
}


class Mode(StrEnum):
    LEXICAL = "lexical"
    SEMANTIC = "semantic"
    FUSED = "fused"


@dataclass(frozen=True, slots=True)
class Candidate:
    key: str  # the entry
    rule_id: str  # the rule a booking names (the one the evidence backs most)
    title: str  # the backed rule's title; without evidence the entry's ("Brake pads worn")
    summary: str
    headline: str  # in the language of the question
    score: float  # text score x (1 + evidence weight)
    text_score: float  # 0..1
    reasons: tuple[Reason, ...]
    why: str  # the reasons in plain words ('' without evidence)
    open_job: OpenJob | None  # the job already open for this rule, if any


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    language: str
    confident: bool
    candidates: tuple[Candidate, ...]  # empty when not confident
    message: str  # '' when confident; else the "not sure" in the language of the question
    vin: str | None = None


@dataclass(frozen=True, slots=True)
class Assistant:
    entries: tuple[Entry, ...]
    lexical: LexicalIndex
    semantic: SemanticIndex
    thresholds: Thresholds = DEFAULT_THRESHOLDS

    @classmethod
    def build(
        cls, rules: Sequence[Rule], model: Encoder, thresholds: Thresholds = DEFAULT_THRESHOLDS
    ) -> Assistant:
        entries = build_entries(rules)
        return cls(
            entries,
            build_lexical(entries, Tokenizer()),
            build_semantic(entries, model),
            thresholds,
        )

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The catalogue's rules, in the entries' order."""
        return tuple(r for e in self.entries for r in e.rules)

    def ask(
        self,
        text: str,
        car: CarEvidence | None = None,
        *,
        limit: int = 3,
        mode: Mode = Mode.FUSED,
    ) -> Answer:
        text = clean(text)
        language = detect(text)
        lexical = self.lexical.scores(text, language)
        semantic = self.semantic.scores(text)
        vin = car.vin if car else None
        if not confident(semantic, lexical, self.thresholds):
            return Answer(text, language, False, (), UNSURE[language], vin)
        scores = _text_scores(mode, lexical, semantic)
        sims = self._code_similarities(car)

        def related(code: StoredCode, index: int) -> float:
            return sims[code.code][index] if code.code in sims else 0.0

        plausible = set(sorted(range(len(scores)), key=lambda i: -scores[i])[:EVIDENCE_TOP])
        ranked: list[Candidate] = []
        for index, entry in enumerate(self.entries):
            backed = car is not None and index in plausible
            reasons = reasons_for(entry, index, car, related) if car and backed else ()
            ranked.append(self._candidate(entry, scores[index], reasons, car, language))
        ranked.sort(key=lambda c: -c.score)
        return Answer(text, language, True, tuple(ranked[:limit]), "", vin)

    def _candidate(
        self,
        entry: Entry,
        text_score: float,
        reasons: tuple[Reason, ...],
        car: CarEvidence | None,
        language: str,
    ) -> Candidate:
        rule_id = strongest_rule(entry, reasons)
        open_job = next((j for j in car.jobs if j.rule_id in entry.rule_ids), None) if car else None
        if open_job is not None:
            rule_id = open_job.rule_id
        return Candidate(
            key=entry.key,
            rule_id=rule_id,
            title=next(r.title for r in entry.rules if r.id == rule_id) if reasons else entry.title,
            summary=entry.diagnosis.summary,
            headline=headline(entry, language),
            score=text_score * (1.0 + EVIDENCE_BOOST * weight_of(reasons)),
            text_score=text_score,
            reasons=reasons,
            why=explain(reasons, language),
            open_job=open_job,
        )

    def _code_similarities(self, car: CarEvidence | None) -> dict[str, list[float]]:
        """Per trouble code with a description, its cosine to every entry."""
        if car is None:
            return {}
        return {c.code: self.semantic.scores(c.description) for c in car.codes if c.description}

    def rank(self, text: str, mode: Mode = Mode.FUSED) -> list[str]:
        """Every entry's key, best first, by the text alone (no threshold; for benchmarks)."""
        text = clean(text)
        language = detect(text)
        scores = _text_scores(mode, self.lexical.scores(text, language), self.semantic.scores(text))
        return [self.entries[i].key for i in sorted(range(len(scores)), key=lambda i: -scores[i])]

    def is_confident(self, text: str) -> bool:
        text = clean(text)
        return confident(
            self.semantic.scores(text), self.lexical.scores(text, detect(text)), self.thresholds
        )


def clean(text: str) -> str:
    """The description, whitespace collapsed; ``QuestionError`` if empty or too long."""
    text = " ".join(text.split())
    if not text:
        raise QuestionError("describe the problem in a few words")
    if len(text) > MAX_TEXT:
        raise QuestionError(f"keep the description under {MAX_TEXT} characters")
    return text


def headline(entry: Entry, language: str) -> str:
    """The entry's name for the owner: its title; in Chinese the first Chinese phrase too."""
    zh = entry.diagnosis.symptoms.zh
    if language == "zh" and zh:
        return f"{zh[0]}（{entry.title}）"
    return entry.title


def _text_scores(mode: Mode, lexical: list[float], semantic: list[float]) -> list[float]:
    """Per entry, 0..1: the cosine, BM25 over its best, or the fused rank score over its most."""
    if mode is Mode.SEMANTIC:
        return [max(0.0, s) for s in semantic]
    if mode is Mode.LEXICAL:
        top = max(lexical, default=0.0) or 1.0
        return [max(0.0, s) / top for s in lexical]
    best = 2.0 / (RRF_K + 1.0)
    return [s / best for s in fuse(lexical, semantic)]
