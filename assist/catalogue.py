"""The catalogue as the assistant sees it: one entry per distinct diagnosis.

Rules that share a diagnosis (the four tyres, the pad-wear threshold and its forecast) are one
entry: an owner who hears a squeal cannot tell which wheel, and the car's evidence picks the
rule (``assist.evidence``). An entry keeps its rules in catalogue order; its ``key`` is the
first rule's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.model import Diagnosis, Rule


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # the id of the entry's first rule
    rules: tuple[Rule, ...]
    diagnosis: Diagnosis

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    @property
    def title(self) -> str:
        """The first rule's title; for several rules, its part before a comma (the wheel):
        "Brake pads worn", not "Brake pads worn, front left"."""
        first = self.rules[0].title
        return first.split(", ", 1)[0] if len(self.rules) > 1 else first

    def texts(self, language: str) -> tuple[str, ...]:
        """What the entry is known by in ``language``: the owner phrases of that language and,
        in English, the titles, the summary, the likely causes and the checks."""
        symptoms = self.diagnosis.symptoms.of(language)
        if language != "en":
            return symptoms
        d = self.diagnosis
        titles = tuple(dict.fromkeys(r.title for r in self.rules))
        return (*titles, d.summary, *d.likely_causes, *d.checks, *symptoms)

    def phrases(self) -> tuple[str, ...]:
        """Every text of every language, once (what the embedding model indexes)."""
        return tuple(dict.fromkeys((*self.texts("en"), *self.texts("zh"))))


def build_entries(rules: Sequence[Rule]) -> tuple[Entry, ...]:
    """Group ``rules`` by diagnosis, in the order of each group's first rule."""
    groups: dict[Diagnosis, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.diagnosis, []).append(rule)
    return tuple(Entry(members[0].id, tuple(members), d) for d, members in groups.items())
