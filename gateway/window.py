"""The sender's in-flight window: which spooled entries are published and wait for an ack.

After a connect, *live* entries (spooled since that connect) go first, then the *backlog*
oldest first, so that draining an outage never starves live data. At most ``max_in_flight``
entries wait for an ack (paho stalls silently past 65,535), and an entry without an ack after
``ack_timeout`` is published again. Every publish spends a token of the ``RateLimit`` the
window shares with the sender's outbox, and its bytes on the wire count towards the month's
data use (``take_unsaved``; the sender saves them in the spool).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gateway.publisher import Publisher
from gateway.ratelimit import RateLimit
from gateway.spool import Entry, Spool

log = logging.getLogger(__name__)

MQTT_OVERHEAD = 2 + 2 + 2  # fixed header (up to 2 bytes of length here), topic length, packet id


class PublishWindow:
    """See the module docstring; used by ``gateway.sender.Sender`` on its thread only."""

    def __init__(
        self,
        spool: Spool,
        publisher: Publisher,
        rate: RateLimit,
        *,
        max_in_flight: int,
        ack_timeout: float,
        topic_bytes: int,
    ) -> None:
        self._spool = spool
        self._publisher = publisher
        self._rate = rate
        self._max_in_flight = max_in_flight
        self._ack_timeout = ack_timeout
        self._topic_bytes = topic_bytes
        self._in_flight: dict[int, float] = {}  # seq -> monotonic time of the last publish
        self._live_from = spool.next_seq
        self._live_last: int | None = None
        self._backlog_last: int | None = None
        self._unsaved = 0
        self.published = self.resent = 0

    def restart(self) -> None:
        """After a connect: publish everything unacked again, oldest first."""
        self._in_flight.clear()
        self._live_from = self._spool.next_seq
        self._live_last = self._backlog_last = None

    def forget(self, seqs: Iterable[int]) -> None:
        """Entries that left the spool (acknowledged or refused) wait no more."""
        for seq in seqs:
            self._in_flight.pop(seq, None)

    def take_unsaved(self) -> int:
        """The bytes published since the last call (payload, topic and MQTT overhead)."""
        unsaved, self._unsaved = self._unsaved, 0
        return unsaved

    def resend_timed_out(self, now: float) -> None:
        timeout = self._ack_timeout
        due = [s for s, t in self._in_flight.items() if now - t >= timeout]
        if not due:
            return
        entries = self._spool.get(due)
        for seq in due:
            entry = entries.get(seq)
            if entry is None:  # acked meanwhile, or dropped by a full spool
                self._in_flight.pop(seq, None)
                continue
            if not self._send(entry, now):
                return
            self._in_flight[seq] = now
            self.resent += 1
        log.info("no ack after %.0f s: published %d messages again", timeout, len(entries))

    def fill(self, now: float) -> None:
        """Publish live entries, then backlog ones, while there is room and a token."""
        room = self._max_in_flight - len(self._in_flight)
        if room <= 0:
            return
        after = self._live_last if self._live_last is not None else self._live_from - 1
        for entry in self._spool.unacked(after, room):
            if not self._send(entry, now):
                return
            self._in_flight[entry.seq] = now
            self._live_last = entry.seq
            self.published += 1
            room -= 1
        if room <= 0:
            return
        for entry in self._spool.unacked(self._backlog_last, room):
            if entry.seq >= self._live_from or not self._send(entry, now):
                return
            self._in_flight[entry.seq] = now
            self._backlog_last = entry.seq
            self.published += 1

    def _send(self, entry: Entry, now: float) -> bool:
        if not self._rate.take(len(entry.payload), now):
            return False
        self._publisher.publish(entry.kind, entry.payload)
        self._unsaved += len(entry.payload) + self._topic_bytes + MQTT_OVERHEAD
        return True
