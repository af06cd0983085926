"""Every database file under ../shared/data/dbc: it loads, loads leniently with a report of what
was left out, or fails with an error naming the file, the line and the cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.dbcload import load_dbc
from gateway.errors import ProfileError
from tests.conftest import SHARED_DATA

# file -> "strict" | "non-strict" (cantools strict=False) | "lenient" (statements left out)
OUTCOMES = {
    "cantools/abs.dbc": "strict",
    "cantools/big_numbers.dbc": "strict",
    "cantools/choices.dbc": "strict",
    "cantools/fd_test.dbc": "strict",
    "cantools/floating_point.dbc": "strict",
    "cantools/j1939.dbc": "strict",
    "cantools/jopp-6.0.sym": "strict",
    "cantools/motohawk.dbc": "strict",
    "cantools/multiplex.dbc": "strict",
    "cantools/multiplex_2.dbc": "strict",
    "cantools/multiplex_choices.dbc": "strict",
    "cantools/signed.dbc": "strict",
    "cantools/system-4.2.arxml": "strict",
    "cantools/vehicle.dbc": "strict",
    "cantools/vehicle.kcd": "strict",
    "css/canmod_gps.dbc": "strict",
    "css/j1939_demo.dbc": "strict",
    "css/j1939_tp.dbc": "strict",
    "css/kona_ev_uds.dbc": "strict",
    "css/leaf_uds.dbc": "strict",
    "css/nmea2000.dbc": "strict",
    "opendbc/ford_lincoln_base_pt.dbc": "strict",
    "opendbc/gm_global_a_chassis.dbc": "strict",
    "opendbc/gm_global_a_powertrain_generated.dbc": "lenient",
    "opendbc/honda_civic_touring_2016_can_generated.dbc": "lenient",
    "opendbc/honda_crv_touring_2016_can_generated.dbc": "lenient",
    "opendbc/hyundai_2015_ccan.dbc": "strict",
    "opendbc/hyundai_can_generated.dbc": "lenient",
    "opendbc/hyundai_canfd_generated.dbc": "non-strict",
    "opendbc/nissan_leaf_2018_generated.dbc": "strict",
    "opendbc/subaru_global_2017_generated.dbc": "strict",
    "opendbc/tesla_can.dbc": "lenient",
    "opendbc/tesla_model3_party.dbc": "strict",
    "opendbc/tesla_model3_vehicle.dbc": "strict",
    "opendbc/vw_mqb.dbc": "non-strict",
}


def test_the_table_covers_every_file(shared_data: Path) -> None:
    found = {
        str(p.relative_to(shared_data / "dbc"))
        for p in (shared_data / "dbc").glob("*/*")
        if p.name != "LICENSE"
    }
    assert found == set(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_each_database_has_its_outcome(name: str, shared_data: Path) -> None:
    path = shared_data / "dbc" / name
    outcome = OUTCOMES[name]
    if outcome in ("strict", "non-strict"):
        load = load_dbc(path)
        assert load.strict == (outcome == "strict")
        assert load.left_out == ()
        assert load.database.messages
        return
    with pytest.raises(ProfileError) as refused:
        load_dbc(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: line ")  # the file and the line
    assert "cantools cannot load it: " in message  # and the cause
    load = load_dbc(path, lenient=True)
    assert load.left_out, "lenient loading reports what it left out"
    assert all(item.startswith("line ") for item in load.left_out)
    assert len(load.database.messages) > 20


def test_tesla_names_its_orphan_value_table(shared_data: Path) -> None:
    path = shared_data / "dbc" / "opendbc" / "tesla_can.dbc"
    with pytest.raises(
        ProfileError, match=r"tesla_can\.dbc: line \d+: .*VAL_ 568 UI_mapSpeedLimit"
    ):
        load_dbc(path)


def test_a_lenient_profile_reports_what_was_left_out(tmp_path: Path) -> None:
    from gateway.profile import load_profile

    dbc = SHARED_DATA / "dbc" / "opendbc" / "tesla_can.dbc"
    if not dbc.is_file():
        pytest.skip("../shared/data is absent")
    profile = tmp_path / "tesla.yaml"
    body = "signals:\n  Vehicle.Speed: {message: ESP_B, signal: ESP_vehicleSpeed}\n"
    profile.write_text(f"name: t\nbuses:\n  - name: can0\n    dbc: [{dbc}]\n{body}")
    with pytest.raises(ProfileError, match="line"):
        load_profile(profile)
    profile.write_text(
        f"name: t\nbuses:\n  - name: can0\n    dbc: [{dbc}]\n    lenient: true\n{body}"
    )
    loaded = load_profile(profile)
    assert loaded.problems
    assert loaded.problems[0].startswith("tesla_can.dbc: line ")
