"""What ingest counts: ``IngestStats`` (returned by ``run_ingest``), the live ``Counters`` and
the ``Reporter`` that logs throughput."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

log = logging.getLogger("ingest.consumer")


@dataclass(frozen=True, slots=True)
class IngestStats:
    messages: int = 0  # handled to the end (acknowledged)
    stored: int = 0  # batches newly stored
    samples: int = 0  # samples in newly stored batches
    duplicates: int = 0  # batches stored before, acknowledged again
    dead_letters: int = 0  # refused messages newly dead-lettered (and answered)
    store_errors: int = 0  # failed store attempts (each retried)
    dtc_reports: int = 0  # DTC reports newly added to the history
    history: int = 0  # accepted batches and reports older than the live window: not handed on
    handed_on: int = 0  # accepted live batches and reports republished for the rules
    dead_letter_repeats: int = 0  # refused messages sent again: kept once, answered again
    unanswerable: int = 0  # refused messages whose seq or VIN cannot be read: no answer
    dead_letters_dropped: int = 0  # older dead letters dropped for a vehicle's quota
    dead_letters_trimmed: int = 0  # dead letters kept with their payload cut to the size cap


@dataclass(slots=True)
class Counters:
    messages: int = 0
    stored: int = 0
    samples: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    store_errors: int = 0
    dtc_reports: int = 0
    history: int = 0
    handed_on: int = 0
    dead_letter_repeats: int = 0
    unanswerable: int = 0
    dead_letters_dropped: int = 0
    dead_letters_trimmed: int = 0

    def snapshot(self) -> IngestStats:
        return IngestStats(*(getattr(self, f.name) for f in fields(IngestStats)))


class Reporter:
    """Logs throughput and the backlog (messages waiting in the inbox and for their
    hand-ons) every ``interval_s`` seconds at INFO."""

    def __init__(
        self, counters: Counters, interval_s: float, backlog: Callable[[], int] = lambda: 0
    ) -> None:
        self.counters = counters
        self.backlog = backlog
        self.interval_s = interval_s
        self.since = time.monotonic()
        self.last = counters.snapshot()

    def maybe_log(self) -> None:
        now = time.monotonic()
        elapsed = now - self.since
        if elapsed < self.interval_s:
            return
        current = self.counters.snapshot()
        log.info(
            "ingest: %.0f messages/s, %.0f samples/s, backlog %d (stored %d, duplicates %d, "
            "history %d, dead letters %d, store errors %d)",
            (current.messages - self.last.messages) / elapsed,
            (current.samples - self.last.samples) / elapsed,
            self.backlog(),
            current.stored,
            current.duplicates,
            current.history,
            current.dead_letters,
            current.store_errors,
        )
        self.since, self.last = now, current
