"""The home page: for fleet managers and engineers the fleet at a glance (health, online,
latest values, open jobs), filtered by GET parameters; for owners their vehicles; for
workshops their jobs. Every VIN and job links to its page.

The page works without JavaScript; ``/static/fleet.js`` keeps the rows live: it listens to
the vehicles' streams (``/vehicles/{vin}/stream``) and, when one reports, fetches this same
page and swaps its rows in, so the rows are always this module's own rendering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from api import words
from api.fleet import Fleet, FleetRow
from api.html import Child, Html, document, el, join, table, url_path, when
from api.schemas import JobSummary
from api.words import health_label

HEALTH_CHOICES = ("any", "faulty", "critical", "warning", "info", "ok")
ONLINE_CHOICES = ("any", "online", "offline")


@dataclass(frozen=True)
class Filters:
    """The fleet page's GET parameters, checked against their choices."""

    health: str = "any"
    online: str = "any"
    q: str = ""

    @classmethod
    def of(cls, health: str, online: str, q: str) -> Filters:
        return cls(
            health if health in HEALTH_CHOICES else "any",
            online if online in ONLINE_CHOICES else "any",
            q.strip()[:64],
        )

    def keeps(self, row: FleetRow) -> bool:
        healthy = {
            "any": True,
            "faulty": row.health != "ok",
        }.get(self.health, row.health == self.health)
        online = self.online in {"any", row.state}
        text = self.q.lower()
        found = not text or text in row.vin.lower() or text in row.name.lower()
        return healthy and online and found


@dataclass(frozen=True)
class Home:
    title: str
    fleet: Fleet | None  # None: no vehicle table (a workshop's home)
    jobs: list[JobSummary]
    filters: Filters = field(default_factory=Filters)
    links: Sequence[tuple[str, str]] = ()
    names: dict[str, str] = field(default_factory=dict)  # VIN -> label, for the job list
    done: str | None = None  # an action just done elsewhere (a rejected job is gone from here)
    vehicle_links: bool = True  # whether the caller may open vehicle pages (workshops not)


def home_page(home: Home) -> Html:
    links = (el("a", label, href=href, class_="nav-link") for label, href in home.links)
    message = words.DONE.get(home.done or "")
    return document(
        home.title,
        el("h1", home.title),
        el("p", message, role="status", class_="flash") if message else None,
        el("p", *links) if home.links else None,
        _fleet(home) if home.fleet is not None else None,
        el("h2", "Jobs"),
        el("div", job_table(home.jobs, home.names, links=home.vehicle_links), id="fleet-jobs"),
    )


def _fleet(home: Home) -> Html:
    assert home.fleet is not None
    fleet, shown = home.fleet, [r for r in home.fleet.rows if home.filters.keeps(r)]
    faulty = sum(1 for r in fleet.rows if r.health != "ok")
    many = "vehicle" if len(fleet.rows) == 1 else "vehicles"
    summary = f"{len(fleet.rows)} {many}, {faulty} with open faults; showing {len(shown)}."
    headers = ["Vehicle", "Health", "Online", "Last seen", "Open jobs"]
    headers += [_column(c) for c in fleet.columns]
    head = el("tr", *(el("th", h, scope="col") for h in headers))
    body = join(*(fleet_row(r, fleet.columns) for r in shown))
    empty = el("p", "No vehicle matches.", class_="muted") if not shown else None
    filtering = len(fleet.rows) > 1 or home.filters != Filters()
    return join(
        _filter_form(home.filters) if filtering else None,
        el("p", summary, " ", el("span", "", id="fleet-live", role="status"), class_="muted"),
        el(
            "div",
            el("table", el("thead", head), el("tbody", body, id="fleet-rows"), class_="fleet"),
            class_="scroll",
        ),
        empty,
        el("script", src="/static/fleet.js", defer="defer"),
    )


def fleet_row(row: FleetRow, columns: Sequence[str]) -> Html:
    vehicle = el("a", row.name or row.vin, href=url_path("vehicles", row.vin, "page"))
    label = join(vehicle, el("br"), el("small", row.vin, class_="muted")) if row.name else vehicle
    jobs = join(*(join(_job_link(j.id, j.title), el("br")) for j in row.open_jobs)) or "none"
    cells: list[Child] = [
        el("th", label, scope="row"),
        el("td", health_label(row.health)),
        el("td", el("span", words.presence(row.state), class_=f"state state-{row.state}")),
        el("td", when(row.last_seen)),
        el("td", jobs),
    ]
    for column in columns:
        found = row.values.get(column)
        shown = words.reading(column, found[1]) if found is not None else "none"
        cells.append(el("td", shown, class_="num", data_signal=column))
    return el("tr", *cells, data_vin=row.vin, data_health=row.health, data_state=row.state)


def job_table(jobs: list[JobSummary], names: dict[str, str], *, links: bool = True) -> Html:
    """The jobs, each linked, and their vehicles, linked for whoever may open them."""

    def vehicle(vin: str) -> Child:
        name = names.get(vin) or vin
        return el("a", name, href=url_path("vehicles", vin, "page")) if links else name

    rows: list[list[Child]] = [
        [
            vehicle(j.vin),
            _job_link(j.id, j.title),
            health_label(j.severity),
            j.workshop.name if j.workshop else "not booked yet",
            _status(j),
            when(j.slot_start) if j.slot_start is not None else "none yet",
        ]
        for j in jobs
    ]
    headers = ["Vehicle", "Job", "Severity", "Workshop", "Status", "Booked slot"]
    return table(headers, rows, "No jobs yet.")


def _job_link(job_id: int, title: str) -> Html:
    return el("a", f"#{job_id} {title}", href=f"/jobs/{job_id}/page")


def _status(job: JobSummary) -> Html:
    """The status in words, flagged when the job was escalated or is a comeback."""
    flags = [
        el("span", "escalated", class_="sev sev-critical") if job.escalated_at else None,
        el("span", "came back", class_="sev sev-warning") if job.comeback_of else None,
    ]
    return join(words.status(job.status), *(join(" ", f) for f in flags if f is not None))


def _column(signal: str) -> Html:
    unit = words.unit(signal)
    return join(words.signal_name(signal), f" ({unit})" if unit else None)


def _filter_form(filters: Filters) -> Html:
    def choice(name: str, value: str, choices: Sequence[str], labels: dict[str, str]) -> Html:
        options = (
            el("option", labels.get(c, c), value=c, selected="selected" if c == value else None)
            for c in choices
        )
        return el("label", name.capitalize(), " ", el("select", *options, name=name))

    health_words = {"any": "any", "faulty": "any fault", **words.HEALTH}
    search = el("input", type="search", name="q", value=filters.q, maxlength=64)
    return el(
        "form",
        choice("health", filters.health, HEALTH_CHOICES, health_words),
        choice("online", filters.online, ONLINE_CHOICES, {}),
        el("label", "Name or VIN ", search),
        el("button", "Filter", type="submit"),
        method="get",
        action="/",
        class_="filters",
    )
