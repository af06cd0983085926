"""A few lines of HTML building in which every piece of text is escaped unless it is ``Html``.

el("a", job.title, href=f"/jobs/{job.id}/page")   # the title and the href are escaped
el("a", "chart", href=url_path("vehicles", vin, "signals", signal))  # each segment encoded

No inline script or style: the pages' CSS is /static/pitstop.css, their scripts /static/*.js.
"""

from __future__ import annotations

import html
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote


class Html(str):
    """Markup that is already safe: never escaped again."""

    __slots__ = ()


Child = Html | str | int | float | None


@dataclass(frozen=True, slots=True)
class Badge:
    """Who is signed in, as the nav shows it: ``Signed in as Workshop · Garage Nord``."""

    role: str  # for people: "Workshop", "Owner", "Fleet manager", "Engineer", "Admin"
    name: str  # the workshop's, the owner's or the fleet's name; else the key's


#: The caller of the page being built: set once per request by the page access dependency
#: (``api.routes.page_routes.page_access``), read by ``document`` so that every page shows it
#: without each builder passing it on. None (signed out) shows no badge.
SIGNED_IN: ContextVar[Badge | None] = ContextVar("signed_in", default=None)


def el(tag: str, *children: Child, **attrs: str | int | float | None) -> Html:
    """``<tag attrs>children</tag>``; ``class_`` gives ``class``; None attrs are left out."""
    rendered = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not None
    )
    return Html(f"<{tag}{rendered}>{join(*children)}</{tag}>")


def url_path(*segments: str) -> str:
    """An absolute path of URL-encoded segments: a name with ``/``, ``?`` or ``#`` stays one
    segment of this path, whoever chose it (a car names its own signals)."""
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def join(*children: Child) -> Html:
    return Html("".join(escape(child) for child in children if child is not None))


def escape(value: Child) -> str:
    if isinstance(value, Html):
        return value
    return html.escape(str(value), quote=True)


def document(title: str, *body: Child, charts: bool = False) -> Html:
    """A whole page; ``charts`` adds plotly.js and pitstop's chart glue, both served here."""
    scripts = (
        join(
            el("script", src="/static/plotly.min.js"),
            el("script", src="/static/charts.js", defer="defer"),
        )
        if charts
        else None
    )
    head = join(
        Html('<meta charset="utf-8">'),
        Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        el("title", f"{title} · pitstop"),
        Html('<link rel="stylesheet" href="/static/pitstop.css">'),
        Html('<link rel="icon" href="/favicon.ico" type="image/svg+xml">'),
        el("script", src="/static/time.js", defer="defer"),
        scripts,
    )
    nav = _nav(SIGNED_IN.get())
    return Html(
        "<!doctype html>\n"
        + el("html", el("head", head), el("body", nav, el("main", *body)), lang="en")
    )


def _nav(badge: Badge | None) -> Html:
    """The links of every page and, when someone is signed in, who that is."""
    links = (el("a", "pitstop", href="/"), " · ", el("a", "API", href="/api"), " · ")
    signout = el("a", "Sign out", href="/signout")
    if badge is None:
        return el("nav", *links, signout)
    who = el("span", "Signed in as ", el("strong", badge.role), " · ", badge.name, class_="badge")
    return el("nav", *links, signout, " ", who)


def table(headers: list[str], rows: list[list[Child]], empty: str) -> Html:
    if not rows:
        return el("p", empty, class_="muted")
    head = el("tr", *(el("th", h) for h in headers))
    body = join(*(el("tr", *(_cell(c) for c in row)) for row in rows))
    return el("div", el("table", el("thead", head), el("tbody", body)), class_="scroll", tabindex=0)


def facts(rows: list[tuple[str, Child]], empty: str) -> Html:
    """A two-column table of names and values, the names as row headings."""
    if not rows:
        return el("p", empty, class_="muted")
    body = join(*(el("tr", el("th", name, scope="row"), _cell(value)) for name, value in rows))
    return el("div", el("table", el("tbody", body), class_="facts"), class_="scroll", tabindex=0)


_PARTS = {"datetime": "%Y-%m-%d %H:%M:%S UTC", "date": "%Y-%m-%d", "time": "%H:%M"}


def when(ts: float, part: str = "datetime") -> Html:
    """A time for people, one format on every page: ``<time datetime="2025-11-27T14:03:09Z">``
    holding the UTC text (``2025-11-27 14:03:09 UTC``: what a reader without JavaScript sees),
    which /static/time.js rewrites into the browser's zone, labelled (``2025-11-27 15:03 CET``),
    with the UTC text as the hover title. ``part`` is ``date`` or ``time`` for a calendar's
    headings."""
    text = utc_text(ts, _PARTS.get(part, _PARTS["datetime"]))
    try:
        iso = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return Html(escape(text))
    return el("time", text, datetime=iso, data_part=part if part in _PARTS else None)


def utc_text(ts: float, pattern: str = _PARTS["datetime"]) -> str:
    """The plain UTC text of ``when`` (for an attribute, a file name, a form value)."""
    try:
        return datetime.fromtimestamp(ts, UTC).strftime(pattern)
    except (OverflowError, OSError, ValueError):
        return f"{ts:.3f}"


def _cell(value: Child) -> Html:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return el("td", f"{value:g}", class_="num")
    return el("td", value)
