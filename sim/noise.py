"""Deterministic noise: a pure function of (seed, channel, t), no state, no RNG objects."""

from __future__ import annotations

import math

_MASK = (1 << 64) - 1
_TICKS_PER_S = 10  # a new noise value every 100 ms


def _mix(x: int) -> int:
    """splitmix64's finaliser: a well-scrambled 64-bit hash of x."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def noise(seed: int, channel: int, t: float) -> float:
    """Uniform noise in [-1, 1), constant for 100 ms, the same for the same arguments."""
    tick = math.floor(t * _TICKS_PER_S)
    key = (seed * 0x9E3779B97F4A7C15 + channel * 0xD1B54A32D192ED03 + tick) & _MASK
    return _mix(key) / 2.0**63 - 1.0
