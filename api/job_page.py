"""The job page, shaped by who reads it: plain language for owners (what is wrong, what it
means for driving, when and where, what it costs), the technical evidence for workshops and
engineers (and fleet managers, who read both); for everyone the status in words, the outcome,
the timeline of every action, the actions the caller may take and a message after each.

Pure: ``job_page(JobView)`` builds the page from values; ``api.job_context`` gathers
them. Reject and cancel each need a reason and a ticked confirmation (checked again by the
route), so neither is a one-click button.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api import words
from api.html import Child, Html, document, el, facts, join, url_path, utc_text, when
from api.job_evidence import diagnosis, evidence, window_charts
from api.job_timeline import Step, timeline
from api.schemas import JobDetail, Workshop
from api.signal_meta_rules import Level
from api.web_pages import csrf_field
from api.words import health_label
from jobs.model import JobStatus, Outcome

NEEDS_REASON = frozenset({"reject", "cancel"})
CONFIRM_TEXT = {
    "reject": "Yes, turn this job down",
    "cancel": "Yes, cancel this job",
}
REASON_TEXT = {
    "reject": "Why you cannot take it",
    "cancel": "Why you cancel it",
}


@dataclass(frozen=True)
class JobView:
    """What the job page shows, gathered by the route."""

    job: JobDetail
    actions: list[str]
    csrf: str | None
    plain: bool  # the owner's words: what, driving, when and where, cost
    technical: bool  # the evidence: trigger, codes, signal window, diagnosis
    steps: list[Step] = field(default_factory=list)
    place: Workshop | None = None  # where it is booked, with its address and time zone
    vehicle_name: str = ""
    vehicle_link: bool = True  # whether the caller may open the vehicle's page (workshops not)
    done: str | None = None  # the action just done (``?done=``), for its message
    problem: str | None = None  # why the last action was refused (the form is shown again)
    network: Html | None = None
    followup: Html | None = None
    levels: Sequence[Level] = ()  # the rule's levels, drawn on the evidence charts
    labels: Mapping[str, Mapping[int, str]] = field(default_factory=dict)  # state names
    evidence_link: str | None = None  # the vehicle page on the fired signal, around the firing


def job_page(view: JobView) -> Html:
    job = view.job
    message = words.DONE.get(view.done or "")
    forms = [_action_form(view, action) for action in view.actions]
    return document(
        job.title,
        el("h1", job.title),
        el("p", message, role="status", class_="flash") if message else None,
        el("p", view.problem, role="alert", class_="sev sev-critical") if view.problem else None,
        _plain(view) if view.plain else None,
        _about(view),
        el("div", *forms, class_="actions") if forms else None,
        view.network,
        view.followup,
        el("h2", "What happened"),
        timeline(view.steps),
        _technical(view) if view.technical else _measured(view),
        charts=bool(view.technical or view.job.evidence.window),
    )


def _technical(view: JobView) -> Html:
    link = view.evidence_link
    return join(
        el("h2", "Diagnosis"),
        diagnosis(view.job.diagnosis),
        el("h2", "Evidence"),
        el("p", el("a", "See on the vehicle page", href=link)) if link else None,
        evidence(view.job.evidence, view.levels, view.labels),
    )


def _plain(view: JobView) -> Html:
    """The owner's four questions, answered from the job, never from guesses."""
    job = view.job
    summary = job.diagnosis.summary or job.title
    return el(
        "section",
        el("h2", "What is wrong"),
        el("p", summary),
        el("h2", "What it means for driving"),
        el("p", _driving(view)),
        el("h2", "When and where"),
        _where(view),
        el("h2", "What it costs"),
        el("p", _cost(view)),
        class_="plain",
    )


def _driving(view: JobView) -> str:
    """After the repair the outcome says it; before, the fault's severity."""
    if view.job.outcome is Outcome.FIXED:
        return "The workshop repaired it: drive as normal."
    if view.job.outcome is Outcome.NO_FAULT_FOUND:
        return "The workshop found no fault: drive as normal, and tell us if it comes back."
    return words.driving(view.job.severity)


def _measured(view: JobView) -> Html | None:
    """The owner's look at the evidence: the signal window, named in words."""
    if not view.job.evidence.window:
        return None
    charts = window_charts(view.job.evidence, paths=False, levels=view.levels, labels=view.labels)
    return join(el("h2", "What the car measured"), charts)


def _where(view: JobView) -> Html:
    job, place = view.job, view.place
    if job.status in {JobStatus.CANCELLED, JobStatus.REJECTED}:
        return el("p", "No visit: the job was " + words.status(job.status) + ".")
    if job.slot_start is None or job.workshop is None:
        return el("p", "Not booked yet: pitstop is looking for a workshop with a free slot.")
    name = place.name if place else job.workshop.name
    address = place.location if place else ""
    zone = place.timezone if place else "UTC"
    return el(
        "p",
        slot_text(job.slot_start, job.slot_end, zone),
        el("br"),
        el("strong", name),
        f", {address}" if address else None,
    )


def zone_of(zone: str) -> tuple[ZoneInfo, str]:
    """The workshop's time zone and its name; UTC for one this machine does not know."""
    try:
        return ZoneInfo(zone), zone
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC"), "UTC"


def slot_text(start: float, end: float | None, zone: str) -> str:
    """``Friday 28 November 2025, 09:00 to 10:00 (UTC)``, in the workshop's own time."""
    tz, zone = zone_of(zone)
    begins = datetime.fromtimestamp(start, UTC).astimezone(tz)
    text = begins.strftime("%A %-d %B %Y, %H:%M")
    if end is not None:
        text += " to " + datetime.fromtimestamp(end, UTC).astimezone(tz).strftime("%H:%M")
    return f"{text} ({zone} time)"


def _cost(view: JobView) -> str:
    """The workshop's estimate if the job has one (labour, parts); the price itself comes
    from the workshop: pitstop holds no prices, so it names none."""
    found = view.job.diagnosis
    parts = [f"{p.quantity} x {p.name}" if p.quantity != 1 else p.name for p in found.parts]
    estimate = []
    if found.labour_hours is not None:
        estimate.append(f"about {found.labour_hours:g} h of work")
    if parts:
        estimate.append("parts: " + ", ".join(parts))
    quote = "The workshop will tell you the price before it starts the work."
    return f"Estimate: {'; '.join(estimate)}. {quote}" if estimate else quote


def _about(view: JobView) -> Html:
    job = view.job
    name = view.vehicle_name or job.vin
    vehicle = (
        el("a", name, href=url_path("vehicles", job.vin, "page")) if view.vehicle_link else name
    )
    rows: list[tuple[str, Child]] = [
        ("Vehicle", vehicle),
        ("Job", el("a", f"#{job.id}", href=f"/jobs/{job.id}/page")),
        ("Status", words.status(job.status)),
        ("Severity", health_label(job.severity)),
        ("Workshop", job.workshop.name if job.workshop else "not booked yet"),
        ("Booked slot", when(job.slot_start) if job.slot_start is not None else "none yet"),
    ]
    if job.outcome is not None:
        rows.insert(3, ("Outcome", el("strong", _outcome_text(job.outcome))))
    elif job.status is JobStatus.COMPLETED:
        rows.insert(3, ("Outcome", "not recorded"))
    if view.technical:
        rows += [("Rule", el("code", job.rule_id)), ("Fired", when(job.fired_at))]
    return facts(rows, "")


def _outcome_text(outcome: Outcome) -> str:
    if outcome is Outcome.FIXED:
        return "Fixed: the workshop found the fault and repaired it."
    return "No fault found: the workshop checked the car and found nothing to repair."


def _action_form(view: JobView, action: str) -> Html:
    """One action as a form posting to the job page, with what that action needs."""
    job = view.job
    fields: list[Child] = [csrf_field(view.csrf)]
    if action == "move":
        # typed in the browser's zone (/static/time.js sends the UTC instant); UTC without it
        value = utc_text(job.slot_start, "%Y-%m-%dT%H:%M") if job.slot_start else None
        slot = el(
            "input",
            type="datetime-local",
            name="slot",
            required="required",
            value=value,
            data_utc="",
        )
        fields.append(el("label", "New time (", el("span", "UTC", data_zone=""), ") ", slot))
    elif action in NEEDS_REASON:
        reason = el("textarea", name="reason", required="required", maxlength=500, rows=2)
        tick = el("input", type="checkbox", name="confirm", value="yes", required="required")
        fields += [
            el("label", REASON_TEXT[action], " ", reason),
            el("label", tick, " ", CONFIRM_TEXT[action]),
        ]
    elif action == "complete":
        options = (el("option", words.outcome(o), value=o.value) for o in Outcome)
        fields.append(el("label", "Outcome ", el("select", *options, name="outcome")))
        note = el("textarea", name="note", maxlength=500, rows=2)
        fields.append(el("label", "What was done (for the service book) ", note))
    button = el(
        "button", words.BUTTON.get(action, action), type="submit", name="action", value=action
    )
    css = "action-form danger" if action in NEEDS_REASON else "action-form"
    return el("form", *fields, button, method="post", action=f"/jobs/{job.id}/page", class_=css)
