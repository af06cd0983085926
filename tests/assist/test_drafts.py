from __future__ import annotations

import pytest

from assist.assistant import Assistant
from assist.drafts import GENERAL_INSPECTION, inspection_draft, job_draft, rule_of
from assist.errors import QuestionError
from jobs.model import Severity

VIN = "WPITSTOPASSIST555"


def test_the_draft_carries_the_rule_and_the_owners_words(assistant: Assistant) -> None:
    answer = assistant.ask("a squeal when I brake")
    top = answer.candidates[0]
    rule = rule_of(assistant.entries, top.rule_id)
    assert rule is not None
    draft = job_draft(answer, top, rule, VIN, 100.0)
    assert (draft.vin, draft.rule_id, draft.fired_at) == (VIN, "brake-pads-worn-front-left", 100.0)
    assert draft.title == "Brake pads worn"  # no evidence names a wheel
    assert draft.diagnosis == rule.diagnosis.to_json()
    assert draft.required_skills == rule.diagnosis.skills
    report = draft.evidence["owner_report"]
    assert (report["text"], report["language"], report["matched"]) == (
        "a squeal when I brake",
        "en",
        "brake-pads-worn-front-left",
    )
    other = rule_of(assistant.entries, "hv-isolation-fault")
    assert other is not None
    with pytest.raises(QuestionError):
        job_draft(answer, top, other, VIN, 100.0)


def test_the_general_inspection_is_its_own_rule(assistant: Assistant) -> None:
    answer = assistant.ask("the cup holder is broken")
    draft = inspection_draft(answer, VIN, 5.0)
    assert (draft.rule_id, draft.severity) == (GENERAL_INSPECTION, Severity.INFO)
    assert draft.evidence["owner_report"] == {
        "text": "the cup holder is broken",
        "language": "en",
        "confident": False,
    }
    assert rule_of(assistant.entries, GENERAL_INSPECTION) is None  # not a catalogue rule
