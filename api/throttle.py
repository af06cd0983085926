"""Failed sign-ins per client address, limited in memory: ``LIMIT`` a ``WINDOW_S``, then 429.

Bounded: at most ``MAX_CLIENTS`` addresses are remembered (the least recently failing are
forgotten first), each with at most ``LIMIT`` times. One process's memory: several API
processes each count on their own, and behind a proxy every client has the proxy's address
unless uvicorn runs with ``--proxy-headers``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque

LIMIT = 5
WINDOW_S = 60.0
MAX_CLIENTS = 10_000


class SignInThrottle:
    def __init__(
        self, limit: int = LIMIT, window_s: float = WINDOW_S, max_clients: int = MAX_CLIENTS
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float) -> int | None:
        """Whole seconds until ``client`` may try again, or None if it may now."""
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return None
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if not times:
                del self._failures[client]
                return None
            if len(times) < self.limit:
                return None
            return max(1, math.ceil(times[0] + self.window_s - now))

    def failed(self, client: str, now: float) -> None:
        with self._lock:
            times = self._failures.setdefault(client, deque(maxlen=self.limit))
            times.append(now)
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)
