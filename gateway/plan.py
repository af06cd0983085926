"""The collection plan: which canonical signals leave the car, how often, and at what priority.

A plan is YAML data (``dbc/demo_ev.plan.yaml`` is the demo vehicle's), or the same document as
JSON in a remote ``set_plan`` command::

    name: demo-ev-default
    budget_mb_per_month: 150         # optional: monthly data budget of the vehicle
    batch_seconds: 10                # optional: seconds of data per message (default: the
                                     # gateway's --batch-interval, 1 s); fewer, fuller batches
                                     # compress better and spend less on message envelopes
    default: {interval: 60, priority: low}   # optional: every profile signal not listed
    signals:
      Vehicle.LowVoltageBattery.CurrentVoltage:
        interval: 10                 # seconds: at most one sample per interval (downsampling)
        on_change: 0.02              # optional deadband: send only a change larger than this...
        heartbeat: 300               # ...or after this many seconds without one (default 300)
        priority: high               # high | normal | low (default normal)
    captures:                        # optional: condition-triggered windows at full rate
      - name: overheat
        when: {signal: Vehicle.Powertrain.ElectricMotor.CoolantTemperature, op: ">", value: 105}
        before: 30                   # seconds kept in a ring buffer before the trigger
        after: 30                    # seconds sent after it
        signals: [Vehicle.Powertrain.ElectricMotor.CoolantTemperature, Vehicle.Speed]
    triggers:                        # optional: a triggers document (see gateway.triggers),
      min_gap: 5                     # compiled by the cloud from its rules: a sample meeting
      triggers:                      # one closes its batch at once
        - {rule: lv-battery-low, signal: Vehicle.LowVoltageBattery.CurrentVoltage,
           below: 11.8, clear: 12.2, for: 20}

A signal neither listed nor covered by ``default`` is not collected (not even decoded). When the
month's use runs ahead of the budget, ``low`` signals are sent 4 times less often, and at twice
the budget's pace ``normal`` ones too; ``high`` ones never slow down (see ``gateway.reduce``).
``load_plan``/``parse_plan`` raise ``PlanError`` naming the source, the signal and the field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.capture import OPERATORS, CaptureRule
from gateway.errors import PlanError
from gateway.triggers import TriggerPlan, parse_triggers
from gateway.yamlfile import read_yaml

PRIORITIES = {"high": 2, "normal": 1, "low": 0}
_SIGNAL_KEYS = {"interval", "on_change", "heartbeat", "priority"}


@dataclass(frozen=True, slots=True)
class SignalRule:
    interval: float = 0.0
    on_change: float | None = None
    heartbeat: float = 300.0
    priority: int = PRIORITIES["normal"]


@dataclass(frozen=True, slots=True)
class CollectionPlan:
    name: str
    rules: Mapping[str, SignalRule]  # canonical name -> rule, for the profile's signals
    budget_bytes: int | None = None
    hash: str = ""
    batch_seconds: float | None = None
    captures: tuple[CaptureRule, ...] = ()
    triggers: TriggerPlan | None = None  # None: the gateway's own (``--triggers``), if any

    def decode_intervals(self) -> dict[str, float]:
        """Per signal, how often the decoder must decode it: its interval, or every frame for
        the signals of a capture window (and its condition)."""
        intervals = {name: rule.interval for name, rule in self.rules.items()}
        for capture in self.captures:
            for name in (capture.signal, *capture.signals):
                intervals[name] = 0.0
        return intervals


def load_plan(path: Path, signals: Collection[str]) -> CollectionPlan:
    """Read a plan file for a profile with these canonical ``signals``."""
    return parse_plan(read_yaml(path, "plan", PlanError), signals, str(path))


def parse_plan(doc: object, signals: Collection[str], source: str = "plan") -> CollectionPlan:
    """Validate a plan document (YAML or JSON, already parsed)."""
    if not isinstance(doc, dict):
        raise PlanError(f"{source}: a plan must be a mapping")
    unknown = set(doc) - {"name", "budget_mb_per_month", "batch_seconds", "default", "signals"}
    unknown -= {"captures", "triggers"}
    if unknown:
        raise PlanError(f"{source}: unknown keys {sorted(unknown)}")
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise PlanError(f"{source}: 'name' must be a non-empty string")
    budget = doc.get("budget_mb_per_month")
    if budget is not None and (type(budget) not in (int, float) or budget <= 0):
        raise PlanError(f"{source}: 'budget_mb_per_month' must be a positive number")
    batch = doc.get("batch_seconds")
    if batch is not None and (type(batch) not in (int, float) or not 0 < batch <= 3600):
        raise PlanError(f"{source}: 'batch_seconds' must be a number of seconds in (0, 3600]")
    listed = doc.get("signals", {})
    if not isinstance(listed, dict):
        raise PlanError(f"{source}: 'signals' must map canonical names to rules")
    strangers = sorted(set(listed) - set(signals))
    if strangers:
        raise PlanError(f"{source}: signal {strangers[0]!r}: not a signal of the vehicle profile")
    rules = {str(k): _rule(f"{source}: signal {k!r}", v) for k, v in listed.items()}
    if doc.get("default") is not None:
        default = _rule(f"{source}: 'default'", doc["default"])
        rules = {**dict.fromkeys(signals, default), **rules}
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
    return CollectionPlan(
        name=name,
        rules=rules,
        budget_bytes=None if budget is None else int(budget * 1024 * 1024),
        hash=digest[:12],
        batch_seconds=None if batch is None else float(batch),
        captures=_captures(source, doc.get("captures", []), signals),
        triggers=None
        if doc.get("triggers") is None
        else parse_triggers(doc["triggers"], f"{source}: triggers"),
    )


def _rule(where: str, spec: object) -> SignalRule:
    if not isinstance(spec, dict):
        raise PlanError(f"{where}: expected a mapping of {sorted(_SIGNAL_KEYS)}")
    unknown = set(spec) - _SIGNAL_KEYS
    if unknown:
        raise PlanError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    interval = _seconds(where, spec, "interval", 0.0)
    heartbeat = _seconds(where, spec, "heartbeat", 300.0)
    on_change = spec.get("on_change")
    if on_change is not None and (type(on_change) not in (int, float) or on_change < 0):
        raise PlanError(f"{where}: field 'on_change' must be a number >= 0, got {on_change!r}")
    priority = spec.get("priority", "normal")
    if priority not in PRIORITIES:
        raise PlanError(f"{where}: field 'priority' must be one of {sorted(PRIORITIES)}")
    return SignalRule(
        interval=interval,
        on_change=None if on_change is None else float(on_change),
        heartbeat=heartbeat,
        priority=PRIORITIES[priority],
    )


def _captures(source: str, raw: object, signals: Collection[str]) -> tuple[CaptureRule, ...]:
    if not isinstance(raw, list):
        raise PlanError(f"{source}: 'captures' must be a list")
    return tuple(_capture(f"{source}: captures[{i}]", item, signals) for i, item in enumerate(raw))


def _capture(where: str, spec: object, signals: Collection[str]) -> CaptureRule:
    if not isinstance(spec, dict):
        raise PlanError(f"{where}: expected a mapping with name, when, before, after, signals")
    unknown = set(spec) - {"name", "when", "before", "after", "signals"}
    if unknown:
        raise PlanError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    name, when, listed = spec.get("name"), spec.get("when"), spec.get("signals")
    if not isinstance(name, str) or not name:
        raise PlanError(f"{where}: field 'name' must be a non-empty string")
    where = f"{where} ({name})"
    if not isinstance(when, dict) or set(when) != {"signal", "op", "value"}:
        raise PlanError(f"{where}: field 'when' must be {{signal, op, value}}")
    if when["signal"] not in signals:
        raise PlanError(f"{where}: field 'when': {when['signal']!r} is not a profile signal")
    if when["op"] not in OPERATORS:
        raise PlanError(f"{where}: field 'when': op must be one of {sorted(OPERATORS)}")
    if type(when["value"]) not in (int, float):
        raise PlanError(f"{where}: field 'when': value must be a number")
    if not isinstance(listed, list) or not listed:
        raise PlanError(f"{where}: field 'signals' must list profile signals")
    strangers = [s for s in listed if s not in signals]
    if strangers:
        raise PlanError(f"{where}: field 'signals': {strangers[0]!r} is not a profile signal")
    return CaptureRule(
        name=name,
        signal=when["signal"],
        op=when["op"],
        value=float(when["value"]),
        before=_seconds(where, spec, "before", 0.0),
        after=_seconds(where, spec, "after", 0.0),
        signals=tuple(str(s) for s in listed),
    )


def _seconds(where: str, spec: Mapping[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    if type(value) not in (int, float) or value < 0:
        raise PlanError(f"{where}: field {key!r} must be a number of seconds >= 0, got {value!r}")
    return float(value)
