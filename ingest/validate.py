"""What ingest accepts: a pure check of one message (topic, payload, clock).

``validate_message`` picks the check by the topic's kind: telemetry batches
(``validate_columns``) and trouble-code reports (``validate_dtc``); any other topic fails.

History is data: a sample of any age is accepted, however old, as long as its time is not
absurd (before ``Policy.earliest_s``, 1990 by default, or more than ``max_future_s`` ahead of
our clock). ``is_history`` tells a batch whose newest sample is older than the live window
(``live_window_s``): it is stored but not handed on to the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ingest.errors import ValidationError
from pitstop.codec import TelemetryBatch, TelemetryColumns, decode_telemetry_columns
from pitstop.dtc import DtcReport, decode_dtc_report
from pitstop.errors import TopicError
from pitstop.topics import Kind, parse_topic

# the closed grammar of signal names: a VSS-style dotted path of [A-Za-z0-9_] segments
SIGNAL_NAME = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*", re.ASCII)
DAY_S = 86_400.0
_GOOD_NAMES: dict[int, set[str]] = {}  # max_signal_length -> names that passed with it
_MAX_GOOD_NAMES = 100_000
EPOCH_1990_S = 631_152_000.0  # 1990-01-01T00:00:00Z: earlier sample times are a clock unset


@dataclass(frozen=True, slots=True)
class Policy:
    """Limits a batch must respect; anything outside goes to the dead letters."""

    live_window_s: float = DAY_S  # older batches are history: stored, not handed to the rules
    max_future_s: float = 300.0  # clock skew tolerated ahead of ours
    earliest_s: float = EPOCH_1990_S  # sample times before this are refused
    max_samples: int = 100_000  # per batch
    max_signal_length: int = 200  # characters of a whole signal name (``SIGNAL_NAME``)
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
        raise ValidationError(f"undecodable DTC report: {err}", "undecodable") from err
    _check_vin(report.vin, vin)
    if len(report.codes) > policy.max_codes:
        raise ValidationError(
            f"{len(report.codes)} codes in one report, at most {policy.max_codes}", "too_large"
        )
    _check_window(report.ts, report.ts, now, policy)
    return report


def is_history(checked: TelemetryColumns | DtcReport, now: float, policy: Policy) -> bool:
    """True for a batch whose newest sample (a report whose time) is older than the live
    window; an empty batch is live (it says the car is there)."""
    if isinstance(checked, DtcReport):
        newest = checked.ts
    else:
        span = checked.time_span()
        if span is None:
            return False
        newest = span[1] / 1000
    return newest < now - policy.live_window_s


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
        raise ValidationError(
            f"{count} samples in one batch, at most {policy.max_samples} allowed", "too_large"
        )
    _check_signal_names(batch, policy)
    _check_times(batch, now, policy)
    return batch


def _check_vin(found: str, vin: str) -> None:
    if found != vin:
        raise ValidationError(
            f"VIN {found!r} in the payload differs from {vin!r} in the topic", "vin_mismatch"
        )


def _topic_kind(topic: str) -> Kind:
    try:
        return parse_topic(topic)[1]
    except TopicError as err:
        raise ValidationError(str(err), "topic") from err


def _topic_vin(topic: str, expected: Kind) -> str:
    try:
        vin, kind = parse_topic(topic)
    except TopicError as err:
        raise ValidationError(str(err), "topic") from err
    if kind is not expected:
        raise ValidationError(f"topic {topic!r} is not a {expected.value} topic", "topic")
    return vin


def _decode(payload: bytes) -> TelemetryColumns:
    try:
        return decode_telemetry_columns(payload)
    except (ValueError, OverflowError, RecursionError) as err:
        # CodecError is a ValueError; the others come from hostile input the codec lets
        # through (an integer of 5,000 digits, a timestamp beyond a float).
        raise ValidationError(f"undecodable payload: {err}", "undecodable") from err


def _check_signal_names(batch: TelemetryColumns, policy: Policy) -> None:
    """Names come from the car and end up in pages and queries: a closed grammar only. A
    fleet sends the same few hundred names again and again: those seen good are remembered
    (``_GOOD_NAMES``, bounded), so a batch's names cost one set look-up."""
    good = _GOOD_NAMES.setdefault(policy.max_signal_length, set())
    if good.issuperset(batch.series):
        return
    for name in batch.series:
        if not name or len(name) > policy.max_signal_length:
            raise ValidationError(
                f"signal name {name[:50]!r} must have 1 to {policy.max_signal_length} characters",
                "signal_name",
            )
        if not SIGNAL_NAME.fullmatch(name):
            raise ValidationError(
                f"signal name {name[:50]!r} is not a dotted path of segments of "
                "[A-Za-z0-9_] (such as Vehicle.Speed)",
                "signal_name",
            )
    if len(good) > _MAX_GOOD_NAMES:
        good.clear()
    good.update(batch.series)


def _check_times(batch: TelemetryColumns, now: float, policy: Policy) -> None:
    span = batch.time_span()
    if span is not None:
        _check_window(span[0] / 1000, span[1] / 1000, now, policy)


def _check_window(oldest: float, newest: float, now: float, policy: Policy) -> None:
    """Refuse only absurd times; the messages name the setting that would let them in."""
    if oldest < policy.earliest_s:
        raise ValidationError(
            f"sample at {_iso(oldest)} is before {_iso(policy.earliest_s)}, the earliest time "
            "ingest accepts (a clock that was never set?); `pitstop ingest dead-letters "
            "reingest --accept-old` stores it anyway",
            "time",
        )
    if newest > now + policy.max_future_s:
        raise ValidationError(
            f"sample at {_iso(newest)} is more than {policy.max_future_s:.0f} s in the future "
            f"(now {_iso(now)}; setting max_future_s, PITSTOP_MAX_FUTURE_S)",
            "time",
        )


def _iso(seconds: float) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
    except (OverflowError, OSError, ValueError):
        return f"{seconds:.3f} s since the epoch"
