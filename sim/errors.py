"""The simulator's errors.

PitstopError
 └── SimError (ValueError)   a fault, pattern or option the simulator cannot use
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class SimError(PitstopError, ValueError):
    """A fault, driving pattern or option the simulator cannot use."""
