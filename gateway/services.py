"""The plugin contract: what a service running beside the gateway is given, and how it is called.

A ``Service`` is called as ``service(context, stop)`` on a thread of its own, started by
``gateway.runner.run_gateway`` after the reader; it returns once ``stop`` is set. Through the
``GatewayContext`` it spools messages durably, queues events and messages (sent by the sender
thread under the rate limit) and registers handlers for cmd-topic commands
(``gateway.control``). The diagnostics service (``gateway.diag.plugin``) is one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from gateway.control import Handler
from gateway.plan import CollectionPlan
from gateway.profile import Profile
from pitstop.topics import Kind


class GatewayContext(Protocol):
    """What a service may use of the gateway (from its own thread)."""

    @property
    def vin(self) -> str: ...

    @property
    def profile(self) -> Profile: ...

    @property
    def plan(self) -> CollectionPlan | None:
        """The collection plan in force (None: every signal at full rate)."""
        ...

    @property
    def instance(self) -> str:
        """The spool's instance id: put it in every spooled message (``inst``)."""
        ...

    def spool(self, kind: Kind, build: Callable[[int], bytes], priority: int = 1) -> int:
        """Store a message durably (``build`` gets its sequence number) for the sender to
        publish and publish again until the cloud acknowledges it; return the number."""
        ...

    def publish_event(self, type_: str, data: Mapping[str, Any]) -> None:
        """Queue an event (``pitstop/v1/{vin}/event``) for the sender to publish."""
        ...

    def publish(self, kind: Kind, payload: bytes) -> None:
        """Queue any message of this vehicle (e.g. ``Kind.DTC``) for the sender to publish."""
        ...

    def register_command(self, name: str, handler: Handler) -> None:
        """Handle cmd-topic commands of type ``name`` (see ``gateway.control``)."""
        ...


Service = Callable[[GatewayContext, threading.Event], None]
