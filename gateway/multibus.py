"""Several live buses at once (a profile with ``buses:`` on several channels).

One receiving thread per bus puts frames on one bounded queue, each frame's ``channel`` set to
the bus it came from (the decoder routes by it). The queue never blocks a receiver: when the
consumer falls behind by ``QUEUE_SIZE`` frames, new frames are dropped and counted in ``lost``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator

import can

log = logging.getLogger(__name__)

QUEUE_SIZE = 100_000
POLL_SECONDS = 0.1


class MultiBus:
    """Receives from ``buses`` (channel name -> open bus) until closed."""

    def __init__(self, buses: dict[str, can.BusABC]) -> None:
        self.buses = buses
        self.lost = 0
        self._queue: queue.Queue[can.Message] = queue.Queue(QUEUE_SIZE)
        self._closed = threading.Event()
        self._threads = [
            threading.Thread(
                target=self._receive, args=(name, bus), name=f"can-{name}", daemon=True
            )
            for name, bus in buses.items()
        ]
        for thread in self._threads:
            thread.start()

    def messages(self, stop: threading.Event) -> Iterator[can.Message | None]:
        while not stop.is_set():
            try:
                yield self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                yield None

    def close(self) -> None:
        self._closed.set()
        for thread in self._threads:
            thread.join(2 * POLL_SECONDS + 1)
        for bus in self.buses.values():
            bus.shutdown()

    def _receive(self, name: str, bus: can.BusABC) -> None:
        while not self._closed.is_set():
            try:
                msg = bus.recv(POLL_SECONDS)
            except can.CanOperationError as err:  # bus-off or a driver hiccup: keep listening
                log.warning("CAN receive error on %s: %s", name, err)
                self._closed.wait(POLL_SECONDS)
                continue
            if msg is None:
                continue
            msg.channel = name
            try:
                self._queue.put_nowait(msg)
            except queue.Full:
                self.lost += 1
