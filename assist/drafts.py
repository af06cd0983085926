"""The job an answer books, with the owner's words and the car's evidence in it (pure).

The caller books it (``jobs.booking.open_and_book``), which keeps one open job per (vehicle,
rule): asking twice shows the job already open instead of opening another. When the assistant
is not sure, ``inspection_draft`` is the general inspection it offers instead, a job of its
own rule id (``GENERAL_INSPECTION``), outside the catalogue.
"""

from __future__ import annotations

from typing import Any

from assist.assistant import Answer, Candidate
from assist.catalogue import Entry
from assist.errors import QuestionError
from assist.explain import clause
from jobs.model import JobDraft, Severity
from rules.model import Rule

GENERAL_INSPECTION = "owner-report"
INSPECTION_TITLE = "General inspection (the owner's report)"
INSPECTION_HOURS = 1.0


def job_draft(answer: Answer, candidate: Candidate, rule: Rule, vin: str, now: float) -> JobDraft:
    """The job for ``candidate`` (one of ``answer.candidates``), of its rule ``rule``."""
    if candidate.rule_id != rule.id:
        raise QuestionError(f"rule {rule.id!r} is not the one answer {candidate.key!r} names")
    return JobDraft(
        vin=vin,
        rule_id=rule.id,
        title=candidate.title,
        severity=rule.severity,
        fired_at=now,
        diagnosis=rule.diagnosis.to_json(),
        evidence={"owner_report": _report(answer, candidate), **_car(candidate)},
        required_skills=rule.diagnosis.skills,
    )


def inspection_draft(answer: Answer, vin: str, now: float) -> JobDraft:
    return JobDraft(
        vin=vin,
        rule_id=GENERAL_INSPECTION,
        title=INSPECTION_TITLE,
        severity=Severity.INFO,
        fired_at=now,
        diagnosis={
            "summary": "The owner describes a problem the assistant could not match with "
            "confidence: look at it with the owner.",
            "likely_causes": [],
            "checks": ["Talk to the owner; road test; read every ECU's trouble codes"],
            "parts": [],
            "labour_hours": INSPECTION_HOURS,
            "skills": [],
        },
        evidence={"owner_report": _report(answer, None)},
    )


def rule_of(entries: tuple[Entry, ...], rule_id: str) -> Rule | None:
    return next((r for e in entries for r in e.rules if r.id == rule_id), None)


def _report(answer: Answer, candidate: Candidate | None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "text": answer.text,
        "language": answer.language,
        "confident": answer.confident,
    }
    if candidate is not None:
        report["matched"] = candidate.key
        report["score"] = round(candidate.score, 4)
        report["why"] = candidate.why
        report["why_en"] = "; ".join(clause(r, "en") for r in candidate.reasons)
    return report


def _car(candidate: Candidate) -> dict[str, Any]:
    """The car's evidence as the job's own fields: trouble codes and readings."""
    out: dict[str, Any] = {}
    codes = [
        {"code": r.code.code, "description": r.code.description, "active": r.code.active}
        for r in candidate.reasons
        if r.code is not None
    ]
    if codes:
        out["dtcs"] = codes
    readings = [
        {
            "signal": r.reading.watch.signal,
            "first": [r.reading.first_ts, r.reading.first],
            "last": [r.reading.last_ts, r.reading.last],
            "limit": r.reading.watch.level,
            "kind": r.kind,
        }
        for r in candidate.reasons
        if r.reading is not None
    ]
    if readings:
        out["readings"] = readings
    return out
