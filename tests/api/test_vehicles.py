from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import LV, NOW, SPEED, VIN_A, VIN_B, VIN_UNKNOWN


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_fleet_lists_every_vehicle_with_its_open_jobs(client: TestClient) -> None:
    vehicles = client.get("/vehicles").json()
    assert [v["vin"] for v in vehicles] == [VIN_A, VIN_B]
    first, second = vehicles
    assert first == {
        "vin": VIN_A,
        "profile": "profile-a",
        "first_seen": NOW - 2 * 86400,
        "last_seen": NOW - 60,  # the last speed sample
        "open_jobs": 1,
        "next_booking": None,
    }
    assert second["open_jobs"] == 1
    assert second["last_seen"] == NOW - 30


def test_one_vehicle_has_its_signals(client: TestClient) -> None:
    vehicle = client.get(f"/vehicles/{VIN_A}").json()
    assert vehicle["vin"] == VIN_A
    assert vehicle["open_jobs"] == 1
    assert vehicle["signals"] == [LV, SPEED]


def test_latest_gives_each_signal_its_newest_reading(client: TestClient) -> None:
    latest = client.get(f"/vehicles/{VIN_A}/latest").json()
    assert latest["vin"] == VIN_A
    assert latest["values"][SPEED] == {"ts": NOW - 1800 + 60 * 29, "value": 29.0}
    assert latest["values"][LV]["ts"] == NOW - 600 + 390
    assert latest["values"][LV]["value"] == pytest.approx(12.4 - 0.02 * 39)


def test_signal_names(client: TestClient) -> None:
    assert client.get(f"/vehicles/{VIN_B}/signals").json() == [SPEED]


def test_series_defaults_to_the_last_hour(client: TestClient) -> None:
    series = client.get(f"/vehicles/{VIN_A}/signals/{SPEED}").json()
    assert series["vin"] == VIN_A
    assert series["signal"] == SPEED  # the dots survive the path
    assert series["truncated"] is False
    assert series["points"] == [[NOW - 1800 + 60 * i, float(i)] for i in range(30)]


def test_series_accepts_iso_8601_and_epoch_seconds_alike(client: TestClient) -> None:
    url = f"/vehicles/{VIN_A}/signals/{SPEED}"
    iso = client.get(url, params={"from": "2025-11-26T23:30:00Z", "to": "2025-11-26T23:35:00"})
    epoch = client.get(url, params={"from": str(NOW - 1800), "to": str(NOW - 1500)})
    assert iso.status_code == epoch.status_code == 200
    assert iso.json() == epoch.json()
    assert [p[0] for p in iso.json()["points"]] == [NOW - 1800 + 60 * i for i in range(5)]


def test_series_older_data_needs_an_explicit_range(client: TestClient) -> None:
    url = f"/vehicles/{VIN_A}/signals/{SPEED}"
    series = client.get(url, params={"from": NOW - 3 * 86400, "to": NOW - 86400}).json()
    assert series["points"] == [[NOW - 2 * 86400, 99.0]]


def test_series_limit_truncates_and_says_so(client: TestClient) -> None:
    series = client.get(f"/vehicles/{VIN_A}/signals/{SPEED}", params={"limit": 5}).json()
    assert series["truncated"] is True
    assert series["points"] == [[NOW - 1800 + 60 * i, float(i)] for i in range(5)]
    exact = client.get(f"/vehicles/{VIN_A}/signals/{SPEED}", params={"limit": 30}).json()
    assert exact["truncated"] is False
    assert len(exact["points"]) == 30


@pytest.mark.parametrize(
    "path",
    [
        f"/vehicles/{VIN_UNKNOWN}",
        f"/vehicles/{VIN_UNKNOWN}/latest",
        f"/vehicles/{VIN_UNKNOWN}/signals",
        f"/vehicles/{VIN_UNKNOWN}/signals/{SPEED}",
    ],
)
def test_unknown_vehicle_is_404_with_a_message(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert VIN_UNKNOWN in response.json()["detail"]


def test_unknown_signal_is_404_naming_it(client: TestClient) -> None:
    response = client.get(f"/vehicles/{VIN_B}/signals/{LV}")
    assert response.status_code == 404
    assert LV in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/vehicles/SHORT",
        "/vehicles/WPITSTOPDEMO0000!/latest",
        "/vehicles/WPITSTOPDEMO000011/signals",
        f"/vehicles/WPITSTOPDEMO-0001/signals/{SPEED}",
    ],
)
def test_bad_vin_is_422_with_the_reason(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["path", "vin"]
    assert "17 letters and digits" in error["msg"]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": NOW - 32 * 86400, "to": NOW}, "from", "at most 31 days"),
        ({"from": NOW - 40 * 86400}, "from", "at most 31 days"),
        ({"from": NOW, "to": NOW - 60}, "from", "earlier than 'to'"),
        ({"from": "yesterday"}, "from", "neither epoch seconds nor an ISO 8601"),
        ({"to": "nan"}, "to", "finite"),
        ({"limit": 100_001}, "limit", "100000"),
        ({"limit": 0}, "limit", "greater than or equal to 1"),
    ],
)
def test_unusable_range_or_limit_is_422_with_a_message(
    client: TestClient, params: dict[str, object], field: str, words: str
) -> None:
    response = client.get(f"/vehicles/{VIN_A}/signals/{SPEED}", params=params)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", field]
    assert words in error["msg"]


def test_exactly_31_days_and_100000_points_are_allowed(client: TestClient) -> None:
    params = {"from": NOW - 31 * 86400, "to": NOW, "limit": 100_000}
    response = client.get(f"/vehicles/{VIN_A}/signals/{SPEED}", params=params)
    assert response.status_code == 200
    assert len(response.json()["points"]) == 31
