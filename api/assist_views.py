"""The assistant's answers and bookings for the API and the pages: the car's evidence read
from the stores, the answer as response models, and a booking through ``jobs.booking``."""

from __future__ import annotations

from api.assist_schemas import AssistAnswer, Booked
from api.deps import Stores
from api.errors import InvalidInputError
from assist.assistant import Answer, Assistant
from assist.drafts import GENERAL_INSPECTION, inspection_draft, job_draft, rule_of
from assist.errors import QuestionError
from assist.evidence import Sources, read_car
from assist.render import answer_json
from jobs.booking import open_and_book
from jobs.model import Job

BOOKABLE = 3
"""An owner books one of the first three answers (what the page shows), or an inspection."""


def ask(stores: Stores, assistant: Assistant, text: str, vin: str | None, limit: int) -> Answer:
    """The answer to ``text``; with ``vin`` (already checked to be the caller's) re-ranked by
    what that car shows."""
    car = None
    if vin is not None:
        sources = Sources(stores.telemetry, stores.jobs, stores.rule_state, stores.shards)
        car = read_car(vin, assistant.rules, sources, stores.clock())
    try:
        return assistant.ask(text, car, limit=limit)
    except QuestionError as err:
        raise InvalidInputError(("body", "text"), str(err), text) from err


def answer_out(answer: Answer) -> AssistAnswer:
    return AssistAnswer.model_validate(answer_json(answer))


def book(stores: Stores, assistant: Assistant, text: str, vin: str, rule_id: str) -> Booked:
    """Open (or find open) the job of one answer to ``text`` on ``vin``, booked into the first
    free slot; a rule the answer does not offer is refused (422)."""
    answer = ask(stores, assistant, text, vin, limit=BOOKABLE)
    now = stores.clock()
    if rule_id == GENERAL_INSPECTION:
        draft, urgency = inspection_draft(answer, vin, now), None
    else:
        candidate = next((c for c in answer.candidates if c.rule_id == rule_id), None)
        rule = rule_of(assistant.entries, rule_id)
        if candidate is None or rule is None:
            offered = ", ".join([c.rule_id for c in answer.candidates] + [GENERAL_INSPECTION])
            raise InvalidInputError(
                ("body", "rule_id"), f"not an answer to this description; one of {offered}", rule_id
            )
        draft, urgency = job_draft(answer, candidate, rule, vin, now), rule.urgency_s
    job, created, _ = open_and_book(stores.jobs, draft, urgency_s=urgency, now=now)
    return booked(job, created)


def booked(job: Job, created: bool) -> Booked:
    return Booked(
        job_id=job.id,
        created=created,
        rule_id=job.rule_id,
        title=job.title,
        status=job.status,
        slot_start=job.slot_start,
    )
