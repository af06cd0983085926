"""Dead letters: what ingest refused, counted per vehicle and kind of fault (engineers, admins).

The messages themselves stay behind ``pitstop ingest dead-letters`` on the operator's side: a
payload a car sent is untrusted and may be anything.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import TelemetryDep
from api.keys import Role
from api.schemas import EPOCH, problem
from api.scope import AccessDep

ENGINEERS = frozenset({Role.ENGINEER})

router = APIRouter(
    prefix="/dead-letters",
    tags=["dead letters"],
    responses={
        **problem(503, "The telemetry store is unavailable."),
        **problem(403, "Engineers only."),
    },
)


class DeadLetterCount(BaseModel):
    vin: str = Field(description="The vehicle whose topic it came on ('' if the topic named none).")
    reason: str = Field(
        description="The kind of fault: vin_mismatch, undecodable, time, too_large, "
        "signal_name, topic (and '' for letters kept before kinds were recorded)."
    )
    count: int = Field(description="How many refused messages of this kind are kept.")
    last_at: float = Field(description=f"When the latest of them was received. {EPOCH}")


@router.get("/summary", summary="Refused messages per vehicle and reason")
def summary(access: AccessDep, telemetry: TelemetryDep) -> list[DeadLetterCount]:
    """How many messages ingest refused and kept as dead letters, per vehicle and kind of
    fault, with the time of the latest; ordered by VIN, then reason."""
    access.require(ENGINEERS, "read the dead letters")
    return [
        DeadLetterCount(vin=c.vin, reason=c.reason, count=c.count, last_at=c.last_at)
        for c in telemetry.dead_letter_summary()
    ]
