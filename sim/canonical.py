"""A simulated vehicle's values as canonical samples (what the gateway would publish), without
the CAN round trip: for running the rules engine over days of simulated time in seconds."""

from __future__ import annotations

from functools import lru_cache

from dbc import DEMO_PROFILE
from pitstop.codec import Sample
from sim.vehicle import SimVehicle

Mapping_ = tuple[tuple[str, str, float, float], ...]  # (dbc signal, canonical, scale, offset)


@lru_cache(maxsize=1)
def demo_mapping() -> Mapping_:
    """The demo profile's signal mapping (dbc/demo_ev.yaml), loaded once."""
    from gateway.profile import load_profile

    profile = load_profile(DEMO_PROFILE)
    return tuple((m.signal, m.canonical, m.scale, m.offset) for m in profile.signals)


@lru_cache(maxsize=1)
def demo_profile_hash() -> str:
    from gateway.profile import load_profile

    return load_profile(DEMO_PROFILE).hash


def canonical_samples(vehicle: SimVehicle, t: float, t0_epoch: float) -> list[Sample]:
    """Every mapped signal of ``vehicle`` at ``t`` seconds, stamped ``t0_epoch + t``."""
    values = vehicle.values(t)
    ts = t0_epoch + t
    return [
        Sample(canonical, ts, values[signal] * scale + offset)
        for signal, canonical, scale, offset in demo_mapping()
        if signal in values
    ]
