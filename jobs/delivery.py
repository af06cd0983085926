"""Delivering the webhook outbox: signed HTTP POSTs, at least once, with retries and backoff.

Every request carries::

    Content-Type: application/json
    X-Pitstop-Id: <the body's "id": the same on every retry; receivers dedupe on it>
    X-Pitstop-Event: job.confirm
    X-Pitstop-Timestamp: <unix seconds, when this attempt was signed>
    X-Pitstop-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

How a receiver verifies (``verify`` below does exactly this): recompute
``HMAC-SHA256(secret, f"{timestamp}.{raw body}")`` over the raw bytes received, compare with
``hmac.compare_digest``, refuse a timestamp more than 5 minutes from its own clock (replays),
then drop a repeated ``X-Pitstop-Id``. Answer 2xx once stored; anything else (or no answer in
10 s) is retried: 1 s, 2 s, 4 s ... up to an hour between attempts, for ever (a receiver that
is down for a day gets its events when it is back). A row is marked delivered only after the
2xx, so a delivering process killed mid-flight sends that one again: at least once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from jobs.model import OutboxItem
from jobs.store import WebhookOutbox

log = logging.getLogger(__name__)

TOLERANCE_S = 300.0


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(secret: bytes, item: OutboxItem, now: float) -> dict[str, str]:
    stamp = str(int(now))
    return {
        "Content-Type": "application/json",
        "X-Pitstop-Id": item.delivery_id,
        "X-Pitstop-Event": item.event,
        "X-Pitstop-Timestamp": stamp,
        "X-Pitstop-Signature": signature(secret, stamp, item.body.encode("utf-8")),
    }


def verify(secret: bytes, received: Mapping[str, str], body: bytes, now: float) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    lower = {k.lower(): v for k, v in received.items()}
    stamp = lower.get("x-pitstop-timestamp", "")
    given = lower.get("x-pitstop-signature", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > TOLERANCE_S:
        return False
    return hmac.compare_digest(given, signature(secret, stamp, body))


@dataclass(slots=True)
class DeliveryStats:
    delivered: int = 0
    failed: int = 0


def deliver_due(
    jobs: WebhookOutbox,
    client: httpx.Client,
    secret: bytes,
    *,
    clock: Callable[[], float] = time.time,
    limit: int = 100,
) -> DeliveryStats:
    """Send every due outbox row once; mark it delivered (2xx) or schedule a retry."""
    stats = DeliveryStats()
    for item in jobs.due_webhooks(clock(), limit):
        now = clock()
        try:
            response = client.post(item.url, content=item.body, headers=headers(secret, item, now))
            ok, error = response.is_success, f"HTTP {response.status_code}"
        except httpx.HTTPError as err:
            ok, error = False, f"{type(err).__name__}: {err}"
        if ok:
            jobs.webhook_delivered(item.id, clock())
            stats.delivered += 1
        else:
            retry = jobs.webhook_failed(item.id, clock(), error, item.attempts)
            stats.failed += 1
            log.warning(
                "webhook %s to %s failed (%s); retry at %.0f", item.id, item.url, error, retry
            )
    return stats


def run_delivery(
    jobs: WebhookOutbox,
    secret: bytes,
    stop: threading.Event,
    *,
    poll_s: float = 0.5,
    chores: Callable[[float], object] | None = None,
) -> DeliveryStats:
    """Deliver until ``stop`` is set, polling the outbox every ``poll_s`` when idle; ``chores``
    (e.g. asking the follow-ups that are due into the outbox) runs before each round."""
    total = DeliveryStats()
    with httpx.Client(timeout=10.0) as client:
        while not stop.is_set():
            if chores is not None:
                chores(time.time())
            stats = deliver_due(jobs, client, secret)
            total.delivered += stats.delivered
            total.failed += stats.failed
            if stats.delivered + stats.failed == 0:
                stop.wait(poll_s)
    return total
