"""The fast decode path gives exactly cantools' values: on every real log, signal by signal, and
on random payloads for every message of every DBC under ../shared/data/dbc."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import can
import cantools
import pytest
from cantools.database.can import Database, Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.dbcload import load_dbc
from gateway.decode import Decoder
from gateway.errors import DecodeError, ProfileError
from gateway.fastdecode import compile_message, decode_fields
from gateway.j1939tp import TpReassembler
from gateway.profile import load_profile
from gateway.profileyaml import J1939_PGN_MASK
from tests.conftest import SHARED_DATA

# log -> (DBC, J1939?)
LOGS = {
    "j1939_truck.log": ("css/j1939_demo.dbc", True),
    "j1939_tp.log": ("css/j1939_tp.dbc", True),
    "kona_ev_uds_soc.log": ("css/kona_ev_uds.dbc", False),
    "leaf_uds_soc.log": ("css/leaf_uds.dbc", False),
    "nmea2000_gnss.log": ("css/nmea2000.dbc", True),
    "canmod_gps.log": ("css/canmod_gps.dbc", False),
}


@functools.cache
def _loadable_dbcs() -> list[Path]:
    found = []
    for path in sorted((SHARED_DATA / "dbc").glob("*/*")):
        if path.suffix not in (".dbc", ".kcd", ".sym", ".arxml"):
            continue
        try:
            load_dbc(path)
        except ProfileError:
            continue
        found.append(path)
    return found


def _mapped_messages(db: Database, mask: int | None) -> list[Message]:
    """Messages of ``db`` with a frame id no earlier message shares (under ``mask``)."""
    seen: set[int] = set()
    names: set[str] = set()
    out = []
    for message in db.messages:
        key = message.frame_id & (mask or 0x1FFFFFFF) | (message.is_extended_frame << 31)
        if key in seen or message.name in names or message.is_container:
            continue
        seen.add(key)
        names.add(message.name)
        out.append(message)
    return out


def write_full_profile(tmp_path: Path, dbc: Path, j1939: bool) -> Path:
    """A profile mapping every signal of ``dbc`` to ``<message>.<signal>``."""
    db = load_dbc(dbc, J1939_PGN_MASK if j1939 else None).database
    lines = ["name: all", "buses:", "  - name: can1", f"    dbc: [{dbc}]"]
    if j1939:
        lines.append("    j1939: true")
    lines.append("signals:")
    for message in _mapped_messages(db, J1939_PGN_MASK if j1939 else None):
        for signal in message.signals:
            canonical = f'"{message.name}.{signal.name}"'
            lines.append(f"  {canonical}: {{message: {message.name}, signal: {signal.name}}}")
    path = tmp_path / f"{dbc.stem}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _reference(db: Database, msg: can.Message, truncated: bool = False) -> dict[str, float] | None:
    try:
        message = db.get_message_by_frame_id(msg.arbitration_id | (msg.is_extended_id << 31))
    except KeyError:
        return None
    try:
        values = message.decode(bytes(msg.data), decode_choices=False, allow_truncated=truncated)
    except Exception:
        return {}
    assert isinstance(values, dict)
    return {
        f"{message.name}.{k}": v
        for k, v in values.items()
        if isinstance(v, (int, float)) and math.isfinite(v)
    }


@pytest.mark.parametrize("log_name", sorted(LOGS))
def test_every_real_log_decodes_exactly_as_cantools(
    log_name: str, tmp_path: Path, shared_data: Path
) -> None:
    dbc_name, j1939 = LOGS[log_name]
    dbc = shared_data / "dbc" / dbc_name
    decoder = Decoder(load_profile(write_full_profile(tmp_path, dbc, j1939)))
    reference = load_dbc(dbc, J1939_PGN_MASK if j1939 else None).database
    mapped = {f"{m.name}.{s.name}" for m in reference.messages for s in m.signals}
    frames = compared = 0
    for msg in can.LogReader(shared_data / "logs" / "css" / log_name):
        frames += 1
        if j1939 and (msg.arbitration_id >> 16) & 0xFF in (0xEC, 0xEB):
            continue  # transport frames: see the BAM test
        got = {s.signal: s.value for s in decoder.decode(msg)}
        expected = _reference(reference, msg)
        if expected is None:
            assert got == {}
            continue
        expected = {k: v for k, v in expected.items() if k in mapped}
        assert got == expected, f"{log_name} frame {frames} {msg}"
        assert all(type(got[k]) is type(expected[k]) for k in got)
        compared += len(got)
    assert frames > 1000
    if log_name in ("j1939_truck.log", "canmod_gps.log"):  # the others need reassembly
        assert compared > 1000


def test_bam_transport_is_reassembled_and_decoded(tmp_path: Path, shared_data: Path) -> None:
    dbc = shared_data / "dbc" / "css" / "j1939_tp.dbc"
    decoder = Decoder(load_profile(write_full_profile(tmp_path, dbc, True)))
    reference = load_dbc(dbc, J1939_PGN_MASK).database
    tp = TpReassembler()
    expected: list[tuple[float, dict[str, float]]] = []
    got: list[tuple[float, dict[str, float]]] = []
    for msg in can.LogReader(shared_data / "logs" / "css" / "j1939_tp.log"):
        samples = decoder.decode(msg)
        done = tp.feed(msg)
        if done is not None:
            whole = can.Message(
                arbitration_id=(done.pgn << 8) | done.source_address, data=done.data, check=False
            )
            values = _reference(reference, whole, truncated=True)
            if values:
                expected.append((done.ts, values))
        if samples and (msg.arbitration_id >> 16) & 0xFF == 0xEB:
            got.append((samples[0].ts, {s.signal: s.value for s in samples}))
    assert expected, "the log has multi-packet groups the DBC decodes"
    assert got == expected


def test_value_tables_keep_labels_beside_raw_values(tmp_path: Path, shared_data: Path) -> None:
    dbc = shared_data / "dbc" / "cantools" / "choices.dbc"
    decoder = Decoder(load_profile(write_full_profile(tmp_path, dbc, False)))
    tables = decoder.value_tables()
    assert tables, "choices.dbc has value tables"
    label = next(iter(tables.values()))
    assert all(isinstance(k, int) and isinstance(v, str) for k, v in label.items())


MESSAGES = (
    [
        (path.name, message)
        for path in _loadable_dbcs()
        for message in load_dbc(path).database.messages
        if not message.is_container and message.length
    ]
    if SHARED_DATA.is_dir()
    else []
)


@pytest.mark.skipif(not MESSAGES, reason="../shared/data is absent")
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_payloads_decode_as_cantools(data: st.DataObject) -> None:
    dbc_name, message = data.draw(st.sampled_from(MESSAGES))
    payload = data.draw(st.binary(min_size=message.length, max_size=message.length))
    compiled = compile_message(message, [s.name for s in message.signals])
    if compiled is None:
        return  # decoded by cantools itself
    try:
        expected = message.decode(payload, decode_choices=False)
    except Exception as err:
        if "multiplexer" in str(err):
            with pytest.raises(DecodeError):
                decode_fields(compiled, payload)
        # else: overlapping signals (a file loaded with strict=False) that bitstruct cannot
        # unpack at all; the fast path extracts each signal on its own.
        return
    got = decode_fields(compiled, payload)
    assert isinstance(expected, dict)
    for name, value in expected.items():
        if isinstance(value, float) and math.isnan(value):
            assert isinstance(got[name], float)
            assert math.isnan(got[name])
        else:
            assert got[name] == value, (dbc_name, name)
            assert type(got[name]) is type(value), (dbc_name, name)
    assert got.keys() == expected.keys()


def test_most_real_messages_take_the_fast_path(shared_data: Path) -> None:
    fast = total = 0
    for path in _loadable_dbcs():
        for message in load_dbc(path).database.messages:
            if message.is_container:
                continue
            total += 1
            fast += compile_message(message, [s.name for s in message.signals]) is not None
    assert fast / total > 0.95, (fast, total)


def test_cantools_is_the_reference_not_ourselves() -> None:
    assert cantools.__version__
