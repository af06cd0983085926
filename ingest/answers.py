"""What ingest answers the cars for one group of messages: one ``Ack`` per vehicle, naming the
sequence numbers stored and those refused (with the reason), pure."""

from __future__ import annotations

from collections.abc import Iterator

from ingest.store import topic_vin
from pitstop.messages import Ack


class Answers:
    """Collects the answers of one group; ``acks`` yields them per vehicle."""

    def __init__(self) -> None:
        self._stored: dict[str, list[int]] = {}
        self._refused: dict[str, dict[int, str]] = {}

    def stored(self, vin: str, seq: int | None) -> None:
        if seq is not None:  # a DTC report may come without a seq: nothing to answer
            self._stored.setdefault(vin, []).append(seq)
            self._refused.setdefault(vin, {})

    def refused(self, topic: str, seq: int | None, reason: str) -> bool:
        """Answer a dead letter on its topic's vehicle; False if it cannot be answered (no VIN
        in the topic, or no readable seq in the payload)."""
        vin = topic_vin(topic)
        if not vin or seq is None:
            return False
        self._refused.setdefault(vin, {})[seq] = reason
        self._stored.setdefault(vin, [])
        return True

    def acks(self) -> Iterator[tuple[str, Ack]]:
        for vin, seqs in self._stored.items():
            yield vin, Ack(vin, tuple(seqs), dict(self._refused.get(vin, {})))
