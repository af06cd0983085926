"""Presence, events and commands over the real API, with each role's key; commands go through
a real Mosquitto started by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore, Role
from ingest.store import TelemetryStore
from jobs.open import open_command_log
from jobs.store import CommandLog, JobStore
from pitstop.messages import Event, Status
from pitstop.topics import Kind, subscription
from tests.api.conftest import HOSTILE, NOW, VIN_A, VIN_B, VIN_UNKNOWN, Fleet, bearer
from tests.ingest.helpers import connected_client
from tests.servers import Mosquitto
from tests.waiting import wait_until

ALL = tuple(Role)
PLAN = {
    "name": "battery-watch",
    "signals": {"Vehicle.LowVoltageBattery.CurrentVoltage": {"interval": 5, "priority": "high"}},
}


@pytest.fixture
def command_log(tmp_path: Path, job_store: JobStore) -> Iterator[CommandLog]:
    log = open_command_log("sqlite:///" + str(tmp_path / "jobs.db"))
    yield log
    log.close()


@pytest.fixture
def sent(mosquitto: Mosquitto) -> Iterator[list[dict[str, Any]]]:
    """Every document published on pitstop/v1/+/cmd, as the cars would receive it."""
    got: list[dict[str, Any]] = []
    ready = threading.Event()
    car = connected_client(mosquitto.url, "test-cars")
    car.on_message = lambda _c, _u, m: got.append({"topic": m.topic, **json.loads(m.payload)})
    car.on_subscribe = lambda *_a: ready.set()
    car.subscribe(subscription(Kind.CMD), qos=1)
    assert ready.wait(10)
    yield got
    car.disconnect()
    car.loop_stop()


@pytest.fixture
def talk(
    *,
    telemetry: TelemetryStore,
    job_store: JobStore,
    key_store: KeyStore,
    command_log: CommandLog,
    mosquitto: Mosquitto,
    fleet: Fleet,
) -> Iterator[TestClient]:
    app = create_app(
        telemetry,
        job_store,
        clock=lambda: NOW,
        keys=key_store,
        commands=command_log,
        broker_url=mosquitto.url,
    )
    with TestClient(app) as client:  # the lifespan connects the publisher
        yield client


def fill_presence(store: TelemetryStore) -> None:
    status = Status(VIN_A, "online", "0.1.0", "3f9a1c2b7d4e", round(NOW * 1000), {"frames": 7})
    store.write_status(status, NOW - 60)
    reported: list[tuple[str, dict[str, Any]]] = [
        ("dbc_problems", {"left_out": [HOSTILE]}),
        ("spool_overflow", {"dropped": 4, "total": 4}),
        ("capture", {"name": HOSTILE, "trigger_ts": round(NOW * 1000), "samples": 31}),
    ]
    for i, (type_, data) in enumerate(reported):
        store.write_event(Event(VIN_A, type_, round((NOW - 100 + i) * 1000), data), NOW - 50)
    store.write_status(Status(VIN_B, "offline", "0.1.0", "aa", 0), NOW - 10)


def as_role(secrets: dict[Role, str], role: Role) -> dict[str, str]:
    return bearer(secrets[role])


@pytest.mark.parametrize(
    ("role", "vin", "expected"),
    [
        (Role.ENGINEER, VIN_A, 200),
        (Role.ADMIN, VIN_B, 200),
        (Role.OWNER, VIN_A, 200),
        (Role.OWNER, VIN_B, 404),  # not the owner's
        (Role.FLEET_MANAGER, VIN_B, 200),
        (Role.WORKSHOP, VIN_A, 404),  # a workshop sees its jobs' evidence, not the car
    ],
)
def test_status_and_events_are_scoped_like_the_vehicle(
    *,
    talk: TestClient,
    telemetry: TelemetryStore,
    secrets: dict[Role, str],
    role: Role,
    vin: str,
    expected: int,
) -> None:
    fill_presence(telemetry)
    status = talk.get(f"/vehicles/{vin}/status", headers=as_role(secrets, role))
    events = talk.get(f"/vehicles/{vin}/events", headers=as_role(secrets, role))
    assert (status.status_code, events.status_code) == (expected, expected)


def test_a_vehicle_that_never_reported_has_no_status_and_no_events(
    talk: TestClient, secrets: dict[Role, str]
) -> None:
    headers = as_role(secrets, Role.ENGINEER)
    assert talk.get(f"/vehicles/{VIN_UNKNOWN}/status", headers=headers).status_code == 404
    events = talk.get(f"/vehicles/{VIN_UNKNOWN}/events", headers=headers).json()
    assert events == {"vin": VIN_UNKNOWN, "events": [], "truncated": False}


def test_status_and_events_say_what_the_gateway_reported(
    talk: TestClient, telemetry: TelemetryStore, secrets: dict[Role, str]
) -> None:
    fill_presence(telemetry)
    headers = as_role(secrets, Role.OWNER)
    status = talk.get(f"/vehicles/{VIN_A}/status", headers=headers).json()
    assert status == {
        "vin": VIN_A,
        "state": "online",
        "since": NOW - 60,
        "last_seen": NOW - 50,
        "version": "0.1.0",
        "profile": "3f9a1c2b7d4e",
        "counters": {"frames": 7},
    }
    body = talk.get(f"/vehicles/{VIN_A}/events?type=capture&type=spool_overflow", headers=headers)
    assert [e["type"] for e in body.json()["events"]] == ["capture", "spool_overflow"]
    assert (
        talk.get(f"/vehicles/{VIN_B}/status", headers=as_role(secrets, Role.ADMIN)).json()["state"]
        == "offline"
    )
    bad = talk.get(f"/vehicles/{VIN_A}/events?type=Bad;Type", headers=headers)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("role", "vin", "body", "expected"),
    [
        (Role.ENGINEER, VIN_A, {"type": "read_dtcs"}, 202),
        (Role.ENGINEER, VIN_B, {"type": "set_plan", "plan": PLAN}, 202),
        (Role.ADMIN, VIN_A, {"type": "set_plan", "plan": PLAN}, 202),
        (Role.OWNER, VIN_A, {"type": "read_dtcs"}, 202),
        (Role.OWNER, VIN_B, {"type": "read_dtcs"}, 404),
        (Role.OWNER, VIN_A, {"type": "set_plan", "plan": PLAN}, 403),
        (Role.FLEET_MANAGER, VIN_B, {"type": "read_dtcs"}, 202),
        (Role.FLEET_MANAGER, VIN_B, {"type": "set_plan", "plan": PLAN}, 403),
        (Role.WORKSHOP, VIN_A, {"type": "read_dtcs"}, 202),  # its open battery job
        (Role.WORKSHOP, VIN_B, {"type": "read_dtcs"}, 404),  # no job of its own there
        (Role.WORKSHOP, VIN_A, {"type": "set_plan", "plan": PLAN}, 403),
        (Role.ENGINEER, VIN_A, {"type": "write_frame", "id": 1}, 422),  # read-only only
        (Role.ENGINEER, VIN_A, {"type": "set_plan"}, 422),
        (Role.ENGINEER, VIN_A, {"type": "set_plan", "plan": {"name": "x", "oops": 1}}, 422),
        (
            Role.ENGINEER,
            VIN_A,
            {
                "type": "set_plan",
                "plan": {**PLAN, "signals": {"Vehicle.Speed": {"priority": "urgent"}}},
            },
            422,
        ),
    ],
)
def test_who_may_send_which_command(
    *,
    talk: TestClient,
    secrets: dict[Role, str],
    sent: list[dict[str, Any]],
    role: Role,
    vin: str,
    body: dict[str, Any],
    expected: int,
) -> None:
    response = talk.post(f"/vehicles/{vin}/commands", json=body, headers=as_role(secrets, role))
    assert response.status_code == expected, response.text
    if expected != 202:
        return
    accepted = response.json()
    assert accepted["state"] == "pending"
    assert accepted["type"] == body["type"]
    doc = wait_until(lambda: next((d for d in sent if d["id"] == accepted["id"]), None), 10, "cmd")
    assert doc["topic"] == f"pitstop/v1/{vin}/cmd"
    assert (doc["v"], doc["vin"], doc["type"]) == (1, vin, body["type"])
    assert doc.get("plan") == body.get("plan")


def test_a_commands_outcome_comes_from_the_gateways_event_and_every_command_is_logged(
    talk: TestClient, telemetry: TelemetryStore, secrets: dict[Role, str]
) -> None:
    owner = as_role(secrets, Role.OWNER)
    first = talk.post(f"/vehicles/{VIN_A}/commands", json={"type": "read_dtcs"}, headers=owner)
    url = first.json()["url"]
    assert talk.get(url, headers=owner).json()["state"] == "pending"
    answer = {"requested": "read_dtcs", "id": first.json()["id"]}
    telemetry.write_event(Event(VIN_A, "read_dtcs_accepted", round(NOW * 1000), answer), NOW)
    shown = talk.get(url, headers=owner).json()
    assert (shown["state"], shown["data"], shown["sent_by"]) == (
        "accepted",
        answer,
        {"name": "owner", "role": "owner"},
    )
    engineer = as_role(secrets, Role.ENGINEER)
    plan = talk.post(
        f"/vehicles/{VIN_A}/commands", json={"type": "set_plan", "plan": PLAN}, headers=engineer
    ).json()
    reason = "set_plan: signal 'Vehicle.Nope': not a signal of the vehicle profile"
    refusal = {"reason": reason, "id": plan["id"]}
    telemetry.write_event(Event(VIN_A, "command_refused", round(NOW * 1000), refusal), NOW)
    refused = talk.get(plan["url"], headers=engineer).json()
    assert (refused["state"], refused["reason"]) == ("refused", reason)
    assert talk.get(plan["url"], headers=as_role(secrets, Role.OWNER)).status_code == 200
    assert talk.get(url.replace(VIN_A, VIN_B), headers=engineer).status_code == 404
    assert talk.get(url, headers=as_role(secrets, Role.WORKSHOP)).status_code == 200
    log = {c["id"]: c for c in talk.get("/commands", headers=as_role(secrets, Role.ADMIN)).json()}
    assert set(log) == {plan["id"], first.json()["id"]}
    assert log[plan["id"]] == {
        "id": plan["id"],
        "vin": VIN_A,
        "type": "set_plan",
        "body": {"plan": PLAN},
        "sent_by": {"name": "engineer", "role": "engineer"},
        "sent_at": NOW,
    }
    assert log[first.json()["id"]]["sent_by"] == {"name": "owner", "role": "owner"}
    for role in (Role.ENGINEER, Role.OWNER, Role.WORKSHOP, Role.FLEET_MANAGER):
        assert talk.get("/commands", headers=as_role(secrets, role)).status_code == 403


def test_without_a_broker_commands_answer_503_and_nothing_is_recorded(
    telemetry: TelemetryStore,
    job_store: JobStore,
    key_store: KeyStore,
    command_log: CommandLog,
    secrets: dict[Role, str],
) -> None:
    app = create_app(telemetry, job_store, clock=lambda: NOW, keys=key_store, commands=command_log)
    with TestClient(app, headers=as_role(secrets, Role.ENGINEER)) as client:
        response = client.post(f"/vehicles/{VIN_A}/commands", json={"type": "read_dtcs"})
        assert response.status_code == 503
        assert "broker" in response.json()["detail"]
    assert command_log.commands() == []


def test_the_vehicle_page_shows_the_gateway_escaped(
    talk: TestClient, telemetry: TelemetryStore, secrets: dict[Role, str]
) -> None:
    fill_presence(telemetry)
    page = talk.get(f"/vehicles/{VIN_A}/page", headers=as_role(secrets, Role.ENGINEER)).text
    for text in ("Gateway", "online", "3f9a1c2b7d4e", "Spool overflows", "Capture windows"):
        assert text in page
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
