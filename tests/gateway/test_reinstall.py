"""A reinstalled gateway (its spool file deleted, the same VIN) against a real Mosquitto and the
real ingest: its sequence numbers start at 1 again under a new spool instance, and every one of
its batches is stored, none taken for a duplicate of the old gateway's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.spool import Spool
from pitstop.codec import decode_telemetry
from tests.gateway.demo_log import T0, write_demo_log
from tests.gateway.procs import start_gateway
from tests.gateway.test_store_forward import VIN, Cloud, _complete, _wait
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration


def _batches(cloud: Cloud) -> int:
    return cloud.store.batch_count()


def _run(args: list[str], log: Path, tmp_path: Path) -> None:
    gateway = start_gateway([*args, "replay", str(log), "--fast"], tmp_path)
    output, _ = gateway.communicate(timeout=60)
    assert gateway.returncode == 0, output


def test_a_reinstalled_gateway_has_all_its_batches_stored(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    spool = tmp_path / "spool.db"
    args = ["--vin", VIN, "--spool", str(spool), "--broker", mosquitto.url, "--ack-timeout", "2"]
    first_log = write_demo_log(tmp_path / "first.log", seconds=5)
    second_log = write_demo_log(tmp_path / "second.log", seconds=5, t0=T0 + 600)
    with Cloud(mosquitto.url, tmp_path / "telemetry.db") as cloud:
        _run(args, first_log.path, tmp_path)
        assert _wait(lambda: _complete(cloud, first_log), 20)
        with Spool(spool) as old:
            old_instance, sent = old.instance, old.next_seq - 1
        assert old_instance
        assert sent > 0
        assert _wait(lambda: _batches(cloud) == sent, 20)
        for leftover in tmp_path.glob("spool.db*"):
            leftover.unlink()  # the reinstall: a new spool file, seq from 1 again
        _run(args, second_log.path, tmp_path)
        assert _wait(lambda: _complete(cloud, second_log), 20), "the new batches were dropped"
        with Spool(spool) as new:
            assert new.instance != old_instance
            resent = new.next_seq - 1
        assert _wait(lambda: _batches(cloud) == sent + resent, 20)
        assert cloud.store.dead_letters() == []
    with sqlite3.connect(tmp_path / "telemetry.db") as db:
        rows = db.execute("SELECT instance, min(seq), count(*) FROM batches GROUP BY 1").fetchall()
    assert sorted(rows) == sorted([(old_instance, 1, sent), (new.instance, 1, resent)])


def test_a_spool_from_before_instance_ids_keeps_the_legacy_instance(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    with Spool(path) as spool:
        spool.append(lambda seq: b"x%d" % seq)
    with sqlite3.connect(path) as db:  # as a spool written before instance ids
        db.execute("DELETE FROM meta WHERE key = 'instance'")
    with Spool(path) as spool:
        assert spool.instance == ""  # its numbers go on: it sent some already
        assert spool.next_seq == 2
    fresh = Spool(tmp_path / "fresh.db")
    assert len(fresh.instance) == 16
    fresh.close()
    assert Spool(tmp_path / "fresh.db").instance == fresh.instance  # kept in the file


def test_a_batch_carries_its_spool_instance_and_an_old_one_decodes_as_legacy() -> None:
    from pitstop.codec import Sample, TelemetryBatch, encode_telemetry

    batch = TelemetryBatch(VIN, 3, "p", (Sample("Vehicle.Speed", T0, 1.0),), "a1b2")
    assert decode_telemetry(encode_telemetry(batch)).instance == "a1b2"
    legacy = TelemetryBatch(VIN, 3, "p", (Sample("Vehicle.Speed", T0, 1.0),))
    assert decode_telemetry(encode_telemetry(legacy)).instance == ""
