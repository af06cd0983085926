"""What ingest accepts: a pure check of one message (topic, payload, clock).

``validate_message`` picks the check by the topic's kind: telemetry batches
(``validate_columns``) and trouble-code reports (``validate_dtc``); any other topic fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.errors import ValidationError
from pitstop.codec import TelemetryBatch, TelemetryColumns, decode_telemetry_columns
from pitstop.dtc import DtcReport, decode_dtc_report
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
    max_codes: int = 1_000  # trouble codes per DTC report


def validate_message(
    topic: str, payload: bytes, now: float, policy: Policy
) -> TelemetryColumns | DtcReport:
    """Check a message of any kind ingest takes; raise ``ValidationError(reason)`` if it fails."""
    if _topic_kind(topic) is Kind.DTC:
        return validate_dtc(topic, payload, now, policy)
    return validate_columns(topic, payload, now, policy)


def validate_dtc(topic: str, payload: bytes, now: float, policy: Policy) -> DtcReport:
    """Decode and check one trouble-code report: VIN as in the topic, time inside the window."""
    vin = _topic_vin(topic, Kind.DTC)
    try:
        report = decode_dtc_report(payload)
    except (ValueError, OverflowError, RecursionError) as err:
        raise ValidationError(f"undecodable DTC report: {err}") from err
    _check_vin(report.vin, vin)
    if len(report.codes) > policy.max_codes:
        raise ValidationError(
            f"{len(report.codes)} codes in one report, at most {policy.max_codes}"
        )
    _check_window(report.ts, report.ts, now, policy)
    return report


def validate(topic: str, payload: bytes, now: float, policy: Policy) -> TelemetryBatch:
    """Decode and check one telemetry message; raise ``ValidationError(reason)`` if it fails.

    ``now`` is the receiver's clock in seconds since the epoch.
    """
    return validate_columns(topic, payload, now, policy).batch()


def validate_columns(topic: str, payload: bytes, now: float, policy: Policy) -> TelemetryColumns:
    """``validate``, keeping the batch column-wise (the fast path ingest stores from)."""
    vin = _topic_vin(topic, Kind.TELEMETRY)
    batch = _decode(payload)
    _check_vin(batch.vin, vin)
    count = batch.sample_count
    if count > policy.max_samples:
        raise ValidationError(f"{count} samples in one batch, at most {policy.max_samples} allowed")
    _check_signal_names(batch, policy)
    _check_times(batch, now, policy)
    return batch


def _check_vin(found: str, vin: str) -> None:
    if found != vin:
        raise ValidationError(f"VIN {found!r} in the payload differs from {vin!r} in the topic")


def _topic_kind(topic: str) -> Kind:
    try:
        return parse_topic(topic)[1]
    except TopicError as err:
        raise ValidationError(str(err)) from err


def _topic_vin(topic: str, expected: Kind) -> str:
    try:
        vin, kind = parse_topic(topic)
    except TopicError as err:
        raise ValidationError(str(err)) from err
    if kind is not expected:
        raise ValidationError(f"topic {topic!r} is not a {expected.value} topic")
    return vin


def _decode(payload: bytes) -> TelemetryColumns:
    try:
        return decode_telemetry_columns(payload)
    except (ValueError, OverflowError, RecursionError) as err:
        # CodecError is a ValueError; the others come from hostile input the codec lets
        # through (an integer of 5,000 digits, a timestamp beyond a float).
        raise ValidationError(f"undecodable payload: {err}") from err


def _check_signal_names(batch: TelemetryColumns, policy: Policy) -> None:
    for name in batch.series:
        if not name or len(name) > policy.max_signal_length:
            raise ValidationError(
                f"signal name {name[:50]!r} must have 1 to {policy.max_signal_length} characters"
            )
        if not name.isprintable() or name != name.strip():
            raise ValidationError(f"signal name {name[:50]!r} has unprintable or edge spaces")


def _check_times(batch: TelemetryColumns, now: float, policy: Policy) -> None:
    filled = [s.ts_ms for s in batch.series.values() if s.ts_ms]
    if not filled:
        return
    oldest = min(min(ts) for ts in filled) / 1000
    newest = max(max(ts) for ts in filled) / 1000
    _check_window(oldest, newest, now, policy)


def _check_window(oldest: float, newest: float, now: float, policy: Policy) -> None:
    if oldest < now - policy.max_age_s:
        raise ValidationError(
            f"sample at {oldest:.3f} is older than {policy.max_age_s:.0f} s (now {now:.3f})"
        )
    if newest > now + policy.max_future_s:
        raise ValidationError(
            f"sample at {newest:.3f} is more than {policy.max_future_s:.0f} s in the future "
            f"(now {now:.3f})"
        )
