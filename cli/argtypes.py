"""Argument types the commands share: each refuses a bad value with one line naming it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive(unit: str) -> Callable[[str], float]:
    """An argparse type: a positive, finite number of ``unit``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not value > 0 or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a positive number of {unit}, got {text!r}")
        return value

    return parse
