"""Every role against every route: who sees what, and out of scope is 404 (table-driven)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.keys import KeyStore, Role
from jobs.store import JobStore
from tests.api.conftest import LV, NOW, SPEED, VIN_A, VIN_B, Fleet, bearer

E, W, OW, F, A = Role.ENGINEER, Role.WORKSHOP, Role.OWNER, Role.FLEET_MANAGER, Role.ADMIN
ALL = (E, W, OW, F, A)
SPAN = f"from={NOW - 3600}&to={NOW}"

# (method, path, {role: expected status}); {battery} and {hostile}, {ws} are filled in. The
# battery job (VIN_A) is booked into the workshop; the hostile one (VIN_B) nowhere.
TABLE: list[tuple[str, str, dict[Role, int]]] = [
    ("GET", "/vehicles", dict.fromkeys(ALL, 200)),
    ("GET", f"/vehicles/{VIN_A}", {E: 200, W: 404, OW: 200, F: 200, A: 200}),
    ("GET", f"/vehicles/{VIN_B}", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    ("GET", f"/vehicles/{VIN_B}/latest", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    ("GET", f"/vehicles/{VIN_A}/signals", {E: 200, W: 404, OW: 200, F: 200, A: 200}),
    ("GET", f"/vehicles/{VIN_B}/signals/{SPEED}?{SPAN}", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    (
        "GET",
        f"/vehicles/{VIN_A}/signals/{LV}/buckets?{SPAN}",
        {E: 200, W: 404, OW: 200, F: 200, A: 200},
    ),
    (
        "GET",
        f"/vehicles/{VIN_B}/signals/{SPEED}/csv?{SPAN}",
        {E: 200, W: 404, OW: 404, F: 200, A: 200},
    ),
    ("GET", f"/vehicles/{VIN_B}/stream?once=true", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    ("GET", f"/vehicles/{VIN_B}/dtcs", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    ("GET", f"/vehicles/{VIN_B}/consent", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    ("GET", f"/signals/{SPEED}", dict.fromkeys(ALL, 200)),
    ("GET", "/jobs", dict.fromkeys(ALL, 200)),
    ("GET", "/jobs/{battery}", dict.fromkeys(ALL, 200)),
    ("GET", "/jobs/{hostile}", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    ("GET", "/workshops", dict.fromkeys(ALL, 200)),
    ("GET", "/workshops/{ws}/calendar", dict.fromkeys(ALL, 200)),
    ("GET", "/workshops/999/calendar", dict.fromkeys(ALL, 404)),
    ("GET", "/rules/precision", dict.fromkeys(ALL, 200)),
    ("GET", "/rules", {E: 200, W: 403, OW: 403, F: 403, A: 200}),
    (
        "GET",
        f"/rules/lv-battery-low/backtest?vin={VIN_B}&{SPAN}",
        {E: 200, W: 403, OW: 403, F: 403, A: 200},
    ),
    ("POST", "/jobs/{hostile}/accept", {E: 403, W: 404, OW: 404, F: 403, A: 409}),
    ("POST", "/jobs/{battery}/confirm", {E: 403, W: 403, OW: 200, F: 200, A: 200}),
    ("GET", "/", dict.fromkeys(ALL, 200)),
    ("GET", "/jobs/{hostile}/page", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
    ("GET", f"/vehicles/{VIN_B}/page", {E: 200, W: 404, OW: 404, F: 200, A: 200}),
]


@pytest.mark.parametrize("role", ALL, ids=str)
def test_every_role_against_every_route(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet, role: Role
) -> None:
    ids = {
        "battery": fleet.battery_job.id,
        "hostile": fleet.hostile_job.id,
        "ws": fleet.workshop.id,
    }
    with TestClient(app, headers=bearer(secrets[role])) as client:
        for method, path, expected in TABLE:
            url = path.format(**ids)
            response = client.request(method, url)
            assert response.status_code == expected[role], (role, method, url, response.text)
            if response.status_code == 404 and url.startswith("/jobs/"):
                assert response.json() == {"detail": f"no job {url.split('/')[2]}"}


def test_lists_hold_only_what_is_in_scope(
    client: TestClient, app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    expected = {E: {VIN_A, VIN_B}, W: set(), OW: {VIN_A}, F: {VIN_A, VIN_B}, A: {VIN_A, VIN_B}}
    jobs = {E: 2, W: 1, OW: 1, F: 2, A: 2}
    for role in ALL:
        with TestClient(app, headers=bearer(secrets[role])) as c:
            assert {v["vin"] for v in c.get("/vehicles").json()} == expected[role], role
            assert len(c.get("/jobs").json()) == jobs[role], role
            assert {r["vin"] for r in c.get(f"/signals/{SPEED}").json()} == expected[role], role


def test_no_key_a_wrong_key_or_a_revoked_key_is_401(
    app: FastAPI, key_store: KeyStore, secrets: dict[Role, str]
) -> None:
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        answer = client.get("/vehicles")
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in answer.json()["detail"]
        assert client.get("/vehicles", headers=bearer("pst_nope")).status_code == 401
        revoked = key_store.list_keys()[0]
        assert key_store.revoke(revoked.id, NOW)
        assert client.get("/vehicles", headers=bearer(secrets[revoked.role])).status_code == 401


def test_keys_are_stored_hashed(key_store: KeyStore, secrets: dict[Role, str]) -> None:
    import sqlalchemy as sa

    rows = key_store._engine.connect().execute(sa.text("SELECT * FROM api_keys")).all()
    stored = repr(rows)
    for secret in secrets.values():
        assert secret[4:20] not in stored


def test_consent_lets_a_workshop_read_one_more_signal(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    owner, workshop = bearer(secrets[OW]), bearer(secrets[W])
    url = f"/vehicles/{VIN_A}/signals/{SPEED}?{SPAN}"
    with TestClient(app) as client:
        assert client.get(url, headers=workshop).status_code == 404  # none by default
        granted = client.put(
            f"/vehicles/{VIN_A}/consent/{fleet.workshop.id}",
            json={"signals": [SPEED]},
            headers=owner,
        )
        assert granted.json() == {"vin": VIN_A, "workshops": {str(fleet.workshop.id): [SPEED]}}
        assert client.get(url, headers=workshop).status_code == 200
        assert (
            client.get(f"/vehicles/{VIN_A}/signals/{LV}?{SPAN}", headers=workshop).status_code
            == 404
        )
        refused = client.put(
            f"/vehicles/{VIN_A}/consent/{fleet.workshop.id}", json={"signals": []}, headers=workshop
        )
        assert refused.status_code == 404  # the workshop does not see the vehicle itself


def test_the_workshop_works_its_job_through_to_an_outcome(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet, job_store: JobStore
) -> None:
    job = f"/jobs/{fleet.battery_job.id}"
    with TestClient(app) as client:
        assert (
            client.post(f"{job}/confirm", headers=bearer(secrets[OW])).json()["status"]
            == "confirmed"
        )
        for action in ("accept", "start"):
            assert client.post(f"{job}/{action}", headers=bearer(secrets[W])).status_code == 200
        missing = client.post(f"{job}/complete", headers=bearer(secrets[W]))
        assert missing.status_code == 409
        assert "outcome" in missing.json()["detail"]
        done = client.post(f"{job}/complete", json={"outcome": "fixed"}, headers=bearer(secrets[W]))
        assert done.json()["status"] == "completed"
        assert done.json()["outcome"] == "fixed"
        precision = client.get("/rules/precision", headers=bearer(secrets[E])).json()
        assert {
            "rule_id": "lv-battery-low",
            "jobs": 1,
            "fixed": 1,
            "no_fault_found": 0,
            "comebacks": 0,
            "precision": 1.0,
        } in precision
