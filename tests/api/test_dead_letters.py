"""GET /dead-letters/summary: refused messages per vehicle and kind, for engineers and admins."""

from __future__ import annotations

import base64

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


def test_list_inspect_and_purge_for_engineers_and_admins_only(
    client: TestClient, telemetry: TelemetryStore, secrets: dict[Role, str]
) -> None:
    topic = f"pitstop/v1/{VIN_A}/telemetry"
    telemetry.write_dead_letter(topic, b'{"v": 1, "s": "<b>hi</b>"}', "undecodable", NOW, "x")
    telemetry.write_dead_letter(topic, b"\x00\x01", "undecodable", NOW + 1, "undecodable")
    telemetry.write_dead_letter("pitstop/v1/WOTHERCAR00000001/telemetry", b"o", "r", NOW + 2)
    listed = client.get("/dead-letters", params={"vin": VIN_A})
    assert listed.status_code == 200, listed.text
    assert [(d["vin"], d["size"]) for d in listed.json()] == [(VIN_A, 2), (VIN_A, 26)]
    first = listed.json()[1]["id"]
    shown = client.get(f"/dead-letters/{first}").json()
    assert base64.b64decode(shown["payload_base64"]) == b'{"v": 1, "s": "<b>hi</b>"}'
    assert '"<b>hi</b>"' in shown["preview"]
    assert shown["sha256"]
    for role in (Role.OWNER, Role.WORKSHOP, Role.FLEET_MANAGER):
        who = bearer(secrets[role])
        assert client.get("/dead-letters", headers=who).status_code == 403, role
        assert client.get(f"/dead-letters/{first}", headers=who).status_code == 403, role
        assert client.delete(f"/dead-letters/{first}", headers=who).status_code == 403, role
        gone = client.delete("/dead-letters", params={"vin": VIN_A}, headers=who)
        assert gone.status_code == 403, role
    assert client.delete(f"/dead-letters/{first}").json() == {"deleted": 1}
    assert client.get(f"/dead-letters/{first}").status_code == 404
    assert client.delete(f"/dead-letters/{first}").status_code == 404
    admin = bearer(secrets[Role.ADMIN])
    purged = client.delete("/dead-letters", params={"vin": VIN_A}, headers=admin)
    assert purged.json() == {"deleted": 1}
    assert client.delete("/dead-letters").status_code == 422
    assert [d["vin"] for d in client.get("/dead-letters").json()] == ["WOTHERCAR00000001"]
