"""Cross-site request forgery, refused whatever the browser's SameSite rules count as a site.

A request that changes state (anything but GET, HEAD, OPTIONS) and is signed by the session
cookie (never one with ``Authorization: Bearer``, which no other page can make a browser send)
must prove it comes from the service's own pages:

- a page form carries the session's token in the hidden field ``csrf`` (and, if the browser
  sends an ``Origin``, it is the service's own);
- a JSON call carries the token in ``X-CSRF-Token``, or comes from the service's own origin
  (``Origin``, else ``Referer``) *and* has a JSON content type, which no cross-origin form or
  CORS-less ``fetch`` can send (``text/plain`` and the form encodings are refused).

The service's own origin is the scheme and host the request was addressed to; behind a proxy
that terminates TLS, run uvicorn with ``--proxy-headers`` so that the scheme is right.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi import Request

from api.errors import ForbiddenError
from api.sessions import csrf_matches

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def sender_origin(request: Request) -> str | None:
    """Where the browser says the request comes from: ``Origin``, else ``Referer``'s origin."""
    origin = request.headers.get("origin")
    if origin:
        return origin
    referer = urlsplit(request.headers.get("referer", ""))
    return f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc else None


def is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def check_api_call(request: Request, session_id: str) -> None:
    """403 for a cookie-signed JSON call that changes state without proof of its origin."""
    if request.method in SAFE_METHODS:
        return
    if csrf_matches(session_id, request.headers.get(CSRF_HEADER)):
        return
    if sender_origin(request) == own_origin(request) and is_json(request):
        return
    raise ForbiddenError(
        "a request signed by the sign-in cookie that changes state needs the header "
        "X-CSRF-Token, or this service's Origin and a JSON body"
    )


def check_form(request: Request, session_id: str, form: Mapping[str, str]) -> None:
    """403 for a page form without the session's token, or posted from another origin."""
    refuse_foreign_origin(request)
    if not csrf_matches(session_id, form.get(CSRF_FIELD)):
        raise ForbiddenError("this form has expired or did not come from pitstop: reload the page")


def refuse_foreign_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is not None and origin != own_origin(request):
        raise ForbiddenError(f"a form posted from {origin!r} is refused")
