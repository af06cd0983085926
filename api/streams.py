"""Long answers: downsampled buckets, CSV streamed page by page, and the live SSE stream.

The live stream polls the stores (every ``POLL_S``) instead of subscribing to MQTT: the API
then needs no broker connection and no credentials of its own, shows exactly what was stored
(not what merely passed the broker), and works the same behind any number of API processes.
A second's delay is fine for a person watching a chart.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from api.deps import Stores
from api.job_views import summaries
from api.schemas import Bucket, Buckets
from api.timerange import TimeRange
from ingest.store import TelemetryStore

CSV_PAGE = 10_000
POLL_S = 1.0
HEARTBEAT_POLLS = 15


def buckets(
    telemetry: TelemetryStore, vin: str, signal: str, span: TimeRange, points: int
) -> Buckets:
    found = telemetry.downsample(vin, signal, span.start, span.end, points)
    return Buckets(
        vin=vin,
        signal=signal,
        bucket_s=(span.end - span.start) / points,
        buckets=[
            Bucket(start=b.start, count=b.count, min=b.min, max=b.max, mean=b.mean, last=b.last)
            for b in found
        ],
    )


def csv_response(
    telemetry: TelemetryStore, vin: str, signal: str, span: TimeRange
) -> StreamingResponse:
    return StreamingResponse(
        _csv_rows(telemetry, vin, signal, span),
        media_type="text/csv",
        headers={"Content-Disposition": attachment(f"{vin}-{signal}.csv")},
    )


def attachment(filename: str) -> str:
    """A Content-Disposition for any name (RFC 6266, RFC 5987): an ASCII fallback
    ``filename="..."`` (anything else as ``_``) and the exact name as ``filename*=UTF-8''...``."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\/' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _csv_rows(telemetry: TelemetryStore, vin: str, signal: str, span: TimeRange) -> Iterator[str]:
    """One store page at a time, so a month of 10 Hz data never sits in memory at once."""
    yield "ts,value\n"
    cursor: str | None = None
    while True:
        page = telemetry.query_page(
            vin, signal, span.start, span.end, limit=CSV_PAGE, cursor=cursor
        )
        yield "".join(f"{p.ts:.3f},{p.value!r}\n" for p in page.points)
        cursor = page.cursor
        if cursor is None:
            return


def sse_response(stores: Stores, vin: str, *, once: bool = False) -> StreamingResponse:
    return StreamingResponse(
        _events(stores, vin, once),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(stores: Stores, vin: str, once: bool) -> AsyncIterator[str]:
    seen_samples: dict[str, float] = {}
    seen_jobs: dict[int, float] = {}
    quiet = 0
    while True:
        events = await asyncio.to_thread(_new_events, stores, vin, seen_samples, seen_jobs)
        for event in events:
            yield event
        if once:
            return
        quiet = 0 if events else quiet + 1
        if quiet >= HEARTBEAT_POLLS:  # a comment line keeps proxies from closing the stream
            quiet = 0
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_S)


def _new_events(
    stores: Stores, vin: str, seen_samples: dict[str, float], seen_jobs: dict[int, float]
) -> list[str]:
    events = []
    for signal, point in sorted(stores.telemetry.latest(vin).items()):
        if seen_samples.get(signal) != point.ts:
            seen_samples[signal] = point.ts
            data = {"signal": signal, "ts": point.ts, "value": point.value}
            events.append(_event("sample", data))
    jobs = [
        job for job in stores.jobs.list_jobs(vin=vin) if seen_jobs.get(job.id) != job.updated_at
    ]
    for job in jobs:
        seen_jobs[job.id] = job.updated_at
    for summary in summaries(stores.jobs, jobs):
        events.append(_event("job", summary.model_dump(mode="json")))
    return events


def _event(kind: str, data: object) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, allow_nan=False)}\n\n"
