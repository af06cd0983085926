"""The rules page in headless Chromium: an engineer finds it from the start page, reads the
catalogue and precision, runs a backtest from the form and reads when the rule would have
opened a job; a wrong VIN, rule or range is said on the page; other roles are refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.html import when
from api.keys import Role
from pitstop.codec import Sample, TelemetryBatch
from tests.web.conftest import LV, NOW, Site, Visit, sign_in

pytestmark = pytest.mark.integration

DRAINED = "WPITSTOPRULES0001"
DIP_START = NOW - 1800  # 10 minutes at 11.6 V, half an hour before the server's now
DIP_END = DIP_START + 600


def drain_battery(site: Site) -> None:
    """An hour of 1 Hz 12 V readings of another car, with a dip under lv-battery-low's 11.8 V."""
    for seq, minute in enumerate(range(int(NOW - 3600), int(NOW), 60), start=1):
        samples = tuple(
            Sample(LV, float(t), 11.6 if DIP_START <= t < DIP_END else 12.5)
            for t in range(minute, minute + 60)
        )
        site.telemetry.write_batch(TelemetryBatch(DRAINED, seq, "profile-rules", samples))


def test_an_engineer_backtests_a_rule_from_the_browser(site: Site, desktop: Visit) -> None:
    drain_battery(site)
    page = desktop.page
    sign_in(page, site, Role.ENGINEER)
    page.click("a[href='/rules/page']")
    page.wait_for_url("**/rules/page")
    catalogue = page.locator("#catalogue + table tbody tr")
    assert catalogue.count() == len(site_rules(site))
    battery = page.locator("tr:has(code:text-is('lv-battery-low'))")
    assert "< 11.8" in battery.inner_text()
    assert "holds 20s; clears back past 12.2 after 30s" in battery.inner_text()
    precision = page.locator("#precision ~ table tr:has-text('12 V battery voltage low')")
    assert "50 %" not in precision.inner_text()  # no completed job: no percentage made up
    assert "no jobs yet" not in precision.inner_text()  # the fixture opened one
    page.select_option("select[name=rule]", "lv-battery-low")
    page.fill("input[name=vin]", DRAINED)
    page.fill("input[name=from]", "2025-11-26T22:00")
    page.fill("input[name=to]", "2025-11-27T00:00")
    page.click("button:has-text('Run backtest')")
    page.wait_for_selector(".result")
    result = page.locator(".result").inner_text()
    expected = api_backtest(site, "lv-battery-low", "2025-11-26T22:00", "2025-11-27T00:00")
    first = next(t for t in expected["transitions"] if t["state"] == "firing")
    assert first["at"] == DIP_START + 20  # the rule's 20 s hold, on the data written above
    assert f"Would have opened a job at {when(first['at'])}" in result
    assert f"{expected['samples']} samples replayed" in result
    rows = page.locator(".result tbody tr")
    assert rows.count() == len(expected["transitions"])
    assert [r.split("\t")[1] for r in rows.all_inner_texts()] == [
        t["state"] for t in expected["transitions"]
    ]
    assert page.locator("input[name=vin]").input_value() == DRAINED  # the form keeps it
    desktop.assert_only_own_origin(site.url)


def test_a_rule_that_never_fires_says_so(site: Site, desktop: Visit) -> None:
    drain_battery(site)
    page = desktop.page
    sign_in(page, site, Role.ENGINEER)
    page.goto(
        f"{site.url}/rules/page?rule=lv-battery-low&vin={DRAINED}&from=2025-11-26T23:00&to=2025-11-26T23:25"
    )
    assert "Never fired" in page.locator(".result").inner_text()  # the dip begins at 23:30


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("rule=lv-battery-low&vin=NOTAVIN", "'NOTAVIN' is not a VIN"),
        ("rule=no-such-rule&vin=WPITSTOPRULES0001", "there is no rule 'no-such-rule'"),
        ("rule=lv-battery-low&vin=WPITSTOPRULES0001&from=2025-11-27T01:00", "earlier than"),
        ("rule=lv-battery-low&vin=WPITSTOPRULES0001&from=2025-11-01", "at most 7 days"),
        ("rule=lv-battery-low&vin=WPITSTOPRULES0001&to=yesterday", "neither epoch seconds"),
    ],
)
def test_a_wrong_backtest_is_said_on_the_page(
    site: Site, desktop: Visit, query: str, says: str
) -> None:
    page = desktop.page
    sign_in(page, site, Role.ENGINEER)
    answer = page.goto(f"{site.url}/rules/page?{query}")
    assert answer is not None
    assert answer.status == 422
    assert says in page.locator("[role=alert]").inner_text()
    assert page.locator(".result").count() == 0
    assert page.locator("#catalogue").count() == 1  # the rest of the page is still there


@pytest.mark.parametrize("role", [Role.WORKSHOP, Role.OWNER])
def test_other_roles_get_the_403_page(site: Site, desktop: Visit, role: Role) -> None:
    page = desktop.page
    sign_in(page, site, role)
    assert page.locator("a[href='/rules/page']").count() == 0
    answer = page.goto(f"{site.url}/rules/page")
    assert answer is not None
    assert answer.status == 403
    assert page.locator("h1").inner_text() == "Not allowed"


def api_backtest(site: Site, rule: str, start: str, end: str) -> dict[str, Any]:
    """The same backtest through the JSON API, as the page's yardstick."""
    answer = httpx.get(
        f"{site.url}/rules/{rule}/backtest",
        params={"vin": DRAINED, "from": start, "to": end},
        headers={"Authorization": f"Bearer {site.keys[Role.ENGINEER]}"},
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def site_rules(site: Site) -> list[object]:
    answer = httpx.get(
        f"{site.url}/rules", headers={"Authorization": f"Bearer {site.keys[Role.ENGINEER]}"}
    )
    answer.raise_for_status()
    rules: list[object] = answer.json()
    return rules
