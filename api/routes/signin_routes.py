"""Signing in and out of the web pages: a key opens a server-side session (``api.sessions``).

The cookie holds the session id only: HttpOnly, SameSite=Strict, Path=/, Secure when the
request came over https, and kept no longer than the session lives. Failed sign-ins are
throttled per client address (``api.throttle``): past the limit, 429 with Retry-After.
Signing out is a POST with the session's CSRF token, so no link or image can do it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import web_pages as pages
from api.audit import note_actor
from api.csrf import check_form, refuse_foreign_origin
from api.deps import StoresDep
from api.error_pages import safe_next
from api.errors import UnauthenticatedError
from api.routes.page_routes import read_form
from api.scope import COOKIE, authenticate
from api.sessions import SessionStore
from api.throttle import SignInThrottle

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def throttle_of(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.signin_throttle
    return throttle


@router.get("/signin")
def signin_form(next: str | None = None) -> HTMLResponse:
    return HTMLResponse(pages.signin_page(None, safe_next(next)))


@router.post("/signin")
async def signin(request: Request, stores: StoresDep) -> Response:
    refuse_foreign_origin(request)
    client, now = request.client.host if request.client else "unknown", stores.clock()
    throttle = throttle_of(request)
    wait = throttle.retry_after(client, now)
    if wait is not None:
        page = pages.signin_page(f"Too many failed sign-ins: try again in {wait} s.", "/")
        return HTMLResponse(page, status_code=429, headers={"Retry-After": str(wait)})
    form = await read_form(request)
    key_text, back = form.get("key", "").strip(), safe_next(form.get("next"))
    key = stores.keys.authenticate(key_text) if stores.keys and key_text else None
    if stores.keys is None or key is None:
        throttle.failed(client, now)
        page = pages.signin_page("That key is unknown or has been revoked.", back)
        return HTMLResponse(page, status_code=401)
    note_actor(request, key, "sign-in")
    sessions = SessionStore(stores.keys)
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(
        COOKIE,
        sessions.open(key, now),
        max_age=int(sessions.ttl_s),
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/signout")
def signout_form(request: Request, stores: StoresDep) -> Response:
    """A button that signs out (a GET never does: any page could link or fetch it)."""
    try:
        access = authenticate(request, stores)
    except UnauthenticatedError:
        return RedirectResponse("/signin", status_code=303)
    return HTMLResponse(pages.signout_page(access.csrf))


@router.post("/signout")
async def signout(request: Request, stores: StoresDep) -> Response:
    session = request.cookies.get(COOKIE)
    if session and stores.keys is not None:
        check_form(request, session, await read_form(request))
        SessionStore(stores.keys).revoke(session, stores.clock())
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
