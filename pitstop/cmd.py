"""The ``cmd`` contract: requests from the cloud to one car, and how their outcome comes back.

A command (``pitstop/v1/{vin}/cmd``, QoS 1, plain JSON)::

    {"v": 1, "vin": "WPITSTOPDEMO00001", "type": "read_dtcs", "id": "c-5f0e8a1b2c3d4e5f"}
    {"v": 1, "vin": ..., "type": "set_plan", "id": ..., "plan": {<a collection plan>}}

The outcome is an event on ``pitstop/v1/{vin}/event``: ``<type>_accepted`` with the handler's
data, or ``command_refused`` with ``{"reason": ...}``; either carries the command's ``id`` in its
data, so the cloud can tell which request it answers. Only read-only diagnostics exist: nothing
from the cloud writes frames to the bus.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pitstop.topics import validate_vin
from pitstop.wire import SCHEMA_VERSION, dumps

READ_DTCS = "read_dtcs"
SET_PLAN = "set_plan"
TYPES = (READ_DTCS, SET_PLAN)
REFUSED = "command_refused"
ACCEPTED_SUFFIX = "_accepted"

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def accepted(type_: str) -> str:
    """The event type reporting that a command of ``type_`` was carried out."""
    return type_ + ACCEPTED_SUFFIX


def command_id(doc: Mapping[str, Any]) -> str | None:
    """The ``id`` of a command or outcome document, if it has a well-formed one."""
    value = doc.get("id")
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def valid_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


def encode_command(vin: str, type_: str, id_: str, fields: Mapping[str, Any]) -> bytes:
    """The JSON document of a command; ``fields`` are its arguments (``plan`` for set_plan)."""
    if not valid_id(id_):
        raise ValueError(f"command id {id_!r}: 1 to 64 letters, digits, '_' or '-'")
    doc = {**fields, "v": SCHEMA_VERSION, "vin": validate_vin(vin), "type": type_, "id": id_}
    return dumps(doc)
