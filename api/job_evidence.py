"""A job's diagnosis and evidence, readable: signals by their friendly names with units, the
condition in words (``below 11.8 V``), durations in seconds or minutes, lists as lists; the
canonical signal path stays beside the name, small, for whoever looks it up.

Extra trigger fields a rule kind adds are shown too, each value made plain (a list of lamps
reads ``MIL``, never ``['mil']``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from api import words
from api.html import Child, Html, el, facts, join, table, utc_text, when
from api.schemas import Diagnosis, Evidence, PointPair, Trigger
from api.signal_meta import SignalMeta, describe
from api.signal_meta_rules import Level
from api.web_pages import caption, chart

_OPERATORS = (("<=", "at or below"), (">=", "at or above"), ("<", "below"), (">", "above"))
_KNOWN = frozenset(
    {"signal", "condition", "hold_s", "hold", "since", "fired_at", "value", "severity"}
)
_SHOWN = frozenset({"trigger", "window", "dtcs", "odometer_km"})  # the rest: "More evidence"
_LABELS = {
    "lamp_on": "Warning lamp on",
    "forecast": "Forecast",
    "service": "Service due",
    "refirings": "Fired again",
    "after": "After the trigger",
    "profile_hash": "Vehicle profile",
}
MAX_ITEMS = 10  # of a list shown in words; the rest counted
_TIMES = frozenset({"at", "since", "fired_at", "until", "ts"})


def diagnosis(found: Diagnosis) -> Html:
    parts: list[Child] = [el("p", found.summary or "No summary given.")]
    for heading, items in (
        ("Likely causes", found.likely_causes),
        ("Checks", found.checks),
        ("Parts", [f"{part.quantity} x {part.name}" for part in found.parts]),
        ("Skills", found.skills),
    ):
        if items:
            parts.append(el("h3", heading))
            parts.append(el("ul", *(el("li", item) for item in items)))
    if found.labour_hours is not None:
        parts.append(el("p", f"Labour: {found.labour_hours:g} h"))
    return join(*parts)


def evidence(
    found: Evidence,
    levels: Sequence[Level] = (),
    labels: Mapping[str, Mapping[int, str]] | None = None,
) -> Html:
    trigger = found.trigger
    rows = trigger_rows(trigger) if trigger is not None else []
    if found.odometer_km is not None:
        rows.append(("Odometer", f"{found.odometer_km:,.1f} km"))
    codes: list[list[Child]] = [
        [el("code", c.code), c.description, ", ".join(c.status), c.protocol or ""]
        for c in found.dtcs
    ]
    extra = found.model_dump(exclude=set(_SHOWN), exclude_none=True)
    more: list[tuple[str, Child]] = [
        (_LABELS.get(k) or _label(k), plain(k, v)) for k, v in sorted(extra.items())
    ]
    return join(
        el("h3", "What fired"),
        facts(rows, "No trigger recorded."),
        join(el("h3", "More evidence"), facts(more, "")) if more else None,
        el("h3", "Trouble codes"),
        table(["Code", "Meaning", "Status", "Protocol"], codes, "No trouble code reported."),
        el("h3", "Signal window"),
        window_charts(found, paths=True, levels=levels, labels=labels),
    )


def window_charts(
    found: Evidence,
    *,
    paths: bool,
    levels: Sequence[Level] = (),
    labels: Mapping[str, Mapping[int, str]] | None = None,
) -> Html:
    """The signal window, one chart per signal, the one that fired first, named in words
    (``paths``: the canonical name beside it, for workshops and engineers), with the rule's
    ``levels`` and the car's state names (``labels``)."""
    trigger = found.trigger
    marks = [t for t in (trigger.since, trigger.fired_at) if t is not None] if trigger else []
    fired = trigger.signal if trigger is not None else None
    charts = [
        _chart(describe(signal, (labels or {}).get(signal)), points, marks, levels, paths)
        for signal, points in sorted(found.window.items(), key=lambda i: (i[0] != fired, i[0]))
    ]
    if not charts:
        return el("p", "No signal window recorded.", class_="muted")
    why = "Red vertical lines: when the condition began to hold and when it fired"
    why += "; dashed lines: the rule's level and the level at which it clears." if levels else "."
    return join(el("p", why, class_="muted"), *charts)


def _chart(
    meta: SignalMeta,
    points: list[PointPair],
    marks: list[float],
    levels: Sequence[Level],
    paths: bool,
) -> Html:
    mine = [level for level in levels if level.signal == meta.name]
    drawn = chart(meta, series=points, marks=marks, levels=mine)
    extra: list[Child] = []
    if points:
        values = [value for _, value in points]
        low, high = words.reading(meta.name, min(values)), words.reading(meta.name, max(values))
        summary = join(
            f"{len(points)} points, {low} to {high}, ",
            when(points[0][0]),
            " to ",
            when(points[-1][0]),
        )
        extra.append(el("div", el("small", summary, class_="muted")))
    title = caption(meta, *extra) if paths else el("figcaption", el("strong", meta.title), *extra)
    return el("figure", title, drawn)


def trigger_rows(trigger: Trigger) -> list[tuple[str, Child]]:
    """The trigger as (name, value) rows in words."""
    signal = trigger.signal or ""
    rows: list[tuple[str, Child]] = []
    if signal:
        rows.append(("Signal", signal_label(signal)))
    if trigger.condition:
        rows.append(("Condition", condition(trigger.condition, signal)))
    if trigger.hold_s is not None:
        rows.append(("Held for", duration(trigger.hold_s)))
    if trigger.since is not None:
        rows.append(("Began", when(trigger.since)))
    if trigger.fired_at is not None:
        rows.append(("Fired", when(trigger.fired_at)))
    if trigger.value is not None:
        rows.append(("Value", words.reading(signal, trigger.value)))
    extra = trigger.model_dump(exclude_none=True, exclude=set(_KNOWN))
    rows += [(_label(name), plain(name, value)) for name, value in sorted(extra.items())]
    return rows


def signal_label(path: str) -> Html:
    return join(words.signal_name(path), " ", el("small", el("code", path), class_="muted"))


def condition(text: str, signal: str) -> str:
    """``< 11.8`` -> ``below 11.8 V``; anything else as written."""
    stripped = text.strip()
    for operator, phrase in _OPERATORS:
        if stripped.startswith(operator):
            rest = stripped[len(operator) :].strip()
            try:
                return f"{phrase} {words.reading(signal, float(rest))}"
            except ValueError:
                return f"{phrase} {rest}"
    return stripped


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:g} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"


def plain(name: str, value: object) -> str:
    """Any JSON value as text for people: lists joined, mappings as ``key: value``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and name in _TIMES:
        return utc_text(value)
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, str):
        return words.signal_name(value) if value.startswith("Vehicle.") else _lamp(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{_label(str(k))}: {plain(str(k), v)}" for k, v in value.items())
    if isinstance(value, Sequence):
        shown = [plain(name, v) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            shown.append(f"and {len(value) - MAX_ITEMS} more")
        return ", ".join(shown) or "none"
    return str(value)


def _lamp(text: str) -> str:
    """Lamp and code names read in capitals (``mil`` -> ``MIL``); other text as it is."""
    return text.upper() if text in {"mil", "red_stop", "amber_warning"} else text.replace("_", " ")


def _label(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
