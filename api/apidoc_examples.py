"""Example values for the ``/api`` page, made from the OpenAPI document's JSON schemas.

One generic synthesiser for every schema the document holds: a schema's own ``example`` or
``examples`` first (the models carry them where a made-up value would mislead, e.g. a VIN),
else a value built from its type, ``const``, ``enum``, ``format``, ``pattern`` and bounds, so
that every answer shows the shape it really has. ``$ref`` is followed within the document;
a model that contains itself stops at ``MAX_DEPTH`` with its required fields only.
"""

from __future__ import annotations

import re
from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]
from typing import Any

JsonValue = Any  # what json.dumps accepts: the schemas say which
MAX_DEPTH = 8
EPOCH_EXAMPLE = 1764201600.0  # 2025-11-27T00:00:00Z
FORMATS: dict[str, str] = {
    "date-time": "2025-11-27T00:00:00Z",
    "date": "2025-11-27",
    "time": "09:00:00",
    "email": "workshop@example.org",
    "uri": "https://example.org/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "binary": "",
}


def media_example(media: dict[str, Any], document: dict[str, Any]) -> JsonValue | None:
    """The example of one media type object (``content["application/json"]``): its own
    ``example``/``examples``, else one made from its schema; None if it has neither."""
    if "example" in media:
        return media["example"]
    for named in media.get("examples", {}).values():
        if isinstance(named, dict) and "value" in named:
            return named["value"]
    if "schema" in media:
        return example(media["schema"], document)
    return None


def example(schema: dict[str, Any] | bool, document: dict[str, Any], depth: int = 0) -> JsonValue:
    """A value that validates against ``schema`` (refs resolved in ``document``)."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        return example(resolve(schema["$ref"], document), document, depth + 1)
    for key in ("example", "const"):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    if isinstance(schema.get("default"), str | int | float):  # not null, not an empty list
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            around = {k: v for k, v in schema.items() if k not in {key, "default"}}
            return example({**around, **_first_not_null(schema[key])}, document, depth)
    if "allOf" in schema:
        return _all_of(schema["allOf"], document, depth)
    return _of_type(schema, _type_of(schema), document, depth)


def resolve(ref: str, document: dict[str, Any]) -> dict[str, Any]:
    """The schema ``#/a/b`` points to in ``document``."""
    if not ref.startswith("#/"):
        raise ValueError(f"only references inside the document are followed, not {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"{ref!r} is not a schema")
    return node


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        if "properties" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        return "any"
    return str(kind)


def _of_type(schema: dict[str, Any], kind: str, document: dict[str, Any], depth: int) -> JsonValue:
    if kind == "string":
        return _string(schema)
    if kind in {"integer", "number"}:
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "array":
        return _array(schema, document, depth)
    if kind == "object":
        return _object(schema, document, depth)
    return {}  # any JSON value fits


def _first_not_null(options: list[Any]) -> dict[str, Any]:
    for option in options:
        if isinstance(option, dict) and option.get("type") != "null":
            return option
    return options[0] if options else {}


def _all_of(parts: list[Any], document: dict[str, Any], depth: int) -> JsonValue:
    merged: dict[str, Any] = {}
    for part in parts:
        value = example(part, document, depth)
        if not isinstance(value, dict):
            return value
        merged.update(value)
    return merged


def _object(schema: dict[str, Any], document: dict[str, Any], depth: int) -> dict[str, Any]:
    required = set(schema.get("required", []))
    shallow = depth >= MAX_DEPTH
    out = {
        name: example(prop, document, depth + 1)
        for name, prop in schema.get("properties", {}).items()
        if not shallow or name in required
    }
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and not out and not shallow:
        out["name"] = example(extra, document, depth + 1)
    return out


def _array(schema: dict[str, Any], document: dict[str, Any], depth: int) -> list[Any]:
    if "prefixItems" in schema:
        return [example(item, document, depth + 1) for item in schema["prefixItems"]]
    least = int(schema.get("minItems", 0))
    if depth >= MAX_DEPTH and least == 0:
        return []
    count = max(least, 1 if schema.get("maxItems", 1) >= 1 else 0)
    return [example(schema.get("items", {}), document, depth + 1) for _ in range(count)]


def _number(schema: dict[str, Any], kind: str) -> int | float:
    text = f"{schema.get('title', '')} {schema.get('description', '')}".lower()
    value: float = EPOCH_EXAMPLE if "epoch" in text and kind == "number" else 1
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        value = schema["exclusiveMinimum"] + 1
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        value = schema["exclusiveMaximum"] - (1 if kind == "integer" else 0.5)
    return int(value) if kind == "integer" else float(value)


def _string(schema: dict[str, Any]) -> str:
    if schema.get("format") in FORMATS:
        text = FORMATS[schema["format"]]
    elif "pattern" in schema:
        text = from_pattern(schema["pattern"])
    else:
        text = "string"
    least, most = int(schema.get("minLength", 0)), schema.get("maxLength")
    text = text.ljust(least, "x")
    return text if most is None else text[: int(most)]


def from_pattern(pattern: str) -> str:
    """A short string that ``re.search(pattern, ...)`` matches: the first branch of every
    alternation, the least count of every repeat, the first member of every set."""
    try:
        text = _render(sre_parse.parse(pattern))
    except (re.error, ValueError, TypeError):
        return "string"
    return text if re.search(pattern, text) else "string"


def _render(tokens: Any) -> str:
    out = []
    for op, arg in tokens:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in {"NOT_LITERAL", "ANY"}:
            out.append("a" if arg != ord("a") else "b")
        elif name == "IN":
            out.append(_member(arg))
        elif name == "BRANCH":
            out.append(_render(arg[1][0]))
        elif name == "SUBPATTERN":
            out.append(_render(arg[-1]))
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            least, _most, body = arg
            out.append(_render(body) * int(least))
        elif name == "CATEGORY":
            out.append(_category(arg))
        elif name not in {"AT", "ASSERT", "ASSERT_NOT"}:
            raise ValueError(f"cannot render {name}")
    return "".join(out)


def _member(items: Any) -> str:
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0])
    if name == "CATEGORY":
        return _category(arg)
    raise ValueError(f"cannot pick from {name}")


def _category(category: Any) -> str:
    name = str(category)
    if "DIGIT" in name and "NOT" not in name:
        return "0"
    if "SPACE" in name and "NOT" not in name:
        return " "
    return "a"
