"""The rules page, for engineers: the catalogue (what each rule reads, when it fires and how it
clears), how often each rule was right, and a backtest run from the browser as a plain GET
form (no script: the answer is this page again, with the replay's result or what was wrong).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.html import Child, Html, document, el, join, table, when
from api.schemas import BacktestResult, RuleInfo
from rules.conditions import DtcPattern, RateOfChange, Threshold, WindowStat, format_duration
from rules.model import Rule

MAX_TRANSITIONS = 200  # a noisy rule over a week flips often; the page shows the first ones


@dataclass(frozen=True, slots=True)
class BacktestForm:
    """What the form holds: as typed, so that a wrong value is shown back to be corrected."""

    rule: str = ""
    vin: str = ""
    start: str = ""
    end: str = ""


def rules_page(
    rules: Sequence[Rule],
    catalogue: Sequence[RuleInfo],
    vins: Sequence[str],
    form: BacktestForm,
    *,
    result: BacktestResult | None = None,
    error: str | None = None,
) -> Html:
    by_id = {rule.id: rule for rule in rules}
    return document(
        "Rules",
        join(
            el("h1", "Rules"),
            el("p", f"{len(catalogue)} rules are loaded.", class_="muted"),
            _backtest(rules, vins, form, result, error),
            el("h2", "Catalogue", id="catalogue"),
            stacked_table(
                ["Rule", "Kind", "Severity", "Condition", "Signals", "Hold and clear"],
                [_catalogue_row(info, by_id[info.id]) for info in catalogue if info.id in by_id],
                "No rules are loaded.",
            ),
            el("h2", "Precision", id="precision"),
            el(
                "p",
                "How the jobs each rule opened ended: precision is (fixed - comebacks) / "
                "(fixed + no fault found), over the jobs you may see.",
                class_="muted",
            ),
            stacked_table(
                ["Rule", "Jobs", "Fixed", "No fault found", "Comebacks", "Precision"],
                [_precision_row(info) for info in catalogue],
                "No rules are loaded.",
            ),
        ),
    )


def stacked_table(headers: list[str], rows: list[list[Child]], empty: str) -> Html:
    """A table that a phone shows as one block per row, each cell under its column's name
    (``data-label``, shown by pitstop.css below 40rem); a desktop shows a plain table."""
    if not rows:
        return el("p", empty, class_="muted")
    head = el("tr", *(el("th", h, scope="col") for h in headers))
    body = join(
        *(
            el("tr", *(el("td", cell, data_label=h) for h, cell in zip(headers, row, strict=True)))
            for row in rows
        )
    )
    return el("table", el("thead", head), el("tbody", body), class_="stacked")


def _catalogue_row(info: RuleInfo, rule: Rule) -> list[Child]:
    return [
        join(el("strong", info.title), " ", el("code", info.id, class_="rule-id")),
        info.kind,
        el("span", info.severity, class_=f"sev sev-{info.severity}"),
        info.condition,
        join(*(el("code", s, class_="signal") for s in info.signals)) if info.signals else "—",
        hold_and_clear(rule),
    ]


def hold_and_clear(rule: Rule) -> str:
    """``holds 5m; clears back past 12.2 for 1m``: the rule's ``for:`` and its hysteresis."""
    cond = rule.condition
    hold = f"holds {format_duration(cond.hold_s)}" if cond.hold_s else "fires at once"
    level = _clear_level(rule)
    back = f" back past {level:g}" if level is not None else ""
    clear = f"clears{back} after {format_duration(cond.clear_hold_s)}" if cond.clear_hold_s else ""
    if not clear:
        clear = f"clears{back} at once"
    return f"{hold}; {clear}"


def _clear_level(rule: Rule) -> float | None:
    cond = rule.condition
    if isinstance(cond, Threshold):
        return cond.clear_level
    if isinstance(cond, WindowStat | RateOfChange):
        return cond.limit.clear_level
    return None


def _precision_row(info: RuleInfo) -> list[Child]:
    if not info.jobs:
        return [info.title, el("span", "no jobs yet", class_="muted"), None, None, None, None]
    precision = "—" if info.precision is None else f"{info.precision * 100:.0f} %"
    return [info.title, info.jobs, info.fixed, info.no_fault_found, info.comebacks, precision]


def _backtest(
    rules: Sequence[Rule],
    vins: Sequence[str],
    form: BacktestForm,
    result: BacktestResult | None,
    error: str | None,
) -> Html:
    replayable = [r for r in sorted(rules, key=lambda r: r.id) if not _matches_codes(r)]
    options = (
        el(
            "option",
            f"{r.title} ({r.id})",
            value=r.id,
            selected="selected" if r.id == form.rule else None,
        )
        for r in replayable
    )
    fields = el(
        "form",
        el(
            "p",
            el("label", "Rule ", el("select", *options, name="rule", id="bt-rule"), for_="bt-rule"),
        ),
        el(
            "p",
            el("label", "VIN ", for_="bt-vin"),
            el(
                "input",
                name="vin",
                id="bt-vin",
                value=form.vin,
                required="required",
                autocomplete="off",
                list="bt-vins",
                size=19,
            ),
            el("datalist", *(el("option", value=v) for v in vins), id="bt-vins"),
        ),
        el(
            "p",
            el(
                "label",
                "From (UTC) ",
                el("input", type="datetime-local", name="from", value=form.start),
            ),
            el("label", "To (UTC) ", el("input", type="datetime-local", name="to", value=form.end)),
        ),
        el("p", "Empty times replay the last day; at most 7 days at a time.", class_="muted"),
        el("button", "Run backtest", type="submit"),
        method="get",
        action="/rules/page#backtest",
        class_="backtest",
    )
    outcome = _error(error) if error else _result(result) if result else None
    return el(
        "section", el("h2", "Backtest", id="backtest"), fields, outcome, aria_labelledby="backtest"
    )


def _error(message: str) -> Html:
    return el("p", message, class_="error", role="alert")


def _result(result: BacktestResult) -> Html:
    span = f"{when(result.start)} to {when(result.end)}"
    firing = [t for t in result.transitions if t.state == "firing"]
    if not result.samples:
        verdict = el("p", f"No stored samples of this rule's signals for {result.vin} from {span}.")
    elif firing:
        verdict = el(
            "p",
            el("strong", f"Would have opened a job at {when(firing[0].at)}"),
            f": fired {result.firings} time{'s' if result.firings != 1 else ''}, firing for "
            f"{format_duration(round(result.firing_s))} in all.",
        )
    else:
        verdict = el("p", el("strong", "Never fired"), f" over {result.samples} samples.")
    rows: list[list[Child]] = [
        [when(t.at), t.state, "—" if t.value is None else f"{t.value:.4g}"]
        for t in result.transitions[:MAX_TRANSITIONS]
    ]
    more = len(result.transitions) - MAX_TRANSITIONS
    return el(
        "div",
        el("h3", f"{result.rule_id} on {result.vin}"),
        el("p", f"{result.samples} samples replayed, {span}.", class_="muted"),
        verdict,
        table(["Time", "State", "Value"], rows, "No transitions: the rule stayed inactive."),
        el("p", f"And {more} more transitions.", class_="muted") if more > 0 else None,
        class_="result",
        role="status",
    )


def _matches_codes(rule: Rule) -> bool:
    return isinstance(rule.condition, DtcPattern)
