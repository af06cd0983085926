"""Dead letters on InfluxDB: measurement ``pitstop_dead_letters``.

One point per refused message: tags ``vin`` (from the topic; left out when it names none),
``code`` (the kind of fault) and ``digest`` (SHA-256 of the payload); fields ``topic``,
``reason``, ``payload`` (base64 of at most ``DeadLetterLimits.max_payload_bytes``), ``size``
(the payload's true size) and ``received_at``; time in nanoseconds (the receiving
millisecond plus a random part, so two in one millisecond do not clash), which is also the id.
(topic, digest) identifies a message: ``write_dead_letter`` looks it up first and writes
nothing when it is there. (Two ingest workers refusing the same message in the same instant
could both write it; a redelivery comes to one worker at a time.)

After writing, ``keep`` deletes what is past the retention and the VIN's oldest beyond its
quota, and adds what that cost to ``pitstop_dead_letter_totals`` (one point per keep, fields
``trimmed``, ``dropped``, ``expired``; the totals are their sums). InfluxDB has no
transactions: a crash between the write and the trim leaves the VIN over its quota until its
next dead letter, which trims it again (the trim is by rank, not by count).
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Sequence
from typing import Any

from ingest import influx_proto as proto
from ingest.dead_model import DeadLetterLimits, DeadLetterTotals, Kept
from ingest.influx_http import InfluxHttp
from ingest.store import DeadLetter, DeadLetterCount, payload_digest, topic_vin

DEAD_LETTERS = "pitstop_dead_letters"
TOTALS = "pitstop_dead_letter_totals"
_COLUMNS = "topic, reason, payload, received_at, vin, code, size, digest"


def keep(
    http: InfluxHttp,
    limits: DeadLetterLimits,
    letter: tuple[str, bytes, str, float, str],
) -> Kept:
    """Keep the message unless (topic, digest) is kept already, then apply the bounds."""
    topic, payload, reason, received_at, code = letter
    digest = payload_digest(payload)
    where = f"WHERE digest = {proto.literal(digest)} AND topic = {proto.literal(topic)}"
    found = http.query([f"SELECT count(reason) FROM {DEAD_LETTERS} {where}"])[0]
    if any(rows for _t, _c, rows in found):
        return Kept(False)
    vin = topic_vin(topic)
    tags = [("vin", vin), ("code", code), ("digest", digest)]
    prefix = DEAD_LETTERS + "".join(f",{k}={proto.key(v)}" for k, v in tags if v)
    kept = limits.trim(payload)
    fields: list[tuple[str, object]] = [
        ("topic", topic),
        ("reason", reason),
        ("payload", base64.b64encode(kept).decode()),
        ("size", len(payload)),
        ("received_at", float(received_at)),
    ]
    ns = round(received_at * 1000) * 1_000_000 + random.randrange(1_000_000)
    http.write([proto.fields_line(prefix, fields, ns)], precision="ns")
    cutoff = limits.cutoff(received_at)
    expired = 0 if cutoff is None else _delete(http, f"WHERE time < {_ns(cutoff)}")
    dropped = _trim_to_quota(http, vin, max(limits.per_vin, 1))
    outcome = Kept(True, len(kept) < len(payload), dropped, expired)
    counts = [("trimmed", int(outcome.trimmed)), ("dropped", dropped), ("expired", expired)]
    if any(n for _k, n in counts):
        http.write([proto.fields_line(TOTALS, counts, time.time_ns())], precision="ns")
    return outcome


def _trim_to_quota(http: InfluxHttp, vin: str, quota: int) -> int:
    where = f"WHERE vin = {proto.literal(vin)}" if vin else "WHERE vin = ''"
    sql = f"SELECT reason FROM {DEAD_LETTERS} {where} ORDER BY time DESC LIMIT 1 OFFSET {quota - 1}"
    rows = _rows(http, sql)
    if not rows:
        return 0
    return _delete(http, f"{where} AND time < {int(rows[0][0])}")


def _delete(http: InfluxHttp, where: str) -> int:
    """Delete the dead letters ``where`` selects; how many there were."""
    found = http.query([f"SELECT count(reason) FROM {DEAD_LETTERS} {where}"])[0]
    count = sum(int(row[1]) for _t, _c, rows in found for row in rows)
    if count:
        http.admin(f"DELETE FROM {DEAD_LETTERS} {where}")
    return count


def purge(http: InfluxHttp, vin: str | None, before: float | None) -> int:
    clauses = []
    if vin is not None:
        clauses.append(f"vin = {proto.literal(vin)}")
    if before is not None:
        clauses.append(f"time < {_ns(before)}")
    return _delete(http, "WHERE " + " AND ".join(clauses) if clauses else "")


def totals(http: InfluxHttp) -> DeadLetterTotals:
    sql = f"SELECT sum(trimmed), sum(dropped), sum(expired) FROM {TOTALS}"
    rows = [row for _t, _c, rows in http.query([sql])[0] for row in rows]
    if not rows:
        return DeadLetterTotals()
    return DeadLetterTotals(*(int(v or 0) for v in rows[0][1:4]))


def _ns(seconds: float) -> int:
    return round(seconds * 1000) * 1_000_000


def dead_letters(http: InfluxHttp, limit: int, vin: str | None) -> list[DeadLetter]:
    where = "" if vin is None else f"WHERE vin = {proto.literal(vin)} "
    sql = f"SELECT {_COLUMNS} FROM {DEAD_LETTERS} {where}ORDER BY time DESC LIMIT {int(limit)}"
    return [_letter(row) for row in _rows(http, sql)]


def dead_letter(http: InfluxHttp, letter_id: int) -> DeadLetter | None:
    sql = f"SELECT {_COLUMNS} FROM {DEAD_LETTERS} WHERE time = {int(letter_id)}"
    return next((_letter(row) for row in _rows(http, sql)), None)


def delete_dead_letters(http: InfluxHttp, ids: Sequence[int]) -> int:
    deleted = 0
    for letter_id in ids:
        if dead_letter(http, letter_id) is not None:
            http.admin(f"DELETE FROM {DEAD_LETTERS} WHERE time = {int(letter_id)}")
            deleted += 1
    return deleted


def dead_letter_summary(http: InfluxHttp) -> list[DeadLetterCount]:
    sql = f"SELECT count(reason), max(received_at) FROM {DEAD_LETTERS} GROUP BY vin, code"
    counts = [
        DeadLetterCount(tags.get("vin", ""), tags.get("code", ""), int(row[1]), float(row[2]))
        for tags, _cols, rows in http.query([sql])[0]
        for row in rows
    ]
    return sorted(counts, key=lambda c: (c.vin, c.reason))


def _rows(http: InfluxHttp, sql: str) -> list[list[Any]]:
    return [row for _t, _c, rows in http.query([sql], "ns")[0] for row in rows]


def _letter(row: list[Any]) -> DeadLetter:
    ns, topic, reason, payload, received_at, vin, code, size, digest = row
    data = base64.b64decode(payload)
    size = -1 if size is None else int(size)
    return DeadLetter(
        ns, received_at, topic, reason, data, vin or "", code or "", size, digest or ""
    )
