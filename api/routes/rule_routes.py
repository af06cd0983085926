from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api import job_views as views
from api import rules_view
from api.deps import ClockDep, From, JobsDep, RulesDep, TelemetryDep, To, Vin
from api.keys import Role
from api.schemas import BacktestResult, RuleInfo, RulePrecision, problem
from api.scope import AccessDep, visible_vin
from api.timerange import TimeRange, resolve_range

UNAVAILABLE = problem(503, "A store is unavailable.")
ENGINEERS = frozenset({Role.ENGINEER})
BACKTEST_DEFAULT_S = 86400.0
BACKTEST_MAX_S = 7 * 86400.0
RuleId = Annotated[str, Path(max_length=200, description="The rule's id, e.g. lv-battery-low.")]

router = APIRouter(prefix="/rules", tags=["rules"], responses=UNAVAILABLE)


@router.get("", summary="The rule catalogue", responses=problem(403, "Engineers only."))
def list_rules(access: AccessDep, jobs: JobsDep, rules: RulesDep) -> list[RuleInfo]:
    """Every loaded rule: id, title, kind, severity, its condition in words, the signals it
    reads, and how its jobs ended (jobs, fixed, no fault found, precision)."""
    access.require(ENGINEERS, "read the rule catalogue")
    return rules_view.catalogue(rules, _precision(access, jobs))


@router.get("/precision", summary="How often each rule was right")
def precision(access: AccessDep, jobs: JobsDep) -> list[RulePrecision]:
    """Per rule, over the jobs you may see: jobs opened, completed as fixed or as no fault
    found, and precision = fixed / (fixed + no_fault_found)."""
    return _precision(access, jobs)


async def backtest_range(clock: ClockDep, start: From = None, end: To = None) -> TimeRange:
    """By default the last day; at most 7 days (a replay reads every stored sample)."""
    return resolve_range(start, end, clock(), BACKTEST_DEFAULT_S, BACKTEST_MAX_S)


@router.get(
    "/{rule_id}/backtest",
    summary="Replay a vehicle's history through a rule",
    responses={**problem(403, "Engineers only."), **problem(404, "No such rule or vehicle.")},
)
def backtest(
    *,
    rule_id: RuleId,
    vin: Annotated[Vin, Query(description="The vehicle whose stored samples are replayed.")],
    span: Annotated[TimeRange, Depends(backtest_range)],
    access: AccessDep,
    telemetry: TelemetryDep,
    rules: RulesDep,
) -> BacktestResult:
    """When the rule would have gone pending, fired and resolved on the vehicle's stored
    samples with ``from <= ts < to`` (by default the last day, at most 7 days). Rules that
    match trouble codes cannot be replayed (422)."""
    access.require(ENGINEERS, "backtest rules")
    visible_vin(access, vin)
    return rules_view.run_backtest(rules, rule_id, telemetry, vin, span)


def _precision(access: AccessDep, jobs: JobsDep) -> list[RulePrecision]:
    return views.precision([job for job in jobs.list_jobs() if access.sees_job(job)])
