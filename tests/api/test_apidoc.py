"""``/api``: Markdown rendered safely, and an example for every answer that validates against
the answer's own schema, over the real OpenAPI document."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import jsonschema_rs
import pytest

from api.apidoc import api_page, operations_by_tag
from api.apidoc_examples import example, from_pattern, media_example
from api.apidoc_markdown import render_markdown
from api.app import openapi_document
from api.timerange import INSTANT_PATTERN

DOCUMENT = openapi_document()
OPERATIONS = [op for ops in operations_by_tag(DOCUMENT).values() for op in ops]
NAMES = [f"{method} {path}" for method, path, _ in OPERATIONS]


def _validator(schema: dict[str, Any]) -> Any:
    """A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) with the document's components
    at its root, so that ``#/components/schemas/...`` resolves."""
    return jsonschema_rs.validator_for({**schema, "components": DOCUMENT["components"]})


def test_markdown_is_rendered_and_html_in_it_stays_text() -> None:
    out = render_markdown(
        "**Keys.** ``Authorization: Bearer <key>``\n\n<script>alert(1)</script>\n\n"
        '<img src=x onerror="alert(2)"> [click](javascript:alert(3))'
    )
    assert "<strong>Keys.</strong>" in out
    assert "<code>Authorization: Bearer &lt;key&gt;</code>" in out
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<img" not in out
    assert 'href="javascript' not in out


def test_a_description_with_a_script_in_the_document_stays_text() -> None:
    hostile = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1", "description": "<script>alert(1)</script>"},
        "paths": {
            "/x": {
                "get": {
                    "summary": "<b>s</b>",
                    "description": "*d* <script>alert(2)</script>",
                    "responses": {"200": {"description": "<i>ok</i>"}},
                }
            }
        },
        "components": {"schemas": {}},
    }
    page = api_page(hostile)
    assert "<script" not in page.replace('<script src="/static/', "")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<em>d</em>" in page
    assert "<b>" not in page


@pytest.mark.parametrize(("method", "path", "spec"), OPERATIONS, ids=NAMES)
def test_every_success_answer_has_an_example_that_fits_its_schema(
    method: str, path: str, spec: dict[str, Any]
) -> None:
    success = {s: r for s, r in spec["responses"].items() if s.startswith("2")}
    assert success, f"{method} {path} documents no success answer"
    for status, response in success.items():
        assert response.get("content"), f"{method} {path} {status}: no media type"
        for media, content in response["content"].items():
            sample = media_example(content, DOCUMENT)
            assert sample is not None, f"{method} {path} {status} {media}: no example"
            if "schema" in content:
                errors = [e.message for e in _validator(content["schema"]).iter_errors(sample)]
                assert not errors, f"{method} {path} {status}: {errors} in {sample!r}"


def test_every_schema_of_the_document_has_a_valid_example() -> None:
    for name in DOCUMENT["components"]["schemas"]:
        ref = {"$ref": f"#/components/schemas/{name}"}
        sample = example(ref, DOCUMENT)
        errors = [e.message for e in _validator(ref).iter_errors(sample)]
        assert not errors, f"{name}: {errors} in {json.dumps(sample)}"


def test_every_request_body_and_parameter_has_a_valid_example() -> None:
    for method, path, spec in OPERATIONS:
        for media, content in spec.get("requestBody", {}).get("content", {}).items():
            sample = media_example(content, DOCUMENT)
            assert sample is not None, f"{method} {path} {media}"
            if "schema" in content:
                assert _validator(content["schema"]).is_valid(sample), (method, path, sample)
        for param in spec.get("parameters", []):
            sample = example(param["schema"], DOCUMENT)
            assert _validator(param["schema"]).is_valid(sample), (method, path, param, sample)


def test_patterns_give_matching_strings() -> None:
    for pattern in (INSTANT_PATTERN, "^[A-Za-z0-9]{17}$", "^(dmy|mdy)$", r"\d{3}-[a-f]+"):
        assert re.search(pattern, from_pattern(pattern)), pattern


def test_bounds_formats_and_enums_are_kept() -> None:
    schema = {
        "type": "object",
        "required": ["n"],
        "properties": {
            "n": {"type": "integer", "minimum": 5, "maximum": 9},
            "x": {"type": "number", "exclusiveMaximum": 0},
            "when": {"type": "string", "format": "date-time"},
            "kind": {"enum": ["fixed", "no_fault_found"]},
            "code": {"type": "string", "minLength": 8, "maxLength": 8},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
    }
    sample = example(schema, DOCUMENT)
    assert jsonschema_rs.validator_for(schema).is_valid(sample), sample
    assert sample["kind"] == "fixed"
    assert len(sample["tags"]) == 2


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.h3 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a" and (found.get("href") or "").startswith("#"):
            self.links.append(str(found["href"])[1:])
        self.h3 += tag == "h3"


def test_the_page_has_a_contents_entry_and_an_anchor_per_operation() -> None:
    page = api_page(DOCUMENT)
    parsed = _Anchors()
    parsed.feed(page)
    assert parsed.h3 == len(OPERATIONS)
    assert len(parsed.ids) == len(set(parsed.ids)), "anchors repeat"
    assert set(parsed.links) <= set(parsed.ids), "a contents link goes nowhere"
    assert len(parsed.links) == len(OPERATIONS) + len(operations_by_tag(DOCUMENT))
    assert "<strong>Times.</strong>" in page  # the intro's Markdown, rendered
    assert "WPITSTOPDEMO00001" in page  # a parameter's own example
