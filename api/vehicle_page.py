"""The vehicle page: pick signals and a time range, zoom into charts, see jobs and trouble codes."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from api import words
from api.html import Child, Html, document, el, facts, join, table, url_path, utc_text, when
from api.presence_page import gateway_section
from api.presence_schemas import EventList, VehicleStatusOut
from api.schemas import DtcHistory, JobSummary, VehicleDetail
from api.signal_meta import describe
from api.web_pages import caption, chart

#: The range picker's presets: label, seconds back from now.
PRESETS = (
    ("1 h", 3600),
    ("6 h", 6 * 3600),
    ("24 h", 86400),
    ("7 d", 7 * 86400),
    ("30 d", 30 * 86400),
)
_INPUT = "%Y-%m-%dT%H:%M"


def range_query(signals: list[str], span: tuple[float, float]) -> str:
    """``signal=..&from=..&to=..`` (ISO 8601 UTC): what a link to one view of the page holds."""
    fields = [("signal", s) for s in signals]
    fields += [("from", iso(span[0])), ("to", iso(span[1]))]
    return urlencode(fields)


def iso(ts: float) -> str:
    return utc_text(ts, "%Y-%m-%dT%H:%M:%SZ")


def vehicle_page(
    vehicle: VehicleDetail,
    *,
    shown: list[str],
    span: tuple[float, float],
    now: float,
    jobs: list[JobSummary],
    codes: DtcHistory,
    labels: Mapping[str, Mapping[int, str]] | None = None,
    status: VehicleStatusOut | None = None,
    events: EventList | None = None,
    book: Html | None = None,
    assist: Html | None = None,
) -> Html:
    """A vehicle: its health, the owner's "describe the problem" box (``assist``, from
    ``api.assist_page``), a signal picker with a time range (from/to and presets, all in the
    URL), a chart per signal (zooming one zooms all), an export of the chosen signals over the
    range, its jobs, its trouble codes of the last 30 days, its gateway (presence, events) and
    its service book (``book``, ``api.service_book.page_section``)."""
    named = labels or {}
    metas = [describe(s, named.get(s)) for s in shown]
    charts = [
        el(
            "figure",
            caption(m),
            chart(
                m,
                buckets_url=url_path("vehicles", vehicle.vin, "signals", m.name, "buckets"),
                span=span,
            ),
        )
        for m in metas
    ]
    job_rows: list[list[Child]] = [
        [
            el("a", j.title, href=f"/jobs/{j.id}/page"),
            words.health_label(j.severity),
            words.status(j.status),
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
        _picker(vehicle, shown, span),
        _presets(shown, span, now),
        el(
            "p",
            "Drag across a chart to zoom all of them into a time range; double-click to zoom "
            "out. The address of the page keeps the view.",
            class_="muted",
        ),
        join(*charts) if charts else el("p", "Pick a signal above.", class_="muted"),
        _export(vehicle.vin, shown, span) if shown else None,
        el("h2", "Jobs"),
        table(["Job", "Severity", "Status", "Fired"], job_rows, "No jobs for this vehicle."),
        el("h2", "Trouble codes, last 30 days"),
        _trouble_codes(codes),
        gateway_section(status, events or EventList(vin=vehicle.vin, events=[], truncated=False)),
        book,
        charts=True,
    )


def _picker(vehicle: VehicleDetail, shown: list[str], span: tuple[float, float]) -> Html:
    """The signals (friendly title, full path in small text) and the from/to range: sent as
    UTC without JavaScript, typed in the browser's zone with it (/static/time.js)."""
    boxes = (
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
            describe(s).title,
            " ",
            el("small", el("code", s), class_="signal-path"),
            class_="signal-choice",
        )
        for s in vehicle.signals
    )
    zone = el("span", "UTC", data_zone="")
    inputs = (
        el(
            "label",
            el("span", f"{label} (", zone, ")"),
            el(
                "input",
                type="datetime-local",
                name=name,
                value=utc_text(ts, _INPUT),
                required="required",
                data_utc="",
                data_range=name,
            ),
        )
        for label, name, ts in (("From", "from", span[0]), ("To", "to", span[1]))
    )
    return el(
        "form",
        el("fieldset", el("legend", "Signals"), *boxes, class_="signals"),
        el("div", *inputs, el("button", "Show", type="submit"), class_="range"),
        method="get",
        class_="picker",
    )


def _presets(shown: list[str], span: tuple[float, float], now: float) -> Html:
    """Links to the last hour, six hours ... up to now: plain links, a reload keeps them."""
    links = [
        el(
            "a",
            label,
            href="?" + range_query(shown, (now - back, now)),
            class_="preset",
            aria_current="true"
            if abs(span[1] - now) < 1 and abs(span[1] - span[0] - back) < 1
            else None,
        )
        for label, back in PRESETS
    ]
    return el("p", "Last: ", *(join(link, " ") for link in links), class_="presets")


def _export(vin: str, shown: list[str], span: tuple[float, float]) -> Html:
    """Download the chosen signals over the shown range; charts.js follows the zoom."""
    base = url_path("vehicles", vin, "export")
    query = range_query(shown, span)
    return el(
        "p",
        "Export the chosen signals over this range: ",
        el(
            "a",
            "CSV",
            href=f"{base}?format=csv&{query}",
            download="",
            data_range_link="",
            class_="button export-csv",
        ),
        " ",
        el(
            "a",
            "Parquet",
            href=f"{base}?format=parquet&{query}",
            download="",
            data_range_link="",
            class_="button export-parquet",
        ),
        class_="export",
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
