"""The profile's diagnostics section: what loads, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import dbc
from gateway.errors import ProfileError
from gateway.profile import Profile, load_profile


def _load(tmp_path: Path, diagnostics: object, **extra: object) -> Profile:
    path = tmp_path / "p.yaml"
    doc = {"name": "p", "buses": [], "diagnostics": diagnostics, **extra}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_profile(path)


def test_the_shipped_obd2_profile_maps_the_standard_pids() -> None:
    profile = load_profile(dbc.OBD2_PROFILE)
    assert profile.diagnostics is not None
    names = set(profile.diagnostics.canonical_names())
    assert {"Vehicle.Speed", "Vehicle.OBD.MAF", "Vehicle.OBD.RunTime"} <= names
    assert profile.buses == ()
    assert profile.signals == ()


def test_the_section_changes_the_hash(tmp_path: Path) -> None:
    one = _load(tmp_path, {"obd": {"pids": {0x0D: {"name": "Vehicle.Speed"}}}})
    two = _load(tmp_path, {"obd": {"pids": {0x0D: {"name": "Vehicle.Speed2"}}}})
    assert one.hash != two.hash


@pytest.mark.parametrize(
    ("section", "complaint"),
    [
        ({"obd": {"pids": {0x99: {"name": "X"}}}}, r"pids\[153\]: not a mode 01 PID"),
        ({"obd": {"pids": {0x0D: {"name": "X", "every": 0}}}}, "every"),
        ({"obd": {"pids": {0x0D: {"nam": "X"}}}}, "unknown keys"),
        ({"uds": [{"request_id": 0x7E4, "reads": []}]}, "response_id"),
        (
            {"uds": [{"request_id": 1, "response_id": 2, "reads": [{"did": 1, "service": 0x10}]}]},
            "service",
        ),
        (
            {
                "uds": [
                    {
                        "request_id": 1,
                        "response_id": 2,
                        "reads": [{"did": 1, "signals": {"X": {"message": "Nope"}}}],
                    }
                ]
            },
            "no DBC of the profile has 'Nope'",
        ),
    ],
)
def test_errors_name_the_field(tmp_path: Path, section: object, complaint: str) -> None:
    with pytest.raises(ProfileError, match=complaint):
        _load(tmp_path, section)


def test_without_the_section_buses_and_signals_stay_required(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"name": "p", "buses": []}), encoding="utf-8")
    with pytest.raises(ProfileError, match="at least one bus"):
        load_profile(path)
