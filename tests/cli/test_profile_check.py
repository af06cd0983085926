"""``pitstop profile check`` as a user runs it (a subprocess), on the shipped truck profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dbc
from tests.conftest import REPO

TRUCK = dbc.DIR / "j1939_truck.yaml"


def _check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "profile", "check", *args],
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_good_profile_and_its_log_exit_0(shared_data: Path) -> None:
    css = shared_data / "dbc" / "css"
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    done = _check(str(TRUCK), "--dbc-dir", str(css), "--log", str(log), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["problems"] == []
    assert report["log"]["frames"] == {"can1": 139_136, "can9": 11_275}
    speed = report["log"]["signals"]["Vehicle.Powertrain.CombustionEngine.Speed"]
    assert 0 <= speed["min"] <= speed["max"] <= 3000


def test_the_dbc_path_setting_finds_the_dbc(shared_data: Path) -> None:
    done = _check(str(TRUCK), env={"PITSTOP_DBC_PATH": f"/nonexistent:{shared_data}/dbc/css"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: no problems" in done.stdout


def test_a_misspelled_signal_exits_1_naming_the_closest(tmp_path: Path, shared_data: Path) -> None:
    path = tmp_path / "truck.yaml"
    path.write_text(TRUCK.read_text().replace("signal: EngineSpeed", "signal: EngineSped"))
    done = _check(str(path), "--dbc-dir", str(shared_data / "dbc" / "css"))
    assert done.returncode == 1
    assert (
        "signal 'Vehicle.Powertrain.CombustionEngine.Speed': message 'EEC1' has no signal "
        "'EngineSped' (closest: 'EngineSpeed')"
    ) in done.stdout


def test_a_bad_canonical_name_exits_1(tmp_path: Path, shared_data: Path) -> None:
    path = tmp_path / "truck.yaml"
    path.write_text(TRUCK.read_text().replace("Vehicle.Speed:", "Vehicle.Speed (km/h):"))
    done = _check(str(path), "--dbc-dir", str(shared_data / "dbc" / "css"))
    assert done.returncode == 1
    assert "signal 'Vehicle.Speed (km/h)': not a canonical name" in done.stdout


def test_a_missing_dbc_is_one_clear_line(tmp_path: Path) -> None:
    done = _check(str(TRUCK), "--dbc-dir", str(tmp_path))
    assert done.returncode == 1
    problem = [line for line in done.stdout.splitlines() if "j1939_demo.dbc" in line]
    assert len(problem) == 1
    assert "DBC file not found" in problem[0]
    assert str(dbc.DIR) in problem[0]  # where it looked
    assert str(tmp_path) in problem[0]
    assert "--dbc-dir DIR or PITSTOP_DBC_PATH" in problem[0]  # and the fix


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _check(str(tmp_path / "absent.yaml")).returncode == 2
    assert _check(str(TRUCK), "--log", str(tmp_path / "absent.log")).returncode == 2
    assert _check().returncode == 2
