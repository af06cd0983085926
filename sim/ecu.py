"""A simulated ECU on python-can's virtual bus: OBD-II, UDS 0x19 and J1939 DM1.

Several on one channel make a car with several OBD-II responders (ISO 15765-4: each answers
the functional 0x7DF on its own id), e.g. ``obd_car(channel)``: an engine ECU on 0x7E0/0x7E8 and
a transmission ECU on 0x7E1/0x7E9 with PIDs of its own, only the engine sending DM1.

    with EcuSimulator("diag-test") as ecu:
        ecu.set_fault(SimFault("P0301", status=PENDING))       # pending first ...
        ecu.set_fault(SimFault("P0301", status=CONFIRMED))     # ... then confirmed
        ecu.set_j1939_fault(110, 0); ecu.set_j1939_fault(168, 1)  # DM1 goes out as BAM
        ecu.clear_fault("P0301")

Requests arrive over ISO-TP (can-isotp) on the physical id and as single frames on the
functional id; answers go out on the response id. Faults can change while it runs. ``silent``
makes it an ECU that never answers; ``pending_replies`` makes it send ``7F xx 78`` first.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

import can
import isotp

from sim.ecu_j1939 import dm1_frames
from sim.ecu_services import DEFAULT_PIDS, TRANSMISSION_PIDS, SimFault, respond

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EcuIds:
    request: int = 0x7E0
    response: int = 0x7E8
    functional: int = 0x7DF
    extended: bool = False


IDS_11BIT = EcuIds()
IDS_29BIT = EcuIds(0x18DA10F1, 0x18DAF110, 0x18DB33F1, True)
IDS_TRANSMISSION = EcuIds(0x7E1, 0x7E9)


class EcuSimulator:
    def __init__(
        self,
        channel: str,
        ids: EcuIds = IDS_11BIT,
        j1939_source: int = 0x00,
        dm1_period: float = 0.5,
        bam_gap: float = 0.01,
        *,
        pids: Mapping[int, bytes] = DEFAULT_PIDS,
    ) -> None:
        self._channel = channel
        self._ids = ids
        self._source = j1939_source
        self._dm1_period = dm1_period
        self._bam_gap = bam_gap
        self._lock = threading.Lock()
        self._faults: dict[str, SimFault] = {}
        self._j1939: dict[tuple[int, int], int] = {}
        self.pids = dict(pids)
        self.silent = False
        self.pending_replies = 0
        self.broadcast_dm1 = True
        self.requests_seen = 0
        self._stop = threading.Event()
        self._functional: queue.Queue[bytes] = queue.Queue(maxsize=100)
        self._threads: list[threading.Thread] = []

    # --- faults -------------------------------------------------------------------------

    def set_fault(self, fault: SimFault) -> None:
        with self._lock:
            self._faults[fault.code] = fault

    def clear_fault(self, code: str) -> None:
        with self._lock:
            self._faults.pop(code, None)

    def set_j1939_fault(self, spn: int, fmi: int, occurrences: int = 1) -> None:
        with self._lock:
            self._j1939[(spn, fmi)] = occurrences

    def clear_j1939_fault(self, spn: int, fmi: int) -> None:
        with self._lock:
            self._j1939.pop((spn, fmi), None)

    def clear_all(self) -> None:
        with self._lock:
            self._faults.clear()
            self._j1939.clear()

    # --- lifetime -----------------------------------------------------------------------

    def __enter__(self) -> EcuSimulator:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._bus = can.Bus(interface="virtual", channel=self._channel)
        self._notifier = can.Notifier(self._bus, [self._on_frame], timeout=0.05)
        mode = isotp.AddressingMode.Normal_29bits if self._ids.extended else None
        address = isotp.Address(
            mode or isotp.AddressingMode.Normal_11bits,
            txid=self._ids.response,
            rxid=self._ids.request,
        )
        params = {"tx_padding": 0xAA, "stmin": 0, "blocksize": 0}
        self._stack = isotp.NotifierBasedCanStack(
            self._bus, self._notifier, address=address, params=params
        )
        self._stack.start()
        for target in (self._serve, self._broadcast):
            thread = threading.Thread(target=target, name=f"ecu-sim-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._stack.stop()
        self._notifier.stop()
        self._bus.shutdown()

    # --- threads ------------------------------------------------------------------------

    def _on_frame(self, msg: can.Message) -> None:
        if msg.arbitration_id != self._ids.functional or msg.is_extended_id != self._ids.extended:
            return
        data = bytes(msg.data)
        length = data[0] & 0x0F if data else 0
        if data and data[0] >> 4 == 0 and 0 < length < len(data):
            try:
                self._functional.put_nowait(data[1 : 1 + length])
            except queue.Full:
                log.warning("simulated ECU: functional request queue full, request dropped")

    def _serve(self) -> None:
        while not self._stop.is_set():
            request = self._stack.recv(block=True, timeout=0.05)
            if request is not None:
                self._answer(bytes(request))
            while not self._functional.empty():
                self._answer(self._functional.get_nowait())

    def _answer(self, request: bytes) -> None:
        self.requests_seen += 1
        if self.silent:
            return
        with self._lock:
            response = respond(request, dict(self._faults), self.pids)
        for _ in range(self.pending_replies):
            self._stack.send(bytes([0x7F, request[0] if request else 0, 0x78]))
        self._stack.send(response)

    def _broadcast(self) -> None:
        while not self._stop.wait(self._dm1_period):
            if not self.broadcast_dm1:
                continue
            with self._lock:
                codes = [(spn, fmi, oc) for (spn, fmi), oc in self._j1939.items()]
            for frame in dm1_frames(self._source, codes):
                self._bus.send(frame)
                if self._stop.wait(self._bam_gap):
                    return


@contextmanager
def obd_car(channel: str, dm1_period: float = 0.5) -> Iterator[tuple[EcuSimulator, EcuSimulator]]:
    """An engine ECU (0x7E0/0x7E8) and a transmission ECU (0x7E1/0x7E9) on ``channel``."""
    engine = EcuSimulator(channel, dm1_period=dm1_period)
    transmission = EcuSimulator(
        channel, ids=IDS_TRANSMISSION, j1939_source=0x03, pids=TRANSMISSION_PIDS
    )
    transmission.broadcast_dm1 = False
    with engine, transmission:
        yield engine, transmission
