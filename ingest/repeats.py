"""How a store keys a sample so that no two samples merge (pure).

A sample is keyed by its signal and its time in microseconds, ``ms * 1000 + k``: ``ms`` is the
millisecond the car sent and ``k`` its rank among the samples of the same signal in the same
millisecond of its batch, in the order sent (0 for the first, and for nearly every sample). The
gateway keeps one millisecond of one signal inside one batch, so a copy of a batch (redelivered,
or re-sent under a new sequence number) gives every sample the same key again: it overwrites or
is ignored, never added twice. Reads give back ``ms``: ``k`` orders, it is not a time.
"""

from __future__ import annotations

from ingest.errors import StoreError
from pitstop.codec import MAX_SAMPLES_PER_MS

US_PER_MS = 1000


def ranks(ts_ms: list[int]) -> list[int] | None:
    """Each sample's ``k``; None when no two share a millisecond (the usual case, C speed)."""
    if len(set(ts_ms)) == len(ts_ms):
        return None
    seen: dict[int, int] = {}
    out: list[int] = []
    for ms in ts_ms:
        k = seen.get(ms, 0)
        if k >= MAX_SAMPLES_PER_MS:
            raise StoreError(f"more than {MAX_SAMPLES_PER_MS} samples of a signal at {ms} ms")
        seen[ms] = k + 1
        out.append(k)
    return out


def keys_us(ts_ms: list[int]) -> list[int]:
    """Each sample's key in microseconds, ``ms * 1000 + k``."""
    k = ranks(ts_ms)
    if k is None:
        return [ms * US_PER_MS for ms in ts_ms]
    return [ms * US_PER_MS + r for ms, r in zip(ts_ms, k, strict=True)]


def last(ts_ms: list[int], values: list[float]) -> tuple[int, float]:
    """The key and value of the newest sample (the last sent of the newest millisecond)."""
    newest = max(ts_ms)
    repeats = ts_ms.count(newest)
    if repeats == 1:
        return newest * US_PER_MS, values[ts_ms.index(newest)]
    at = len(ts_ms) - 1 - ts_ms[::-1].index(newest)
    return newest * US_PER_MS + repeats - 1, values[at]


def ms_of(key_us: int) -> int:
    """The millisecond a key stands for."""
    return key_us // US_PER_MS
