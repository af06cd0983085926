"""The web pages, as pure functions of the API's response models."""

from __future__ import annotations

import json
from collections.abc import Sequence

from api.html import Child, Html, document, el, facts, join, table, url_path, when
from api.schemas import Diagnosis, Evidence, JobDetail, JobSummary, PointPair, Vehicle
from jobs.model import Outcome

SEVERITIES = frozenset({"info", "warning", "critical"})


def fleet_page(
    vehicles: list[Vehicle], jobs: list[JobSummary], links: Sequence[tuple[str, str]] = ()
) -> Html:
    """The fleet (last seen, open jobs) and the jobs, newest first; ``links`` (label, href)
    lead to the caller's other pages (a workshop's calendar, the network)."""
    fleet_rows: list[list[Child]] = [
        [
            el("a", el("code", v.vin), href=url_path("vehicles", v.vin, "page")),
            when(v.last_seen),
            v.open_jobs,
            when(v.next_booking) if v.next_booking is not None else "none",
        ]
        for v in vehicles
    ]
    job_rows: list[list[Child]] = [
        [
            el("code", j.vin),
            el("a", j.title, href=f"/jobs/{j.id}/page"),
            severity(j.severity),
            j.workshop.name if j.workshop else "not booked",
            _status(j),
            when(j.fired_at),
        ]
        for j in jobs
    ]
    return document(
        "Fleet",
        el("h1", "Fleet"),
        el("p", *(el("a", label, href=href, class_="nav-link") for label, href in links))
        if links
        else None,
        table(
            ["Vehicle", "Last seen", "Open jobs", "Next booking"],
            fleet_rows,
            "No vehicle has reported yet.",
        ),
        el("h2", "Jobs"),
        table(
            ["Vehicle", "Job", "Severity", "Workshop", "Status", "Fired"],
            job_rows,
            "No jobs yet.",
        ),
    )


def job_page(
    job: JobDetail,
    actions: list[str],
    csrf: str | None,
    network: Html | None = None,
    *,
    followup: Html | None = None,
) -> Html:
    """One job: what, where, the diagnosis, the trigger and the evidence window, ``network``
    (its hand-offs and rating, ``api.network_pages``) and ``followup`` (the owner's question
    after completion, ``api.service_book``); its forms carry the session's CSRF token (None
    for a Bearer key, which needs none)."""
    about: list[tuple[str, Child]] = [
        ("Vehicle", el("code", job.vin)),
        ("Severity", severity(job.severity)),
        ("Status", job.status.value),
        ("Workshop", job.workshop.name if job.workshop else "not booked"),
        ("Rule", el("code", job.rule_id)),
        ("Fired", when(job.fired_at)),
        ("Booked slot", when(job.slot_start) if job.slot_start is not None else "none yet"),
    ]
    buttons = [_action_form(job, action, csrf) for action in actions]
    return document(
        job.title,
        el("h1", job.title),
        facts(about, ""),
        el("div", *buttons, class_="actions") if buttons else None,
        network,
        followup,
        el("h2", "Diagnosis"),
        _diagnosis(job.diagnosis),
        el("h2", "Evidence"),
        _evidence(job.evidence),
        charts=True,
    )


def _action_form(job: JobDetail, action: str, csrf: str | None) -> Html:
    """One action as a form posting to the job page: a button, with the slot or the outcome."""
    fields: list[Child] = [csrf_field(csrf)]
    if action == "move":
        value = _local_input(job.slot_start) if job.slot_start is not None else None
        slot = el("input", type="datetime-local", name="slot", required="required", value=value)
        fields.append(el("label", "New slot (UTC) ", slot))
    elif action == "reject":
        reason = el("input", type="text", name="reason", required="required", maxlength=1000)
        fields.append(el("label", "Why you cannot take it ", reason))
    elif action == "complete":
        options = (el("option", o.value.replace("_", " "), value=o.value) for o in Outcome)
        fields.append(el("label", "Outcome ", el("select", *options, name="outcome")))
    button = el("button", action.capitalize(), type="submit", name="action", value=action)
    css = "inline" if not fields else "action-form"
    return el("form", *fields, button, method="post", action=f"/jobs/{job.id}/page", class_=css)


def _status(job: JobSummary) -> Html:
    """The status, flagged when the job was escalated or is a comeback."""
    flags = [
        el("span", "escalated", class_="sev sev-critical") if job.escalated_at else None,
        el("span", "comeback", class_="sev sev-warning") if job.comeback_of else None,
    ]
    return join(job.status.value, *(join(" ", f) for f in flags if f is not None))


def _local_input(ts: float) -> str:
    """A time as an ``<input type=datetime-local>`` value, in UTC."""
    return when(ts)[:16].replace(" ", "T")


def severity(level: str) -> Html:
    css = f"sev sev-{level}" if level in SEVERITIES else "sev"
    return el("span", level, class_=css)


def _diagnosis(diagnosis: Diagnosis) -> Html:
    parts: list[Child] = [el("p", diagnosis.summary or "No summary given.")]
    for heading, items in (
        ("Likely causes", diagnosis.likely_causes),
        ("Checks", diagnosis.checks),
        ("Parts", [f"{part.quantity} x {part.name}" for part in diagnosis.parts]),
        ("Skills", diagnosis.skills),
    ):
        if items:
            parts.append(el("h3", heading))
            parts.append(el("ul", *(el("li", item) for item in items)))
    if diagnosis.labour_hours is not None:
        parts.append(el("p", f"Labour: {diagnosis.labour_hours:g} h"))
    return join(*parts)


def _evidence(evidence: Evidence) -> Html:
    trigger = evidence.trigger
    rows: list[tuple[str, Child]] = []
    if trigger is not None:
        for name, value in trigger.model_dump(exclude_none=True).items():
            shown = when(value) if name in ("since", "fired_at") and _is_time(value) else value
            rows.append((name, shown if isinstance(shown, str | int | float) else str(shown)))
    marks = [t for t in (trigger.since, trigger.fired_at) if t is not None] if trigger else []
    charts = [
        el("figure", chart(signal, series=points, marks=marks), _caption(signal, points))
        for signal, points in sorted(evidence.window.items())
    ]
    if evidence.odometer_km is not None:
        rows.append(("odometer", f"{evidence.odometer_km:,.1f} km"))
    codes: list[list[Child]] = [
        [el("code", c.code), c.description, ", ".join(c.status), c.protocol or ""]
        for c in evidence.dtcs
    ]
    return join(
        el("h3", "Trigger"),
        facts(rows, "No trigger recorded."),
        el("h3", "Trouble codes"),
        table(["Code", "Meaning", "Status", "Protocol"], codes, "No trouble code reported."),
        el("h3", "Signal window"),
        el("p", "Red lines: when the condition began to hold and when it fired.", class_="muted"),
        join(*charts) if charts else el("p", "No signal window recorded.", class_="muted"),
    )


def _caption(signal: str, points: list[PointPair]) -> Html:
    if not points:
        return el("figcaption", el("code", signal))
    values = [value for _, value in points]
    span = f"{when(points[0][0])} to {when(points[-1][0])}"
    summary = f"{len(points)} points, {min(values):g} to {max(values):g}, {span}"
    return el("figcaption", el("code", signal), el("div", el("small", summary, class_="muted")))


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def chart(
    title: str,
    *,
    series: list[PointPair] | None = None,
    marks: list[float] | None = None,
    buckets_url: str | None = None,
    span: tuple[float, float] | None = None,
) -> Html:
    """A chart drawn by api/static/charts.js: fixed points, or buckets fetched (and zoomed)."""
    data: dict[str, str | None] = {"data_title": title}
    if series is not None:
        data["data_series"] = json.dumps(series)
        data["data_marks"] = json.dumps(marks or [])
    if buckets_url is not None and span is not None:
        data["data_buckets"] = buckets_url
        data["data_from"] = f"{span[0]:.3f}"
        data["data_to"] = f"{span[1]:.3f}"
    return el("div", class_="chart", role="group", aria_label=title, **data)


def csrf_field(csrf: str | None) -> Html | None:
    return el("input", type="hidden", name="csrf", value=csrf) if csrf is not None else None


def signout_page(csrf: str | None) -> Html:
    button = el("button", "Sign out", type="submit")
    form = el("form", csrf_field(csrf), button, method="post", action="/signout")
    return document("Sign out", el("h1", "Sign out"), form)


def signin_page(problem: str | None, back: str = "/") -> Html:
    return document(
        "Sign in",
        el("h1", "Sign in"),
        el("p", problem, class_="sev sev-critical") if problem else None,
        el(
            "form",
            el(
                "label",
                "API key ",
                el(
                    "input",
                    type="password",
                    name="key",
                    required="required",
                    autocomplete="off",
                    size=50,
                ),
            ),
            el("input", type="hidden", name="next", value=back),
            el("button", "Sign in", type="submit"),
            method="post",
            action="/signin",
        ),
        el(
            "p",
            "Keys come from 'pitstop admin keys create'; 'pitstop demo' prints one per role.",
            class_="muted",
        ),
    )
