"""The framing every payload shares: a JSON object with a schema version ``v``, as it is (control
messages) or zlib-compressed (telemetry, paid for by the byte); a reader tells them apart by the
first byte (``{`` is plain JSON). Bounded inflation, no NaN or infinity, strict field types.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from pitstop.errors import CodecError, TopicError
from pitstop.topics import validate_vin

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024  # decompressed; guards against zip bombs


def dumps(doc: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
    except ValueError as err:
        raise CodecError(f"cannot encode: {err}") from err


def _reject_constant(name: str) -> None:
    raise CodecError(f"{name} is not allowed")


def inflate(payload: bytes) -> bytes:
    """The JSON text of a payload: as it is, or decompressed (bounded)."""
    if not payload:
        raise CodecError("empty payload")
    if payload[:1] == b"{":
        return payload
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(payload, MAX_PAYLOAD_BYTES)
    except zlib.error as err:
        raise CodecError(f"neither JSON nor zlib: {err}") from err
    if inflater.unconsumed_tail:
        raise CodecError(f"payload inflates beyond {MAX_PAYLOAD_BYTES} bytes")
    if not inflater.eof:
        raise CodecError("truncated zlib stream: the payload ends before the stream does")
    if inflater.unused_data:
        raise CodecError(f"{len(inflater.unused_data)} bytes after the end of the zlib stream")
    return text


def loads(payload: bytes) -> dict[str, Any]:
    payload = inflate(payload)
    try:
        doc = json.loads(payload, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, huge integers
        raise CodecError(f"invalid JSON: {err}") from err
    if not isinstance(doc, dict):
        raise CodecError("payload must be a JSON object")
    version = doc.get("v")
    if type(version) is not int or version != SCHEMA_VERSION:  # true == 1 in Python
        raise CodecError(f"unsupported schema version {version!r} (expected {SCHEMA_VERSION})")
    return doc


def read_vin(doc: Mapping[str, Any]) -> str:
    try:
        return validate_vin(read_str(doc, "vin"))
    except TopicError as err:
        raise CodecError(str(err)) from err


def read_str(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise CodecError(f"field {key!r} must be a string")
    return value


def read_int(doc: Mapping[str, Any], key: str) -> int:
    value = doc.get(key)
    if type(value) is not int:
        raise CodecError(f"field {key!r} must be an integer")
    return value


_INSTANCE = re.compile(r"[0-9A-Za-z_-]{1,32}")


def check_instance(instance: str) -> str:
    """A spool instance id as the wire carries it (``inst``): 1 to 32 of ``[0-9A-Za-z_-]``."""
    if not _INSTANCE.fullmatch(instance):
        raise CodecError(f"instance id {instance[:40]!r} must be 1 to 32 of [0-9A-Za-z_-]")
    return instance


def read_instance(doc: Mapping[str, Any]) -> str:
    """The optional ``inst`` field; '' (the legacy instance) when absent."""
    found = doc.get("inst")
    if found is None:
        return ""
    if not isinstance(found, str):
        raise CodecError("field 'inst' must be a string")
    return check_instance(found)
