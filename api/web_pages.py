"""The web pages' shared parts (severity, chart and caption, the CSRF field) and the sign-in
pages; the home page is ``api.fleet_page``, the job page ``api.job_page``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from api.html import Child, Html, document, el
from api.schemas import PointPair
from api.signal_meta import SignalMeta
from api.signal_meta_rules import Level


def caption(meta: SignalMeta, *extra: Child) -> Html:
    """A chart's friendly title, with the full signal path in small text (and on hover)."""
    name = el("small", el("code", meta.name), title=meta.name, class_="signal-path")
    return el("figcaption", el("strong", meta.title), " ", name, *extra)


def chart(
    meta: SignalMeta,
    *,
    series: list[PointPair] | None = None,
    marks: list[float] | None = None,
    levels: Sequence[Level] = (),
    buckets_url: str | None = None,
    span: tuple[float, float] | None = None,
) -> Html:
    """A chart drawn by api/static/charts.js: fixed points, or buckets fetched (and zoomed);
    with the signal's unit on the axis and in hovers, its state names on a state signal's
    axis, and the rule's ``levels`` as labelled lines."""
    data: dict[str, str | None] = {
        "data_title": meta.title,
        "data_name": meta.name,
        "data_unit": meta.symbol,
        "data_states": json.dumps({str(k): v for k, v in sorted(meta.states.items())})
        if meta.states
        else None,
        "data_levels": json.dumps(
            [{"value": lv.value, "label": lv.label, "kind": lv.kind} for lv in levels]
        )
        if levels
        else None,
    }
    if series is not None:
        data["data_series"] = json.dumps(series)
        data["data_marks"] = json.dumps(marks or [])
    if buckets_url is not None and span is not None:
        data["data_buckets"] = buckets_url
        data["data_from"] = f"{span[0]:.3f}"
        data["data_to"] = f"{span[1]:.3f}"
    label = f"{meta.title} ({meta.symbol})" if meta.symbol else meta.title
    return el("div", class_="chart", role="group", aria_label=label, **data)


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
