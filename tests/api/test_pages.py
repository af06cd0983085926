from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.html import Html, el
from api.keys import Role
from tests.api.conftest import HOSTILE, LV, VIN_A, VIN_B, Fleet


class Tags(HTMLParser):
    """The tags and the text of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def test_home_shows_the_fleet_and_the_jobs_newest_first(client: TestClient, fleet: Fleet) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert VIN_A in page
    assert VIN_B in page
    assert "2025-11-26 23:59:00 UTC" in page  # VIN_A last seen
    assert "Garage Nord" in page
    assert "not booked" in page
    hostile_link = f'href="/jobs/{fleet.hostile_job.id}/page"'
    battery_link = f'href="/jobs/{fleet.battery_job.id}/page"'
    assert page.index(hostile_link) < page.index(battery_link)
    assert 'name="viewport"' in page


def test_pages_escape_what_the_data_says(client: TestClient, fleet: Fleet) -> None:
    for path in ("/", f"/jobs/{fleet.hostile_job.id}/page"):
        page = client.get(path).text
        tags = parse(page)
        assert tags.tags.count("script") <= 3, path  # time.js, plotly.js, charts.js; no inline
        assert "<script>" not in page
        assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; &amp; more" in page
        assert HOSTILE in "".join(tags.text)  # shown to the reader as the text it is


def test_pages_load_nothing_from_elsewhere(client: TestClient, fleet: Fleet) -> None:
    for path in ("/", f"/jobs/{fleet.battery_job.id}/page"):
        page = client.get(path).text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), path
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page)
        for attrs, body in scripts:
            assert 'src="/static/' in attrs, path
            assert not body, path


def test_job_page_shows_diagnosis_trigger_and_chart(client: TestClient, fleet: Fleet) -> None:
    response = client.get(f"/jobs/{fleet.battery_job.id}/page")
    assert response.status_code == 200
    page = response.text
    assert "12 V battery voltage low" in page
    assert "The 12 V battery no longer holds charge." in page
    assert "1 x 12 V AGM battery" in page
    assert "Labour: 0.5 h" in page
    assert "below 11.8 V" in page  # the trigger's condition, in words
    assert "2025-11-26 23:59:50 UTC" in page  # fired_at, for people
    (series,) = re.findall(r'class="chart"[^>]*data-series="([^"]+)"', page)
    assert series.startswith("[[")
    assert series.count("], [") == 39
    (marks,) = re.findall(r'data-marks="([^"]+)"', page)
    assert json.loads(marks) == [fleet.battery_job.fired_at - 20, fleet.battery_job.fired_at]
    assert LV in page


def test_job_page_of_a_missing_job_is_404(client: TestClient) -> None:
    assert client.get("/jobs/4242/page").status_code == 404


def test_static_scripts_are_served_from_installed_packages(client: TestClient) -> None:
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200
    assert "plotly" in plotly.text[:2000].lower()
    assert len(plotly.content) > 1_000_000
    assert "Plotly.newPlot" in client.get("/static/charts.js").text


def test_pages_without_a_key_send_the_browser_to_sign_in(app: FastAPI, secrets: Any) -> None:
    with TestClient(app) as anonymous:
        response = anonymous.get("/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=%2F"
        refused = anonymous.post("/signin", data={"key": "pst_wrong"})
        assert refused.status_code == 401
        assert "unknown" in refused.text
        signed = anonymous.post(
            "/signin", data={"key": secrets[Role.OWNER]}, follow_redirects=False
        )
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert anonymous.get("/").status_code == 200  # the cookie now signs every request
        assert VIN_B not in anonymous.get("/").text  # the owner sees VIN_A only


def test_el_escapes_text_and_attributes_but_not_html() -> None:
    built = el("a", '<b>"x"</b>', Html("<i>ok</i>"), href='/"><script>', class_="c")
    assert built == (
        '<a href="/&quot;&gt;&lt;script&gt;" class="c">'
        "&lt;b&gt;&quot;x&quot;&lt;/b&gt;<i>ok</i></a>"
    )
