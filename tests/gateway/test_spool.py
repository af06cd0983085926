from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.errors import SpoolError
from gateway.spool import Spool
from pitstop.topics import Kind
from tests.conftest import REPO


def test_append_unacked_ack(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.db") as spool:
        seqs = [spool.append(lambda seq: f"batch {seq}".encode()) for _ in range(5)]
        assert seqs == [1, 2, 3, 4, 5]
        assert spool.unacked(None, 2) == [
            (1, b"batch 1", Kind.TELEMETRY),
            (2, b"batch 2", Kind.TELEMETRY),
        ]
        assert [e.seq for e in spool.unacked(3, 10)] == [4, 5]
        assert spool.ack([2, 4, 99]) == 2
        assert [e.seq for e in spool.unacked(None, 10)] == [1, 3, 5]
        assert {s: e.payload for s, e in spool.get([1, 2, 5]).items()} == {
            1: b"batch 1",
            5: b"batch 5",
        }
        assert spool.depth().count == 3
        assert spool.depth().bytes == 3 * len(b"batch 1")


def test_sequence_numbers_increase_across_restarts_even_when_empty(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    with Spool(path) as spool:
        seqs = [spool.append(lambda seq: b"x") for _ in range(3)]
        spool.ack(seqs)
        assert spool.depth().count == 0
    with Spool(path) as spool:
        assert spool.append(lambda seq: b"y") == 4
        assert spool.depth().count == 1


def test_a_failing_build_stores_nothing_and_uses_no_number(tmp_path: Path) -> None:
    def fail(seq: int) -> bytes:
        raise ValueError("cannot encode")

    with Spool(tmp_path / "spool.db") as spool:
        with pytest.raises(ValueError, match="cannot encode"):
            spool.append(fail)
        assert spool.depth().count == 0
        assert spool.append(lambda seq: b"ok") == 1


def test_when_full_the_oldest_lowest_priority_entries_go_first(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    with Spool(path, max_bytes=1000) as spool:
        for i in range(6):  # seqs 1..6, alternating priority 0 and 1, 150 bytes each
            spool.append(lambda seq: bytes(150), priority=i % 2)
        assert spool.depth().bytes == 900
        spool.append(lambda seq: bytes(300), priority=1)  # needs 200 more: drops 1 and 3
        assert [e.seq for e in spool.unacked(None, 100)] == [2, 4, 5, 6, 7]
        assert spool.dropped == 2
        assert spool.depth().bytes == 900
        spool.append(lambda seq: bytes(400), priority=0)  # needs 300: drops 5 (p0), then 2
        assert [e.seq for e in spool.unacked(None, 100)] == [4, 6, 7, 8]
    with Spool(path, max_bytes=1000) as spool:
        assert spool.dropped == 4
        assert spool.depth().bytes == 1000
        assert spool.next_seq == 9


def test_an_entry_larger_than_the_bound_is_stored_alone(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.db", max_bytes=100) as spool:
        spool.append(lambda seq: bytes(50))
        spool.append(lambda seq: bytes(500))
        assert [e.seq for e in spool.unacked(None, 10)] == [2]
        assert spool.dropped == 1


def test_an_unusable_path_is_a_spool_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(SpoolError, match="cannot open spool"):
        Spool(tmp_path / "file" / "spool.db")


@pytest.mark.parametrize("run", range(3))
def test_the_spool_survives_sigkill_mid_append(tmp_path: Path, run: int) -> None:
    path = tmp_path / "spool.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.spool_child", str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    appended: set[int] = set()
    acking: set[int] = set()  # an ack was started: the entry may be gone
    acked: set[int] = set()  # the ack's commit returned: the entry must be gone
    target = random.Random(run).randint(50, 400)
    assert child.stdout is not None
    deadline = time.monotonic() + 20
    while len(appended) < target and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        _record(line, appended, acking, acked)
    time.sleep(random.Random(run).random() * 0.05)  # land anywhere inside the next commits
    child.send_signal(signal.SIGKILL)
    for line in child.stdout.read().splitlines():  # what the child reported before dying
        _record(line, appended, acking, acked)
    child.wait(10)
    assert len(appended) >= target

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Spool(path) as spool:
        present = {e.seq for e in spool.unacked(None, 1_000_000)}
        assert appended - acking <= present, "a reported append is missing"
        assert not present & acked, "an acked entry came back"
        assert spool.depth().count == len(present)
        for seq, payload, _kind in spool.unacked(None, 1_000_000):
            assert payload == seq.to_bytes(8, "big") * (100 + seq % 400)
        assert spool.next_seq > max(appended)
        assert spool.append(lambda seq: b"after") > max(appended)


def _record(line: str, appended: set[int], acking: set[int], acked: set[int]) -> None:
    kind, _, rest = line.strip().partition(" ")
    if kind == "seq":
        appended.add(int(rest))
    elif kind == "acking":
        acking.update(int(s) for s in rest.split())
    elif kind == "acked":
        acked.update(int(s) for s in rest.split())


def test_trouble_codes_share_the_sequence_and_keep_their_kind(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.db") as spool:
        first = spool.append(lambda seq: b"telemetry %d" % seq)
        second = spool.append(lambda seq: b"dtc %d" % seq, priority=1, kind=Kind.DTC)

        assert second == first + 1
        assert [(e.seq, e.kind) for e in spool.unacked()] == [
            (first, Kind.TELEMETRY),
            (second, Kind.DTC),
        ]
        assert spool.get([second])[second].payload == b"dtc %d" % second


def test_a_spool_from_before_kinds_opens_with_its_entries_as_telemetry(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE entries (seq INTEGER PRIMARY KEY, priority INTEGER NOT NULL,"
        " payload BLOB NOT NULL);"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT INTO meta VALUES ('next_seq', 8), ('dropped', 0);"
        "INSERT INTO entries VALUES (7, 0, x'01');"
    )
    db.commit()
    db.close()

    with Spool(path) as spool:
        assert spool.unacked() == [(7, b"\x01", Kind.TELEMETRY)]
        assert spool.append(lambda seq: b"dtc", kind=Kind.DTC) == 8
