"""Diagnostic requests over ISO-TP with can-isotp: physical and functional, 11- and 29-bit.

One ``isotp.NotifierBasedCanStack`` per ECU, on the bus and notifier the caller owns. A
functional request goes out as one raw single frame on the functional id (it always fits), and
the answers come back through each ECU's physical stack, which sends flow control to that ECU's
own request id, as real testers do. ``7F xx 78`` (response pending) extends the wait to P2*;
any other ``7F`` raises ``NegativeResponseError``; silence raises ``NoResponseError``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import can
import isotp

from gateway.diag.errors import DiagError, NegativeResponseError, NoResponseError

log = logging.getLogger(__name__)

RESPONSE_PENDING = 0x78


@dataclass(frozen=True, slots=True)
class EcuTarget:
    """An ECU the gateway asks: its physical request and response ids, and what it speaks."""

    request_id: int = 0x7E0
    response_id: int = 0x7E8
    extended: bool = False
    protocols: tuple[str, ...] = ("obd",)  # "obd", "uds"
    name: str = "engine"


class DiagClient:
    """Send requests and wait for responses; see the module docstring."""

    def __init__(
        self, bus: can.BusABC, notifier: can.Notifier, timeout: float = 1.0, p2_star: float = 5.0
    ) -> None:
        self._bus = bus
        self._notifier = notifier
        self._timeout = timeout
        self._p2_star = p2_star
        self._stacks: dict[EcuTarget, isotp.NotifierBasedCanStack] = {}

    def request(self, target: EcuTarget, payload: bytes) -> bytes:
        """Send ``payload`` to one ECU (physical addressing) and return its positive response."""
        stack = self._stack(target)
        _drain(stack)
        try:
            stack.send(payload)
        except Exception as err:  # can-isotp raises plain exceptions for full buffers
            raise DiagError(f"cannot send to 0x{target.request_id:X}: {err}") from err
        return self._await(target, stack, payload[0])

    def request_functional(
        self, functional_id: int, extended: bool, payload: bytes, targets: Sequence[EcuTarget]
    ) -> dict[EcuTarget, bytes]:
        """Broadcast ``payload`` (at most 7 bytes) and collect the answers of ``targets``."""
        if not 0 < len(payload) <= 7:
            raise DiagError(f"a functional request must fit one frame, got {len(payload)} bytes")
        stacks = [(t, self._stack(t)) for t in targets]
        for _, stack in stacks:
            _drain(stack)
        frame = bytes([len(payload)]) + payload
        self._bus.send(
            can.Message(
                arbitration_id=functional_id,
                data=frame.ljust(8, b"\xaa"),
                is_extended_id=extended,
            )
        )
        answers: dict[EcuTarget, bytes] = {}
        deadline = time.monotonic() + self._timeout  # one wait for all: they answer at once
        for target, stack in stacks:
            try:
                answers[target] = self._await(target, stack, payload[0], deadline)
            except DiagError as err:
                log.info("functional request: 0x%X gave no answer: %s", target.response_id, err)
        return answers

    def close(self) -> None:
        for stack in self._stacks.values():
            stack.stop()
        self._stacks.clear()

    def _stack(self, target: EcuTarget) -> isotp.NotifierBasedCanStack:
        stack = self._stacks.get(target)
        if stack is None:
            mode = (
                isotp.AddressingMode.Normal_29bits
                if target.extended
                else isotp.AddressingMode.Normal_11bits
            )
            address = isotp.Address(mode, txid=target.request_id, rxid=target.response_id)
            params = {"tx_padding": 0xAA, "rx_consecutive_frame_timeout": 1000}
            stack = isotp.NotifierBasedCanStack(
                self._bus,
                self._notifier,
                address=address,
                params=params,
                error_handler=_isotp_error,
            )
            stack.start()
            self._stacks[target] = stack
        return stack

    def _await(
        self,
        target: EcuTarget,
        stack: isotp.NotifierBasedCanStack,
        service: int,
        deadline: float | None = None,
    ) -> bytes:
        if deadline is None:
            deadline = time.monotonic() + self._timeout
        while (left := deadline - time.monotonic()) > 0 or stack.available():
            data = stack.recv(block=left > 0, timeout=left if left > 0 else None)
            if data is None:
                break
            response = bytes(data)
            if len(response) >= 3 and response[0] == 0x7F and response[1] == service:
                if response[2] == RESPONSE_PENDING:
                    deadline = time.monotonic() + self._p2_star
                    continue
                raise NegativeResponseError(response[1], response[2])
            return response
        raise NoResponseError(
            f"no answer from 0x{target.response_id:X} to service 0x{service:02X} "
            f"within {self._timeout} s"
        )


def _drain(stack: isotp.NotifierBasedCanStack) -> None:
    while stack.available():
        stack.recv()


def _isotp_error(error: Exception) -> None:
    log.warning("ISO-TP: %s", error)
