"""Trouble codes from an ECU on the bus to the cloud's DTC history, through the gateway's spool."""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.diag.client import EcuTarget
from gateway.diag.plugin import diagnostics
from gateway.diag.service import DiagSchedule
from gateway.runner import run_gateway
from gateway.sources import SourceSpec
from gateway.spool import Spool
from ingest.consumer import IngestConfig, run_ingest
from ingest.sqlite import SqliteStore
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic
from sim.ecu import EcuSimulator
from sim.ecu_services import SimFault
from tests.gateway.configs import demo_gateway
from tests.servers import Mosquitto
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

VIN = "PITSTOPDIAG000001"
SCHEDULE = DiagSchedule(
    targets=(EcuTarget(protocols=("obd", "uds")),), interval=0.3, heartbeat=60, tick=0.05
)


@contextmanager
def running(target: Callable[[threading.Event], object]) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(30)


def _codes(store: SqliteStore) -> set[str]:
    return {d.code for r in store.dtc_history(VIN, 0, math.inf) for d in r.codes}


def test_a_code_read_while_the_broker_is_down_reaches_the_store_after_a_restart(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    channel = f"diag-{uuid.uuid4().hex}"
    spool_path = tmp_path / "spool.db"
    mosquitto.stop()
    with EcuSimulator(channel) as ecu:
        ecu.set_fault(SimFault("P0562"))
        config = demo_gateway(
            VIN,
            SourceSpec.bus("virtual", channel),
            spool_path,
            mosquitto.url,
        )
        service = diagnostics("virtual", channel, SCHEDULE)
        with (
            running(lambda stop: run_gateway(config, stop, services=[service])),
            Spool(spool_path) as spool,
        ):
            wait_until(
                lambda: any(e.kind is Kind.DTC for e in spool.unacked(None, 1000)),
                20,
                "the trouble-code report in the spool",
            )
    # The gateway is gone with its report unsent; a fresh one on the same spool, with the
    # broker back and ingest running, delivers it.
    mosquitto.start()
    store = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    try:
        ready = threading.Event()
        ingest_config = IngestConfig(broker_url=mosquitto.url, client_id="diag-ingest")
        with running(lambda stop: run_ingest(ingest_config, store, stop, ready)):
            assert ready.wait(20)
            quiet = demo_gateway(
                VIN,
                SourceSpec.bus("virtual", f"quiet-{uuid.uuid4().hex}"),
                spool_path,
                mosquitto.url,
            )
            with running(lambda stop: run_gateway(quiet, stop)):
                wait_until(lambda: "P0562" in _codes(store), 30, "P0562 in the DTC history")
                with Spool(spool_path) as spool:
                    wait_until(
                        lambda: not any(e.kind is Kind.DTC for e in spool.unacked(None, 1000)),
                        30,
                        "the acknowledged report to leave the spool",
                    )
    finally:
        store.close()


def test_the_cloud_can_ask_for_a_read_and_a_new_code_arrives(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    channel = f"diag-{uuid.uuid4().hex}"
    store = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    try:
        ready = threading.Event()
        ingest_config = IngestConfig(broker_url=mosquitto.url, client_id="diag-ingest-2")
        with (
            EcuSimulator(channel) as ecu,
            running(lambda stop: run_ingest(ingest_config, store, stop, ready)),
        ):
            assert ready.wait(20)
            config = demo_gateway(
                VIN,
                SourceSpec.bus("virtual", channel),
                tmp_path / "spool.db",
                mosquitto.url,
            )
            slow = DiagSchedule(targets=SCHEDULE.targets, interval=3600, heartbeat=3600)
            service = diagnostics("virtual", channel, slow)
            with running(lambda stop: run_gateway(config, stop, services=[service])):
                wait_until(lambda: store.dtc_history(VIN, 0, math.inf), 20, "the first report")
                ecu.set_fault(SimFault("P0A80"))
                _send_command(mosquitto, {"v": 1, "vin": VIN, "type": "read_dtcs"})
                wait_until(lambda: "P0A80" in _codes(store), 20, "P0A80 after read_dtcs")
    finally:
        store.close()


def _send_command(broker: Mosquitto, command: dict[str, object]) -> None:
    address = BrokerAddress.parse(broker.url)
    client = make_client(address, "test-cloud-cmd", persistent_session=False)
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        info = client.publish(topic(VIN, Kind.CMD), json.dumps(command).encode(), qos=1)
        info.wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
