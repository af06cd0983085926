"""The canonical signal names pitstop's shipped profiles produce (``dbc/*.yaml``: the names of
their signal mappings and of their diagnostic reads), for ``pitstop rules check`` to catch a
rule that reads a name no car sends (``Vehicle.Sped``)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import dbc
from gateway.errors import ProfileError
from gateway.profileyaml import read_document

NAME = re.compile(r"Vehicle(\.[A-Za-z0-9_]+)+")


def known_signal_names(profiles: Iterable[Path] = ()) -> frozenset[str]:
    """Every canonical name in the shipped profiles and in ``profiles``."""
    names: set[str] = set()
    for path in (*sorted(dbc.DIR.glob("*.yaml")), *profiles):
        if path.name.endswith(".plan.yaml"):
            continue
        try:
            names.update(_names(read_document(path)))
        except ProfileError:
            continue  # not a profile; `pitstop profile check` is the tool for that
    return frozenset(names)


def suggestion(name: str, known: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.8)
    return f" (did you mean {close[0]}?)" if close else ""


def _names(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        if NAME.fullmatch(node):
            yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _names(key)
            yield from _names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _names(item)
