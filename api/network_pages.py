"""The service network's web pages, as pure functions of the API's models: a job's way through
the network and its rating, a refused move with the slots it could take, a workshop's
calendar by day or week, and the network's workshops with the satisfaction report. Every
piece of text (a rejection reason, a rating comment) is escaped by ``api.html``."""

from __future__ import annotations

from collections.abc import Sequence

from api import words
from api.html import Child, Html, document, el, facts, join, table, when
from api.network_schemas import FreeSlot, SatisfactionOut
from api.schemas import JobDetail, JobSummary, SlotCapacity, Workshop
from api.web_pages import csrf_field
from jobs.network import ASPECTS

MARKS = ("overall", *ASPECTS)
ASPECT_NAMES = {
    "overall": "Overall",
    "quality": "Quality of the repair",
    "speed": "Speed",
    "price": "Price",
    "communication": "Communication",
    "reception": "Reception",
}


def job_network(job: JobDetail, csrf: str | None, *, can_rate: bool) -> Html:
    """Why the job is where it is, who declined it and why, and its rating (or the form)."""
    about: list[tuple[str, Child]] = []
    if job.booking_reason is not None:
        about.append(("Why this workshop", str(job.booking_reason.get("summary", ""))))
    if job.due_at is not None:
        about.append(("Book and accept by", when(job.due_at)))
    if job.escalated_at is not None:
        about.append(("Escalated", el("span", when(job.escalated_at), class_="sev sev-critical")))
    if job.comeback_of is not None:
        link = el("a", f"job #{job.comeback_of}", href=f"/jobs/{job.comeback_of}/page")
        about.append(("Comeback of", join(link, " (closed as fixed, the fault came back)")))
    steps: list[list[Child]] = [
        [when(h.at), h.kind, h.workshop or "none", h.reason] for h in job.handoffs
    ]
    return join(
        facts(about, "") if about else None,
        el("h2", "Hand-offs"),
        table(["When", "What", "Workshop", "Why"], steps, "No hand-off yet."),
        el("h2", "Rating"),
        _rating(job, csrf, can_rate=can_rate),
    )


def _rating(job: JobDetail, csrf: str | None, *, can_rate: bool) -> Html:
    rating = job.rating
    if rating is not None:
        rows: list[tuple[str, Child]] = [
            (ASPECT_NAMES[m], f"{getattr(rating, m)} / 5") for m in MARKS
        ]
        rows.append(("Comment", rating.comment or "none"))
        return facts(rows, "")
    if not can_rate:
        return el("p", "Not rated yet.", class_="muted")
    fields: list[Child] = [csrf_field(csrf)]
    for mark in MARKS:
        options = (el("option", str(n), value=str(n)) for n in range(5, 0, -1))
        fields.append(el("label", f"{ASPECT_NAMES[mark]} ", el("select", *options, name=mark)))
    comment = el("textarea", name="comment", maxlength=2000, rows=3, cols=40)
    fields.append(el("label", "Comment ", comment))
    button = el("button", "Rate", type="submit")
    return el(
        "form",
        *fields,
        button,
        method="post",
        action=f"/jobs/{job.id}/rating/page",
        class_="action-form",
    )


def move_refused_page(
    job: JobDetail, why: str, slots: Sequence[FreeSlot], csrf: str | None
) -> Html:
    """A refused move: why, and each free slot as a button that moves there."""
    forms = [
        el(
            "form",
            csrf_field(csrf),
            el("input", type="hidden", name="slot", value=f"{s.start:.0f}"),
            el("button", "Move to ", when(s.start), type="submit", name="action", value="move"),
            method="post",
            action=f"/jobs/{job.id}/page",
            class_="action-form",
        )
        for s in slots
    ]
    return document(
        "Slot not available",
        el("h1", "That slot is not available"),
        el("p", why, class_="sev sev-warning"),
        el("h2", "Free slots instead"),
        join(*forms) if forms else el("p", "No free slot in the next two weeks.", class_="muted"),
        el("p", el("a", "Back to the job", href=f"/jobs/{job.id}/page")),
    )


def calendar_page(  # noqa: PLR0917 - the page's parts
    workshop: Workshop,
    days: Sequence[float],
    capacity: Sequence[SlotCapacity],
    bookings: Sequence[JobSummary],
    unscheduled: Sequence[JobSummary],
    links: Sequence[tuple[str, str]],
) -> Html:
    """One row per opening hour, one column per day: the jobs booked then and the bays free."""
    by_hour: dict[float, list[JobSummary]] = {}
    for job in bookings:
        if job.slot_start is None:
            continue
        hour = job.slot_start
        while hour < (job.slot_end or job.slot_start + 3600):
            by_hour.setdefault(hour, []).append(job)
            hour += 3600
    free = {slot.start: slot for slot in capacity}
    hours = sorted({(s.start - d) for s in capacity for d in days if 0 <= s.start - d < 86400})
    rows: list[list[Child]] = []
    for offset in hours:
        row: list[Child] = [when(days[0] + offset, "time")]
        for day in days:
            row.append(_cell(free.get(day + offset), by_hour.get(day + offset, [])))
        rows.append(row)
    heads = ["Hour", *(when(day, "date") for day in days)]
    nav = el("p", *(el("a", label, href=href, class_="nav-link") for label, href in links))
    waiting: list[list[Child]] = [
        [el("a", j.title, href=f"/jobs/{j.id}/page"), el("code", j.vin), words.status(j.status)]
        for j in unscheduled
    ]
    return document(
        f"Calendar of {workshop.name}",
        el("h1", f"Calendar of {workshop.name}"),
        el("p", f"{workshop.bays} bays, {workshop.kind} workshop, times in UTC", class_="muted"),
        nav,
        table(heads, rows, "Closed all this time."),
        el("h2", "Open jobs without a slot"),
        table(["Job", "Vehicle", "Status"], waiting, "None."),
    )


def _cell(slot: SlotCapacity | None, jobs: list[JobSummary]) -> Html:
    if slot is None:
        return el("span", "closed", class_="muted")
    booked = [el("div", el("a", f"#{j.id} {j.title}", href=f"/jobs/{j.id}/page")) for j in jobs]
    return join(*booked, el("small", f"{slot.free} of {slot.bays} free", class_="muted"))


def network_page(workshops: Sequence[Workshop], report: SatisfactionOut) -> Html:
    """The network's workshops with their standing, and the satisfaction report."""
    shop_rows: list[list[Child]] = [
        [
            el("a", w.name, href=f"/workshops/{w.id}/calendar/page"),
            w.kind,
            "yes" if w.high_voltage else "no",
            w.bays,
            f"{w.standing.score:.2f}" if w.standing else "-",
            w.standing.ratings if w.standing else 0,
            f"{w.standing.comeback_rate:.1%}" if w.standing else "-",
        ]
        for w in workshops
    ]
    aspect_rows: list[list[Child]] = [
        [
            ASPECT_NAMES.get(a.aspect, a.aspect),
            _num(a.mean),
            _num(a.spread),
            _num(a.importance),
            _num(a.priority),
            el("strong", a.quadrant) if a.quadrant == "concentrate here" else a.quadrant or "-",
        ]
        for a in report.aspects
    ]
    overall = "no ratings yet" if report.overall_mean is None else f"{report.overall_mean:.2f} / 5"
    return document(
        "Service network",
        el("h1", "Service network"),
        table(
            ["Workshop", "Kind", "High voltage", "Bays", "Score", "Ratings", "Comeback rate"],
            shop_rows,
            "No workshops.",
        ),
        el("h2", "Satisfaction"),
        el("p", f"{report.ratings} ratings, overall {overall}.", class_="muted"),
        el(
            "p",
            "Importance is how strongly an aspect's marks go with the overall mark "
            "(correlation); what matters most and scores worst comes first.",
            class_="muted",
        ),
        table(
            ["Aspect", "Mean", "Spread", "Importance", "Priority", "Quadrant"],
            aspect_rows,
            "No ratings yet.",
        ),
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
