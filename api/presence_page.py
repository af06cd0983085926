"""The gateway part of the vehicle page: online or offline, last seen, profile hash, DBC
problems, spool overflows and recent capture windows. Everything in it came from a car, so
every piece goes through ``api.html`` (escaped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.html import Child, Html, el, facts, join, table, when
from api.presence_schemas import EventList, EventOut, VehicleStatusOut

SHOWN = 10  # rows per table


def gateway_section(status: VehicleStatusOut | None, events: EventList) -> Html:
    return join(
        el("h2", "Gateway"),
        _status(status),
        el("h3", "DBC problems"),
        _dbc_problems(_of(events, "dbc_problems")),
        el("h3", "Spool overflows"),
        table(["When", "Dropped", "Dropped in all"], _overflows(events), "No spool overflows."),
        el("h3", "Capture windows"),
        table(
            ["Capture", "Trigger", "Window", "Samples"],
            [_capture(e) for e in _of(events, "capture")[:SHOWN]],
            "No capture windows.",
        ),
    )


def _status(status: VehicleStatusOut | None) -> Html:
    if status is None:
        return el("p", "The gateway has not reported yet.", class_="muted")
    state = el("span", status.state, class_=f"sev state-{status.state}")
    rows: list[tuple[str, Child]] = [
        ("State", join(state, " since ", when(status.since))),
        ("Last seen", when(status.last_seen)),
        ("Gateway version", status.version or "unknown"),
        ("Profile hash", el("code", status.profile) if status.profile else "unknown"),
    ]
    return facts(rows, "")


def _dbc_problems(found: list[EventOut]) -> Html:
    if not found:
        return el("p", "The DBC files loaded without problems.", class_="muted")
    latest = found[0]
    left_out = latest.data.get("left_out")
    items = left_out if isinstance(left_out, list) else [left_out]
    return join(
        el(
            "p", "Reported ", when(latest.ts), ": left out of the profile", class_="sev sev-warning"
        ),
        el("ul", *(el("li", str(item)) for item in items[:50])),
    )


def _overflows(events: EventList) -> list[list[Child]]:
    found = _of(events, "spool_overflow")[:SHOWN]
    return [[when(e.ts), _text(e.data, "dropped"), _text(e.data, "total")] for e in found]


def _capture(event: EventOut) -> list[Child]:
    data = event.data
    trigger = data.get("trigger")
    condition = (
        " ".join(str(trigger.get(k, "")) for k in ("signal", "op", "value"))
        if isinstance(trigger, dict)
        else ""
    )
    return [
        _text(data, "name"),
        join(el("code", condition), el("div", el("small", _ms(data.get("trigger_ts"))))),
        join(_ms(data.get("start")), el("div", el("small", "to ", _ms(data.get("end"))))),
        _text(data, "samples"),
    ]


def _of(events: EventList, type_: str) -> list[EventOut]:
    return [e for e in events.events if e.type == type_]


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _ms(value: object) -> str:
    return when(value / 1000) if isinstance(value, int | float) else ""
