"""``GET /metrics``: requests counted under their route template and status class."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/health").status_code == 200
    client.get("/no-such-page")
    text = client.get("/metrics").text
    assert 'pitstop_api_requests_total{method="GET",route="/health",status="2xx"} 2.0' in text
    assert 'route="unmatched",status="4xx"' in text
    assert "pitstop_api_request_seconds_bucket" in text
