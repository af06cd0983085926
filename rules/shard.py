"""Which vehicles a rules worker owns: ``Shard(i, n)``, by the VIN's partition.

A vehicle's shard is ``pitstop.topics.partition_of(vin, n)`` (CRC-32 of the VIN modulo n), the
same hash ingest uses to pick the vehicle's partitioned cloud topic. When ``n`` divides the
partition count ingest publishes with, worker i subscribes only to the partitions p with
``p % n == i`` and receives only its own vehicles; otherwise it subscribes to all of them and
acknowledges the others unprocessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pitstop.topics import partition_of


def shard_of(vin: str, shards: int) -> int:
    """A stable shard number for ``vin`` in ``range(shards)`` (the same on every machine)."""
    return partition_of(vin, shards)


@dataclass(frozen=True, slots=True)
class Shard:
    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/n"`` with ``0 <= i < n``; raise ValueError naming the problem."""
        left, sep, right = text.partition("/")
        if not sep or not left.isdigit() or not right.isdigit():
            raise ValueError(f"shard {text!r} is not of the form i/n (e.g. 0/3)")
        index, count = int(left), int(right)
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard {text!r}: need 0 <= i < n")
        return cls(index, count)

    def owns(self, vin: str) -> bool:
        return self.count == 1 or shard_of(vin, self.count) == self.index

    def partitions(self, partitions: int) -> list[int] | None:
        """The cloud partitions that hold exactly this shard's vehicles, or None (all of them,
        filtered here) when ``count`` does not divide ``partitions``."""
        if partitions % self.count:
            return None
        return [p for p in range(partitions) if p % self.count == self.index]

    @property
    def scope(self) -> str:
        return f"{self.index}/{self.count}:"
