"""Errors for people: a browser that asks for a page gets a page, an API client JSON.

The choice follows ``Accept``: a request that prefers ``text/html`` (every browser's
navigation does) gets an HTML page saying what went wrong and where to go next; a 401 sends it
to the sign-in page with the address to come back to. Everything else (API clients, the
charts' ``fetch``) keeps the JSON of ``api.errors``.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.html import document, el

TITLES = {
    400: "That request could not be read",
    403: "Not allowed",
    404: "Not found",
    405: "Not here",
    409: "That cannot be done now",
    413: "Too large",
    422: "Something in the address is not right",
    429: "Too many tries",
    503: "Unavailable right now",
}


def wants_html(request: Request) -> bool:
    """Whether the caller prefers a page: ``text/html`` ranked above JSON in ``Accept``."""
    accept = request.headers.get("accept", "").lower()
    if "text/html" not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find("text/html") < json_at


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in page, coming back to this address afterwards."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(back, safe='')}", status_code=303)


def error_page(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    title = TITLES.get(status, "Something went wrong")
    body = document(
        title,
        el("h1", title),
        el("p", message),
        el("p", el("a", "Back to the start page", href="/"), " · ", el("a", "API", href="/api")),
    )
    return HTMLResponse(body, status_code=status, headers=headers)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
