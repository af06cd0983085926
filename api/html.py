"""A few lines of HTML building in which every piece of text is escaped unless it is ``Html``.

el("a", job.title, href=f"/jobs/{job.id}/page")   # the title and the href are escaped
el("a", "chart", href=url_path("vehicles", vin, "signals", signal))  # each segment encoded

No inline script or style: the pages' CSS is /static/pitstop.css, their scripts /static/*.js.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from urllib.parse import quote


class Html(str):
    """Markup that is already safe: never escaped again."""

    __slots__ = ()


Child = Html | str | int | float | None


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
        scripts,
    )
    nav = el(
        "nav",
        el("a", "pitstop", href="/"),
        " · ",
        el("a", "API", href="/api"),
        " · ",
        el("a", "Sign out", href="/signout"),
    )
    return Html(
        "<!doctype html>\n"
        + el("html", el("head", head), el("body", nav, el("main", *body)), lang="en")
    )


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


def when(ts: float) -> str:
    """A time for people: ``2025-11-27 14:03:09 UTC``."""
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{ts:.3f}"


def _cell(value: Child) -> Html:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return el("td", f"{value:g}", class_="num")
    return el("td", value)
