"""The rules worker: telemetry from MQTT -> engine -> a booked job for every firing rule.

The paho callbacks only enqueue (a bounded queue; a full queue holds paho back, and with it the
broker). The worker thread decodes, evaluates and opens jobs, and only then acknowledges the
message (manual PUBACK on a persistent session): a message the worker never finished is
delivered again after a crash.

Engine state (pending alerts, evidence windows) lives in memory: after a restart an alert must
hold for ``for`` again before it fires, and the job store's one-open-job-per-(vin, rule) keeps a
fault seen again from opening a second job.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from pitstop.codec import decode_telemetry
from pitstop.errors import CodecError
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, subscription
from rules.booking import choose_workshop
from rules.engine import AlertState, EngineState, Transition, evaluate
from rules.jobs import JobDraft, JobStore, JobStoreError, Workshop
from rules.loader import DEFAULT_CATALOG, format_duration, load_catalog
from rules.model import Rule

log = logging.getLogger(__name__)

DEMO_WORKSHOPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Pitstop Demo Garage",
        "Demo City",
        ("electrical", "high-voltage", "brakes", "tyres", "cooling"),
    ),
)


@dataclass(frozen=True, slots=True)
class RulesConfig:
    broker_url: str
    client_id: str = "pitstop-rules"
    share_group: str | None = None
    catalog_path: Path = DEFAULT_CATALOG
    queue_size: int = 1000


@dataclass(slots=True)
class RulesStats:
    """What the worker did; read by the caller once ``run_rules`` returns."""

    messages: int = 0
    samples: int = 0
    undecodable: int = 0
    transitions: int = 0
    jobs_opened: int = 0
    jobs_existing: int = 0
    errors: int = 0
    late_samples: int = 0
    future_samples: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Message:
    topic: str
    payload: bytes
    mid: int
    qos: int


def ensure_workshops(
    jobs: JobStore, seed: Sequence[tuple[str, str, tuple[str, ...]]] = DEMO_WORKSHOPS
) -> list[Workshop]:
    """Add the ``seed`` workshops (name, location, skills) if the store has none at all."""
    existing = jobs.workshops()
    if existing:
        return existing
    for name, location, skills in seed:
        log.info("adding workshop %s (%s), skills %s", name, location, ", ".join(skills))
        jobs.add_workshop(name, location, skills)
    return jobs.workshops()


def ensure_demo_workshops(jobs: JobStore) -> list[Workshop]:
    """The demo workshop ("Pitstop Demo Garage") if the store has no workshop at all."""
    return ensure_workshops(jobs, DEMO_WORKSHOPS)


def run_rules(
    config: RulesConfig,
    jobs: JobStore,
    stop: threading.Event,
    ready: threading.Event | None = None,
) -> RulesStats:
    """Evaluate the catalogue on live telemetry until ``stop`` is set; return what happened."""
    rules = load_catalog(config.catalog_path)
    log.info("loaded %d rules from %s", len(rules), config.catalog_path)
    inbox: queue.Queue[_Message] = queue.Queue(maxsize=config.queue_size)
    address = BrokerAddress.parse(config.broker_url)
    client = make_client(address, config.client_id, persistent_session=True, manual_ack=True)
    _wire(client, subscription(Kind.TELEMETRY, config.share_group), inbox, stop, ready)
    client.connect_async(address.host, address.port)
    client.loop_start()
    stats = RulesStats()
    engine = EngineState()
    try:
        while not stop.is_set():
            try:
                message = inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            _handle(message, rules, engine, jobs, stats)
            client.ack(message.mid, message.qos)
    finally:
        client.disconnect()
        client.loop_stop()
        stats.late_samples = engine.late_samples
        stats.future_samples = engine.future_samples
    return stats


def _wire(
    client: mqtt.Client,
    pattern: str,
    inbox: queue.Queue[_Message],
    stop: threading.Event,
    ready: threading.Event | None,
) -> None:
    def on_connect(c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            return
        c.subscribe(pattern, qos=1)

    def on_subscribe(_c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            log.error("subscription to %s refused: %s", pattern, reasons)
            return
        log.info("subscribed to %s", pattern)
        if ready is not None:
            ready.set()

    def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        item = _Message(msg.topic, bytes(msg.payload), msg.mid, msg.qos)
        while not stop.is_set():
            try:
                inbox.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message


def _handle(
    message: _Message,
    rules: tuple[Rule, ...],
    engine: EngineState,
    jobs: JobStore,
    stats: RulesStats,
    *,
    clock: Callable[[], float] = time.time,
) -> None:
    stats.messages += 1
    try:
        batch = decode_telemetry(message.payload)
    except CodecError as err:
        stats.undecodable += 1
        log.warning("undecodable telemetry on %s: %s (ingest dead-letters it)", message.topic, err)
        return
    stats.samples += len(batch.samples)
    try:
        transitions = evaluate(rules, engine, batch.samples, batch.vin, clock())
        for transition in transitions:
            stats.transitions += 1
            if transition.to_state is AlertState.FIRING:
                _open_job(transition, jobs, stats, clock())
            else:
                log.debug(
                    "%s %s: %s -> %s",
                    batch.vin,
                    transition.rule.id,
                    transition.from_state,
                    transition.to_state,
                )
    except (JobStoreError, ValueError):
        stats.errors += 1
        log.exception("rules failed on %s seq %d (%s)", batch.vin, batch.seq, message.topic)


def _open_job(transition: Transition, jobs: JobStore, stats: RulesStats, now: float) -> None:
    rule = transition.rule
    draft = job_draft(transition)
    workshop = choose_workshop(jobs.workshops(), draft.required_skills)
    job, created = jobs.open_job(draft, workshop.id if workshop else None, now)
    where = workshop.name if workshop else "no workshop (none has the skills)"
    if created:
        stats.jobs_opened += 1
        stats.by_rule[rule.id] = stats.by_rule.get(rule.id, 0) + 1
        log.info(
            "job #%d opened for %s: %s (rule %s) at %s", job.id, job.vin, rule.title, rule.id, where
        )
    else:
        stats.jobs_existing += 1
        log.info("job #%d already open for %s (rule %s)", job.id, job.vin, rule.id)


def job_draft(transition: Transition) -> JobDraft:
    """The job a FIRING transition asks for, evidence and diagnosis JSON-ready."""
    rule = transition.rule
    cond = rule.condition
    evidence = {
        "trigger": {
            "signal": cond.signal,
            "condition": cond.describe(),
            "hold_s": cond.hold_s,
            "hold": format_duration(cond.hold_s),
            "since": transition.since,
            "fired_at": transition.at,
            "value": transition.value,
        },
        "window": {
            signal: [[ts, value] for ts, value in points]
            for signal, points in transition.evidence.items()
        },
    }
    return JobDraft(
        vin=transition.vin,
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity.value,
        fired_at=transition.at,
        diagnosis=rule.diagnosis.to_json(),
        evidence=evidence,
        required_skills=rule.diagnosis.skills,
    )
