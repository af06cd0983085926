"""The demo vehicle's gateway configuration, as most gateway tests use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbc import DEMO_PROFILE
from gateway.runner import GatewayConfig
from gateway.sources import SourceSpec


def demo_gateway(
    vin: str, source: SourceSpec, spool: Path, broker_url: str, **options: Any
) -> GatewayConfig:
    """A gateway for the demo EV's profile; ``options`` are further ``GatewayConfig`` fields."""
    return GatewayConfig(
        vin=vin, profile=DEMO_PROFILE, source=source, spool=spool, broker_url=broker_url, **options
    )
