"""A telemetry batch through the rules (pure): ``evaluate_columns``, the worker's path.

A batch is evaluated per column where the rules allow. When every column shares one list of
times, each after its window's newest point (a fleet's batches), the derived series, buckets
and running hours are made per column (rules/columns.py), the rules the batch cannot move are
found from the columns' extremes in one pass (rules/quiet.py), every column joins its window
whole, and only the rules left (busy alerts, rates and trends at a closed bucket) are stepped,
at the instants that trigger them. Any other batch (out of order, late, partial) is derived
and stepped instant by instant, with the same quiet check. Both give exactly what stepping
every rule at every instant gives (tests/rules/test_columns.py).

A sample more than ``FUTURE_TOLERANCE_S`` ahead of ``now`` is ignored and counted; a sample
older than what an alert has seen does not move it (counted late) but joins the window.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import islice

from rules.columns import Derived, derive_columns
from rules.conditions import Maintenance, NoData
from rules.intake import RuleIndex, derive, index_of
from rules.measure import Measurement, measure
from rules.model import Rule
from rules.quiet import Column, quiet_rules
from rules.state import AlertState, EngineState, ServiceMark
from rules.transition import Transition, advance
from rules.window import SampleWindow

FUTURE_TOLERANCE_S = 300.0
"""Samples more than this far ahead of ``now`` are ignored and counted."""


def evaluate_columns(
    rules: tuple[Rule, ...],
    state: EngineState,
    columns: Mapping[str, Column],
    vin: str,
    now: float,
    *,
    others: Sequence[float] = (),
) -> list[Transition]:
    """``evaluate`` on a batch kept column-wise (signal -> (times in seconds, values)), the
    worker's path: no object per sample, the rules the batch cannot move found per column
    (rules/quiet.py), each column absorbed into its window whole, then the instants stepped
    in time order for the other rules. ``others``: the newest sample time of each series of
    the batch that no rule reads (rules/decode.py leaves them out of ``columns``): when the
    vehicle was heard from."""
    index = index_of(state, rules)
    latest = now + FUTURE_TOLERANCE_S
    mine, heard, wanted = _split(index.window_signals, columns, latest, state)
    elsewhere = max((t for t in others if t <= latest), default=None)
    if elsewhere is not None and (heard is None or elsewhere > heard):
        heard = elsewhere
    transitions: list[Transition] = []
    silence = tuple(r for r in rules if isinstance(r.condition, NoData))
    if heard is not None and not wanted:
        transitions.extend(resolve_silence(silence, state, vin, heard))
    if heard is not None and heard > state.last_seen.get(vin, float("-inf")):
        state.last_seen[vin] = heard
    if not mine:
        return transitions
    derived = derive_columns(index, state, vin, mine)
    if derived is not None:
        transitions.extend(_by_column(index, state, vin, mine, derived, silence=silence))
        return transitions
    instants = _instants(mine)
    first = instants[0][0]
    # one instant (a 1 s batch): stepping each rule once costs less than proving it quiet
    quiet = quiet_rules(rules, state, vin, mine, first) if len(instants) > 1 else {}
    windows = _absorb(index, state, vin, mine)
    for ts, names in instants:
        updated = derive(index, state, vin, ts, set(names))
        transitions.extend(resolve_silence(silence, state, vin, ts))
        for rule in index.due(updated):
            if rule.id not in quiet:
                transitions.extend(_step(state, rule, vin, ts))
    _settle(windows)
    return transitions


def _by_column(
    index: RuleIndex,
    state: EngineState,
    vin: str,
    mine: dict[str, Column],
    derived: Derived,
    *,
    silence: tuple[Rule, ...],
) -> list[Transition]:
    """The batch's instants when every column shares them (rules/columns.py): the derived
    series, buckets and running hours are made per column already; only the rules neither
    quiet nor idle are stepped, at the instants where something triggers them."""
    times = derived.times
    hours = derived.hours
    columns = {**mine, **derived.columns}
    final = hours[-1][1] if hours else None
    quiet = quiet_rules(index.rules, state, vin, columns, times[0], hours=final, shared=True)
    windows = _absorb(index, state, vin, columns, increasing=True)
    base = set(columns)
    stepped = [r for r in index.due(base) if r.id not in quiet]
    busy = any(_busy(state, vin, r) for r in silence)
    transitions: list[Transition] = []
    if stepped or derived.feeds or busy:
        for i, ts in enumerate(times):
            if hours is not None:
                state.running_hours[vin] = hours[i]
            closed = derived.closed(ts) if derived.feeds else None
            if busy:
                transitions.extend(resolve_silence(silence, state, vin, ts))
            due = index.due(base.union(closed)) if closed else stepped
            for rule in due:
                if rule.id not in quiet:
                    transitions.extend(_step(state, rule, vin, ts))
        if hours is not None:
            state.running_hours[vin] = hours[-1]
    _settle(windows)
    return transitions


def _absorb(
    index: RuleIndex,
    state: EngineState,
    vin: str,
    columns: Mapping[str, Column],
    *,
    increasing: bool = False,
) -> list[SampleWindow]:
    """Every column into its window whole (pruned once the batch is measured: ``_settle``);
    ``increasing``: the times are known to be strictly increasing."""
    windows = []
    for name, (times, values) in columns.items():
        window = state.window(vin, name, index.keep_s(name))
        window.extend(times, values, increasing=increasing)
        windows.append(window)
    return windows


def _settle(windows: list[SampleWindow]) -> None:
    """After the batch is measured: prune the windows."""
    for window in windows:
        window.prune()


def _busy(state: EngineState, vin: str, rule: Rule) -> bool:
    alert = state.alerts.get((vin, rule.id))
    return alert is not None and alert.state in (AlertState.FIRING, AlertState.PENDING)


def _split(
    wanted: frozenset[str], columns: Mapping[str, Column], latest: float, state: EngineState
) -> tuple[dict[str, Column], float | None, bool]:
    """The columns some rule reads, sorted and without samples beyond ``latest`` (counted);
    the newest time not beyond it of any column (when the vehicle was heard from); whether
    any column some rule reads had a sample at all."""
    mine: dict[str, Column] = {}
    heard: float | None = None
    any_wanted = False
    seen: list[float] | None = None  # times already found in order (columns share them)
    seen_cut = 0
    for name, column in columns.items():
        if column[0] is seen:
            (ts, values), cut = column, seen_cut
        else:
            ts, values = column if len(column[0]) < 2 else _sorted(column)
            if not ts:
                continue
            cut = bisect.bisect_right(ts, latest)
            if ts is column[0]:
                seen, seen_cut = ts, cut
        if cut and (heard is None or ts[cut - 1] > heard):
            heard = ts[cut - 1]
        if name not in wanted:
            continue
        any_wanted = True
        if cut < len(ts):
            state.future_samples += len(ts) - cut
        if cut:
            mine[name] = (ts[:cut], values[:cut]) if cut < len(ts) else (ts, values)
    return mine, heard, any_wanted


def _sorted(column: Column) -> Column:
    """The column in time order (stable: samples of one instant stay in the order sent)."""
    ts, values = column
    if all(map(operator.le, ts, islice(ts, 1, None))):
        return column
    order = sorted(range(len(ts)), key=ts.__getitem__)
    return [ts[i] for i in order], [values[i] for i in order]


def _instants(columns: Mapping[str, Column]) -> list[tuple[float, Collection[str]]]:
    """Every instant of the batch in time order, with the signals that have a sample then
    (one pass when every column shares its times, as a fleet's batches do)."""
    names = list(columns)
    first = columns[names[0]][0]
    if all(columns[n][0] == first for n in names[1:]):
        return [(ts, names) for ts in dict.fromkeys(first)]
    at: dict[float, list[str]] = {}
    for name, (ts, _values) in columns.items():
        for t in ts:
            at.setdefault(t, []).append(name)
    return sorted(at.items())


def _step(state: EngineState, rule: Rule, vin: str, ts: float) -> list[Transition]:
    alert = state.alert(vin, rule.id)
    if ts < alert.last_ts:
        state.late_samples += 1
        return []
    if isinstance(rule.condition, Maintenance):
        _ensure_mark(state, rule, vin, ts)
    found = measure(rule.condition, state, vin, ts, rule.id)
    if found is None:
        return []
    alert.last_ts = ts
    return advance(state, rule, alert, vin, at=ts, found=found)


def _ensure_mark(state: EngineState, rule: Rule, vin: str, ts: float) -> None:
    """A maintenance interval counts from the last service, else from when the car was first
    seen; the odometer of a fresh mark is filled in from the first reading after it."""
    cond = rule.condition
    assert isinstance(cond, Maintenance)
    mark = state.services.get((vin, rule.id))
    if mark is None:
        mark = state.services[(vin, rule.id)] = ServiceMark(at=ts)
    if mark.km is None:
        window = state.windows.get((vin, cond.distance_signal))
        mark.km = window.latest(ts) if window else None
        mark.hours = state.running_hours.get(vin, (ts, 0.0))[1]


def resolve_silence(
    rules: Iterable[Rule], state: EngineState, vin: str, ts: float
) -> list[Transition]:
    """Data arrived: every firing or pending no-data alert of this vehicle clears."""
    out: list[Transition] = []
    for rule in rules:
        if not isinstance(rule.condition, NoData):
            continue
        alert = state.alerts.get((vin, rule.id))
        if alert is None or alert.state not in (AlertState.FIRING, AlertState.PENDING):
            continue
        found = Measurement(0.0, False, True)
        alert.last_ts = ts
        out.extend(advance(state, rule, alert, vin, at=ts, found=found))
    return out
