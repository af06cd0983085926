"""Signed webhooks from the durable outbox: written with the state change, delivered at least
once to a real HTTP receiver, also when the delivering process is SIGKILLed mid-way."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from jobs.delivery import deliver_due, headers, verify
from jobs.model import JobAction, JobDraft, OutboxItem, Severity
from jobs.sql.store import SqlJobStore
from tests.rules.test_worker import wait_for

SECRET = b"s3cret-for-tests"
T0 = 1_767_225_600.0


class Receiver:
    """A real HTTP server that verifies each webhook and records it by its id."""

    def __init__(self, fail_first: int = 0, delay_s: float = 0.0) -> None:
        self.received: list[tuple[str, str, dict[str, object]]] = []  # (id, event, body)
        self.bad_signatures = 0
        self.fail_left = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(SECRET, dict(self.headers), body, time.time()):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                elif receiver.fail_left > 0:
                    receiver.fail_left -= 1
                    self.send_response(503)
                else:
                    time.sleep(delay_s)
                    doc = json.loads(body)
                    receiver.received.append((self.headers["X-Pitstop-Id"], doc["event"], doc))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ids(self) -> set[str]:
        return {i for i, _, _ in self.received}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def setup_fleet(store: SqlJobStore, url: str) -> None:
    shop = store.add_workshop("Garage", "Town", ("electrical",))
    owner = store.add_owner("Fleet A", "fleet", preferred_workshop_id=shop.id, webhook_url=url)
    for i in range(20):
        store.register_vehicle(f"PITSTOPHOOK{i:06d}", owner.id)


def open_jobs(store: SqlJobStore, count: int) -> list[int]:
    ids = []
    for i in range(count):
        draft = JobDraft(f"PITSTOPHOOK{i:06d}", "lv", "12 V low", Severity.WARNING, T0)
        job, _ = store.open_job(draft, None, T0)
        ids.append(job.id)
    return ids


def test_signature_round_trip_and_refusals() -> None:
    item = OutboxItem(1, "http://x", "job.open", '{"id":"abc","event":"job.open"}', 0)
    sent = headers(SECRET, item, T0)
    body = item.body.encode()
    assert sent["X-Pitstop-Id"] == "abc"
    assert verify(SECRET, sent, body, T0 + 10)
    assert not verify(SECRET, sent, body + b" ", T0)  # tampered body
    assert not verify(b"other", sent, body, T0)  # wrong secret
    assert not verify(SECRET, sent, body, T0 + 3600)  # a replay an hour later


def test_events_are_written_with_the_change_and_retried_until_delivered(
    tmp_path: Path,
) -> None:
    receiver = Receiver(fail_first=1)
    store = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        setup_fleet(store, receiver.url)
        (job_id,) = open_jobs(store, 1)
        store.act(job_id, JobAction.CONFIRM, T0 + 60)
        assert store.pending_webhooks() == 2  # opened, confirmed: same transactions
        now = [time.time()]  # receivers check the signing time against their own clock
        with httpx.Client(timeout=5) as client:
            first = deliver_due(store, client, SECRET, clock=lambda: now[0])
            assert (first.delivered, first.failed) == (1, 1)  # one got a 503
            assert deliver_due(store, client, SECRET, clock=lambda: now[0]).delivered == 0
            now[0] += 1.0  # the first backoff
            assert deliver_due(store, client, SECRET, clock=lambda: now[0]).delivered == 1
        assert store.pending_webhooks() == 0
        assert sorted(e for _, e, _ in receiver.received) == ["job.confirm", "job.open"]
        assert receiver.bad_signatures == 0
        assert {doc["job"]["id"] for _, _, doc in receiver.received} == {job_id}  # type: ignore[index]
    finally:
        store.close()
        receiver.close()


def test_sigkilled_delivery_still_delivers_every_webhook(tmp_path: Path) -> None:
    receiver = Receiver(delay_s=0.02)
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    store = SqlJobStore.open(url)
    secret_file = tmp_path / "webhook.key"
    secret_file.write_bytes(SECRET + b"\n")
    command = [sys.executable, "-m", "cli", "rules", "webhooks", "--jobs", url]
    command += ["--secret-file", str(secret_file)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        setup_fleet(store, receiver.url)
        open_jobs(store, 20)
        expected = {item.delivery_id for item in store.due_webhooks(time.time(), 1000)}
        assert len(expected) == 20
        first = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        processes.append(first)
        wait_for("some deliveries", lambda: len(receiver.received) >= 5, timeout=30)
        first.kill()  # SIGKILL in the middle of the deliveries
        first.wait(10)
        assert len(receiver.ids()) < 20, "the kill came too late to test anything"
        second = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        processes.append(second)
        wait_for("every webhook", lambda: store.pending_webhooks() == 0, timeout=30)
        assert receiver.ids() == expected  # at least once each
        assert len(receiver.received) <= len(expected) + 1  # at most the one in flight again
        assert receiver.bad_signatures == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        store.close()
        receiver.close()
