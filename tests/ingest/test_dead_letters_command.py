"""``pitstop ingest dead-letters list|show|reingest`` on a real SQLite store, as a process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ingest.sqlite import SqliteStore
from pitstop.codec import encode_telemetry
from tests.conftest import REPO
from tests.ingest.helpers import VIN, VIN2, make_batch

TOPIC = f"pitstop/v1/{VIN}/telemetry"
YEAR_AGO = time.time() - 365 * 86_400.0


def pitstop(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--store", f"sqlite:///{db}", *args],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_list_show_and_reingest_what_the_old_policy_refused(tmp_path: Path) -> None:
    db = tmp_path / "telemetry.db"
    old = encode_telemetry(make_batch(VIN, 1, t0=YEAR_AGO))  # refused by the 30-day rule
    clockless = encode_telemetry(make_batch(VIN, 2, t0=1000.0))  # 1970: a clock never set
    other = encode_telemetry(make_batch(VIN2, 3, t0=YEAR_AGO))  # another car's: refused still
    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        store.write_dead_letter(TOPIC, old, "sample is older than 2592000 s", YEAR_AGO, "time")
        store.write_dead_letter(TOPIC, clockless, "before 1990", YEAR_AGO + 1, "time")
        store.write_dead_letter(TOPIC, other, "VIN differs", YEAR_AGO + 2, "vin_mismatch")
        store.write_dead_letter(f"pitstop/v1/{VIN2}/dtc", b"\x00\x01junk", "undecodable", 5.0)
        ids = {d.payload: d.id for d in store.dead_letters()}
    finally:
        store.close()

    listed = pitstop(db, "dead-letters", "list", "--vin", VIN)
    assert listed.returncode == 0, listed.stderr
    assert "3 dead letters" in listed.stdout
    assert "VIN differs" in listed.stdout
    assert "junk" not in listed.stdout
    assert "2 dead letters" in pitstop(db, "dead-letters", "list", "--limit", "2").stdout

    shown = pitstop(db, "dead-letters", "show", str(ids[old]))
    assert shown.returncode == 0, shown.stderr
    assert '"seq": 1' in shown.stdout
    assert "older than 2592000 s" in shown.stdout
    hexed = pitstop(db, "dead-letters", "show", str(ids[b"\x00\x01junk"]))
    assert "00 01 6a 75 6e 6b" in hexed.stdout
    missing = pitstop(db, "dead-letters", "show", "999999")
    assert missing.returncode == 2
    assert "no dead letter with id 999999" in missing.stderr

    again = pitstop(db, "dead-letters", "reingest", "--all")
    assert again.returncode == 1, again.stderr  # some still fail
    assert f"{ids[old]}: stored as history" in again.stdout
    assert f"{ids[clockless]}: still refused: sample at 1970" in again.stdout
    assert f"{ids[other]}: still refused: VIN" in again.stdout
    assert "1 stored, 3 still refused" in again.stdout

    forced = pitstop(db, "dead-letters", "reingest", str(ids[clockless]), "--accept-old")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "1 stored, 0 still refused" in forced.stdout

    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        assert store.batch_count() == 2
        assert store.count(VIN) == 12
        assert sorted(d.id for d in store.dead_letters()) == sorted(
            [ids[other], ids[b"\x00\x01junk"]]
        )
    finally:
        store.close()
    assert pitstop(db, "dead-letters", "reingest").returncode == 2  # neither ids nor --all


def test_the_dead_letters_help_has_examples() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "dead-letters", "--help"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "examples:" in out
    assert "reingest --all --accept-old" in out


def test_purge_by_id_by_vin_and_by_age(tmp_path: Path) -> None:
    db = tmp_path / "telemetry.db"
    now = time.time()
    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        for i in range(3):
            store.write_dead_letter(TOPIC, b"mine %d" % i, "r", now - i * 10 * 86_400.0)
        store.write_dead_letter(f"pitstop/v1/{VIN2}/telemetry", b"other", "r", now)
        newest = store.dead_letters(limit=10, vin=VIN2)[0].id
    finally:
        store.close()
    assert "1 dead letters purged" in pitstop(db, "dead-letters", "purge", str(newest)).stdout
    old = pitstop(db, "dead-letters", "purge", "--vin", VIN, "--older-than", "15")
    assert old.returncode == 0, old.stderr
    assert "1 dead letters purged" in old.stdout  # the one 20 days old
    assert "2 dead letters purged" in pitstop(db, "dead-letters", "purge", "--vin", VIN).stdout
    assert pitstop(db, "dead-letters", "purge").returncode == 2  # ids, or a filter
