"""GET /dead-letters/summary: refused messages per vehicle and kind, for engineers and admins."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.keys import Role
from ingest.store import TelemetryStore
from tests.api.conftest import NOW, VIN_A, bearer


def test_the_summary_counts_per_vehicle_and_reason_for_engineers_only(
    client: TestClient, telemetry: TelemetryStore, secrets: dict[Role, str]
) -> None:
    topic = f"pitstop/v1/{VIN_A}/telemetry"
    for i in range(3):
        telemetry.write_dead_letter(topic, b"bad %d" % i, "undecodable", NOW + i, "undecodable")
    telemetry.write_dead_letter(topic, b"bad 0", "undecodable", NOW + 9, "undecodable")  # again
    telemetry.write_dead_letter(topic, b"other", "VIN differs", NOW + 5, "vin_mismatch")
    telemetry.write_dead_letter("garbage/topic", b"x", "not under", NOW + 6, "topic")
    response = client.get("/dead-letters/summary")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"vin": "", "reason": "topic", "count": 1, "last_at": NOW + 6},
        {"vin": VIN_A, "reason": "undecodable", "count": 3, "last_at": NOW + 2},
        {"vin": VIN_A, "reason": "vin_mismatch", "count": 1, "last_at": NOW + 5},
    ]
    admin = client.get("/dead-letters/summary", headers=bearer(secrets[Role.ADMIN]))
    assert admin.status_code == 200
    for role in (Role.OWNER, Role.WORKSHOP, Role.FLEET_MANAGER):
        refused = client.get("/dead-letters/summary", headers=bearer(secrets[role]))
        assert refused.status_code == 403, role
        assert "engineer" in refused.json()["detail"]
