"""The gateway wired together: a reader thread fills the spool, the sender loop drains it.

The sender (on the caller's thread) publishes spooled entries oldest first, never more than
``max_in_flight`` without an ack, publishes again whatever has had no ack after
``ack_timeout`` (and everything unacked after a reconnect), and deletes an entry when the
cloud's ack names it. A replay ends when the log is read and the spool is empty; a live bus
runs until ``stop`` is set. On stop the open batch goes to the spool, nothing more is
published but the retained ``offline`` status, and the client disconnects cleanly.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateway.decode import Decoder
from gateway.profile import Profile, load_profile
from gateway.publisher import Publisher
from gateway.reader import BatchPolicy, Reader
from gateway.sources import SourceSpec, open_source
from gateway.spool import MIB, Spool
from pitstop import __version__
from pitstop.codec import Status, decode_ack
from pitstop.errors import CodecError
from pitstop.mqtt import BrokerAddress
from pitstop.topics import validate_vin

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    vin: str
    profile: Path
    source: SourceSpec
    spool: Path
    broker_url: str
    batch_interval: float = 1.0
    max_in_flight: int = 100
    ack_timeout: float = 10.0
    max_batch_samples: int = 20_000
    spool_max_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        validate_vin(self.vin)


@dataclass(frozen=True, slots=True)
class GatewayStats:
    frames: int
    decoded: int
    unknown_id: int
    bad_frame: int
    batches: int
    samples: int
    published: int
    resent: int
    acked: int
    dropped: int
    spool_count: int
    completed: bool  # a replay whose every batch was acknowledged


def run_gateway(
    config: GatewayConfig, stop: threading.Event, clock: Callable[[], float] = time.time
) -> GatewayStats:
    """Run until ``stop`` is set (or, for a replay, until all of it is acknowledged)."""
    profile = load_profile(config.profile)
    decoder = Decoder(profile)
    log.info("profile %s (hash %s), %d signals", profile.name, profile.hash, len(profile.signals))
    with (
        Spool(config.spool, config.spool_max_bytes) as spool,
        open_source(config.source, decoder.frame_filters()) as source,
    ):
        depth = spool.depth()
        log.info(
            "spool %s: %d entries waiting, next seq %d", config.spool, depth.count, spool.next_seq
        )
        policy = BatchPolicy(
            config.vin, profile.hash, config.batch_interval, config.max_batch_samples
        )
        reader = Reader(source, decoder, spool, policy)
        reader_stop = threading.Event()
        thread = threading.Thread(
            target=reader.run, args=(reader_stop,), name="can-reader", daemon=True
        )
        sender = _Sender(config, profile, spool, reader, decoder, clock=clock)
        thread.start()
        try:
            completed = sender.run(stop, live=config.source.live)
        finally:
            reader_stop.set()
            thread.join()
            sender.close()
        if reader.state.error is not None and not stop.is_set():
            log.error("the CAN reader stopped: %s", reader.state.error)
        return sender.stats(completed)


class _Sender:
    """The publishing half: owns the paho client and the in-flight window."""

    def __init__(
        self,
        config: GatewayConfig,
        profile: Profile,
        spool: Spool,
        reader: Reader,
        decoder: Decoder,
        *,
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._profile = profile
        self._spool = spool
        self._reader = reader
        self._decoder = decoder
        self._clock = clock
        self._in_flight: dict[int, float] = {}  # seq -> monotonic time of the last publish
        self._last_seq: int | None = None  # highest seq published since the last (re)connect
        self._connected = False
        self.published = self.resent = self.acked = 0
        self._publisher = Publisher(
            BrokerAddress.parse(config.broker_url),
            config.vin,
            self._status("offline"),
            config.max_in_flight,
        )

    def run(self, stop: threading.Event, live: bool) -> bool:
        """The sender loop; True when a replay was read whole and acknowledged whole."""
        self._publisher.start()
        while not stop.is_set():
            self._handle_events()
            if self._connected:
                self._resend_timed_out()
                self._fill_window()
            if self._reader.state.done.is_set():
                if live or self._reader.state.error is not None:
                    return False
                if self._spool.depth().count == 0:
                    log.info("replay complete: every batch acknowledged")
                    return True
        return False

    def close(self) -> None:
        self._publisher.stop(self._status("offline"), self._connected)

    def stats(self, completed: bool) -> GatewayStats:
        counters = self._decoder.counters
        state = self._reader.state
        return GatewayStats(
            frames=state.frames,
            decoded=counters.decoded,
            unknown_id=counters.unknown_id,
            bad_frame=counters.bad_frame,
            batches=state.batches,
            samples=state.samples,
            published=self.published,
            resent=self.resent,
            acked=self.acked,
            dropped=self._spool.dropped,
            spool_count=self._spool.depth().count,
            completed=completed,
        )

    # --- steps ------------------------------------------------------------------------------

    def _handle_events(self) -> None:
        """Wait briefly for the first event, then take every queued one; acks in one go."""
        events = self._publisher.events
        acked: list[int] = []
        try:
            event = events.get(timeout=POLL_SECONDS)
            while True:
                self._handle(event, acked)
                event = events.get_nowait()
        except queue.Empty:
            pass
        if acked:
            self.acked += self._spool.ack(acked)
            for seq in acked:
                self._in_flight.pop(seq, None)

    def _handle(self, event: tuple[str, bytes | None], acked: list[int]) -> None:
        kind, payload = event
        if kind == "connected":
            log.info("connected to %s", self._publisher.address.url())
            self._connected = True
            self._in_flight.clear()  # publish everything unacked again, oldest first
            self._last_seq = None
            self._publisher.on_connected(self._status("online"))
        elif kind == "disconnected":
            if self._connected:
                log.warning("disconnected from %s", self._publisher.address.url())
            self._connected = False
        elif kind == "ack" and payload is not None:
            try:
                ack = decode_ack(payload)
            except CodecError as err:
                log.warning("ignoring an undecodable ack: %s", err)
                return
            if ack.vin == self._config.vin:
                acked.extend(ack.seqs)

    def _resend_timed_out(self) -> None:
        now = time.monotonic()
        due = [s for s, t in self._in_flight.items() if now - t >= self._config.ack_timeout]
        if not due:
            return
        payloads = self._spool.get(due)
        for seq in due:
            payload = payloads.get(seq)
            if payload is None:  # acked meanwhile, or dropped by a full spool
                self._in_flight.pop(seq, None)
                continue
            self._publisher.publish_telemetry(payload)
            self._in_flight[seq] = now
            self.resent += 1
        log.info(
            "no ack after %.0f s: published %d batches again",
            self._config.ack_timeout,
            len(payloads),
        )

    def _fill_window(self) -> None:
        room = self._config.max_in_flight - len(self._in_flight)
        if room <= 0:
            return
        now = time.monotonic()
        for seq, payload in self._spool.unacked(self._last_seq, room):
            self._publisher.publish_telemetry(payload)
            self._in_flight[seq] = now
            self._last_seq = seq
            self.published += 1

    def _status(self, state: str) -> Status:
        depth = self._spool.depth()
        reader = self._reader.state
        counters = {
            **self._decoder.counters.as_dict(),
            "frames": reader.frames,
            "spool_count": depth.count,
            "spool_bytes": depth.bytes,
            "dropped": self._spool.dropped,
        }
        return Status(
            vin=self._config.vin,
            state=state,
            version=__version__,
            profile=self._profile.hash,
            ts_ms=round(self._clock() * 1000),
            counters=counters,
        )
