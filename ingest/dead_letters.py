"""Working with dead letters after the fact: show one, and re-ingest what today's policy passes.

``reingest`` validates each dead letter again (the policy may have changed since, e.g. old
samples are history now, not refused) and stores what passes, then deletes it from the dead
letters (store first, so a crash in between leaves a dead letter whose data is stored: running
it again is harmless, the store is idempotent). Re-ingested data is not handed on to the rules:
it is history by the time anyone re-ingests it. The car is not answered again: it was answered
when the message was refused.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.errors import ValidationError
from ingest.store import DeadLetter, TelemetryStore
from ingest.validate import Policy, is_history, validate_message
from pitstop.dtc import DtcReport

_PREVIEW_BYTES = 256
_MAX_INFLATED = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Reingested:
    """What became of one dead letter: stored (and deleted from the dead letters), or not."""

    id: int
    topic: str
    stored: bool
    history: bool = False  # stored as history (older than the live window)
    reason: str = ""  # why it still fails, when not stored


def reingest(
    store: TelemetryStore, letters: Sequence[DeadLetter], policy: Policy, now: float
) -> list[Reingested]:
    """Validate each letter again with ``policy``; store and delete those that pass."""
    return [_reingest_one(store, letter, policy, now) for letter in letters]


def _reingest_one(
    store: TelemetryStore, letter: DeadLetter, policy: Policy, now: float
) -> Reingested:
    try:
        checked = validate_message(letter.topic, letter.payload, now, policy)
    except ValidationError as err:
        return Reingested(letter.id, letter.topic, False, reason=err.reason)
    if isinstance(checked, DtcReport):
        store.write_dtc_report(checked, now)
    else:
        store.write_batches([checked])
    store.delete_dead_letters([letter.id])
    return Reingested(letter.id, letter.topic, True, history=is_history(checked, now, policy))


def describe_payload(payload: bytes) -> str:
    """The payload as indented JSON when it is JSON (zlib-compressed or plain), else a hex
    preview of its first bytes."""
    text = payload
    if payload[:1] != b"{":
        try:
            inflater = zlib.decompressobj()
            text = inflater.decompress(payload, _MAX_INFLATED)
        except zlib.error:
            return _hex(payload)
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=True)
    except (ValueError, RecursionError):
        return _hex(payload)


def _hex(payload: bytes) -> str:
    head = payload[:_PREVIEW_BYTES]
    lines = [head[i : i + 32].hex(" ") for i in range(0, len(head), 32)]
    more = len(payload) - len(head)
    if more:
        lines.append(f"... {more} more bytes")
    return "\n".join(lines) if lines else "(empty)"
