"""Strict request bodies: JSON as RFC 8259 writes it, and no type coercion.

Python's ``json`` module reads ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON; a
body holding one, or one that is not UTF-8 or not JSON at all, is refused here with 422
(``json_invalid``) before any route sees it (``StrictJson``, an ASGI
middleware, so every route is covered, also those added later). A body larger than
``MAX_BODY`` answers 413. Models of request bodies derive from ``StrictBody``: unknown fields,
a string where a number belongs, ``false`` for a time, and non-finite numbers are refused (422),
never converted.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 1 << 20  # 1 MiB: the largest body a route takes (a collection plan) is far smaller
_NOT_JSON = ("NaN", "Infinity", "-Infinity")


class StrictBody(BaseModel):
    """Base of every request body model."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class NonJsonConstantError(ValueError):
    """The body holds NaN, Infinity or -Infinity."""


def _refuse(constant: str) -> Any:
    raise NonJsonConstantError(f"{constant} is not a JSON number")


def check_json(body: bytes) -> str | None:
    """Why ``body`` is not JSON (a non-JSON constant, bytes that are not UTF-8, bad syntax),
    or None if it is."""
    try:
        json.loads(body, parse_constant=_refuse)
    except NonJsonConstantError as err:
        return str(err)
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    except json.JSONDecodeError as err:
        return f"the body is not JSON: {err.msg} at line {err.lineno} column {err.colno}"
    except ValueError as err:  # e.g. a number too long to convert
        return f"the body is not JSON: {err}"
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # no content type: FastAPI may still read it as JSON


class StrictJson:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await _answer(scope, receive, send, 413, f"the body is over {MAX_BODY} bytes")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        refused = check_json(body) if body else None
        if refused is not None:
            error = {"type": "json_invalid", "loc": ["body"], "msg": refused, "input": None}
            await JSONResponse({"detail": [error]}, status_code=422)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    await JSONResponse({"detail": text}, status_code=status)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body once, then whatever the client sends."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
