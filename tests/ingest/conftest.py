"""Fixtures of the ingest tests. Their broker runs the production configuration (deploy/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.sqlite import SqliteStore
from tests.ingest.helpers import AckCollector, Ingest, connected_client
from tests.ingest.servers_mqtt import DeployMosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[DeployMosquitto]:
    """A Mosquitto of this test's own running deploy/mosquitto.conf on a free port."""
    broker = DeployMosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.kill()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A SQLite store in ``tmp_path / "telemetry.db"``."""
    opened = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    yield opened
    opened.close()


@pytest.fixture
def acks(mosquitto: DeployMosquitto) -> Iterator[AckCollector]:
    collector = AckCollector(mosquitto.url)
    yield collector
    collector.close()


@pytest.fixture
def publisher(mosquitto: DeployMosquitto) -> Iterator[mqtt.Client]:
    """A car's connection (client id ``test-car``)."""
    client = connected_client(mosquitto.url, "test-car")
    yield client
    client.disconnect()
    client.loop_stop()


@pytest.fixture
def make_ingest(mosquitto: DeployMosquitto, store: SqliteStore) -> Iterator[Callable[..., Ingest]]:
    """``make_ingest(client_id, queue_size=..., share_group=...)``: an ``Ingest`` on this
    broker and store, not started yet; every one is stopped when the test ends."""
    made: list[Ingest] = []

    def make(client_id: str, **options: object) -> Ingest:
        runner = Ingest(mosquitto.url, store, client_id, **options)  # type: ignore[arg-type]
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.finish()
