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
    """A payload that is not a valid telemetry batch; ``reason`` says why, ``code`` names the
    kind of fault in one word (what dead letters are counted by: ``topic``, ``undecodable``,
    ``vin_mismatch``, ``too_large``, ``signal_name``, ``time``)."""

    def __init__(self, reason: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class StoreError(PitstopError):
    """The store could not do what was asked (unreachable, corrupt, refused)."""
