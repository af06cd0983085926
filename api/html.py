"""A few lines of HTML building in which every piece of text is escaped unless it is ``Html``.

el("a", job.title, href=f"/jobs/{job.id}/page")   # the title and the href are escaped
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:0 .75rem;
color:#1d232a;background:#fbfbfa}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}
nav{padding:.6rem 0;border-bottom:1px solid #ddd}nav a{font-weight:600;text-decoration:none}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e4e4e4;vertical-align:top}
th{font-size:.85rem;color:#555}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{padding:0 .4rem;border-radius:.3rem;font-size:.85rem;background:#e8eef6}
.sev-warning{background:#fff0c2}.sev-critical{background:#ffd6d2}
.muted{color:#666}svg.spark{display:block;max-width:100%;height:auto}
code{font-size:.9em;word-break:break-all}.chart{width:100%;min-height:240px}
form.inline{display:inline}form.action-form{margin:.4rem 0}
button{font:inherit;padding:.35rem .8rem;margin:.2rem .3rem .2rem 0}
input,select{font:inherit;max-width:100%}label{display:inline-block;margin-right:.8rem}
h3{font-size:1rem;margin:1rem 0 .3rem}figure{margin:0 0 1rem}.chart{margin-bottom:.8rem}
table.facts{width:auto;min-width:min(100%,28rem)}table.facts td{overflow-wrap:anywhere}
table.facts td.num{text-align:left}table.facts th{width:9rem}
.nowrap{white-space:nowrap;word-break:normal}
.picker label{display:inline-flex;gap:.3rem;align-items:center;overflow-wrap:anywhere}
"""


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
        el("style", Html(STYLE)),
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
        "<!doctype html>\n" + el("html", el("head", head), el("body", nav, *body), lang="en")
    )


def table(headers: list[str], rows: list[list[Child]], empty: str) -> Html:
    if not rows:
        return el("p", empty, class_="muted")
    head = el("tr", *(el("th", h) for h in headers))
    body = join(*(el("tr", *(_cell(c) for c in row)) for row in rows))
    return el("div", el("table", el("thead", head), el("tbody", body)), class_="scroll")


def facts(rows: list[tuple[str, Child]], empty: str) -> Html:
    """A two-column table of names and values, the names as row headings."""
    if not rows:
        return el("p", empty, class_="muted")
    body = join(*(el("tr", el("th", name, scope="row"), _cell(value)) for name, value in rows))
    return el("div", el("table", el("tbody", body), class_="facts"), class_="scroll")


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
