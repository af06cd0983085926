"""Sign-in sessions: the cookie holds a session id, never the key, and stops working at
sign-out, when the key is revoked and when the session expires; failed sign-ins are throttled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore, Role
from api.scope import COOKIE
from api.sessions import SESSION_TTL_S, SessionStore
from ingest.store import TelemetryStore
from jobs.store import JobStore
from tests.api.conftest import NOW, VIN_A, Fleet


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_app(
    telemetry: TelemetryStore, job_store: JobStore, key_store: KeyStore, clock: Clock
) -> FastAPI:
    return create_app(telemetry, job_store, clock=clock, keys=key_store)


@pytest.fixture
def browser(timed_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(timed_app) as client:
        yield client


def sign_in(client: TestClient, secret: str) -> str:
    signed = client.post("/signin", data={"key": secret}, follow_redirects=False)
    assert signed.status_code == 303
    session: str = client.cookies[COOKIE]
    return session


def signed_in(client: TestClient) -> bool:
    code: int = client.get("/", follow_redirects=False).status_code
    return code == 200


def test_the_cookie_is_a_session_not_the_key(
    browser: TestClient, secrets: dict[Role, str], fleet: Fleet
) -> None:
    signed = browser.post("/signin", data={"key": secrets[Role.OWNER]}, follow_redirects=False)
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie
    assert f"max-age={int(SESSION_TTL_S)}" in cookie
    assert "secure" not in cookie  # plain http here; over https the cookie is Secure
    session = browser.cookies[COOKIE]
    assert secrets[Role.OWNER] not in signed.headers["set-cookie"]
    assert not session.startswith("pst_")
    assert len(session) >= 43  # 256 bits, URL-safe base64
    assert browser.get(f"/vehicles/{VIN_A}").status_code == 200  # the JSON routes take it too


def test_the_session_cookie_is_secure_over_https(
    timed_app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    with TestClient(timed_app, base_url="https://pitstop.example") as client:
        signed = client.post("/signin", data={"key": secrets[Role.OWNER]}, follow_redirects=False)
        assert "secure" in signed.headers["set-cookie"].lower()


def test_sign_out_revokes_the_session_server_side(
    browser: TestClient, secrets: dict[Role, str], fleet: Fleet
) -> None:
    session = sign_in(browser, secrets[Role.OWNER])
    assert browser.get("/signout?x=", follow_redirects=False).status_code == 200  # a GET: a form
    assert signed_in(browser)
    refused = browser.post("/signout", data={}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token: not signed out by another page
    assert signed_in(browser)
    page = browser.get("/signout").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    out = browser.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert not signed_in(browser)
    browser.cookies.set(COOKIE, session)  # the old cookie, kept by an attacker
    assert not signed_in(browser)
    assert browser.get(f"/vehicles/{VIN_A}").status_code == 401


def test_revoking_the_key_ends_its_sessions(
    browser: TestClient, secrets: dict[Role, str], key_store: KeyStore, fleet: Fleet
) -> None:
    sign_in(browser, secrets[Role.OWNER])
    assert signed_in(browser)
    owner = next(k for k in key_store.list_keys() if k.role is Role.OWNER)
    assert key_store.revoke(owner.id, NOW)
    assert not signed_in(browser)


def test_an_expired_session_is_refused_and_cleaned(
    browser: TestClient, secrets: dict[Role, str], key_store: KeyStore, clock: Clock, fleet: Fleet
) -> None:
    sign_in(browser, secrets[Role.OWNER])
    clock.now = NOW + SESSION_TTL_S - 1
    assert signed_in(browser)  # fixed lifetime: using it does not extend it
    clock.now = NOW + SESSION_TTL_S
    assert not signed_in(browser)
    sessions = SessionStore(key_store)
    assert sessions.count_all() == 1
    sign_in(browser, secrets[Role.ENGINEER])  # opening a session deletes the dead ones
    assert sessions.count_all() == 1
    assert sessions.count_live(clock.now) == 1


def test_failed_sign_ins_are_throttled_per_client(
    browser: TestClient, secrets: dict[Role, str], clock: Clock, fleet: Fleet
) -> None:
    for _ in range(5):
        assert browser.post("/signin", data={"key": "pst_guess"}).status_code == 401
    throttled = browser.post("/signin", data={"key": secrets[Role.OWNER]})
    assert throttled.status_code == 429  # even the right key, until the minute is over
    assert int(throttled.headers["retry-after"]) == 60
    clock.now = NOW + 30
    assert int(browser.post("/signin", data={"key": "x"}).headers["retry-after"]) == 30
    clock.now = NOW + 60
    assert browser.post("/signin", data={"key": secrets[Role.OWNER]}).status_code == 200
