"""CAN sources: a live python-can bus, or a recorded log replayed at some pace.

``open_source(spec, filters)`` returns a ``CanSource``: a context manager whose ``messages(stop)``
yields ``can.Message``s, and ``None`` now and then while nothing arrives (so that the caller can
flush a batch on a quiet bus and see ``stop``). A live bus stops only when ``stop`` is set; a
replay also stops at the end of the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import can

from gateway.decodefilters import FrameFilter
from gateway.errors import SourceError
from gateway.multibus import MultiBus

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Where frames come from: ``bus`` (interface + channel) or ``replay`` (a log file).

    ``speed`` of a replay: 1.0 = the recorded pace, 10.0 = ten times faster, None = as fast
    as possible.
    """

    kind: str  # "bus" | "replay" | "memory"
    interface: str = "virtual"
    channel: str = "vcan0"
    log: Path | None = None
    speed: float | None = None
    frames: tuple[can.Message, ...] = ()  # "memory": frames already read (benchmarks, tests)

    @classmethod
    def bus(cls, interface: str, channel: str) -> SourceSpec:
        return cls(kind="bus", interface=interface, channel=channel)

    @classmethod
    def replay(cls, log: Path, speed: float | None = None) -> SourceSpec:
        if speed is not None and speed <= 0:
            raise SourceError(f"replay speed must be positive, got {speed}")
        return cls(kind="replay", log=log, speed=speed)

    @classmethod
    def memory(cls, frames: Iterable[can.Message]) -> SourceSpec:
        """Frames already in memory, as fast as possible (a replay without parsing a log)."""
        return cls(kind="memory", frames=tuple(frames))

    @property
    def live(self) -> bool:
        return self.kind == "bus"

    def describe(self) -> str:
        if self.kind == "bus":
            return f"{self.interface} bus {self.channel!r}"
        if self.kind == "memory":
            return f"{len(self.frames)} frames in memory"
        pace = "as fast as possible" if self.speed is None else f"at {self.speed:g}x"
        return f"replay of {self.log} {pace}"


class CanSource:
    """An open source of frames; close it (or use ``with``) to release the bus."""

    def __init__(self, spec: SourceSpec, bus: can.BusABC | MultiBus | None) -> None:
        self.spec = spec
        self._bus = bus

    def messages(self, stop: threading.Event) -> Iterator[can.Message | None]:
        if isinstance(self._bus, MultiBus):
            return self._bus.messages(stop)
        if self._bus is not None:
            return _receive(self._bus, stop)
        if self.spec.kind == "memory":
            return _fast(self.spec.frames, stop)
        if self.spec.log is None:
            raise SourceError("a replay source needs a log file")
        return _replay(self.spec.log, self.spec.speed, stop)

    def close(self) -> None:
        if isinstance(self._bus, MultiBus):
            self._bus.close()
        elif self._bus is not None:
            self._bus.shutdown()
        self._bus = None

    def __enter__(self) -> CanSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def log_problem(path: Path | None) -> str | None:
    """Why ``path`` is no CAN log to read (missing, a folder), or None if it is a file."""
    if path is None or path.is_file():
        return None if path is not None else "no CAN log given"
    if path.is_dir():
        logs = sorted(p.name for p in path.iterdir() if p.suffix in (".log", ".asc", ".blf"))[:3]
        inside = f" (it holds {', '.join(logs)})" if logs else ""
        return f"{path} is a folder: give one CAN log file in it{inside}"
    return f"CAN log not found: {path} (give the path of a recorded log)"


def open_source(
    spec: SourceSpec,
    filters: Sequence[FrameFilter] = (),
    channels: Mapping[str, Sequence[FrameFilter]] | None = None,
) -> CanSource:
    """Open the bus (with ``filters`` handed to it as ``can_filters``) or check the log.

    ``channels`` (channel -> its filters) with more than one entry opens one bus per channel
    on ``spec.interface`` (``spec.channel`` is then unused).
    """
    if spec.kind == "replay":
        problem = log_problem(spec.log)
        if problem is not None:
            raise SourceError(problem)
        return CanSource(spec, None)
    if spec.kind == "memory":
        return CanSource(spec, None)
    if spec.kind != "bus":
        raise SourceError(f"unknown source kind {spec.kind!r}")
    if channels is not None and len(channels) > 1:
        buses: dict[str, can.BusABC] = {}
        try:
            for name, wanted in channels.items():
                buses[name] = _open_bus(spec.interface, name, wanted)
        except SourceError:
            for bus in buses.values():
                bus.shutdown()
            raise
        return CanSource(spec, MultiBus(buses))
    return CanSource(spec, _open_bus(spec.interface, spec.channel, filters))


def _open_bus(interface: str, channel: str, filters: Sequence[FrameFilter]) -> can.BusABC:
    can_filters: list[Any] = [
        {"can_id": f.can_id, "can_mask": f.can_mask, "extended": f.extended} for f in filters
    ]
    try:
        bus = can.Bus(interface=interface, channel=channel, can_filters=can_filters or None)
    except (can.CanError, OSError, ValueError, ImportError) as err:
        raise SourceError(f"cannot open {interface} bus {channel!r}: {err}") from err
    log.info("opened %s bus %r with %d frame filters", interface, channel, len(can_filters))
    return bus


def _receive(bus: can.BusABC, stop: threading.Event) -> Iterator[can.Message | None]:
    while not stop.is_set():
        try:
            msg = bus.recv(POLL_SECONDS)
        except can.CanOperationError as err:  # a bus-off or a driver hiccup: keep listening
            log.warning("CAN receive error on %s: %s", bus.channel_info, err)
            stop.wait(POLL_SECONDS)
            continue
        yield msg


def _replay(path: Path, speed: float | None, stop: threading.Event) -> Iterator[can.Message | None]:
    # ASC files hold times since the start of the log; ask for the absolute ones.
    absolute = {"relative_timestamp": False} if ".asc" in path.suffixes else {}
    try:
        reader = can.LogReader(path, **absolute)
    except (OSError, ValueError, can.CanError) as err:
        raise SourceError(f"cannot read CAN log {path}: {err}") from err
    with reader:
        if speed is None:
            yield from _fast(reader, stop)
        else:
            yield from _paced(reader, speed, stop)


def _fast(messages: Iterable[can.Message], stop: threading.Event) -> Iterator[can.Message | None]:
    for count, msg in enumerate(messages):
        if count & 0x3FF == 0 and stop.is_set():
            return
        yield msg


def _paced(
    messages: Iterable[can.Message], speed: float, stop: threading.Event
) -> Iterator[can.Message | None]:
    wall0 = time.monotonic()
    frame0: float | None = None
    for msg in messages:
        if frame0 is None:
            frame0 = msg.timestamp
        due = wall0 + (msg.timestamp - frame0) / speed
        while (delay := due - time.monotonic()) > 0.001:
            if stop.wait(min(delay, POLL_SECONDS)):
                return
            if delay > POLL_SECONDS:
                yield None
        if stop.is_set():
            return
        yield msg
