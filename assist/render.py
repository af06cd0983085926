"""An answer for the command line: JSON-ready, or lines for a person (pure)."""

from __future__ import annotations

from typing import Any

from assist.assistant import Answer, Candidate

_LABELS = {
    "en": ("Likely causes, best first:", "why", "open job", "Book it with"),
    "zh": ("可能的原因（按可能性排序）：", "依据", "已有工单", "预约方式"),
}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "text": answer.text,
        "language": answer.language,
        "vin": answer.vin,
        "confident": answer.confident,
        "message": answer.message,
        "candidates": [candidate_json(c, rank) for rank, c in enumerate(answer.candidates, 1)],
    }


def candidate_json(candidate: Candidate, rank: int) -> dict[str, Any]:
    job = candidate.open_job
    return {
        "rank": rank,
        "key": candidate.key,
        "rule_id": candidate.rule_id,
        "title": candidate.title,
        "headline": candidate.headline,
        "summary": candidate.summary,
        "score": round(candidate.score, 4),
        "text_score": round(candidate.text_score, 4),
        "why": candidate.why,
        "evidence": [r.kind for r in candidate.reasons],
        "open_job": None if job is None else {"id": job.job_id, "status": job.status},
    }


def answer_lines(answer: Answer) -> list[str]:
    if not answer.confident:
        return [answer.message]
    heading, why, open_job, _ = _LABELS.get(answer.language, _LABELS["en"])
    lines = [heading]
    for rank, c in enumerate(answer.candidates, 1):
        lines.append(f"{rank}. {c.headline}  [{c.rule_id}]")
        lines.append(f"   {c.summary}")
        if c.why:
            lines.append(f"   {why}: {c.why}")
        if c.open_job is not None:
            lines.append(f"   {open_job}: #{c.open_job.job_id} ({c.open_job.status})")
    return lines
