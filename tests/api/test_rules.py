"""The rule catalogue with precision merged in, and backtests over stored telemetry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.keys import Role
from jobs.model import JobAction, Outcome
from jobs.store import JobStore
from tests.api.conftest import NOW, VIN_A, Fleet, bearer

SPAN = {"from": str(NOW - 3600), "to": str(NOW)}


def test_the_catalogue_lists_every_rule_with_its_precision(
    client: TestClient, job_store: JobStore, fleet: Fleet
) -> None:
    job = fleet.battery_job.id
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        job_store.act(job, action, NOW)
    job_store.act(job, JobAction.COMPLETE, NOW, outcome=Outcome.FIXED)
    rules = {rule["id"]: rule for rule in client.get("/rules").json()}
    battery = rules["lv-battery-low"]
    assert battery["kind"] == "threshold"
    assert battery["severity"] == "warning"
    assert "11.8" in battery["condition"]
    assert (battery["jobs"], battery["fixed"], battery["precision"]) == (1, 1, 1.0)
    assert len(rules) > 5
    others = [
        r for r in rules.values() if r["id"] not in ("lv-battery-low", fleet.hostile_job.rule_id)
    ]
    assert all(r["jobs"] == 0 and r["precision"] is None for r in others)


def test_only_engineers_read_the_catalogue(
    client: TestClient, secrets: dict[Role, str], fleet: Fleet
) -> None:
    for role in (Role.WORKSHOP, Role.OWNER, Role.FLEET_MANAGER):
        assert client.get("/rules", headers=bearer(secrets[role])).status_code == 403
    assert client.get("/rules", headers=bearer(secrets[Role.ADMIN])).status_code == 200


def test_a_backtest_replays_the_stored_samples(client: TestClient, fleet: Fleet) -> None:
    answer = client.get("/rules/lv-battery-low/backtest", params={"vin": VIN_A, **SPAN})
    assert answer.status_code == 200
    body = answer.json()
    assert body["samples"] == 40  # the voltage samples of the hour
    assert body["firings"] == 1
    firing = next(t for t in body["transitions"] if t["state"] == "firing")
    assert NOW - 290 + 20 <= firing["at"] <= NOW - 200
    assert firing["value"] < 11.8


def test_backtest_errors_read_as_sentences(
    client: TestClient, secrets: dict[Role, str], fleet: Fleet
) -> None:
    unknown = client.get("/rules/no-such-rule/backtest", params={"vin": VIN_A, **SPAN})
    assert unknown.status_code == 404
    assert "no rule 'no-such-rule'" in unknown.json()["detail"]
    too_long = client.get(
        "/rules/lv-battery-low/backtest", params={"vin": VIN_A, "from": NOW - 8 * 86400}
    )
    assert too_long.status_code == 422
    dtc_rule = client.get("/rules/hv-isolation-fault/backtest", params={"vin": VIN_A, **SPAN})
    assert dtc_rule.status_code == 422
    assert "trouble codes" in dtc_rule.json()["detail"][0]["msg"]
    bad_vin = client.get("/rules/lv-battery-low/backtest", params={"vin": "nope"})
    assert bad_vin.status_code == 422
    workshop = bearer(secrets[Role.WORKSHOP])
    refused = client.get("/rules/lv-battery-low/backtest", params={"vin": VIN_A}, headers=workshop)
    assert refused.status_code == 403
