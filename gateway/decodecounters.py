"""The decoder's counters, kept per frame channel (``Decoder.bus_counters``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class DecodeCounters:
    """Frames decoded, and frames skipped: by cause."""

    decoded: int = 0
    unknown_id: int = 0  # an identifier no DBC of the profile knows
    bad_frame: int = 0
    not_due: int = 0  # frames skipped because the plan needs none of their signals yet
    unmapped: int = 0  # a message a DBC knows, none of whose signals is mapped (or planned)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def add(self, other: DecodeCounters) -> None:
        self.decoded += other.decoded
        self.unknown_id += other.unknown_id
        self.bad_frame += other.bad_frame
        self.not_due += other.not_due
        self.unmapped += other.unmapped


def channel_name(channel: object) -> str:
    """The channel as counters name it: ``"-"`` for frames without one."""
    return "-" if channel is None or channel == "" else str(channel)
