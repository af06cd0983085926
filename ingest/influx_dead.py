"""Dead letters on InfluxDB: measurement ``pitstop_dead_letters``.

One point per refused message: tags ``vin`` (from the topic; left out when it names none),
``code`` (the kind of fault) and ``digest`` (SHA-256 of the payload); fields ``topic``,
``reason``, ``payload`` (base64) and ``received_at``; time in nanoseconds (the receiving
millisecond plus a random part, so two in one millisecond do not clash), which is also the id.
(topic, digest) identifies a message: ``write_dead_letter`` looks it up first and writes
nothing when it is there. (Two ingest workers refusing the same message in the same instant
could both write it; a redelivery comes to one worker at a time.)
"""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence
from typing import Any

from ingest import influx_proto as proto
from ingest.influx_http import InfluxHttp
from ingest.store import DeadLetter, DeadLetterCount, payload_digest, topic_vin

DEAD_LETTERS = "pitstop_dead_letters"
_COLUMNS = "topic, reason, payload, received_at, vin, code"


def write_dead_letter(
    http: InfluxHttp, topic: str, payload: bytes, reason: str, received_at: float, *, code: str
) -> bool:
    """Keep the message unless (topic, digest) is kept already; True if it was new."""
    digest = payload_digest(payload)
    where = f"WHERE digest = {proto.literal(digest)} AND topic = {proto.literal(topic)}"
    found = http.query([f"SELECT count(reason) FROM {DEAD_LETTERS} {where}"])[0]
    if any(rows for _t, _c, rows in found):
        return False
    tags = [("vin", topic_vin(topic)), ("code", code), ("digest", digest)]
    prefix = DEAD_LETTERS + "".join(f",{k}={proto.key(v)}" for k, v in tags if v)
    fields: list[tuple[str, object]] = [
        ("topic", topic),
        ("reason", reason),
        ("payload", base64.b64encode(payload).decode()),
        ("received_at", float(received_at)),
    ]
    ns = round(received_at * 1000) * 1_000_000 + random.randrange(1_000_000)
    http.write([proto.fields_line(prefix, fields, ns)], precision="ns")
    return True


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
    ns, topic, reason, payload, received_at, vin, code = row
    return DeadLetter(
        ns, received_at, topic, reason, base64.b64decode(payload), vin or "", code or ""
    )
