"""The error answers every route may give, documented where they can happen.

Each route declares the answers of its own domain (``api.schemas.problem``); the ones that
follow from the shell around every route are added here, once, so the OpenAPI document names
every status a client can meet (Schemathesis checks that it does):

    401  no key, or an unknown or revoked one        every route but /health
    403  the role may not, or a cookie call lacks its proof of origin
    404  outside the caller's scope, as if absent    routes with path parameters
    413  a body over api.strict.MAX_BODY             routes with a body
    422  a parameter or body that does not validate  routes with parameters or a body
    503  a store or the broker is unavailable        every route but /health
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRoute

from api.schemas import problem

UNAUTHENTICATED_PATHS = frozenset({"/health"})


def document_common_answers(routes: Iterable[Any]) -> None:
    """Add the shell's answers to each route's ``responses`` (its own descriptions win)."""
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for status, answer in common_answers(route).items():
            route.responses.setdefault(status, answer)


def common_answers(route: APIRoute) -> dict[int | str, dict[str, Any]]:
    answers: dict[int | str, dict[str, Any]] = {}
    if route.path_format in UNAUTHENTICATED_PATHS:  # a router's own path (health has no prefix)
        return answers
    answers |= problem(401, "No API key, or an unknown or revoked one.")
    answers |= problem(403, "Your role may not do this (or a cookie call lacks its proof).")
    answers |= problem(503, "A store or the broker is unavailable right now.")
    dependant = route.dependant
    if "{" in route.path_format:
        answers |= problem(404, "Not found, or outside your scope.")
    if route.body_field is not None:
        answers |= problem(413, "The body is too large.")
    if route.body_field is not None or dependant.query_params or dependant.path_params:
        answers[422] = {"description": "Validation error"}
    return answers
