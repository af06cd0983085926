"""``GET /vehicles/{vin}/export``: the chosen signals over a range, as CSV or Parquet.

Scoped exactly like the other vehicle routes (``api.scope``): every signal asked for must be
one the caller may see (a workshop: those the owner consented to), else 404 as for a vehicle
that does not exist. The format of the rows, and why: ``api.export``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api import export
from api.deps import TelemetryDep, TimeRangeDep, Vin
from api.errors import InvalidInputError
from api.schemas import problem
from api.scope import AccessDep, unknown_vehicle
from api.streams import attachment

MAX_SIGNALS = 12
Signals = Annotated[
    list[str],
    Query(
        alias="signal",
        max_length=MAX_SIGNALS,
        description=f"A canonical signal name; repeat for more (1 to {MAX_SIGNALS}).",
    ),
]
Format = Annotated[
    Literal["csv", "parquet"],
    Query(alias="format", description="csv (text) or parquet (Apache Parquet)."),
]
ANSWERS = {
    **problem(404, "No such vehicle (or signal), or not yours to see."),
    200: {
        "description": "Long format, one row per sample, oldest first: "
        "time (ISO 8601 UTC), ts (epoch seconds), signal, value.",
        "content": {
            export.FORMATS["csv"]: {
                "example": "time,ts,signal,value\n"
                "2025-11-27T00:00:00.000Z,1764201600.0,Vehicle.Speed,52.0\n"
            },
            export.FORMATS["parquet"]: {"schema": {"type": "string", "format": "binary"}},
        },
    },
}

router = APIRouter(prefix="/vehicles", tags=["vehicles"])


@router.get(
    "/{vin}/export",
    summary="Chosen signals over a range, as CSV or Parquet",
    responses=ANSWERS,
    response_class=StreamingResponse,
)
def export_signals(  # noqa: PLR0917 - FastAPI's dependencies
    vin: Vin,
    access: AccessDep,
    span: TimeRangeDep,
    telemetry: TelemetryDep,
    signals: Signals,
    kind: Format = "csv",
) -> StreamingResponse:
    """Every stored sample of the signals with ``from <= ts < to`` (by default the last hour,
    at most 31 days), streamed. More than 2,000,000 samples is refused (422) before anything
    is sent: ask for a shorter range or fewer signals."""
    chosen = list(dict.fromkeys(signals))
    if not chosen:
        raise InvalidInputError(("query", "signal"), "choose at least one signal", None)
    for signal in chosen:
        if not access.sees_signal(vin, signal):
            raise unknown_vehicle(vin)
    export.check_size(telemetry, vin, chosen, span)
    found = export.rows(telemetry, vin, chosen, span)
    body = export.csv_chunks(found) if kind == "csv" else export.parquet_chunks(found)
    name = f"{vin}-{span.start:.0f}-{span.end:.0f}.{kind}"
    return StreamingResponse(
        body, media_type=export.FORMATS[kind], headers={"Content-Disposition": attachment(name)}
    )
