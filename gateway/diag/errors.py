"""The diagnostics error tree.

GatewayError
 └── DiagError
      ├── MalformedResponseError (ValueError)   a response whose bytes break the protocol
      ├── NegativeResponseError                 a UDS/OBD 0x7F answer (carries service and NRC)
      └── NoResponseError (TimeoutError)        an ECU that did not answer in time
"""

from __future__ import annotations

from gateway.errors import GatewayError

NRC_NAMES = {
    0x10: "general reject",
    0x11: "service not supported",
    0x12: "sub-function not supported",
    0x13: "incorrect message length or invalid format",
    0x14: "response too long",
    0x22: "conditions not correct",
    0x31: "request out of range",
    0x33: "security access denied",
    0x78: "response pending",
    0x7E: "sub-function not supported in active session",
    0x7F: "service not supported in active session",
}


class DiagError(GatewayError):
    """Base of every diagnostics error."""


class MalformedResponseError(DiagError, ValueError):
    """A response whose bytes break the protocol (length, count byte, truncation)."""


class NegativeResponseError(DiagError):
    """An ECU's negative response: ``7F <service> <NRC>``."""

    def __init__(self, service: int, nrc: int) -> None:
        name = NRC_NAMES.get(nrc, "unknown reason")
        super().__init__(f"negative response to service 0x{service:02X}: NRC 0x{nrc:02X} ({name})")
        self.service = service
        self.nrc = nrc


class NoResponseError(DiagError, TimeoutError):
    """An ECU that did not answer within the timeout."""
