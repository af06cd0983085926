"""Triggers: conditions of the cloud's rules, checked in the car, that close a batch at once.

The gateway batches about a second of samples per message (fewer, fuller messages are what
owners pay for in data). A fault would then wait up to that second in the car before the cloud
sees it. A trigger (the way AWS IoT FleetWise does condition-based collection) names a
condition on one signal; when a sample kept for sending meets it, the open batch is flushed at
once instead of waiting for its second to pass. Triggers change *when* data leaves, never
*what*: the same samples travel, in more, smaller batches around a fault.

The car never reads the rule catalogue: the cloud compiles it (``pitstop rules triggers``,
``rules.triggers``) into this plain document, which the car loads from a file
(``pitstop gateway --triggers``) or receives in its collection plan (a plan's ``triggers:``
key, also through the remote ``set_plan`` command)::

    min_gap: 5                       # optional: seconds of frame time between two early
                                     # flushes of one trigger (default 5)
    triggers:
      - {rule: lv-battery-low, signal: Vehicle.LowVoltageBattery.CurrentVoltage,
         below: 11.8, clear: 12.2, for: 20}       # threshold with hysteresis and hold
      - {rule: coolant-level-low, signal: Vehicle.Powertrain.CoolantLevelLow, equals: 1}
      - {rule: hv-isolation-fault, dtc: "P0AA6*"}  # a trouble code appearing

A threshold trigger follows the rules engine's alert (``rules.transition``): the first sample
past the level starts it (pending) and flushes; a sample not past it while pending ends it; the
first sample ``for`` seconds after the start completes the hold, the moment the rule fires in
the cloud, and flushes again; once held, it re-arms only when a sample is back past ``clear``
(hysteresis, so a value dithering around the level does not trigger again and again). An
``equals`` trigger is a threshold whose condition is equality. A ``dtc`` trigger flushes the
telemetry batch when a trouble-code report with a matching code is read from the bus (the report
itself is its own message, sent at once), so the samples before the code travel with it.

Rate limit: two early flushes of one trigger are at least ``min_gap`` seconds of frame time
apart, so a flapping signal cannot flood the broker (at most one extra message per trigger per
``min_gap``). The hold's flush is exempt when ``for`` is at least ``min_gap``: two of them are
then already a hold apart. A flush the limit refuses is simply not early: the batch closes on
its usual interval. Checking costs one dictionary lookup per kept sample, and the comparison
only for the signals that have a trigger.
"""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import PlanError
from gateway.yamlfile import read_yaml
from pitstop.codec import Sample

DEFAULT_MIN_GAP_S = 5.0
_OPS: dict[str, Callable[[float, float], bool]] = {
    "below": operator.lt,
    "above": operator.gt,
    "equals": operator.eq,
}
_SIGNAL_KEYS = {"rule", "signal", "below", "above", "equals", "clear", "for"}


@dataclass(frozen=True, slots=True)
class Trigger:
    """A condition on one signal: ``op`` (below | above | equals) ``level``, re-armed past
    ``clear`` (for ``equals``: when the value differs), complete after ``hold_s``."""

    rule: str
    signal: str
    op: str
    level: float
    clear: float
    hold_s: float = 0.0


@dataclass(frozen=True, slots=True)
class DtcTrigger:
    rule: str
    code: str  # a glob, e.g. ``P0A7*``


@dataclass(frozen=True, slots=True)
class TriggerPlan:
    """What the car loads: the triggers and the rate limit."""

    signals: tuple[Trigger, ...] = ()
    dtcs: tuple[DtcTrigger, ...] = ()
    min_gap_s: float = DEFAULT_MIN_GAP_S

    def __bool__(self) -> bool:
        return bool(self.signals or self.dtcs)


def load_triggers(path: Path) -> TriggerPlan:
    """Read a triggers file (YAML or JSON) compiled by the cloud."""
    return parse_triggers(read_yaml(path, "triggers", PlanError), str(path))


def parse_triggers(doc: object, source: str = "triggers") -> TriggerPlan:
    """Validate a triggers document; ``PlanError`` names the source, the entry and the field."""
    if not isinstance(doc, dict) or set(doc) - {"min_gap", "triggers"}:
        raise PlanError(f"{source}: a triggers document is a mapping of min_gap and triggers")
    gap = doc.get("min_gap", DEFAULT_MIN_GAP_S)
    if type(gap) not in (int, float) or gap < 0:
        raise PlanError(f"{source}: 'min_gap' must be a number of seconds >= 0")
    items = doc.get("triggers", [])
    if not isinstance(items, list):
        raise PlanError(f"{source}: 'triggers' must be a list")
    signals: list[Trigger] = []
    dtcs: list[DtcTrigger] = []
    for i, item in enumerate(items):
        parsed = _entry(f"{source}: triggers[{i}]", item)
        if isinstance(parsed, DtcTrigger):
            dtcs.append(parsed)
        else:
            signals.append(parsed)
    return TriggerPlan(tuple(signals), tuple(dtcs), float(gap))


def _entry(where: str, item: object) -> Trigger | DtcTrigger:
    if not isinstance(item, dict):
        raise PlanError(f"{where}: expected a mapping")
    rule = item.get("rule", "")
    if not isinstance(rule, str):
        raise PlanError(f"{where}: field 'rule' must be a string")
    if "dtc" in item:
        if set(item) - {"rule", "dtc"} or not isinstance(item["dtc"], str) or not item["dtc"]:
            raise PlanError(f"{where}: a dtc trigger is {{rule, dtc: <code glob>}}")
        return DtcTrigger(rule, item["dtc"])
    unknown = set(item) - _SIGNAL_KEYS
    if unknown:
        raise PlanError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    signal = item.get("signal")
    if not isinstance(signal, str) or not signal:
        raise PlanError(f"{where}: field 'signal' must name a canonical signal")
    ops = [op for op in _OPS if op in item]
    if len(ops) != 1:
        raise PlanError(f"{where}: give exactly one of {sorted(_OPS)}")
    op = ops[0]
    level = _number(where, item, op, None)
    clear = _number(where, item, "clear", level)
    hold = _number(where, item, "for", 0.0)
    if hold < 0 or (op == "below" and clear < level) or (op == "above" and clear > level):
        raise PlanError(f"{where}: 'clear' must be on the healthy side of the level, 'for' >= 0")
    return Trigger(rule, signal, op, level, clear, hold)


def _number(where: str, item: Mapping[str, object], key: str, default: float | None) -> float:
    value = item.get(key, default)
    if type(value) not in (int, float):
        raise PlanError(f"{where}: field {key!r} must be a number, got {value!r}")
    return float(value)  # type: ignore[arg-type]


class _Armed:
    """One trigger's state, like the engine's alert: idle, pending since ``since``, or held."""

    __slots__ = ("cleared", "exempt", "held", "last_flush", "meets", "since", "trigger")

    def __init__(self, trigger: Trigger, min_gap: float) -> None:
        self.trigger = trigger
        self.meets = _OPS[trigger.op]
        level, clear = trigger.level, trigger.clear
        if trigger.op == "equals":
            self.cleared: Callable[[float], bool] = lambda v: v != level
        elif trigger.op == "below":  # back past ``clear``, as ``rules.conditions.Limit``
            self.cleared = lambda v: v > clear
        else:
            self.cleared = lambda v: v < clear
        self.since: float | None = None
        self.held = False
        self.last_flush = float("-inf")
        self.exempt = trigger.hold_s >= min_gap

    def feed(self, ts: float, value: float, min_gap: float) -> bool:
        """Take one sample; True when it asks for a flush (edge or hold), within the limit."""
        trigger = self.trigger
        if self.held:
            if self.cleared(value):
                self.held = False
            return False
        if not self.meets(value, trigger.level):
            self.since = None
            return False
        edge = self.since is None
        if edge:
            self.since = ts
        done = ts - self.since >= trigger.hold_s  # type: ignore[operator]
        if done:
            self.held = True
            self.since = None
        if (done and self.exempt) or ((edge or done) and ts - self.last_flush >= min_gap):
            self.last_flush = ts
            return True
        return False


class Triggers:
    """The reader's checker: ``check`` the samples just kept; ``dtc`` a trouble-code report."""

    def __init__(self, plan: TriggerPlan) -> None:
        self.plan = plan
        self._min_gap = plan.min_gap_s
        self._by_signal: dict[str, list[_Armed]] = {}
        for trigger in plan.signals:
            self._by_signal.setdefault(trigger.signal, []).append(_Armed(trigger, plan.min_gap_s))
        self._dtc_last: dict[str, float] = {}
        self.fired = 0  # early flushes asked for

    @property
    def signals(self) -> frozenset[str]:
        return frozenset(self._by_signal)

    def check(self, samples: Sequence[Sample], start: int = 0) -> bool:
        """Whether one of ``samples[start:]`` asks for the batch to be flushed now."""
        by_signal = self._by_signal
        flush = False
        for i in range(start, len(samples)):
            sample = samples[i]
            armed = by_signal.get(sample.signal)
            if armed is None:
                continue
            for one in armed:
                if one.feed(sample.ts, sample.value, self._min_gap):
                    flush = True
        if flush:
            self.fired += 1
        return flush

    def dtc(self, codes: Iterable[str], ts: float) -> bool:
        """Whether a report with these codes asks for a flush (rate-limited per trigger)."""
        codes = list(codes)
        for trigger in self.plan.dtcs:
            if not any(fnmatch.fnmatchcase(code, trigger.code) for code in codes):
                continue
            if ts - self._dtc_last.get(trigger.code, float("-inf")) >= self._min_gap:
                self._dtc_last[trigger.code] = ts
                self.fired += 1
                return True
        return False
