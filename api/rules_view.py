"""The rule catalogue and backtests, as the API shows them: pure over the loaded rules."""

from __future__ import annotations

import math
from collections.abc import Sequence

from api.errors import InvalidInputError, NotFoundError
from api.schemas import BacktestResult, BacktestTransition, RuleInfo, RulePrecision
from api.timerange import TimeRange
from ingest.store import TelemetryStore
from rules.backtest import backtest
from rules.conditions import DtcPattern
from rules.errors import RuleError
from rules.model import Rule


def catalogue(rules: Sequence[Rule], precision: Sequence[RulePrecision]) -> list[RuleInfo]:
    """Every loaded rule by id, with its precision merged in (zeros for rules without jobs)."""
    by_rule = {p.rule_id: p for p in precision}
    out = []
    for rule in sorted(rules, key=lambda r: r.id):
        known = by_rule.get(rule.id)
        tally = known.model_dump(exclude={"rule_id"}) if known is not None else {}
        out.append(
            RuleInfo(
                id=rule.id,
                title=rule.title,
                kind=rule.kind,
                severity=rule.severity.value,
                condition=rule.condition.describe(),
                signals=list(rule.signals),
                **tally,
            )
        )
    return out


def run_backtest(
    rules: Sequence[Rule], rule_id: str, telemetry: TelemetryStore, vin: str, span: TimeRange
) -> BacktestResult:
    """Replay the vehicle's stored samples in ``span`` through one rule."""
    rule = next((r for r in rules if r.id == rule_id), None)
    if rule is None:
        raise NotFoundError(f"there is no rule {rule_id!r}; see /rules")
    if isinstance(rule.condition, DtcPattern):
        message = f"rule {rule_id!r} matches trouble codes; backtests replay telemetry only"
        raise InvalidInputError(("path", "rule_id"), message, rule_id)
    try:
        result = backtest(rule, telemetry, vin, span.start, span.end)
    except RuleError as err:
        raise InvalidInputError(("path", "rule_id"), str(err), rule_id) from err
    return BacktestResult(
        rule_id=rule.id,
        vin=vin,
        start=span.start,
        end=span.end,
        samples=result.samples,
        firings=len(result.firings),
        firing_s=result.firing_seconds(),
        transitions=[
            BacktestTransition(at=t.at, state=t.to_state.value, value=_finite(t.value))
            for t in result.transitions
        ],
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
