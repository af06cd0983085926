"""People in a browser never meet raw JSON: a browser's request (Accept: text/html first) gets
a page or the sign-in page with the way back; an API client keeps its JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.error_pages import safe_next
from api.keys import Role
from tests.api.conftest import VIN_B, Fleet, bearer


@pytest.fixture
def owner(app: FastAPI, secrets: dict[Role, str], fleet: Fleet) -> Iterator[TestClient]:
    with TestClient(app, headers=bearer(secrets[Role.OWNER])) as client:
        yield client


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_json_link_opened_in_a_fresh_browser_goes_to_sign_in_and_back(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    job = fleet.battery_job.id
    with TestClient(app, base_url="https://testserver") as browser:
        first = browser.get(f"/jobs/{job}/page?x=1", headers=BROWSER, follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == f"/signin?next=%2Fjobs%2F{job}%2Fpage%3Fx%3D1"
        form = browser.get(first.headers["location"], headers=BROWSER)
        assert f'name="next" value="/jobs/{job}/page?x=1"' in form.text
        signed = browser.post(
            "/signin",
            data={"key": secrets[Role.OWNER], "next": f"/jobs/{job}/page?x=1"},
            headers={"Origin": "https://testserver"},
            follow_redirects=False,
        )
        assert signed.headers["location"] == f"/jobs/{job}/page?x=1"
        raw = browser.get(f"/jobs/{job}", headers=BROWSER, follow_redirects=False)
    assert raw.status_code == 200  # signed in now: the JSON route answers (its page is linked)


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/no/such/page", 404, "There is no page at this address."),
        ("/jobs/999999/page", 404, "no job 999999"),
        ("/vehicles/SHORT/page", 422, "17 letters and digits"),
        (f"/vehicles/{VIN_B}/page", 404, "not yours to see"),
        ("/vehicles/WPITSTOPDEMO00001/page?hours=0", 422, "hours"),
    ],
)
def test_a_person_gets_a_page_for_every_error(
    owner: TestClient, path: str, status: int, text: str
) -> None:
    page = owner.get(path, headers=BROWSER)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert text in page.text
    assert "Back to the start page" in page.text
    api = owner.get(path, headers={"Accept": "application/json"})
    assert api.status_code == status
    assert api.headers["content-type"] == "application/json"


def test_the_favicon_is_served(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/jobs/1/page", "/jobs/1/page"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        (None, "/"),
        ("", "/"),
    ],
)
def test_sign_in_goes_back_only_within_this_site(target: Any, expected: str) -> None:
    assert safe_next(target) == expected
