"""Dead letters: what ingest refused (engineers and admins only; every other role gets 403).

A payload a car sent is untrusted and may be anything: it is returned as base64 and, when it
decodes as JSON, as an escaped preview (``ensure_ascii``), never as markup.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import MAX_ID, TelemetryDep
from api.errors import InvalidInputError, NotFoundError
from api.keys import Role
from api.schemas import EPOCH, problem
from api.scope import AccessDep
from ingest.store import DeadLetter

ENGINEERS = frozenset({Role.ENGINEER})  # and admins (``Access.require``)
_PREVIEW_CHARS = 4_000

LetterId = Annotated[int, Path(ge=1, le=MAX_ID, description="The dead letter's id.")]

router = APIRouter(
    prefix="/dead-letters",
    tags=["dead letters"],
    responses={
        **problem(503, "The telemetry store is unavailable."),
        **problem(403, "Engineers and admins only."),
    },
)


class DeadLetterCount(BaseModel):
    vin: str = Field(description="The vehicle whose topic it came on ('' if the topic named none).")
    reason: str = Field(
        description="The kind of fault: vin_mismatch, undecodable, time, too_large, "
        "signal_name, seq_reused, topic (and '' for letters kept before kinds were recorded)."
    )
    count: int = Field(description="How many refused messages of this kind are kept.")
    last_at: float = Field(description=f"When the latest of them was received. {EPOCH}")


class DeadLetterItem(BaseModel):
    id: int
    received_at: float = Field(description=f"When ingest refused it. {EPOCH}")
    topic: str
    vin: str
    code: str = Field(description="The kind of fault (see the summary).")
    reason: str
    size: int = Field(description="The payload's true size in bytes.")
    kept_bytes: int = Field(description="How many of them are kept (the size cap).")
    sha256: str = Field(description="SHA-256 of the whole payload ('' for old rows).")


class DeadLetterDetail(DeadLetterItem):
    payload_base64: str = Field(description="The kept bytes of the payload, base64.")
    preview: str = Field(description="Decoded JSON (escaped), else a hex dump, shortened.")


class Purged(BaseModel):
    deleted: int


@router.get("/summary", summary="Refused messages per vehicle and reason")
def summary(access: AccessDep, telemetry: TelemetryDep) -> list[DeadLetterCount]:
    """How many messages ingest refused and kept as dead letters, per vehicle and kind of
    fault, with the time of the latest; ordered by VIN, then reason."""
    access.require(ENGINEERS, "read the dead letters")
    return [
        DeadLetterCount(vin=c.vin, reason=c.reason, count=c.count, last_at=c.last_at)
        for c in telemetry.dead_letter_summary()
    ]


@router.get("", summary="The newest dead letters")
def list_letters(
    access: AccessDep,
    telemetry: TelemetryDep,
    vin: str | None = Query(None, max_length=64, description="The vehicle's topic VIN."),
    limit: int = Query(100, ge=1, le=1_000),
) -> list[DeadLetterItem]:
    """The newest dead letters (of one vehicle, or all), without their payloads."""
    access.require(ENGINEERS, "read the dead letters")
    return [_item(letter) for letter in telemetry.dead_letters(limit=limit, vin=vin)]


@router.get("/{letter_id}", summary="One dead letter with its payload")
def inspect(access: AccessDep, telemetry: TelemetryDep, letter_id: LetterId) -> DeadLetterDetail:
    access.require(ENGINEERS, "read the dead letters")
    letter = _get(telemetry, letter_id)
    return DeadLetterDetail(
        **_item(letter).model_dump(),
        payload_base64=base64.b64encode(letter.payload).decode(),
        preview=letter.preview()[:_PREVIEW_CHARS],
    )


@router.delete("/{letter_id}", summary="Delete one dead letter")
def delete_one(access: AccessDep, telemetry: TelemetryDep, letter_id: LetterId) -> Purged:
    access.require(ENGINEERS, "delete dead letters")
    _get(telemetry, letter_id)
    return Purged(deleted=telemetry.delete_dead_letters([letter_id]))


@router.delete("", summary="Delete a vehicle's dead letters")
def purge(
    access: AccessDep,
    telemetry: TelemetryDep,
    vin: str | None = Query(None, max_length=64, description="The vehicle's topic VIN."),
    before: float | None = Query(
        None, ge=0, le=1e11, allow_inf_nan=False, description=f"Only those received before. {EPOCH}"
    ),
) -> Purged:
    """Delete the dead letters of ``vin`` (those received before ``before``, if given), or
    all received before ``before``; one of them is required."""
    access.require(ENGINEERS, "delete dead letters")
    if vin is None and before is None:
        raise InvalidInputError(("query", "vin"), "give vin and/or before", None)
    return Purged(deleted=telemetry.purge_dead_letters(vin=vin, before=before))


def _get(telemetry: TelemetryDep, letter_id: int) -> DeadLetter:
    letter = telemetry.dead_letter(letter_id)
    if letter is None:
        raise NotFoundError(f"no dead letter {letter_id}")
    return letter


def _item(letter: DeadLetter) -> DeadLetterItem:
    return DeadLetterItem(
        id=letter.id,
        received_at=letter.received_at,
        topic=letter.topic,
        vin=letter.vin,
        code=letter.code,
        reason=letter.reason,
        size=letter.true_size,
        kept_bytes=len(letter.payload),
        sha256=letter.digest,
    )
