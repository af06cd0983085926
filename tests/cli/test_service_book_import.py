"""``pitstop jobs service-book import|export`` as a user runs it (a subprocess): a large
LubeLogger export killed with SIGKILL in the middle of its import loses nothing and doubles
nothing when run again; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.model import RecordSource
from jobs.open import open_job_store
from tests.conftest import REPO

VIN = "WPITSTOPDEMO00001"
ROWS = 20_000


def pitstop(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def lubelogger(path: Path, rows: int) -> Path:
    lines = ["Date,Odometer,Description,Notes,Cost,Tags"]
    for i in range(rows):
        day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 2000 + (i // 336) % 25
        lines.append(f'{month}/{day}/{year},{1000 + 10 * i},Service {i},,"${i % 900}.50",oil')
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def count(url: str) -> int:
    store = open_job_store(url)
    try:
        return len(store.service_records(VIN))
    finally:
        store.close()


def test_an_import_killed_midway_loses_and_doubles_nothing(
    job_store_url: str, tmp_path: Path
) -> None:
    big = lubelogger(tmp_path / "service.csv", ROWS)
    count(job_store_url)  # the schema exists before the child writes (as in production)
    child = subprocess.Popen(
        pitstop("jobs", "--jobs", job_store_url, "service-book", "import", VIN, str(big)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert child.stderr is not None
    for line in child.stderr:  # the first chunk is written, the transaction still open
        if "new rows written" in line:
            break
    else:
        pytest.fail(f"the import ended before writing: {child.wait()}")
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert count(job_store_url) == 0  # all or nothing: nothing of the killed file

    again = subprocess.run(
        pitstop("jobs", "--jobs", job_store_url, "service-book", "import", VIN, str(big)),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=600,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert f"{ROWS:,} records added, 0 already in the book" in again.stdout
    assert count(job_store_url) == ROWS

    twice = subprocess.run(
        pitstop("jobs", "--jobs", job_store_url, "service-book", "import", VIN, str(big)),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=600,
        check=False,
    )
    assert f"0 records added, {ROWS:,} already in the book" in twice.stdout
    assert count(job_store_url) == ROWS


def test_a_bad_file_names_its_rows_and_the_export_reads_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Odometer,Cost\n2024-01-01,100,5\nyesterday,200,x\n", encoding="utf-8")
    refused = subprocess.run(
        pitstop("jobs", "--jobs", url, "service-book", "import", VIN, str(bad)),
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
    )
    assert refused.returncode == 2
    assert "row 3, column 'Date': 'yesterday' is not a date" in refused.stderr
    assert "row 3, column 'Cost': 'x' is not an amount of money" in refused.stderr
    assert count(url) == 0

    lubelogger(tmp_path / "ok.csv", 3)
    for args in (("import", VIN, str(tmp_path / "ok.csv")), ("export", VIN, "-")):
        done = subprocess.run(
            pitstop("jobs", "--jobs", url, "service-book", *args),
            capture_output=True,
            text=True,
            env=environment(),
            check=True,
        )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("date,odometer_km,kind,work")
    assert lines[1] == "2000-01-01,1000,service,Service 0,,,,0.50,USD,oil,,import"
    store = open_job_store(url)
    assert {r.source for r in store.service_records(VIN)} == {RecordSource.IMPORT}
    store.close()
