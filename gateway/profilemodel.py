"""The values of a loaded vehicle profile: its buses, its signal mappings, the profile itself.

``gateway.profile`` builds them (``load_profile``, ``read_profile``) from the YAML read by
``gateway.profileyaml``; ``find_message`` looks a message up in the buses' DBC files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cantools.database.can import Database, Message

from gateway.diag.config import Diagnostics


@dataclass(frozen=True, slots=True)
class SignalMapping:
    """One canonical signal: ``canonical = dbc physical value * scale + offset``."""

    canonical: str
    message: str
    signal: str
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    bus: str = ""  # the bus whose DBC has the message (filled in by load_profile)
    source_address: int | None = None  # J1939: only frames from this ECU


@dataclass(frozen=True, slots=True)
class Bus:
    """One CAN bus of the vehicle and the databases that decode it."""

    name: str
    dbc: tuple[Path, ...]
    frame_id_mask: int | None = None
    databases: tuple[Database, ...] = field(default=(), compare=False, repr=False)
    j1939: bool = False
    channel: str = ""  # the interface channel; empty: the bus name
    fast_packet: bool = False  # NMEA 2000: messages over 8 bytes come as fast packets
    left_out: tuple[str, ...] = ()  # lenient loading: "<file>: line N: cause"

    @property
    def route(self) -> str:
        """The channel name frames of this bus carry."""
        return self.channel or self.name


@dataclass(frozen=True, slots=True)
class Profile:
    """A loaded, validated vehicle profile. ``hash`` travels in every telemetry message."""

    name: str
    buses: tuple[Bus, ...]
    signals: tuple[SignalMapping, ...]
    hash: str
    diagnostics: Diagnostics | None = None

    @property
    def problems(self) -> tuple[str, ...]:
        """What lenient loading left out of the DBC files, one line each."""
        return tuple(p for bus in self.buses for p in bus.left_out)


def find_message(buses: tuple[Bus, ...], name: str) -> tuple[Bus, Message] | None:
    """The first bus and cantools message called ``name``, or None."""
    for bus in buses:
        for db in bus.databases:
            try:
                return bus, db.get_message_by_name(name)
            except KeyError:
                continue
    return None
