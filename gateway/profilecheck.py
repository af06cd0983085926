"""Checking a vehicle profile, alone or against a recorded log (``pitstop profile check``).

``check_profile(path, dbc_path, log)`` loads the profile as the gateway would and reports, as
values (the command line renders them, on the car or off it):

- errors: a profile that cannot be loaded (bad YAML or keys, a DBC file not found or refused),
  and each signal that does not bind (a message or signal the DBC lacks, with the closest name;
  a canonical name outside the grammar);
- what lenient loading left out of the DBC files (reported, not an error: the bus asked for it);
- with a log: frames per channel, the decoder's counters per channel (``unknown_id``: ids no DBC
  of the profile knows; ``unmapped``: frames of known messages with no mapped signal), the ids
  no DBC knows, the samples per canonical signal (count, min, max) and the mapped signals the
  log never carried (an error: the profile does not fit that vehicle, or that log).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import can

from gateway.decode import Decoder
from gateway.decodecounters import channel_name
from gateway.errors import ProfileError
from gateway.profile import Profile, read_profile
from gateway.sources import SourceSpec, open_source
from pitstop.codec import Sample


@dataclass(frozen=True, slots=True)
class SignalSeen:
    """The samples of one canonical signal in a log."""

    samples: int
    min: float
    max: float
    unit: str = ""


@dataclass(frozen=True, slots=True)
class LogCheck:
    """What one log held, seen through the profile."""

    log: str
    frames: dict[str, int]  # channel -> frames
    counters: dict[str, dict[str, int]]  # channel -> the decoder's counters
    unknown_ids: dict[str, int]  # "channel 0x18F00300" -> frames, most frames first
    signals: dict[str, SignalSeen]  # canonical -> samples
    never_seen: tuple[str, ...]  # mapped canonical names without a sample


@dataclass(frozen=True, slots=True)
class ProfileCheck:
    """The outcome of ``check_profile``; ``problems`` empty means the profile is fine."""

    path: str
    profile: Profile | None
    errors: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()  # lenient loading: "<file>: line N: cause"
    log: LogCheck | None = None
    dbc: dict[str, list[str]] = field(default_factory=dict)  # bus -> its DBC files

    @property
    def problems(self) -> tuple[str, ...]:
        never = self.log.never_seen if self.log is not None else ()
        return (*self.errors, *(f"signal {name!r}: never seen in the log" for name in never))

    def as_dict(self) -> dict[str, object]:
        profile = self.profile
        return {
            "profile": self.path,
            "name": profile.name if profile else None,
            "hash": profile.hash if profile else None,
            "signals": len(profile.signals) if profile else 0,
            "dbc": self.dbc,
            "left_out": list(self.left_out),
            "problems": list(self.problems),
            "log": _log_dict(self.log) if self.log is not None else None,
        }


def check_profile(
    path: Path, dbc_path: Sequence[Path] = (), log: Path | None = None
) -> ProfileCheck:
    """Load ``path`` and, with ``log``, decode it; every finding as a value."""
    try:
        load = read_profile(path, dbc_path)
    except ProfileError as err:
        return ProfileCheck(str(path), None, errors=(str(err),))
    profile = load.profile
    dbc = {bus.name: [str(p) for p in bus.dbc] for bus in profile.buses}
    found = check_log(profile, log) if log is not None else None
    return ProfileCheck(str(path), profile, load.errors, profile.problems, found, dbc)


def check_log(profile: Profile, log: Path) -> LogCheck:
    """Decode every frame of ``log`` (original timestamps) and say what came of it."""
    with open_source(SourceSpec.replay(log, None)) as source:
        frames = (m for m in source.messages(threading.Event()) if m is not None)
        return check_frames(profile, frames, log.name)


def check_frames(profile: Profile, frames: Iterable[can.Message], name: str) -> LogCheck:
    """``check_log`` on frames already read."""
    decoder = Decoder(profile, list_unknown=True)
    per_channel: Counter[str] = Counter()
    stats: dict[str, list[float]] = {}  # canonical -> [count, min, max]
    out: list[Sample] = []
    for msg in frames:
        per_channel[channel_name(msg.channel)] += 1
        out.clear()
        decoder.decode_into(msg, out)
        for sample in out:
            _add(stats, sample)
    units = {m.canonical: m.unit for m in profile.signals}
    unknown = decoder.unknown_ids or Counter()
    return LogCheck(
        log=name,
        frames=dict(sorted(per_channel.items())),
        counters=dict(sorted(decoder.bus_counters().items())),
        unknown_ids={f"{ch} 0x{i:X}": n for (ch, i), n in unknown.most_common()},
        signals={k: SignalSeen(int(v[0]), v[1], v[2], units.get(k, "")) for k, v in stats.items()},
        never_seen=tuple(m.canonical for m in profile.signals if m.canonical not in stats),
    )


def _add(stats: dict[str, list[float]], sample: Sample) -> None:
    value = float(sample.value)
    seen = stats.get(sample.signal)
    if seen is None:
        stats[sample.signal] = [1, value, value]
        return
    seen[0] += 1
    seen[1] = min(seen[1], value)
    seen[2] = max(seen[2], value)


def _log_dict(log: LogCheck) -> dict[str, object]:
    return {
        "log": log.log,
        "frames": log.frames,
        "counters": log.counters,
        "unknown_ids": log.unknown_ids,
        "signals": {
            k: {"samples": s.samples, "min": s.min, "max": s.max, "unit": s.unit}
            for k, s in log.signals.items()
        },
        "never_seen": list(log.never_seen),
    }
