"""How every benchmark reports: aligned readable lines, then the figures as one JSON object
on the last line (what tooling reads)."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Mapping
from typing import Any


def emit(title: str, figures: Mapping[str, Any], notes: Mapping[str, str] | None = None) -> None:
    """Print ``figures`` for a person, then as JSON on the last line of standard output."""
    print(f"{title}  (Python {platform.python_version()}, {platform.machine()})")
    width = max((len(k) for k in figures), default=0)
    for key, value in figures.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        note = f"  {notes[key]}" if notes and key in notes else ""
        print(f"  {key:<{width}}  {shown}{note}")
    sys.stdout.flush()
    print(json.dumps(dict(figures), default=str))
