"""Strict input: NaN and Infinity refused in every body, no coercion of types, bodies bounded,
and the OpenAPI document states the VIN pattern and the time formats."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import openapi_document
from api.keys import Role
from api.strict import MAX_BODY
from tests.api.conftest import NOW, VIN_A, Fleet, bearer

JSON = {"Content-Type": "application/json"}


def _bodies(fleet: Fleet) -> list[tuple[str, str, str]]:
    """(method, path, body) for every route that takes a JSON body, with a non-JSON number."""
    job, workshop = fleet.battery_job.id, fleet.workshop.id
    return [
        ("POST", f"/jobs/{job}/move", '{"slot_start": NaN}'),
        ("POST", f"/jobs/{job}/move", '{"slot_start": Infinity}'),
        ("POST", f"/jobs/{job}/confirm", '{"note": "x", "slot_start": -Infinity}'),
        ("PUT", f"/vehicles/{VIN_A}/consent/{workshop}", '{"signals": NaN}'),
        (
            "POST",
            f"/vehicles/{VIN_A}/commands",
            '{"type": "set_plan", "plan": {"name": "p", "batch_seconds": NaN}}',
        ),
    ]


def test_nan_and_infinity_are_refused_in_every_body(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    with TestClient(app, headers=bearer(secrets[Role.ADMIN])) as client:
        for method, path, body in _bodies(fleet):
            got = client.request(method, path, content=body, headers=JSON)
            assert got.status_code == 422, (path, body, got.text)
            (error,) = got.json()["detail"]
            assert error["type"] == "json_invalid"
            assert "is not a JSON number" in error["msg"]
        job = client.get(f"/jobs/{fleet.battery_job.id}").json()
    assert job["status"] == "proposed" or job["slot_start"] != float("inf")


@pytest.mark.parametrize(
    "body",
    [
        {"slot_start": False},  # a boolean is not a time
        {"slot_start": True},
        {"slot_start": "1764201600"},  # a string is not a number
        {"slot_start": [NOW]},
        {"note": 5},
        {"outcome": True},
        {"slot_start": NOW, "unknown": 1},
    ],
)
def test_no_coercion_of_a_body(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet, body: dict[str, object]
) -> None:
    with TestClient(app, headers=bearer(secrets[Role.OWNER])) as client:
        got = client.post(f"/jobs/{fleet.battery_job.id}/move", json=body)
        assert got.status_code == 422, got.text
        assert client.get(f"/jobs/{fleet.battery_job.id}").json()["slot_start"] != 0


def test_a_plain_body_still_goes_through(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    with TestClient(app, headers=bearer(secrets[Role.OWNER])) as client:
        got = client.post(f"/jobs/{fleet.battery_job.id}/confirm", json={"note": "ok, 9 am"})
    assert got.status_code == 200, got.text


def test_a_huge_body_is_refused_unread(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    body = '{"note": "' + "x" * MAX_BODY + '"}'
    with TestClient(app, headers=bearer(secrets[Role.OWNER])) as client:
        got = client.post(f"/jobs/{fleet.battery_job.id}/confirm", content=body, headers=JSON)
    assert got.status_code == 413


def test_openapi_states_the_vin_pattern_and_the_time_formats() -> None:
    document = openapi_document()
    vins = times = 0
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["name"] == "vin" and parameter["in"] == "path":
                    assert schema["pattern"] == "^[A-Za-z0-9]{17}$", path
                    vins += 1
                if parameter["name"] in ("from", "to"):
                    options = [schema, *schema.get("anyOf", [])]
                    assert any("pattern" in option for option in options), (path, schema)
                    times += 1
    assert vins >= 10
    assert times >= 8
