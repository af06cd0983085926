"""What ingest accepts: a pure check of one telemetry message (topic, payload, clock)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.errors import ValidationError
from pitstop.codec import TelemetryBatch, decode_telemetry
from pitstop.errors import TopicError
from pitstop.topics import Kind, parse_topic

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Policy:
    """Limits a batch must respect; anything outside goes to the dead letters."""

    max_age_s: float = 30 * DAY_S  # samples older than this are refused
    max_future_s: float = 300.0  # clock skew tolerated ahead of ours
    max_samples: int = 100_000  # per batch
    max_signal_length: int = 200


def validate(topic: str, payload: bytes, now: float, policy: Policy) -> TelemetryBatch:
    """Decode and check one telemetry message; raise ``ValidationError(reason)`` if it fails.

    ``now`` is the receiver's clock in seconds since the epoch.
    """
    vin = _topic_vin(topic)
    batch = _decode(payload)
    if batch.vin != vin:
        raise ValidationError(f"VIN {batch.vin!r} in the payload differs from {vin!r} in the topic")
    if len(batch.samples) > policy.max_samples:
        raise ValidationError(
            f"{len(batch.samples)} samples in one batch, at most {policy.max_samples} allowed"
        )
    _check_signal_names(batch, policy)
    _check_times(batch, now, policy)
    return batch


def _topic_vin(topic: str) -> str:
    try:
        vin, kind = parse_topic(topic)
    except TopicError as err:
        raise ValidationError(str(err)) from err
    if kind is not Kind.TELEMETRY:
        raise ValidationError(f"topic {topic!r} is not a telemetry topic")
    return vin


def _decode(payload: bytes) -> TelemetryBatch:
    try:
        return decode_telemetry(payload)
    except (ValueError, OverflowError) as err:
        # CodecError is a ValueError; the others come from hostile numbers the codec lets
        # through (an integer of 5,000 digits, a timestamp beyond a float).
        raise ValidationError(f"undecodable payload: {err}") from err


def _check_signal_names(batch: TelemetryBatch, policy: Policy) -> None:
    for name in {s.signal for s in batch.samples}:
        if not name or len(name) > policy.max_signal_length:
            raise ValidationError(
                f"signal name {name[:50]!r} must have 1 to {policy.max_signal_length} characters"
            )
        if not name.isprintable() or name != name.strip():
            raise ValidationError(f"signal name {name[:50]!r} has unprintable or edge spaces")


def _check_times(batch: TelemetryBatch, now: float, policy: Policy) -> None:
    if not batch.samples:
        return
    oldest = min(s.ts for s in batch.samples)
    newest = max(s.ts for s in batch.samples)
    if oldest < now - policy.max_age_s:
        raise ValidationError(
            f"sample at {oldest:.3f} is older than {policy.max_age_s:.0f} s (now {now:.3f})"
        )
    if newest > now + policy.max_future_s:
        raise ValidationError(
            f"sample at {newest:.3f} is more than {policy.max_future_s:.0f} s in the future "
            f"(now {now:.3f})"
        )
