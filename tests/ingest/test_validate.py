from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import ValidationError
from ingest.validate import Policy, is_history, validate, validate_message
from pitstop.codec import Sample, TelemetryBatch, TelemetryColumns, encode_telemetry
from pitstop.dtc import encode_dtc_report
from tests.ingest.helpers import T0, VIN, VIN2, make_batch, make_dtc_report

TOPIC = f"pitstop/v1/{VIN}/telemetry"
POLICY = Policy()
NOW = T0 + 3600


def payload_of(*samples: Sample, vin: str = VIN) -> bytes:
    return encode_telemetry(TelemetryBatch(vin, 7, "p", samples))


def test_a_valid_batch_comes_back_decoded() -> None:
    batch = make_batch(VIN, 3, n=9)
    decoded = validate(TOPIC, encode_telemetry(batch), NOW, POLICY)
    assert (decoded.vin, decoded.seq, decoded.profile) == (batch.vin, batch.seq, batch.profile)
    assert sorted(decoded.samples) == sorted(batch.samples)


def test_an_empty_batch_is_valid() -> None:
    assert validate(TOPIC, payload_of(), NOW, POLICY).samples == ()


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (TOPIC, b"", "empty payload"),
        (TOPIC, b"\x78\x9c garbage", "undecodable"),
        (TOPIC, b'{"v": 2}', "schema version"),
        (f"pitstop/v1/{VIN2}/telemetry", payload_of(Sample("A", T0, 1)), "differs"),
        (f"pitstop/v1/{VIN}/event", payload_of(Sample("A", T0, 1)), "not a telemetry topic"),
        ("elsewhere/x", payload_of(Sample("A", T0, 1)), "not under"),
        (TOPIC, payload_of(Sample("A", 631_151_999.0, 1)), "before 1990-01-01"),
        (TOPIC, payload_of(Sample("A", NOW + 301, 1)), "in the future"),
        (TOPIC, payload_of(Sample("A", NOW + 301, 1)), "PITSTOP_MAX_FUTURE_S"),
        (TOPIC, payload_of(Sample("", NOW, 1)), "expected [deltas, values]"),
        (TOPIC, payload_of(Sample("A" * 201, NOW, 1)), "1 to 200 characters"),
        (TOPIC, payload_of(Sample("Vehicle.\nSpeed", NOW, 1)), "dotted path"),
        (TOPIC, payload_of(Sample(" Vehicle.Speed", NOW, 1)), "dotted path"),
        (TOPIC, payload_of(Sample("<img src=x onerror=alert(1)>", NOW, 1)), "dotted path"),
        (TOPIC, payload_of(Sample("Vehicle..Speed", NOW, 1)), "dotted path"),
        (TOPIC, payload_of(Sample("Vehicle.Speed.", NOW, 1)), "dotted path"),
        (TOPIC, payload_of(Sample("Vehicle.Spéed", NOW, 1)), "dotted path"),
        (TOPIC, payload_of(Sample("Vehicle.Speed-2", NOW, 1)), "dotted path"),
    ],
)
def test_invalid_messages_name_their_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate(topic, payload, NOW, POLICY)
    assert reason in caught.value.reason


def test_the_window_edges_are_inside() -> None:
    payload = payload_of(Sample("A", 631_152_000.0, 1), Sample("A", NOW + 300, 2))
    assert len(validate(TOPIC, payload, NOW, POLICY).samples) == 2


def test_old_samples_are_history_not_refused() -> None:
    """A log recorded years ago is data: accepted, and history (not for the rules)."""
    years_ago = NOW - 6 * 365 * 86400
    old = validate_message(TOPIC, payload_of(Sample("A", years_ago, 1)), NOW, POLICY)
    assert is_history(old, NOW, POLICY)
    # the newest sample decides: a batch reaching into the live window is live
    mixed = payload_of(Sample("A", years_ago, 1), Sample("A", NOW - 60, 2))
    assert not is_history(validate_message(TOPIC, mixed, NOW, POLICY), NOW, POLICY)
    edge = payload_of(Sample("A", NOW - 86400, 1))
    assert not is_history(validate_message(TOPIC, edge, NOW, POLICY), NOW, POLICY)
    assert is_history(validate_message(TOPIC, edge, NOW, POLICY), NOW, Policy(live_window_s=60))
    assert not is_history(validate_message(TOPIC, payload_of(), NOW, POLICY), NOW, POLICY)
    report = make_dtc_report(VIN, years_ago)
    dtc = validate_message(f"pitstop/v1/{VIN}/dtc", encode_dtc_report(report), NOW, POLICY)
    assert is_history(dtc, NOW, POLICY)


def test_each_refusal_names_its_kind() -> None:
    cases = {
        "vin_mismatch": (f"pitstop/v1/{VIN2}/telemetry", payload_of(Sample("A", NOW, 1))),
        "undecodable": (TOPIC, b"\x78\x9c garbage"),
        "topic": ("elsewhere/x", payload_of()),
        "time": (TOPIC, payload_of(Sample("A", NOW + 301, 1))),
        "signal_name": (TOPIC, payload_of(Sample(" A", NOW, 1))),
    }
    for code, (topic, payload) in cases.items():
        with pytest.raises(ValidationError) as caught:
            validate_message(topic, payload, NOW, POLICY)
        assert caught.value.code == code


def test_the_sample_limit_is_the_policy() -> None:
    payload = payload_of(*(Sample("A", NOW - i, i) for i in range(11)))
    with pytest.raises(ValidationError, match="at most 10"):
        validate(TOPIC, payload, NOW, Policy(max_samples=10))
    assert len(validate(TOPIC, payload, NOW, Policy(max_samples=11)).samples) == 11


def test_hostile_numbers_are_validation_errors() -> None:
    huge = {"v": 1, "vin": VIN, "seq": 1, "profile": "p", "t0": 10**400, "s": {"A": [[0], [1]]}}
    digits = b'{"v": 1, "vin": "' + VIN.encode() + b'", "seq": ' + b"9" * 5000 + b"}"
    for payload in (json.dumps(huge).encode(), digits):
        with pytest.raises(ValidationError):
            validate(TOPIC, payload, NOW, POLICY)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20,
)  # fmt: skip
documents = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 2]), "vin": st.sampled_from([VIN, VIN2, "short"])},
    optional={
        "seq": st.integers(-2, 10**20) | json_values,
        "profile": st.text(max_size=5) | json_values,
        "t0": st.integers(-(10**16), 10**16) | json_values,
        "s": st.dictionaries(
            st.text(max_size=5),
            st.tuples(st.lists(st.integers(-(10**15), 10**15), max_size=3),
                      st.lists(st.floats() | st.integers(), max_size=3)) | json_values,
            max_size=3,
        ) | json_values,
    },
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(doc=documents, compress=st.booleans(), topic=st.sampled_from([TOPIC, "x/y", ""]))
def test_random_documents_validate_or_raise_validation_error(
    doc: dict[str, object], compress: bool, topic: str
) -> None:
    payload = json.dumps(doc).encode()  # NaN and Infinity included on purpose
    try:
        batch = validate(topic, zlib.compress(payload) if compress else payload, T0, POLICY)
    except ValidationError as err:
        reason = err.reason
    else:
        reason = ""
        assert batch.vin == VIN
    assert reason or topic == TOPIC


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=300))
def test_random_bytes_raise_validation_error(payload: bytes) -> None:
    with pytest.raises(ValidationError):
        validate(TOPIC, payload, T0, POLICY)


DTC_TOPIC = f"pitstop/v1/{VIN}/dtc"


def test_a_dtc_report_is_checked_by_its_topic() -> None:
    report = make_dtc_report(VIN, NOW - 60, seq=4)
    assert validate_message(DTC_TOPIC, encode_dtc_report(report), NOW, POLICY) == report
    batch = validate_message(TOPIC, encode_telemetry(make_batch(VIN, 3)), NOW, POLICY)
    assert isinstance(batch, TelemetryColumns)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (DTC_TOPIC, b"", "empty payload"),
        (DTC_TOPIC, b'{"v": 1}', "undecodable DTC report"),
        (DTC_TOPIC, encode_dtc_report(make_dtc_report(VIN2, NOW)), "differs"),
        (DTC_TOPIC, encode_dtc_report(make_dtc_report(VIN, 100.0)), "before 1990"),
        (DTC_TOPIC, encode_dtc_report(make_dtc_report(VIN, NOW + 301)), "in the future"),
        (DTC_TOPIC, encode_dtc_report(make_dtc_report(VIN, NOW, codes=5)), "at most 4"),
        (f"pitstop/v1/{VIN}/event", b"{}", "not a telemetry topic"),
        ("pitstop/v1/short/dtc", b"{}", "invalid VIN"),
    ],
)
def test_invalid_dtc_reports_name_their_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_message(topic, payload, NOW, Policy(max_codes=4))
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("series", "error"),
    [
        ("[[0], [true]]", "not a finite number"),
        ('[[0], ["12"]]', "not a finite number"),
        ("[[0], [1e400]]", "not a finite number"),
        ("[[0], [" + "9" * 400 + "]]", "not a finite number"),
        ("[[0.5], [1]]", "not an integer"),
        ("[[-1], [1]]", "out of range"),
    ],
)
def test_a_one_sample_signal_is_checked_like_any_other(series: str, error: str) -> None:
    """One sample per signal (a 1 s batch) takes a shorter path in the codec: same checks."""
    for signal in (series, series.replace("], [", ", 1, 2], [").replace("]]", ", 3, 4]]")):
        head = f'{{"v": 1, "vin": "{VIN}", "seq": 1, "profile": "p", "t0": 0, '
        doc = head + f'"s": {{"A": {signal}}}}}'
        with pytest.raises(ValidationError, match=error) as caught:
            validate(TOPIC, doc.encode(), NOW, POLICY)
        assert caught.value.code == "undecodable"
    good = f'{{"v": 1, "vin": "{VIN}", "seq": 1, "profile": "p", "t0": {int(NOW * 1000)}, '
    batch = validate(TOPIC, (good + '"s": {"A": [[0], [12]]}}').encode(), NOW, POLICY)
    assert batch.samples == (Sample("A", NOW, 12.0),)
    assert type(batch.samples[0].value) is float
