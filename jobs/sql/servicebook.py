"""Service-book records inside a transaction (table ``service_records``, revision 0005).

A completed job writes its record in the transaction of the completion (``record_job``; the
unique ``job_id`` keeps it to one). An imported row carries the SHA-256 of its content
(``row_hash``, unique per vehicle), so importing a file again adds nothing; ``import_entries``
adds a whole file in the caller's one transaction, so a file is in the book entirely or not at
all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs.errors import ServiceBookError
from jobs.model import (
    ImportOutcome,
    RecordSource,
    ServiceEntry,
    ServiceKind,
    ServiceRecord,
)
from jobs.sql import schema

IMPORT_CHUNK = 500
_TABLE = schema.service_records


def entry_values(entry: ServiceEntry) -> dict[str, Any]:
    """The columns of an entry, checked and trimmed to the column sizes."""
    try:
        if len(entry.done_on) != 10 or entry.done_on[4] != "-":
            raise ValueError(entry.done_on)
        date.fromisoformat(entry.done_on)
    except ValueError as err:
        raise ServiceBookError(f"done_on {entry.done_on!r} is not a date (YYYY-MM-DD)") from err
    if entry.odometer_km is not None and entry.odometer_km < 0:
        raise ServiceBookError(f"odometer {entry.odometer_km} km is negative")
    return {
        "kind": ServiceKind(entry.kind).value,
        "done_on": entry.done_on,
        "odometer_km": entry.odometer_km,
        "workshop": entry.workshop[:200],
        "work": entry.work[:2000],
        "parts": [p[:200] for p in entry.parts],
        "labour_hours": entry.labour_hours,
        "cost": entry.cost,
        "currency": entry.currency[:3].upper(),
        "notes": entry.notes[:2000],
        "rule_id": entry.rule_id[:64] if entry.rule_id else None,
    }


def row_hashes(entries: Iterable[ServiceEntry]) -> list[str]:
    """One content hash per entry; the n-th of several identical rows hashes with its n, so
    two real identical rows (two top-ups on one day) stay two records."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for e in entries:
        fields = [e.kind.value, e.done_on, e.odometer_km, e.workshop, e.work, list(e.parts)]
        fields += [e.labour_hours, e.cost, e.currency, e.notes, e.rule_id]
        content = json.dumps(fields, separators=(",", ":"))
        nth = seen[content] = seen.get(content, 0) + 1
        out.append(hashlib.sha256(f"{content}#{nth}".encode()).hexdigest())
    return out


def insert(
    conn: Connection,
    vin: str,
    entry: ServiceEntry,
    *,
    source: RecordSource,
    now: float,
    workshop_id: int | None = None,
    job_id: int | None = None,
    done_at: float | None = None,
) -> ServiceRecord:
    values = {
        **entry_values(entry),
        "vin": vin,
        "source": RecordSource(source).value,
        "workshop_id": workshop_id,
        "job_id": job_id,
        "done_at": done_at,
        "row_hash": None,
        "created_at": now,
        "updated_at": now,
    }
    record_id = conn.execute(sa.insert(_TABLE).values(values).returning(_TABLE.c.id)).scalar_one()
    return record(dict(values, id=record_id))


def update(conn: Connection, record_id: int, entry: ServiceEntry, now: float) -> ServiceRecord:
    values = {**entry_values(entry), "updated_at": now}
    changed = conn.execute(sa.update(_TABLE).where(_TABLE.c.id == record_id).values(values))
    if changed.rowcount != 1:
        raise ServiceBookError(f"there is no service record {record_id}")
    found = get(conn, record_id)
    if found is None:  # deleted between the update and the read: not in one transaction
        raise ServiceBookError(f"there is no service record {record_id}")
    return found


def delete(conn: Connection, record_id: int) -> None:
    if conn.execute(sa.delete(_TABLE).where(_TABLE.c.id == record_id)).rowcount != 1:
        raise ServiceBookError(f"there is no service record {record_id}")


def get(conn: Connection, record_id: int) -> ServiceRecord | None:
    row = conn.execute(sa.select(_TABLE).where(_TABLE.c.id == record_id)).first()
    return record(row._mapping) if row else None


def of_vehicle(conn: Connection, vin: str) -> list[ServiceRecord]:
    """The vehicle's records, newest first (by day, then odometer, then id)."""
    query = (
        sa.select(_TABLE)
        .where(_TABLE.c.vin == vin)
        .order_by(_TABLE.c.done_on.desc(), _TABLE.c.odometer_km.desc(), _TABLE.c.id.desc())
    )
    return [record(row._mapping) for row in conn.execute(query)]


def import_entries(
    conn: Connection,
    vin: str,
    entries: Sequence[ServiceEntry],
    *,
    now: float,
    progress: Any = None,
) -> ImportOutcome:
    """Add the rows of one file not yet in the book, in the caller's transaction; ``progress``
    (if given) is called with the number of rows done so far after every chunk."""
    hashes = row_hashes(entries)
    have = set(
        conn.execute(
            sa.select(_TABLE.c.row_hash).where(_TABLE.c.vin == vin, _TABLE.c.row_hash.isnot(None))
        ).scalars()
    )
    new = [
        {
            **entry_values(entry),
            "vin": vin,
            "source": RecordSource.IMPORT.value,
            "workshop_id": None,
            "job_id": None,
            "done_at": None,
            "row_hash": digest,
            "created_at": now,
            "updated_at": now,
        }
        for entry, digest in zip(entries, hashes, strict=True)
        if digest not in have
    ]
    for start in range(0, len(new), IMPORT_CHUNK):
        conn.execute(sa.insert(_TABLE), new[start : start + IMPORT_CHUNK])
        if progress is not None:
            progress(start + len(new[start : start + IMPORT_CHUNK]))
    return ImportOutcome(added=len(new), skipped=len(entries) - len(new))


def record_job(conn: Connection, job: Mapping[str, Any], now: float, note: str = "") -> None:
    """The record a job writes when it is completed (once: ``job_id`` is unique)."""
    exists = conn.execute(sa.select(_TABLE.c.id).where(_TABLE.c.job_id == job["id"])).first()
    if exists is not None:
        return
    evidence, diagnosis = job.get("evidence") or {}, job.get("diagnosis") or {}
    shop = None
    if job.get("workshop_id") is not None:
        shop = conn.execute(
            sa.select(schema.workshops.c.name).where(schema.workshops.c.id == job["workshop_id"])
        ).scalar()
    maintenance = (evidence.get("trigger") or {}).get("kind") == "maintenance"
    outcome = str(job.get("outcome") or "").replace("_", " ")
    odometer = evidence.get("odometer_km")
    entry = ServiceEntry(
        kind=ServiceKind.SERVICE if maintenance else ServiceKind.REPAIR,
        done_on=datetime.fromtimestamp(now, UTC).date().isoformat(),
        odometer_km=float(odometer) if isinstance(odometer, int | float) else None,
        workshop=shop or "",
        work=f"{job['title']} ({outcome})" if outcome else str(job["title"]),
        parts=tuple(str(p.get("name", "")) for p in diagnosis.get("parts") or ()),
        labour_hours=_number(diagnosis.get("labour_hours")),
        notes=note,
        rule_id=job["rule_id"],
    )
    insert(
        conn,
        job["vin"],
        entry,
        source=RecordSource.JOB,
        now=now,
        workshop_id=job.get("workshop_id"),
        job_id=job["id"],
        done_at=now,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value else None


def record(row: Mapping[Any, Any]) -> ServiceRecord:
    entry = ServiceEntry(
        kind=ServiceKind(row["kind"]),
        done_on=row["done_on"],
        odometer_km=row["odometer_km"],
        workshop=row["workshop"],
        work=row["work"],
        parts=tuple(row["parts"] or ()),
        labour_hours=row["labour_hours"],
        cost=row["cost"],
        currency=row["currency"],
        notes=row["notes"],
        rule_id=row["rule_id"],
    )
    return ServiceRecord(
        id=row["id"],
        vin=row["vin"],
        entry=entry,
        source=RecordSource(row["source"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        job_id=row["job_id"],
        workshop_id=row["workshop_id"],
        row_hash=row["row_hash"],
        done_at=row["done_at"],
    )
