"""The vehicle page's view is its URL (signals, from, to), readable without JavaScript; the job
page's evidence carries the rule's levels and a link to the vehicle page around the firing."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

from fastapi.testclient import TestClient

from api.timerange import parse_instant
from tests.api.conftest import LV, NOW, SPEED, VIN_A, Fleet

PAGE = f"/vehicles/{VIN_A}/page"


class Attrs(HTMLParser):
    """The attributes of every element, by tag."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def all(self, tag: str, attr: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.found if t == tag and attr in a]


def parsed(html: str) -> Attrs:
    tags = Attrs()
    tags.feed(html)
    return tags


def test_a_range_typed_without_javascript_is_utc(client: TestClient, fleet: Fleet) -> None:
    answer = client.get(f"{PAGE}?signal={SPEED}&from=2025-11-26T23:00&to=2025-11-26T23:30")
    assert answer.status_code == 200
    charts = parsed(answer.text).all("div", "data-buckets")
    assert [c["data-name"] for c in charts] == [SPEED]
    assert float(charts[0]["data-from"] or 0) == NOW - 3600
    assert float(charts[0]["data-to"] or 0) == NOW - 1800
    assert charts[0]["data-unit"] == "km/h"
    inputs = parsed(answer.text).all("input", "data-range")
    assert [(i["name"], i["value"]) for i in inputs] == [
        ("from", "2025-11-26T23:00"),
        ("to", "2025-11-26T23:30"),
    ]


def test_every_time_is_a_time_element_with_its_utc_instant(
    client: TestClient, fleet: Fleet
) -> None:
    page = client.get(PAGE).text
    times = parsed(page).all("time", "datetime")
    assert times
    for t in times:
        assert parse_instant(t["datetime"] or "", "datetime") <= NOW
        assert (t["datetime"] or "").endswith("Z")


def test_presets_and_exports_carry_the_view(client: TestClient, fleet: Fleet) -> None:
    page = client.get(f"{PAGE}?signal={LV}&signal={SPEED}&hours=2").text
    links = {a.get("class"): a["href"] or "" for a in parsed(page).all("a", "href")}
    export = parse_qs(urlsplit(links["button export-csv"]).query)
    assert export["signal"] == [LV, SPEED]
    assert export["format"] == ["csv"]
    assert parse_instant(export["from"][0], "from") == NOW - 7200
    presets = [a["href"] or "" for a in parsed(page).all("a", "href") if a.get("class") == "preset"]
    assert len(presets) == 5
    week = parse_qs(urlsplit(presets[3]).query)
    assert parse_instant(week["from"][0], "from") == NOW - 7 * 86400
    assert parse_instant(week["to"][0], "to") == NOW


def test_without_signals_the_page_opens_on_the_signal_that_fired(
    client: TestClient, fleet: Fleet
) -> None:
    charts = parsed(client.get(PAGE).text).all("div", "data-buckets")
    assert [c["data-name"] for c in charts] == [LV]  # the open battery job's, not the first two


def test_the_evidence_chart_has_the_rules_levels_and_a_way_to_the_vehicle(
    client: TestClient, fleet: Fleet
) -> None:
    page = client.get(f"/jobs/{fleet.battery_job.id}/page").text
    charts = parsed(page).all("div", "data-series")
    levels = json.loads(charts[0]["data-levels"] or "[]")
    assert [(lv["value"], lv["kind"]) for lv in levels] == [(11.8, "fire"), (12.2, "clear")]
    link = next(
        a["href"] or "" for a in parsed(page).all("a", "href") if "/page?" in (a["href"] or "")
    )
    query = parse_qs(urlsplit(unquote(link)).query)
    assert query["signal"] == [LV]
    start, end = (parse_instant(query[k][0], k) for k in ("from", "to"))
    assert start <= NOW - 400
    assert end >= NOW - 10
