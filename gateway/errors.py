"""The gateway's error tree.

PitstopError
 └── GatewayError
      ├── ProfileError (ValueError)   a vehicle profile or DBC that cannot be used
      ├── SourceError (OSError)       a CAN bus or log that cannot be opened
      ├── DecodeError (ValueError)    a frame that cannot be decoded (counted, never raised out)
      ├── PlanError (ValueError)      a collection plan that cannot be used
      └── SpoolError (OSError)        the disk spool cannot be opened or written
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class GatewayError(PitstopError):
    """Base of every error the gateway raises on purpose."""


class ProfileError(GatewayError, ValueError):
    """A vehicle profile (YAML) or one of its DBC files that cannot be used."""


class SourceError(GatewayError, OSError):
    """A CAN interface or recorded log that cannot be opened or read."""


class SpoolError(GatewayError, OSError):
    """The disk spool cannot be opened or written."""


class DecodeError(GatewayError, ValueError):
    """A frame the fast decoder cannot decode (an unknown multiplexer value)."""


class PlanError(GatewayError, ValueError):
    """A collection plan (YAML or a remote ``set_plan`` command) that cannot be used."""
