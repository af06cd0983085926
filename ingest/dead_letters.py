"""Working with dead letters after the fact: show one, and re-ingest what today's policy passes.

``reingest`` validates each dead letter again (the policy may have changed since, e.g. old
samples are history now, not refused) and stores what passes, then deletes it from the dead
letters (store first, so a crash in between leaves a dead letter whose data is stored: running
it again is harmless, the store is idempotent). A batch whose (VIN, instance, seq) is stored
with other content (``seq_reused``) stays a dead letter: the ledger keeps the first.
Re-ingested data is not handed on to the rules: it is history by the time anyone re-ingests it.
The car is not answered again: it was answered when the message was refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingest.dead_model import describe_payload
from ingest.errors import ValidationError
from ingest.ledger import Seen, conflict_reason
from ingest.store import DeadLetter, TelemetryStore
from ingest.validate import Policy, is_history, validate_message
from pitstop.dtc import DtcReport

__all__ = ["Reingested", "describe_payload", "reingest"]


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
    elif store.write_batches_seen([checked]) == [Seen.CONFLICT]:  # its seq is still taken
        return Reingested(letter.id, letter.topic, False, reason=conflict_reason(checked))
    store.delete_dead_letters([letter.id])
    return Reingested(letter.id, letter.topic, True, history=is_history(checked, now, policy))
