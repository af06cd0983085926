"""A token bucket on publishes and bytes: the gateway stays under AWS IoT Core's per-connection
quota (100 publishes/s, 512 KB/s) whatever the bus load. Pure: the caller passes the time."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PUBLISHES_PER_S = 100.0
MAX_BYTES_PER_S = 512 * 1024


@dataclass(slots=True)
class RateLimit:
    """``take(size, now)`` spends one publish and ``size`` bytes if both are available."""

    publishes_per_s: float = MAX_PUBLISHES_PER_S
    bytes_per_s: float = MAX_BYTES_PER_S
    _publishes: float = 0.0
    _bytes: float = 0.0
    _last: float | None = None

    def take(self, size: int, now: float) -> bool:
        self._refill(now)
        # A message larger than a second's bytes may go when the bucket is full, alone.
        need = min(float(size), self.bytes_per_s)
        if self._publishes < 1.0 or self._bytes < need:
            return False
        self._publishes -= 1.0
        self._bytes -= need
        return True

    def _refill(self, now: float) -> None:
        if self._last is None:
            self._publishes, self._bytes = self.publishes_per_s, self.bytes_per_s
        else:
            elapsed = max(0.0, now - self._last)
            self._publishes = min(
                self.publishes_per_s, self._publishes + elapsed * self.publishes_per_s
            )
            self._bytes = min(self.bytes_per_s, self._bytes + elapsed * self.bytes_per_s)
        self._last = now
