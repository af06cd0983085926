"""``/api``: the routes, their parameters and answers, read from the OpenAPI schema and
rendered as one plain page (Swagger UI loads from a CDN, so it is not served).

Per operation: method and path, summary, the description (Markdown, rendered safely), the
parameters with type, whether required, pattern and example, the request body's example, and
every answer with what it means and an example body (``api.apidoc_examples``). A table of
contents by tag links each operation's anchor; lists rather than wide tables keep it
readable on a phone.
"""

from __future__ import annotations

import json
import re
from typing import Any

from api.apidoc_examples import example, media_example, resolve
from api.apidoc_markdown import render_markdown
from api.html import Child, Html, document, el, join

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
BOUNDS = (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("maxLength", "length ≤"))
Operation = tuple[str, str, dict[str, Any]]  # method, path, the operation object


def api_page(schema: dict[str, Any]) -> Html:
    by_tag = operations_by_tag(schema)
    anchors = _anchors([op for ops in by_tag.values() for op in ops])
    info = schema.get("info", {})
    contents = el(
        "nav",
        el("h2", "Contents", id="contents"),
        el("ul", *(_toc_entry(tag, ops, anchors) for tag, ops in by_tag.items()), class_="toc"),
        aria_label="Contents",
    )
    sections = [
        el(
            "section",
            el("h2", tag.capitalize(), id=_slug("tag", tag)),
            *(_operation(op, anchors[op[:2]], schema) for op in ops),
        )
        for tag, ops in by_tag.items()
    ]
    return document(
        "API",
        join(
            el("h1", f"{info.get('title', 'pitstop')} API ", el("small", info.get("version"))),
            el("div", render_markdown(info.get("description", "")), class_="md"),
            el(
                "p", "The machine-readable schema: ", el("a", "/openapi.json", href="/openapi.json")
            ),
            contents,
            *sections,
        ),
    )


def operations_by_tag(schema: dict[str, Any]) -> dict[str, list[Operation]]:
    """Every operation of the document, grouped by its first tag, in the document's order."""
    grouped: dict[str, list[Operation]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["other"])[0]
                grouped.setdefault(tag, []).append((method, path, op))
    return grouped


def _anchors(ops: list[Operation]) -> dict[tuple[str, str], str]:
    taken: set[str] = set()
    out = {}
    for method, path, _ in ops:
        anchor = base = _slug(method, path)
        n = 2
        while anchor in taken:
            anchor, n = f"{base}-{n}", n + 1
        taken.add(anchor)
        out[method, path] = anchor
    return out


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")


def _toc_entry(tag: str, ops: list[Operation], anchors: dict[tuple[str, str], str]) -> Html:
    links = (
        el("li", el("a", _method(method), " ", el("code", path), href="#" + anchors[method, path]))
        for method, path, _ in ops
    )
    return el("li", el("a", tag.capitalize(), href="#" + _slug("tag", tag)), el("ul", *links))


def _method(method: str) -> Html:
    return el("span", method.upper(), class_=f"method method-{method}")


def _operation(op: Operation, anchor: str, schema: dict[str, Any]) -> Html:
    method, path, spec = op
    params = spec.get("parameters", [])
    return el(
        "section",
        el("h3", _method(method), " ", el("code", path), id=anchor),
        el("p", spec.get("summary", "")) if spec.get("summary") else None,
        el("div", render_markdown(spec.get("description", "")), class_="md"),
        el("h4", "Parameters") if params else None,
        el("ul", *(_parameter(p, schema) for p in params), class_="params") if params else None,
        _request_body(spec.get("requestBody"), schema),
        el("h4", "Answers"),
        _answers(spec.get("responses", {}), schema),
        class_="op",
    )


def _parameter(param: dict[str, Any], schema: dict[str, Any]) -> Html:
    if "$ref" in param:
        param = resolve(param["$ref"], schema)
    spec = param.get("schema", {})
    facts: list[Child] = [f"in {param.get('in', '?')}", type_name(spec, schema)]
    facts.append("required" if param.get("required") else "optional")
    details: list[Child] = []
    pattern = spec.get("pattern") or _first_not_null_key(spec, "pattern")
    if pattern:
        details.append(el("span", "Pattern: ", el("code", pattern), class_="muted"))
    sample = param.get("example", example(spec, schema))
    if sample not in (None, "string"):  # a made-up "string" tells nothing
        details.append(el("span", "Example: ", el("code", _inline(sample)), class_="muted"))
    return el(
        "li",
        el("code", param.get("name", "")),
        " ",
        el("span", "(", ", ".join(str(f) for f in facts), ")", class_="muted"),
        el("div", render_markdown(param.get("description", "")), class_="md"),
        el("p", *_between(details, " · ")) if details else None,
    )


def _request_body(body: dict[str, Any] | None, schema: dict[str, Any]) -> Html | None:
    if not body:
        return None
    if "$ref" in body:
        body = resolve(body["$ref"], schema)
    parts: list[Child] = [el("h4", "Request body", " (required)" if body.get("required") else "")]
    for media, spec in body.get("content", {}).items():
        parts.append(el("p", el("code", media)))
        parts.append(_example_block(media_example(spec, schema)))
    return join(*parts)


def _answers(responses: dict[str, Any], schema: dict[str, Any]) -> Html:
    success = {s: r for s, r in responses.items() if s.startswith(("1", "2", "3"))}
    errors = {s: r for s, r in responses.items() if s not in success}
    shown = el("dl", *(_answer(s, r, schema) for s, r in success.items()), class_="answers")
    if not errors:
        return shown
    summary = el("summary", "Error answers: ", ", ".join(sorted(errors)))
    rest = el("dl", *(_answer(s, r, schema) for s, r in sorted(errors.items())), class_="answers")
    return join(shown, el("details", summary, rest))


def _answer(status: str, response: dict[str, Any], schema: dict[str, Any]) -> Html:
    if "$ref" in response:
        response = resolve(response["$ref"], schema)
    blocks: list[Child] = []
    for media, spec in response.get("content", {}).items():
        sample = _problem_example(spec, response) or media_example(spec, schema)
        if sample is not None:
            blocks.append(el("p", el("code", media), class_="muted"))
            blocks.append(_example_block(sample))
    return join(
        el("dt", el("code", status), " ", response.get("description", "")),
        el("dd", *blocks) if blocks else el("dd", "No body.", class_="muted"),
    )


def _problem_example(media: dict[str, Any], response: dict[str, Any]) -> dict[str, str] | None:
    """An error's body says what went wrong in ``detail``: the answer's own meaning reads
    better there than a made-up string."""
    ref = media.get("schema", {}).get("$ref", "")
    if ref.endswith("/Problem") and response.get("description"):
        return {"detail": str(response["description"])}
    return None


def _example_block(sample: Any) -> Html:
    text = sample if isinstance(sample, str) else json.dumps(sample, indent=2, ensure_ascii=False)
    return el("pre", el("code", text), class_="example")


def type_name(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    """``string``, ``integer ≥ 1``, ``string or null``, ``one of a, b``: for people."""
    if "$ref" in spec:
        return str(spec["$ref"]).rsplit("/", 1)[-1]
    if "enum" in spec:
        return "one of " + ", ".join(str(v) for v in spec["enum"])
    for key in ("anyOf", "oneOf"):
        if key in spec:
            return " or ".join(type_name(part, schema) for part in spec[key])
    kind = spec.get("type", "any")
    name = " or ".join(kind) if isinstance(kind, list) else str(kind)
    if kind == "array":
        name = f"array of {type_name(spec.get('items', {}), schema)}"
    bounds = [f"{sign} {spec[key]}" for key, sign in BOUNDS if key in spec]
    return " ".join([name, *bounds])


def _first_not_null_key(spec: dict[str, Any], key: str) -> Any:
    for part in spec.get("anyOf", []):
        if isinstance(part, dict) and key in part:
            return part[key]
    return None


def _inline(sample: Any) -> str:
    return sample if isinstance(sample, str) else json.dumps(sample, ensure_ascii=False)


def _between(items: list[Child], sep: str) -> list[Child]:
    out: list[Child] = []
    for i, item in enumerate(items):
        out.extend([sep, item] if i else [item])
    return out
