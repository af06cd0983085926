from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import ROUTERS

JSON_ROUTES = {
    "/health",
    "/vehicles",
    "/vehicles/{vin}",
    "/vehicles/{vin}/latest",
    "/vehicles/{vin}/signals",
    "/vehicles/{vin}/signals/{signal}",
    "/jobs",
    "/jobs/{job_id}",
    "/workshops",
    "/workshops/{workshop_id}/calendar",
    "/rules",
    "/rules/precision",
    "/rules/{rule_id}/backtest",
    "/vehicles/{vin}/dtcs",
    "/signals/{signal}",
    "/vehicles/{vin}/consent",
    "/vehicles/{vin}/consent/{workshop_id}",
    "/jobs/{job_id}/{action}",
    "/vehicles/{vin}/signals/{signal}/buckets",
    "/dead-letters/summary",
    "/dead-letters",
    "/dead-letters/{letter_id}",
    "/vehicles/{vin}/status",
    "/vehicles/{vin}/events",
    "/vehicles/{vin}/commands",
    "/vehicles/{vin}/commands/{command_id}",
    "/commands",
    "/audit",
    "/vehicles/{vin}/service-book",
    "/vehicles/{vin}/service-book/{record_id}",
    "/vehicles/{vin}/service-book/import",
    "/jobs/{job_id}/followup",
    "/assist",
    "/assist/book",
    "/jobs/{job_id}/rating",
    "/workshops/{workshop_id}/ratings",
    "/network/satisfaction",
}
STREAMED = {
    "/vehicles/{vin}/signals/{signal}/csv",
    "/vehicles/{vin}/stream",
    "/vehicles/{vin}/service-book.csv",
    "/vehicles/{vin}/export",
}
PLAIN = {"/metrics"}  # Prometheus text, not in the OpenAPI document


def test_every_route_declares_a_response_model_or_is_a_page() -> None:
    seen = set()
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            path = route.path_format  # without convertors: {signal:path} is {signal}
            if path in STREAMED | PLAIN:
                seen.add(path)
            elif route.include_in_schema:
                assert route.response_model is not None, path
                seen.add(path)
            else:
                assert route.response_class is HTMLResponse, route.path
    assert seen == JSON_ROUTES | STREAMED | PLAIN


def test_openapi_schema_names_a_typed_body_for_every_answer(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == JSON_ROUTES | STREAMED
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path in STREAMED:
                continue
            success = "202" if (method, path) == ("post", "/vehicles/{vin}/commands") else "200"
            ok = operation["responses"][success]["content"]["application/json"]["schema"]
            assert _typed(ok), (method, path, ok)
            if "{" in path:
                assert "422" in operation["responses"], path
    assert "404" in schema["paths"]["/vehicles/{vin}"]["get"]["responses"]
    assert "404" in schema["paths"]["/jobs/{job_id}"]["get"]["responses"]


def test_openapi_documents_the_time_convention(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    series = schema["paths"]["/vehicles/{vin}/signals/{signal}"]["get"]
    params = {p["name"]: p for p in series["parameters"]}
    assert {"vin", "signal", "from", "to", "limit"} <= set(params)
    assert "ISO 8601" in params["from"]["description"]
    assert "Epoch seconds" in params["to"]["description"]
    assert "epoch seconds" in schema["info"]["description"]


def _typed(schema: dict[str, Any]) -> bool:
    """A reference to a model, a list of typed items or a typed scalar: never ``{}`` (Any)."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _typed(schema["items"])
    return schema.get("type") in ("string", "integer", "number", "boolean")
