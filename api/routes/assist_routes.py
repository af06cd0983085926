"""``POST /assist``: an owner describes a problem; ``POST /assist/book`` books an answer."""

from __future__ import annotations

from fastapi import APIRouter

from api import assist_views as views
from api.assist_schemas import AssistAnswer, AssistRequest, Booked, BookRequest
from api.deps import AssistantDep, StoresDep
from api.schemas import problem
from api.scope import OWNERS, AccessDep, visible_vin

router = APIRouter(
    prefix="/assist",
    tags=["assistant"],
    responses={
        **problem(403, "Only owners and fleet managers ask the assistant."),
        **problem(404, "No such vehicle, or not yours."),
        **problem(503, "This server runs without the assistant, or a store is unavailable."),
    },
)


@router.post("", summary="Describe a problem; get the likely diagnoses")
def ask(
    body: AssistRequest, access: AccessDep, stores: StoresDep, assistant: AssistantDep
) -> AssistAnswer:
    """The catalogue's likeliest diagnoses for the description (English or Chinese; the answer
    is in the same language), best first. With ``vin`` (one of yours) they are re-ranked by
    what the car shows and ``why`` says it in plain words. ``confident: false`` means nothing
    matches well: book a general inspection (``rule_id`` ``owner-report``) instead."""
    access.require(OWNERS, "ask the assistant")
    vin = visible_vin(access, body.vin) if body.vin is not None else None
    return views.answer_out(views.ask(stores, assistant, body.text, vin, body.limit))


@router.post("/book", summary="Book one answer as a job")
def book(
    body: BookRequest, access: AccessDep, stores: StoresDep, assistant: AssistantDep
) -> Booked:
    """Open the job of one of the answers to this description (or a general inspection), with
    the owner's words and the car's evidence in it, booked into the first free slot. A job
    already open for that vehicle and rule is returned instead (``created: false``)."""
    access.require(OWNERS, "book through the assistant")
    visible_vin(access, body.vin)
    return views.book(stores, assistant, body.text, body.vin, body.rule_id)
