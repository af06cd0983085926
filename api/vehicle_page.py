"""The vehicle page: pick signals and a time range, zoom into charts, see jobs and trouble codes."""

from __future__ import annotations

from api.html import Child, Html, document, el, facts, join, table, url_path, when
from api.presence_page import gateway_section
from api.presence_schemas import EventList, VehicleStatusOut
from api.schemas import DtcHistory, JobSummary, VehicleDetail
from api.web_pages import chart, severity


def vehicle_page(
    vehicle: VehicleDetail,
    *,
    shown: list[str],
    span: tuple[float, float],
    jobs: list[JobSummary],
    codes: DtcHistory,
    status: VehicleStatusOut | None = None,
    events: EventList | None = None,
    book: Html | None = None,
    assist: Html | None = None,
) -> Html:
    """A vehicle: its health, the owner's "describe the problem" box (``assist``, from
    ``api.assist_page``), a signal picker with a time range, a zoomable chart per signal,
    its jobs, its trouble codes of the last 30 days, its gateway (presence, events) and its
    service book (``book``, ``api.service_book.page_section``)."""
    picker = el(
        "form",
        *(
            el(
                "label",
                el(
                    "input",
                    type="checkbox",
                    name="signal",
                    value=s,
                    checked="checked" if s in shown else None,
                ),
                " ",
                s,
            )
            for s in vehicle.signals
        ),
        el(
            "div",
            el(
                "label",
                "Hours back ",
                el(
                    "input",
                    type="number",
                    name="hours",
                    min=1,
                    max=744,
                    value=f"{(span[1] - span[0]) / 3600:g}",
                ),
            ),
            el("button", "Show", type="submit"),
        ),
        method="get",
        class_="picker",
    )
    charts = [
        chart(s, buckets_url=url_path("vehicles", vehicle.vin, "signals", s, "buckets"), span=span)
        for s in shown
    ]
    job_rows: list[list[Child]] = [
        [
            el("a", j.title, href=f"/jobs/{j.id}/page"),
            severity(j.severity),
            j.status.value,
            when(j.fired_at),
        ]
        for j in jobs
    ]
    return document(
        vehicle.vin,
        el("h1", "Vehicle ", el("code", vehicle.vin)),
        facts([("Last seen", when(vehicle.last_seen)), ("Open jobs", vehicle.open_jobs)], ""),
        assist,
        el("h2", "Signals"),
        picker,
        el(
            "p",
            "Drag across a chart to zoom into a time range; double-click to zoom out.",
            class_="muted",
        ),
        join(*charts) if charts else el("p", "Pick a signal above.", class_="muted"),
        el("h2", "Jobs"),
        table(["Job", "Severity", "Status", "Fired"], job_rows, "No jobs for this vehicle."),
        el("h2", "Trouble codes, last 30 days"),
        _trouble_codes(codes),
        gateway_section(status, events or EventList(vin=vehicle.vin, events=[], truncated=False)),
        book,
        charts=True,
    )


def _trouble_codes(history: DtcHistory) -> Html:
    rows: list[list[Child]] = [
        [
            join(el("code", c.code, class_="nowrap"), el("div", el("small", c.ecu_name))),
            c.description,
            ", ".join(s.replace("_", " ") for s in c.status) + ("" if c.present else " (cleared)"),
            join(when(c.first_seen), el("div", el("small", "to ", when(c.last_seen)))),
        ]
        for c in history.codes
    ]
    lamps = [name.replace("_", " ") for name, on in sorted(history.lamps.items()) if on]
    return join(
        el("p", "Lamps on: " + ", ".join(lamps), class_="sev sev-warning") if lamps else None,
        table(
            ["Code, ECU", "Description", "Status", "First and last seen"],
            rows,
            "No trouble codes reported.",
        ),
    )
