"""The gateway wired together: a reader thread fills the spool, the sender loop drains it.

``run_gateway(config, stop)`` loads the profile and the collection plan, opens the spool and the
CAN source, starts the reader thread (``gateway.reader``) and any *services* (each on its own
thread, e.g. the diagnostics service), and runs the sender (``gateway.sender``) on the calling
thread. A replay ends when the log is read and the spool is empty; a live bus runs until
``stop`` is set. On stop the open batch goes to the spool, nothing more is published but the
retained ``offline`` status, and the client disconnects cleanly.

Services plug in here, in one place: a ``Service`` is called as ``service(context, stop)`` on a
thread of its own; the ``GatewayContext`` lets it publish events and messages (queued, sent by
the sender thread under the rate limit) and register handlers for cmd-topic commands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.commands import Commands, Handler
from gateway.decode import Decoder, FrameFilter
from gateway.plan import CollectionPlan, load_plan, parse_plan
from gateway.profile import Profile, load_profile
from gateway.ratelimit import MAX_BYTES_PER_S, MAX_PUBLISHES_PER_S
from gateway.reader import BatchPolicy, Reader
from gateway.sender import Sender
from gateway.sources import SourceSpec, open_source
from gateway.spool import MIB, Spool
from pitstop.topics import Kind, validate_vin

log = logging.getLogger(__name__)

SERVICE_STOP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    vin: str
    profile: Path
    source: SourceSpec
    spool: Path
    broker_url: str
    batch_interval: float = 1.0
    max_in_flight: int = 100
    ack_timeout: float = 10.0
    max_batch_samples: int = 20_000
    spool_max_bytes: int = 64 * MIB
    plan: Path | None = None  # collection plan YAML; None: every mapped signal at full rate
    status_interval: float = 60.0  # republish the retained status, save the data use
    max_publishes_per_s: float = MAX_PUBLISHES_PER_S
    max_bytes_per_s: float = MAX_BYTES_PER_S
    outbox_size: int = 1000  # events waiting for the broker; beyond it the oldest are dropped

    def __post_init__(self) -> None:
        validate_vin(self.vin)


@dataclass(frozen=True, slots=True)
class GatewayStats:
    frames: int
    decoded: int
    unknown_id: int
    bad_frame: int
    batches: int
    samples: int
    published: int
    resent: int
    acked: int
    dropped: int
    spool_count: int
    completed: bool  # a replay whose every batch was acknowledged
    not_due: int = 0  # frames the plan needed nothing from


class GatewayContext:
    """What a service running beside the gateway may use (from its own thread)."""

    def __init__(
        self, profile: Profile, sender: Sender, commands: Commands, spool: Spool, vin: str
    ) -> None:
        self.vin = vin
        self.profile = profile
        self._sender = sender
        self._commands = commands
        self._spool = spool

    def spool(self, kind: Kind, build: Callable[[int], bytes], priority: int = 1) -> int:
        """Store a message durably (``build`` gets its sequence number) for the sender to
        publish and publish again until the cloud acknowledges it; return the number."""
        return self._spool.append(build, priority, kind)

    def publish_event(self, type_: str, data: Mapping[str, Any]) -> None:
        """Queue an event (``pitstop/v1/{vin}/event``) for the sender to publish."""
        self._sender.event(type_, dict(data))

    def publish(self, kind: Kind, payload: bytes) -> None:
        """Queue any message of this vehicle (e.g. ``Kind.DTC``) for the sender to publish."""
        self._sender.queue(kind, payload)

    def register_command(self, name: str, handler: Handler) -> None:
        """Handle cmd-topic commands of type ``name`` (see ``gateway.commands``)."""
        self._commands.register(name, handler)


Service = Callable[[GatewayContext, threading.Event], None]


def run_gateway(
    config: GatewayConfig,
    stop: threading.Event,
    clock: Callable[[], float] = time.time,
    services: Sequence[Service] = (),
) -> GatewayStats:
    """Run until ``stop`` is set (or, for a replay, until all of it is acknowledged)."""
    profile = load_profile(config.profile)
    names = [m.canonical for m in profile.signals]
    plan = load_plan(config.plan, names) if config.plan is not None else None
    decoder = Decoder(profile)
    log.info("profile %s (hash %s), %d signals", profile.name, profile.hash, len(names))
    with (
        open_source(config.source, decoder.frame_filters(), _channels(profile, decoder)) as source,
        Spool(config.spool, config.spool_max_bytes) as spool,
    ):
        log.info("spool %s: %d entries waiting", config.spool, spool.depth().count)
        policy = BatchPolicy(
            config.vin, profile.hash, config.batch_interval, config.max_batch_samples
        )
        reader = Reader(source, decoder, spool, policy, plan=plan)
        current = [plan]
        commands = Commands(config.vin)
        sender = Sender(
            config,
            profile.hash,
            spool,
            reader,
            commands,
            clock=clock,
            budget_bytes=lambda: current[0].budget_bytes if current[0] else None,
        )
        commands.register("set_plan", _set_plan(reader, names, current))
        _report_start(sender, profile, decoder, plan)
        context = GatewayContext(profile, sender, commands, spool, config.vin)
        reader.on_event = context.publish_event  # capture windows, from the reader thread
        reader_stop = threading.Event()
        threads = [threading.Thread(target=reader.run, args=(reader_stop,), name="can-reader")]
        threads += [
            threading.Thread(target=s, args=(context, reader_stop), name=f"service-{i}")
            for i, s in enumerate(services)
        ]
        for thread in threads:
            thread.daemon = True
            thread.start()
        try:
            completed = sender.run(stop, live=config.source.live)
        finally:
            reader_stop.set()
            for thread in threads:
                thread.join(None if thread.name == "can-reader" else SERVICE_STOP_SECONDS)
                if thread.is_alive():
                    log.warning("%s did not stop within %s s", thread.name, SERVICE_STOP_SECONDS)
            sender.close()
        if reader.state.error is not None and not stop.is_set():
            log.error("the CAN reader stopped: %s", reader.state.error)
        return _stats(reader, decoder, sender, spool, completed)


def _channels(profile: Profile, decoder: Decoder) -> dict[str, list[FrameFilter]] | None:
    """Per channel its filters, when the profile has several buses (one python-can bus each)."""
    if len(profile.buses) < 2:
        return None
    return {bus.route: decoder.frame_filters(bus.route) for bus in profile.buses}


def _set_plan(
    reader: Reader, names: Sequence[str], current: list[CollectionPlan | None]
) -> Handler:
    def handle(doc: Mapping[str, Any]) -> Mapping[str, Any]:
        plan = parse_plan(doc.get("plan"), names, "set_plan")  # PlanError: refused, with reason
        current[0] = plan
        reader.replace_plan(plan)
        log.info("collection plan %s (%s) installed remotely", plan.name, plan.hash)
        return {"name": plan.name, "hash": plan.hash}

    return handle


def _report_start(
    sender: Sender, profile: Profile, decoder: Decoder, plan: CollectionPlan | None
) -> None:
    """Events the cloud needs once: value-table labels, DBC problems, the plan in force."""
    tables = decoder.value_tables()
    if tables:
        labels = {name: {str(k): v for k, v in t.items()} for name, t in tables.items()}
        sender.event("value_tables", {"profile": profile.hash, "labels": labels})
    if profile.problems:
        sender.event("dbc_problems", {"left_out": list(profile.problems)})
    if plan is not None:
        sender.event("plan", {"name": plan.name, "hash": plan.hash})


def _stats(
    reader: Reader, decoder: Decoder, sender: Sender, spool: Spool, completed: bool
) -> GatewayStats:
    counters = decoder.counters
    state = reader.state
    return GatewayStats(
        frames=state.frames,
        decoded=counters.decoded,
        unknown_id=counters.unknown_id,
        bad_frame=counters.bad_frame,
        batches=state.batches,
        samples=state.samples,
        published=sender.published,
        resent=sender.resent,
        acked=sender.acked,
        dropped=spool.dropped,
        spool_count=spool.depth().count,
        completed=completed,
        not_due=counters.not_due,
    )
