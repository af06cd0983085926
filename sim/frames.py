"""Turn a vehicle's values into CAN frames at each message's DBC cycle time.

Time runs in ticks of the greatest common divisor of the cycle times; at each tick the
vehicle's values are computed once and every message due is encoded. Messages due at the same
tick are staggered by a millisecond each, so timestamps are strictly increasing, as on a bus.
Frame bookkeeping follows from the tick number, so a frame is a pure function of (vehicle, t):
``VCU_Counter`` counts 0..15 and multiplexed messages cycle through their mux values.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import can
import cantools.database
import cantools.database.errors

from sim.errors import SimError
from sim.vehicle import SimVehicle

COUNTERS = frozenset({"VCU_Counter"})
STAGGER_S = 0.001


@dataclass(frozen=True)
class Plan:
    """How one message is sent: its cycle, its mux values, and the signal ranges to clamp to."""

    message: Any  # cantools.database.can.Message
    cycle_ms: int
    offset_s: float
    mux_signal: str | None
    layouts: tuple[tuple[int, tuple[tuple[str, float, float], ...]], ...]  # (mux, signals)


def load_db(path: str | Path | None = None) -> Any:
    """The demo vehicle's DBC (or the one at ``path``) as a cantools database."""
    import dbc

    source = Path(path) if path is not None else dbc.DEMO_DBC
    try:
        return cantools.database.load_file(str(source))
    except (OSError, cantools.database.errors.Error) as err:
        raise SimError(f"cannot load DBC {source}: {err}") from err


def _ranges(signals: Any) -> tuple[tuple[str, float, float], ...]:
    out = []
    for sig in signals:
        if sig.is_multiplexer:
            continue
        lo = -math.inf if sig.minimum is None else float(sig.minimum)
        hi = math.inf if sig.maximum is None else float(sig.maximum)
        out.append((sig.name, lo, hi))
    return tuple(out)


def _plan(message: Any, index: int) -> Plan:
    mux = next((s for s in message.signals if s.is_multiplexer), None)
    if mux is None:
        layouts: tuple[tuple[int, tuple[tuple[str, float, float], ...]], ...] = (
            (0, _ranges(message.signals)),
        )
    else:
        values = sorted({v for s in message.signals for v in (s.multiplexer_ids or ())})
        layouts = tuple(
            (
                v,
                _ranges(
                    s for s in message.signals if not s.multiplexer_ids or v in s.multiplexer_ids
                ),
            )
            for v in values
        )
    return Plan(
        message=message,
        cycle_ms=int(message.cycle_time),
        offset_s=index * STAGGER_S,
        mux_signal=None if mux is None else mux.name,
        layouts=layouts,
    )


def plan_messages(db: Any) -> tuple[Plan, ...]:
    """The cyclic messages of ``db`` (cycle time > 0), in frame id order."""
    cyclic = sorted((m for m in db.messages if m.cycle_time), key=lambda m: m.frame_id)
    return tuple(_plan(m, i) for i, m in enumerate(cyclic))


def _encode(plan: Plan, values: dict[str, float], count: int) -> bytes:
    mux_value, signals = plan.layouts[count % len(plan.layouts)]
    data: dict[str, float] = {}
    for name, lo, hi in signals:
        if name in COUNTERS:
            data[name] = count % (int(hi) + 1)
        else:
            data[name] = min(hi, max(lo, values[name]))
    if plan.mux_signal is not None:
        data[plan.mux_signal] = mux_value
    return bytes(plan.message.encode(data, scaling=True, strict=False))


def frames(
    vehicle: SimVehicle,
    db: Any,
    start_s: float,
    end_s: float,
    t0_epoch: float,
    *,
    channel: str | None = None,
) -> Iterator[can.Message]:
    """The vehicle's frames for simulation times in [start_s, end_s), in timestamp order.

    ``end_s`` may be ``math.inf`` for an endless stream. Timestamps are ``t0_epoch + t``.
    """
    plans = plan_messages(db)
    if not plans:
        return
    tick_ms = reduce(math.gcd, (p.cycle_ms for p in plans))
    tick = math.ceil(start_s * 1000.0 / tick_ms - 1e-9)
    while (t := tick * tick_ms / 1000.0) < end_s:
        elapsed_ms = tick * tick_ms
        due = [p for p in plans if elapsed_ms % p.cycle_ms == 0]
        if due:
            values = vehicle.values(t)
            for plan in due:
                yield can.Message(
                    timestamp=t0_epoch + t + plan.offset_s,
                    arbitration_id=plan.message.frame_id,
                    is_extended_id=plan.message.is_extended_frame,
                    data=_encode(plan, values, elapsed_ms // plan.cycle_ms),
                    channel=channel,
                )
        tick += 1
