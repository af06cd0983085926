"""Checkpoints per interval, not per message: what a restart keeps (the pending window after a
firing, the evidence of a hot vehicle), how little a healthy vehicle costs, and eviction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.seed import ensure_demo_workshops
from jobs.sql.rulestate import SqlStateStore
from jobs.sql.store import SqlJobStore
from pitstop.codec import Sample
from rules.core import RulesCore
from rules.jobsink import JobSink
from rules.loader import parse_catalog
from tests.rules.test_core import CATALOG, ODO, T0, VIN, V, feed

OTHER = "PITSTOPDEMO000009"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlJobStore]:
    jobs = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_demo_workshops(jobs)
    yield jobs
    jobs.close()


def _core(store: SqlJobStore, now: list[float]) -> RulesCore:
    state = SqlStateStore(store.engine)
    return RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0], state=state)


def test_a_restart_inside_the_window_after_a_firing_still_attaches_it(
    store: SqlJobStore,
) -> None:
    now = [T0]
    first = _core(store, now)
    feed(first, now, [12.6] * 5 + [11.7] * 15, T0)  # fires at 15 s; after-window until 35 s
    assert first.checkpoint() == 1
    del first  # the worker dies here: its memory is gone
    second = _core(store, now)
    assert second.restore() == 1
    feed(second, now, [11.7] * 20, T0 + 20)
    (job,) = store.list_jobs(vin=VIN)
    (after,) = job.evidence["after"]
    assert after["from"] == T0 + 15
    assert after["until"] == T0 + 35
    assert [p[0] - T0 for p in after["window"][ODO]] == list(range(16, 36))


def test_a_checkpoint_is_one_document_per_touched_vehicle_small_unless_hot(
    store: SqlJobStore,
) -> None:
    now = [T0]
    core = _core(store, now)
    feed(core, now, [11.7] * 8, T0)  # pending: hot, its evidence window is kept
    for i in range(8):
        core.telemetry(OTHER, [Sample(V, T0 + i, 12.6), Sample(ODO, T0 + i, 100.0 + i)])
    assert core.checkpoint() == 2
    assert core.checkpoint() == 0  # nothing touched since
    saved = SqlStateStore(store.engine).load("0/1:")
    hot, cold = saved[f"0/1:{VIN}"], saved[f"0/1:{OTHER}"]
    assert len(hot["windows"][V]) == 8
    assert hot["alerts"]["lv"][0] == "pending"
    assert cold["windows"][V] == [[T0 + 7, 12.6]]  # the newest point only
    assert cold["alerts"] == {}  # inactive alerts are not written
    assert len(json.dumps(cold)) < len(json.dumps(hot))


def test_an_idle_vehicle_is_evicted_and_loaded_back_when_it_sends_again(
    store: SqlJobStore,
) -> None:
    now = [T0]
    core = _core(store, now)
    feed(core, now, [12.6] * 5, T0)
    mark = core.engine.services[(VIN, "service")].at
    assert core.evict(60.0) == 0  # not checkpointed yet
    core.checkpoint()
    now[0] = T0 + 3600
    assert core.evict(60.0) == 1
    assert not [k for k in core.engine.windows if k[0] == VIN]
    assert (VIN, "service") not in core.engine.services
    assert VIN in core.engine.last_seen  # the clock's no-data rules still see it
    feed(core, now, [12.6], T0 + 3600)
    assert core.engine.services[(VIN, "service")].at == mark  # counted from where it was
