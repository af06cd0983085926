"""Command-line mistakes get one line naming the fix (exit 2 for usage, 1 or 2 otherwise), no
traceback, and create no file or folder the user did not ask for (subprocesses in an empty
working folder, as a user runs them)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.waiting import wait_until

LOG = "j1939_tp.log"


def _pitstop(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PITSTOP_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_clear_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith(" ")]
    if lines[0].startswith("usage:"):  # argparse shows the usage above its one line
        lines = lines[1:]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["rules", "backtest", "lv-battery-low", "--vehicle", "BADVIN", "--from", "2026-01-01",
             "--to", "2026-01-02"],
            ["invalid VIN 'BADVIN'", "17 letters and digits"],
        ),
        (
            ["rules", "backtest", "lv-battery-low", "--vehicle", "WPITSTOPDEMO00001", "--from",
             "2026-01-01", "--to", "2026-01-02", "--telemetry", "sqlite:///nope/t.db"],
            ["no telemetry store at nope/t.db", "--telemetry"],
        ),
        (
            ["rules", "backtest", "lv-battery-low", "--vehicle", "WPITSTOPDEMO00001", "--from",
             "2026-01-01", "--to", "2026-01-02"],
            ["no telemetry store at pitstop-data/telemetry.db"],
        ),
        (["api", "--telemetry", "nope://x", "--jobs", "sqlite:///j.db"], ["no job store at j.db"]),
        (["simulate", "--out", "/proc/pitstop-x"], ["cannot write the logs into /proc/pitstop-x"]),
        (["simulate", "--duration", "-5", "--out", "logs"], ["--duration", "positive", "'-5'"]),
    ],
)  # fmt: skip
def test_a_mistake_is_one_line_and_makes_nothing(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    _one_clear_line(_pitstop(tmp_path, *args), *words)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_telemetry_scheme_is_one_line(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "j.db").close()
    done = _pitstop(tmp_path, "api", "--telemetry", "nope://x", "--jobs", "sqlite:///j.db")
    _one_clear_line(done, "nope://x", "sqlite:///path")


def test_a_folder_given_as_a_log_says_so(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "logs" / "css"
    done = _pitstop(tmp_path, "dtc", "scan", str(folder))
    _one_clear_line(done, "is a folder", LOG)


def test_a_misspelt_signal_fails_the_check_with_the_right_name(tmp_path: Path) -> None:
    catalog = tmp_path / "mine.yaml"
    catalog.write_text(
        "- id: too-fast\n  title: Too fast\n  kind: threshold\n  signal: Vehicle.Sped\n"
        "  above: 200\n  for: 1s\n  severity: warning\n  diagnosis: {summary: slow down}\n"
    )
    done = _pitstop(tmp_path, "rules", "check", str(catalog))
    _one_clear_line(done, "Vehicle.Sped", "did you mean Vehicle.Speed?")
    assert _pitstop(tmp_path, "rules", "check").returncode == 0  # the shipped catalogue


def test_a_future_end_is_replayed_only_up_to_now(tmp_path: Path) -> None:
    from ingest.open import open_store

    open_store(f"sqlite:///{tmp_path / 't.db'}").close()
    now = time.time()
    done = _pitstop(
        tmp_path, "rules", "backtest", "lv-battery-low", "--vehicle", "WPITSTOPDEMO00001",
        "--from", str(now - 3600), "--to", str(now + 30 * 86400), "--telemetry",
        f"sqlite:///{tmp_path / 't.db'}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "firing for 0s" in done.stdout


def test_the_gateway_says_when_it_cannot_reach_the_broker(
    tmp_path: Path, shared_data: Path
) -> None:
    log = shared_data / "logs" / "css" / LOG
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as sink:
        gateway = subprocess.Popen(
            [sys.executable, "-m", "cli", "gateway", "--vin", "WPITSTOPDEMO00001",
             "--broker", "mqtt://127.0.0.1:9", "replay", str(log)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )  # fmt: skip
        try:
            said = wait_until(
                lambda: "cannot reach the broker" in errors.read_text(), 30, "the warning"
            )
        finally:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(30)
    assert said
    text = errors.read_text()
    assert "cannot reach the broker mqtt://127.0.0.1:9" in text
    assert "data waits in the spool" in text
    assert "Traceback" not in text
