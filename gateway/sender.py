"""The publishing half of the gateway: the in-flight window, the outbox and the status.

Every round (``POLL_SECONDS``): take the publisher's queued events (connects, acks, cmds); an
ack's stored sequence numbers and its refused ones (``Ack.rejected``: the cloud kept them as
dead letters) both leave the spool, the refused ones counted in ``rejected`` with each distinct
reason logged once; when
connected, send the outbox (events and messages of services), publish again whatever had no ack
after ``ack_timeout``, then fill the window (``gateway.window.PublishWindow``): *live* entries
(spooled since the last connect) first, then the *backlog* oldest first. At most
``max_in_flight`` entries wait for an ack, and every publish spends a token of the
``RateLimit`` (100 publishes/s and 512 KB/s by default).

Every ``status_interval`` seconds: the month's data use is saved in the spool, the budget level
handed to the reader (through its ``ReaderControl``), a ``spool_overflow`` event published if
the spool dropped entries, and the retained status republished.

The sender is given narrow pieces, not the gateway: a ``SenderConfig``, a ``Publisher`` (the
paho one in production), the spool, the cmd dispatch, the reader's control and a function
returning a ``ReaderReport``.
"""

from __future__ import annotations

import collections
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.control import Commands
from gateway.handover import ReaderControl
from gateway.publisher import Publisher
from gateway.ratelimit import MAX_BYTES_PER_S, MAX_PUBLISHES_PER_S, RateLimit
from gateway.reader import ReaderReport
from gateway.reduce import budget_level, month_key
from gateway.spool import Spool
from gateway.window import PublishWindow
from pitstop import __version__
from pitstop.errors import CodecError
from pitstop.messages import Event, Status, decode_ack, encode_event
from pitstop.topics import Kind, topic

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
_DIGITS = re.compile(r"\d+")
_MAX_REASONS = 100  # distinct refusal reasons logged; beyond, only counted


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """What the sender needs to know of the gateway's configuration."""

    vin: str
    profile_hash: str
    ack_timeout: float = 10.0
    max_in_flight: int = 100
    status_interval: float = 60.0
    max_publishes_per_s: float = MAX_PUBLISHES_PER_S
    max_bytes_per_s: float = MAX_BYTES_PER_S
    outbox_size: int = 1000


class Sender:
    """See the module docstring; ``run`` on the thread that called ``run_gateway``."""

    def __init__(
        self,
        config: SenderConfig,
        publisher: Publisher,
        spool: Spool,
        commands: Commands,
        *,
        control: ReaderControl,
        reader_report: Callable[[], ReaderReport],
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._publisher = publisher
        self._spool = spool
        self._commands = commands
        self._control = control
        self._reader = reader_report
        self._clock = clock
        self._connected = False
        self._rate = RateLimit(config.max_publishes_per_s, config.max_bytes_per_s)
        self._window = PublishWindow(
            spool,
            publisher,
            self._rate,
            max_in_flight=config.max_in_flight,
            ack_timeout=config.ack_timeout,
            topic_bytes=len(topic(config.vin, Kind.TELEMETRY)),
        )
        self.outbox: collections.deque[tuple[Kind, bytes]] = collections.deque()
        self.outbox_dropped = 0
        self._outbox_lock = threading.Lock()
        self._month = month_key(clock())
        self._month_used = spool.add_usage(self._month, 0)
        self._seen_dropped = spool.dropped
        self._next_status = time.monotonic() + config.status_interval
        self.acked = self.rejected = 0
        self._reasons_seen: set[str] = set()

    @property
    def published(self) -> int:
        """Entries of the spool published (once each)."""
        return self._window.published

    @property
    def resent(self) -> int:
        """Entries published again after ``ack_timeout`` without an ack."""
        return self._window.resent

    def queue(self, kind: Kind, payload: bytes) -> None:
        """Publish ``payload`` on ``kind`` when connected (bounded: the oldest goes first).
        Any thread may call it."""
        with self._outbox_lock:
            if len(self.outbox) >= self._config.outbox_size:
                self.outbox.popleft()
                self.outbox_dropped += 1
            self.outbox.append((kind, payload))

    def event(self, type_: str, data: dict[str, Any]) -> None:
        ts = round(self._clock() * 1000)
        self.queue(Kind.EVENT, encode_event(Event(self._config.vin, type_, ts, data)))

    def run(self, stop: threading.Event, live: bool) -> bool:
        """The sender loop; True when a replay was read whole and acknowledged whole."""
        self._publisher.start(self.status("offline"))
        while not stop.is_set():
            self._handle_events()
            if self._connected:
                now = time.monotonic()
                self._send_outbox(now)
                self._window.resend_timed_out(now)
                self._window.fill(now)
            if time.monotonic() >= self._next_status:
                self.periodic()
            reader = self._reader()
            if reader.done:
                if live or reader.failed:
                    return False
                if self._spool.depth().count == 0 and not self.outbox:
                    log.info(
                        "replay complete: every batch answered (%d acknowledged, %d refused)",
                        self.acked,
                        self.rejected,
                    )
                    return True
        return False

    def close(self) -> None:
        self._save_usage()
        self._publisher.stop(self.status("offline"), self._connected)

    def periodic(self) -> None:
        """Save the data use, apply the budget level, report overflows, republish the status."""
        self._next_status = time.monotonic() + self._config.status_interval
        self._save_usage()
        self._check_budget()
        dropped = self._spool.dropped
        if dropped > self._seen_dropped:
            self.event(
                "spool_overflow", {"dropped": dropped - self._seen_dropped, "total": dropped}
            )
            self._seen_dropped = dropped
        if self._connected:
            self._publisher.publish_status(self.status("online"))

    def status(self, state: str) -> Status:
        depth = self._spool.depth()
        reader = self._reader()
        control = self._control
        counters = {
            **reader.counters,
            "frames": reader.frames,
            "spool_count": depth.count,
            "spool_bytes": depth.bytes,
            "dropped": self._spool.dropped,
            "rejected": self.rejected,
            "events_dropped": self.outbox_dropped,
            "budget_used_bytes": self._month_used,
            "budget_bytes": control.budget_bytes() or 0,
            "budget_level": control.budget_level,
        }
        return Status(
            vin=self._config.vin,
            state=state,
            version=__version__,
            profile=self._config.profile_hash,
            ts_ms=round(self._clock() * 1000),
            counters=counters,
        )

    # --- steps ------------------------------------------------------------------------------

    def _check_budget(self) -> None:
        """Hand the reader a new budget level when the month's pace calls for one."""
        control = self._control
        level = budget_level(self._month_used, control.budget_bytes(), self._clock())
        if level != control.budget_level:
            log.warning("data budget: level %d (%d bytes used)", level, self._month_used)
            control.set_budget_level(level)

    def _handle_events(self) -> None:
        """Wait briefly for the first event, then take every queued one; acks in one go."""
        events = self._publisher.events
        acked: list[int] = []
        rejected: list[int] = []
        try:
            event = events.get(timeout=POLL_SECONDS)
            while True:
                self._handle(event, acked, rejected)
                event = events.get_nowait()
        except queue.Empty:
            pass
        if acked:
            self.acked += self._spool.ack(acked)
        if rejected:
            self.rejected += self._spool.ack(rejected)
        self._window.forget(acked + rejected)

    def _handle(
        self, event: tuple[str, bytes | None], acked: list[int], rejected: list[int]
    ) -> None:
        kind, payload = event
        if kind == "connected":
            log.info("connected to %s", self._publisher.url)
            self._connected = True
            self._window.restart()  # publish everything unacked again, oldest first
            self._publisher.on_connected(self.status("online"))
        elif kind == "disconnected":
            if self._connected:
                log.warning("disconnected from %s", self._publisher.url)
            self._connected = False
        elif kind == "ack" and payload is not None:
            try:
                ack = decode_ack(payload)
            except CodecError as err:
                log.warning("ignoring an undecodable ack: %s", err)
                return
            if ack.vin == self._config.vin:
                acked.extend(ack.seqs)
                rejected.extend(ack.rejected)
                self._log_reasons(ack.rejected)
        elif kind == "cmd" and payload is not None:
            self.event(*self._commands.dispatch(payload))

    def _log_reasons(self, rejected: Mapping[int, str]) -> None:
        """Log each kind of refusal once (reasons differ in their numbers: times, counts)."""
        for seq, reason in rejected.items():
            kind = _DIGITS.sub("#", reason)
            if kind not in self._reasons_seen and len(self._reasons_seen) < _MAX_REASONS:
                self._reasons_seen.add(kind)
                log.warning("the cloud refused seq %d (kept as a dead letter): %s", seq, reason)

    def _send_outbox(self, now: float) -> None:
        while self.outbox:
            with self._outbox_lock:
                kind, payload = self.outbox[0]
                if not self._rate.take(len(payload), now):
                    return
                self.outbox.popleft()
            self._publisher.publish(kind, payload)

    def _save_usage(self) -> None:
        month = month_key(self._clock())
        if month != self._month:
            self._month, self._month_used = month, 0
        unsaved = self._window.take_unsaved()
        if unsaved:
            self._month_used = self._spool.add_usage(month, unsaved)
