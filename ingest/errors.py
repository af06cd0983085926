"""Ingest's error tree.

PitstopError
 ├── IngestError
 │    └── ValidationError (ValueError)   a payload that must go to the dead letters
 └── StoreError                           the telemetry store could not do what was asked
                                          (unreachable, corrupt, refused): worth a retry
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class IngestError(PitstopError):
    """Base of the errors ingest raises on purpose."""


class ValidationError(IngestError, ValueError):
    """A payload that is not a valid telemetry batch; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StoreError(PitstopError):
    """The store could not do what was asked (unreachable, corrupt, refused)."""
