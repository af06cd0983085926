"""``/rules/page``: the rule catalogue, precision per rule and backtests, for engineers; any
other role gets the 403 page. The backtest is this page's GET form: a wrong VIN, rule or range
is said on the page (422), next to the form that holds what was typed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api import job_views as views
from api import rules_view
from api.deps import VIN_PATTERN, ClockDep, JobsDep, RulesDep, TelemetryDep
from api.errors import InvalidInputError, NotFoundError
from api.routes.page_routes import PageAccess
from api.routes.rule_routes import BACKTEST_DEFAULT_S, BACKTEST_MAX_S, ENGINEERS
from api.rules_page import BacktestForm, rules_page
from api.schemas import BacktestResult
from api.scope import Access, visible_vin
from api.timerange import resolve_range
from ingest.store import TelemetryStore
from rules.model import Rule

MAX_VINS = 500  # the form's suggestions; any VIN may be typed
Field = Annotated[str, Query(max_length=200)]
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/rules/page")
def page(  # noqa: PLR0917 - FastAPI's dependencies and the form's fields
    access: PageAccess,
    jobs: JobsDep,
    rules: RulesDep,
    telemetry: TelemetryDep,
    clock: ClockDep,
    rule: Field = "",
    vin: Field = "",
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> HTMLResponse:
    access.require(ENGINEERS, "read the rule catalogue")
    seen = [job for job in jobs.list_jobs() if access.sees_job(job)]
    catalogue = rules_view.catalogue(rules, views.precision(seen))
    form = BacktestForm(rule, vin.strip(), start, end)
    result, error = None, None
    if rule:  # the form was sent
        try:
            result = _run(form, access, rules, telemetry, clock())
        except (InvalidInputError, NotFoundError) as err:
            error = str(err)
    vins = [v.vin for v in telemetry.vehicles() if access.sees_vin(v.vin)][:MAX_VINS]
    body = rules_page(rules, catalogue, vins, form, result=result, error=error)
    return HTMLResponse(body, status_code=422 if error else 200)


def _run(
    form: BacktestForm,
    access: Access,
    rules: Sequence[Rule],
    telemetry: TelemetryStore,
    now: float,
) -> BacktestResult:
    if not re.fullmatch(VIN_PATTERN, form.vin):
        message = f"{form.vin!r} is not a VIN: a VIN is 17 letters and digits"
        raise InvalidInputError(("query", "vin"), message, form.vin)
    span = resolve_range(
        form.start or None, form.end or None, now, BACKTEST_DEFAULT_S, BACKTEST_MAX_S
    )
    visible_vin(access, form.vin)
    return rules_view.run_backtest(rules, form.rule, telemetry, form.vin, span)
