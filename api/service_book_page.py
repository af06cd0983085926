"""The service book on the web pages, and the follow-up question on the owner's job page: pure
functions of the API's response models. Every piece of text is escaped (``api.html``); every
form carries the session's CSRF token."""

from __future__ import annotations

from api.html import Child, Html, document, el, join, table, url_path, when
from api.service_book_schemas import FollowUpOut, ServiceRecordOut
from api.web_pages import csrf_field
from jobs.model import ServiceKind

KIND_NAMES = {
    ServiceKind.SERVICE: "Service",
    ServiceKind.REPAIR: "Repair",
    ServiceKind.INSPECTION: "Inspection",
    ServiceKind.TYRE_CHANGE: "Tyre change",
}


def book_link(vin: str) -> Html:
    page = url_path("vehicles", vin, "service-book", "page")
    return el("p", el("a", "Service book of this vehicle", href=page, class_="book-link"))


def book_page(vin: str, section: Html) -> Html:
    """The service book alone (what a workshop sees of a vehicle)."""
    return document(f"Service book {vin}", el("h1", "Vehicle ", el("code", vin)), section)


def book_section(
    vin: str, records: list[ServiceRecordOut], csrf: str | None, *, can_write: bool, today: str
) -> Html:
    """The records, newest first, a form to add one, CSV upload and download."""
    action = url_path("vehicles", vin, "service-book", "page")
    rows: list[list[Child]] = [_row(r, action, csrf) for r in records]
    parts: list[Child] = [
        el("h2", "Service book", id="service-book"),
        table(
            ["Date", "Odometer", "Kind", "Work", "Workshop", "Cost", "By", ""],
            rows,
            "No services recorded yet.",
        ),
        el(
            "p",
            el("a", "Download as CSV", href=url_path("vehicles", vin, "service-book.csv")),
        ),
    ]
    if can_write:
        parts += [_add_form(action, csrf, today), _import_form(action, csrf)]
    return join(*parts)


def _row(record: ServiceRecordOut, action: str, csrf: str | None) -> list[Child]:
    odometer = f"{record.odometer_km:,.0f} km" if record.odometer_km is not None else "unknown"
    cost = f"{record.cost:,.2f} {record.currency}".strip() if record.cost is not None else ""
    remove = (
        el(
            "form",
            csrf_field(csrf),
            el("input", type="hidden", name="record", value=record.id),
            el("button", "Delete", type="submit", name="op", value="delete"),
            method="post",
            action=action,
            class_="inline",
        )
        if record.editable
        else None
    )
    work = join(record.work, el("div", el("small", record.notes)) if record.notes else None)
    by = record.source.value + (f" (job #{record.job_id})" if record.job_id else "")
    return [
        record.done_on,
        odometer,
        KIND_NAMES[record.kind],
        work,
        record.workshop,
        cost,
        by,
        remove,
    ]


def _add_form(action: str, csrf: str | None, today: str) -> Html:
    kinds = (el("option", name, value=kind.value) for kind, name in KIND_NAMES.items())

    def field(label: str, **attrs: str | int | float | None) -> Html:
        return el("label", label, " ", el("input", **attrs))

    return el(
        "form",
        el("h3", "Add a record"),
        csrf_field(csrf),
        el("label", "Kind ", el("select", *kinds, name="kind")),
        field("Date", type="date", name="done_on", value=today, required="required"),
        field(
            "Odometer (km, empty: the car's own reading)",
            type="number",
            name="odometer_km",
            min=0,
            step="any",
        ),
        field("Work done", type="text", name="work", required="required", maxlength=2000),
        field("Workshop", type="text", name="workshop", maxlength=200),
        field("Parts (separated by ;)", type="text", name="parts", maxlength=2000),
        field("Labour (hours)", type="number", name="labour_hours", min=0, step="any"),
        field("Cost", type="number", name="cost", min=0, step="0.01"),
        field("Currency", type="text", name="currency", maxlength=3, placeholder="EUR"),
        field("Notes", type="text", name="notes", maxlength=2000),
        el("button", "Add", type="submit", name="op", value="add"),
        method="post",
        action=action,
        class_="action-form",
    )


def _import_form(action: str, csrf: str | None) -> Html:
    return el(
        "form",
        el("h3", "Import a CSV file"),
        el(
            "p",
            "An export of LubeLogger, Road Trip, Fuelly, Drivvo or Simply Auto, or this book's "
            "own; importing a file again adds nothing.",
            class_="muted",
        ),
        csrf_field(csrf),
        el("label", "File ", el("input", type="file", accept=".csv,text/csv", data_fills="csv")),
        el("label", "or paste it ", el("textarea", name="csv", rows=6, required="required")),
        el(
            "label",
            "Odometer unit ",
            el(
                "select",
                el("option", "from the header", value=""),
                el("option", "km", value="km"),
                el("option", "miles", value="mi"),
                name="unit",
            ),
        ),
        el("button", "Import", type="submit", name="op", value="import"),
        el("script", src="/static/service-book.js", defer="defer"),
        method="post",
        action=action,
        class_="action-form",
    )


def followup_section(
    followup: FollowUpOut | None, csrf: str | None, *, can_answer: bool
) -> Html | None:
    """The follow-up on the job page: the question (yes / no for the owner once asked), the
    answer given and what the car's data said."""
    if followup is None:
        return None
    lines: list[Child] = [el("h2", "Follow-up")]
    if followup.asked_at is None:
        lines.append(
            el(
                "p",
                "Some days after completion pitstop will ask: ",
                followup.question,
                class_="muted",
            )
        )
        return join(*lines)
    car = {
        "clear": "the fault has not come back",
        "fired_again": f"the fault came back (job #{followup.car_job_id})",
    }.get(followup.car_verdict or "", "not known")
    lines.append(el("p", "The car's own data: ", el("strong", car, class_="car-verdict")))
    if followup.answer is not None:
        said = "yes, it is gone" if followup.answer == "solved" else "no, it is not"
        lines.append(
            el(
                "p",
                followup.question,
                " You answered: ",
                el("strong", said, class_="answer"),
                " (",
                when(followup.answered_at or 0.0),
                ").",
            )
        )
    if can_answer:
        lines.append(
            el(
                "form",
                csrf_field(csrf),
                el("span", followup.question, " "),
                el("button", "Yes", type="submit", name="answer", value="yes"),
                el("button", "No", type="submit", name="answer", value="no"),
                method="post",
                action=f"/jobs/{followup.job_id}/followup/page",
                class_="action-form",
            )
        )
    return join(*lines)


def share_form(vin: str, shops: list[tuple[int, str, bool]], csrf: str | None) -> Html:
    """The owner's consent: which workshops of the car's jobs may read this book."""
    action = url_path("vehicles", vin, "service-book", "page")
    rows: list[list[Child]] = [
        [
            name,
            "shared" if shared else "not shared",
            el(
                "form",
                csrf_field(csrf),
                el("input", type="hidden", name="workshop", value=shop_id),
                el(
                    "button",
                    "Stop sharing" if shared else "Share",
                    type="submit",
                    name="op",
                    value="unshare" if shared else "share",
                ),
                method="post",
                action=action,
                class_="inline",
            ),
        ]
        for shop_id, name, shared in shops
    ]
    return join(
        el("h3", "Share the book with a workshop"),
        table(["Workshop", "", ""], rows, "No workshop has had a job for this car."),
    )
