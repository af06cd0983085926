"""Trouble-code history: reports stored through the telemetry store, folded per code."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.dtcs import fold
from api.keys import Role
from ingest.store import TelemetryStore
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from tests.api.conftest import NOW, VIN_A, VIN_B, Fleet, bearer

ECM = 0x7E8
MISFIRE = Dtc("P0301", Protocol.UDS, ECM, frozenset({DtcStatus.CONFIRMED, DtcStatus.ACTIVE}))
COOLANT = Dtc("P0217", Protocol.UDS, ECM, frozenset({DtcStatus.PENDING}), description="Hot!")


def reports() -> list[DtcReport]:
    source = "uds:0x7E8"
    return [
        DtcReport(VIN_A, NOW - 7200, (MISFIRE,), source=source),
        DtcReport(VIN_A, NOW - 3600, (MISFIRE, COOLANT), source=source, lamps={"mil": True}),
        DtcReport(VIN_A, NOW - 60, (COOLANT,), source=source, lamps={"mil": True}),
    ]


def test_reports_fold_into_one_entry_per_code_present_first() -> None:
    history = fold(VIN_A, reports())
    assert [c.code for c in history.codes] == ["P0217", "P0301"]
    coolant, misfire = history.codes
    assert coolant.present
    assert coolant.description == "Hot!"
    assert (coolant.first_seen, coolant.last_seen, coolant.reports) == (NOW - 3600, NOW - 60, 2)
    assert not misfire.present  # the latest report of its ECU no longer holds it
    assert misfire.status == ["active", "confirmed"]
    assert misfire.description  # described from the code when the report gave no text
    assert misfire.ecu_name == "uds:0x7E8"
    assert history.lamps == {"mil": True}
    assert history.reports == 3


def test_the_route_reads_the_stored_history_in_the_range(
    client: TestClient, telemetry: TelemetryStore, fleet: Fleet
) -> None:
    for report in reports():
        assert telemetry.write_dtc_report(report, received_at=NOW)
    body = client.get(f"/vehicles/{VIN_A}/dtcs").json()  # by default the last 30 days
    assert [c["code"] for c in body["codes"]] == ["P0217", "P0301"]
    recent = client.get(f"/vehicles/{VIN_A}/dtcs", params={"from": NOW - 120}).json()
    assert [c["code"] for c in recent["codes"]] == ["P0217"]
    assert client.get(f"/vehicles/{VIN_B}/dtcs").json()["codes"] == []
    too_long = client.get(f"/vehicles/{VIN_A}/dtcs", params={"from": NOW - 40 * 86400})
    assert too_long.status_code == 422


def test_the_vehicle_page_lists_the_codes(
    client: TestClient, telemetry: TelemetryStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    for report in reports():
        telemetry.write_dtc_report(report, received_at=NOW)
    page = client.get(f"/vehicles/{VIN_A}/page").text
    assert "P0301" in page
    assert "Hot!" in page
    assert "(cleared)" in page
    assert "Lamps on: mil" in page
    owner_b = client.get(f"/vehicles/{VIN_B}/page", headers=bearer(secrets[Role.OWNER]))
    assert owner_b.status_code == 404
