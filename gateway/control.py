"""Requests from the cloud on ``pitstop/v1/{vin}/cmd``, dispatched by type to registered handlers.

A command is plain JSON: ``{"v": 1, "vin": ..., "type": "<name>", ...}``. The gateway registers
``set_plan`` (``{"type": "set_plan", "plan": {<collection plan, as in the YAML>}}``); the
diagnostics service registers its own (e.g. ``read_dtcs``) through ``GatewayContext``. The
outcome of every command is published as an event: ``<type>_accepted`` or ``command_refused``
with the reason; either carries the command's ``id`` (``pitstop.cmd``) when it had a
well-formed one. Nothing from the cloud writes frames to the bus: handlers are read-only.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from gateway.errors import GatewayError
from pitstop.cmd import REFUSED, accepted, command_id

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]
"""Takes the command document, returns the data of its ``<type>_accepted`` event, raises
``GatewayError`` (or ``ValueError``) with a reason to refuse it."""


class CommandError(GatewayError, ValueError):
    """A command that cannot be carried out; the message is the reason sent back."""


class Commands:
    """The dispatch table; ``register`` may be called from any thread."""

    def __init__(self, vin: str) -> None:
        self._vin = vin
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def register(self, name: str, handler: Handler) -> None:
        with self._lock:
            self._handlers[name] = handler

    def dispatch(self, payload: bytes) -> tuple[str, dict[str, Any]]:
        """Run one command; return the event (type, data) that reports its outcome."""
        id_: dict[str, str] = {}
        try:
            doc = _load(payload)
            found = command_id(doc)
            id_ = {"id": found} if found is not None else {}
            _check(doc, self._vin)
            name = str(doc["type"])
            with self._lock:
                handler = self._handlers.get(name)
            if handler is None:
                raise CommandError(f"unknown command type {name!r}")
            return accepted(name), {**handler(doc), **id_}
        except (GatewayError, ValueError) as err:
            log.warning("refused a command: %s", err)
            return REFUSED, {"reason": str(err), **id_}


def _load(payload: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError) as err:
        raise CommandError(f"not JSON: {err}") from err
    if not isinstance(doc, dict) or doc.get("v") != 1:
        raise CommandError("a command is a JSON object with 'v': 1")
    return doc


def _check(doc: dict[str, Any], vin: str) -> None:
    if doc.get("vin") != vin:
        raise CommandError(f"the command is for VIN {doc.get('vin')!r}, not {vin!r}")
    if not isinstance(doc.get("type"), str):
        raise CommandError("field 'type' must be a string")
