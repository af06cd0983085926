from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ProfileError
from gateway.profile import load_profile
from tests.conftest import DEMO_PROFILE

DEMO_DBC = DEMO_PROFILE.parent / "demo_ev.dbc"


def _write(tmp_path: Path, signals: str, dbc: str = str(DEMO_DBC)) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(f"name: test\nbuses:\n  - name: can0\n    dbc: [{dbc}]\nsignals:\n{signals}")
    return path


def test_the_demo_profile_loads() -> None:
    profile = load_profile(DEMO_PROFILE)
    assert profile.name == "demo-ev"
    assert profile.buses[0].dbc == (DEMO_DBC.resolve(),)
    by_name = {m.canonical: m for m in profile.signals}
    cell = by_name["Vehicle.Powertrain.TractionBattery.CellVoltage.Min"]
    assert (cell.message, cell.signal, cell.scale, cell.unit) == (
        "BMS_CellStats",
        "CellVoltageMin",
        0.001,
        "V",
    )
    assert len(profile.hash) == 12
    assert int(profile.hash, 16) >= 0
    assert load_profile(DEMO_PROFILE).hash == profile.hash


def test_the_hash_follows_the_mapping(tmp_path: Path) -> None:
    one = load_profile(_write(tmp_path, "  A.B: {message: VCU_Status, signal: VehicleSpeed}\n"))
    two = load_profile(
        _write(tmp_path, "  A.B: {message: VCU_Status, signal: VehicleSpeed, scale: 0.5}\n")
    )
    assert one.hash != two.hash


def test_a_signal_the_dbc_lacks_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "  A.B: {message: VCU_Status, signal: NoSuchSignal}\n")
    with pytest.raises(ProfileError, match=r"profile\.yaml.*'A\.B'.*VCU_Status.*NoSuchSignal"):
        load_profile(path)


def test_a_message_the_dbc_lacks_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "  A.B: {message: NoSuchMessage, signal: X}\n")
    with pytest.raises(ProfileError, match="no DBC of the profile has a message 'NoSuchMessage'"):
        load_profile(path)


def test_a_missing_dbc_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "  A.B: {message: M, signal: S}\n", dbc="absent.dbc")
    with pytest.raises(ProfileError, match=r"absent\.dbc: DBC file not found"):
        load_profile(path)


def test_a_broken_dbc_keeps_cantools_line_number(tmp_path: Path) -> None:
    broken = tmp_path / "broken.dbc"
    broken.write_text('VERSION ""\n\nBO_ 256 Foo: 8 X\n SG_ A : 0|8@1+ (1,0 [0|1] "" X\n')
    path = _write(tmp_path, "  A.B: {message: Foo, signal: A}\n", dbc="broken.dbc")
    with pytest.raises(
        ProfileError, match=r"broken\.dbc: line 4: cantools cannot load it: .*line 4"
    ):
        load_profile(path)


def test_a_missing_profile_and_bad_values_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "absent.yaml")
    path = _write(tmp_path, "  A.B: {message: VCU_Status, signal: VehicleSpeed, scale: fast}\n")
    with pytest.raises(ProfileError, match="'scale' must be a number"):
        load_profile(path)


def test_a_dbc_strict_mode_refuses_loads_non_strict(tmp_path: Path, shared_data: Path) -> None:
    # Overlapping signals: strict mode refuses the file, strict=False reads it.
    dbc = tmp_path / "overlap.dbc"
    dbc.write_text(
        'VERSION ""\n\nBU_: X\n\nBO_ 256 Foo: 8 X\n'
        ' SG_ A : 0|16@1+ (1,0) [0|65535] "" X\n SG_ B : 8|8@1+ (1,0) [0|255] "" X\n'
    )
    profile = load_profile(_write(tmp_path, "  A.B: {message: Foo, signal: B}\n", str(dbc)))
    assert profile.signals[0].signal == "B"
