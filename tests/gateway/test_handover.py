"""The one handover into the reader thread: plan swaps and budget levels, applied between frames."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import can

from gateway.control import Commands
from gateway.decode import Decoder
from gateway.handover import ReaderControl
from gateway.plan import CollectionPlan, parse_plan
from gateway.profile import load_profile
from gateway.reader import BatchPolicy, Reader, ReaderReport
from gateway.reduce import month_key
from gateway.sender import Sender, SenderConfig
from gateway.sources import SourceSpec, open_source
from gateway.spool import Spool
from pitstop.codec import decode_telemetry
from pitstop.messages import Status
from pitstop.topics import Kind
from tests.conftest import DEMO_PROFILE
from tests.gateway.demo_log import write_demo_log

VIN = "WPITSTOPTEST00005"
PROFILE = load_profile(DEMO_PROFILE)
NAMES = [m.canonical for m in PROFILE.signals]
SPEED = "Vehicle.Speed"


def _speed_plan(priority: str = "normal", budget_mb: float | None = None) -> CollectionPlan:
    doc: dict[str, object] = {
        "name": "speed",
        "signals": {SPEED: {"interval": 1, "priority": priority}},
    }
    if budget_mb is not None:
        doc["budget_mb_per_month"] = budget_mb
    return parse_plan(doc, NAMES)


def test_a_change_is_pending_until_the_reader_takes_it() -> None:
    plan = _speed_plan(budget_mb=1)
    control = ReaderControl()
    assert control.budget_bytes() is None
    assert not control.pending
    control.set_plan(plan)
    control.set_budget_level(5)  # clamped to the highest level
    assert control.pending
    assert control.plan is plan
    assert control.budget_bytes() == 1024 * 1024
    change = control.take()
    assert (change.plan, change.new_plan, change.budget_level) == (plan, True, 2)
    assert not control.pending
    assert not control.take().new_plan


def _samples_sent(tmp_path: Path, control: ReaderControl) -> list[str]:
    demo = write_demo_log(tmp_path / "drive.log", seconds=60)
    frames = list(can.LogReader(demo.path))
    policy = BatchPolicy(VIN, PROFILE.hash)
    with (
        Spool(tmp_path / "spool.db") as spool,
        open_source(SourceSpec.memory(frames)) as source,
    ):
        reader = Reader(source, Decoder(PROFILE), spool, policy, control=control)
        reader.run(threading.Event())
        report = reader.report()
        assert report.done
        assert not report.failed
        entries = spool.unacked(None, 1000)
    return [s.signal for e in entries for s in decode_telemetry(e.payload).samples]


def test_the_reader_applies_a_plan_set_through_the_control(tmp_path: Path) -> None:
    control = ReaderControl()  # no plan: every mapped signal
    control.set_plan(_speed_plan())
    sent = _samples_sent(tmp_path, control)
    assert set(sent) == {SPEED}
    assert 55 <= len(sent) <= 61  # one a second


def test_the_reader_applies_a_budget_level_set_through_the_control(tmp_path: Path) -> None:
    control = ReaderControl(_speed_plan(priority="low"))
    control.set_budget_level(2)  # low priority: intervals x16
    sent = _samples_sent(tmp_path, control)
    assert set(sent) == {SPEED}
    assert 3 <= len(sent) <= 5


class _OfflinePublisher:
    """A ``Publisher`` that never connects: the sender's periodic work needs no broker."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, bytes | None]] = queue.Queue()
        self.url = "mqtt://nowhere"

    def start(self, will: Status) -> None: ...

    def on_connected(self, status: Status) -> None: ...

    def publish_status(self, status: Status) -> None: ...

    def publish(self, kind: Kind, payload: bytes) -> bool:
        return False

    def stop(self, offline: Status, connected: bool) -> None: ...


def test_the_sender_sets_the_budget_level_through_the_control(tmp_path: Path) -> None:
    control = ReaderControl(_speed_plan(budget_mb=1))
    with Spool(tmp_path / "spool.db") as spool:
        now = time.time()
        spool.add_usage(month_key(now), 2 * 1024 * 1024)  # past the month's budget
        sender = Sender(
            SenderConfig(VIN, PROFILE.hash),
            _OfflinePublisher(),
            spool,
            Commands(VIN),
            control=control,
            reader_report=lambda: ReaderReport(0, {}, done=False, failed=False),
            clock=lambda: now,
        )
        sender.periodic()
        assert control.budget_level == 2
        assert control.pending  # for the reader, at its next frame
        counters = sender.status("online").counters
    assert counters["budget_level"] == 2
    assert counters["budget_bytes"] == 1024 * 1024
