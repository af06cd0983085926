"""``/api``: the routes, their parameters and answers, read from the OpenAPI schema and
rendered as one plain page (Swagger UI loads from a CDN, so it is not served)."""

from __future__ import annotations

from typing import Any

from api.html import Child, Html, document, el, join, table


def api_page(schema: dict[str, Any]) -> Html:
    sections: list[Child] = []
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            params: list[list[Child]] = [
                [el("code", p.get("name", "")), p.get("in", ""), p.get("description", "")]
                for p in op.get("parameters", [])
            ]
            sections.append(
                join(
                    el("h2", el("code", f"{method.upper()} {path}")),
                    el("p", op.get("summary", "")),
                    el("pre", op.get("description", ""), class_="wrap"),
                    table(["Parameter", "In", "Meaning"], params, "No parameters."),
                    el("p", "Answers: " + ", ".join(op.get("responses", {})), class_="muted"),
                )
            )
    intro = schema.get("info", {}).get("description", "")
    return document(
        "API",
        el("h1", "pitstop API"),
        el("pre", intro, class_="wrap"),
        el("p", "The machine-readable schema: ", el("a", "/openapi.json", href="/openapi.json")),
        *sections,
    )
