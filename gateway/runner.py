"""The gateway wired together: a reader thread fills the spool, the sender loop drains it.

``run_gateway(config, stop)`` loads the profile and the collection plan, opens the spool and the
CAN source, builds the paho publisher and the ``ReaderControl`` (``gateway.handover``) through
which the ``set_plan`` command and the sender's budget check reach the reader, starts the reader
thread (``gateway.reader``) and any *services* (each on its own thread, e.g. the diagnostics
service), and runs the sender (``gateway.sender``) on the calling thread. A replay ends when the
log is read and the spool is empty (every batch acknowledged or refused); a live bus runs until
``stop`` is set. On stop the open batch goes to the spool, nothing more is published but the
retained ``offline`` status, and the client disconnects cleanly.

Services follow the contract of ``gateway.services``; ``ServiceContext`` is the
``GatewayContext`` they are given.

Diagnostics seen on the bus: with ``passive_diagnostics`` (the default; turn it off when a
diagnostics service asks the ECUs itself, or its answers would be counted twice) and a profile
with a diagnostics section or a J1939 bus, the reader decodes with a
``gateway.diag.passive_decode.DiagDecoder``: UDS/OBD-II responses in the frames become samples,
J1939 DM1/DM2 and OBD-II code answers become ``DtcReport``s sent through the spool, so a replay
of a recorded log delivers them like a live read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gateway.control import Commands, Handler
from gateway.decode import Decoder
from gateway.decodefilters import FrameFilter
from gateway.diag.passive_decode import DiagDecoder, wants_passive
from gateway.diag.plugin import DTC_PRIORITY
from gateway.handover import ReaderControl
from gateway.plan import CollectionPlan, load_plan, parse_plan
from gateway.profile import Profile, load_profile
from gateway.publisher import MqttPublisher
from gateway.ratelimit import MAX_BYTES_PER_S, MAX_PUBLISHES_PER_S
from gateway.reader import BatchPolicy, Reader
from gateway.sender import Sender, SenderConfig
from gateway.services import Service
from gateway.sources import SourceSpec, open_source
from gateway.spool import MIB, Spool
from gateway.triggers import load_triggers
from pitstop.dtc import DtcReport, encode_dtc_report
from pitstop.mqtt import BrokerAddress
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
    broker_tls: tuple[str | None, str | None, str | None] = (None, None, None)  # CA, cert, key
    batch_interval: float = 1.0
    max_in_flight: int = 100
    ack_timeout: float = 10.0
    max_batch_samples: int = 20_000
    spool_max_bytes: int = 64 * MIB
    plan: Path | None = None  # collection plan YAML; None: every mapped signal at full rate
    triggers: Path | None = None  # compiled rule triggers (``gateway.triggers``); a plan's win
    status_interval: float = 60.0  # republish the retained status, save the data use
    max_publishes_per_s: float = MAX_PUBLISHES_PER_S
    max_bytes_per_s: float = MAX_BYTES_PER_S
    outbox_size: int = 1000  # events waiting for the broker; beyond it the oldest are dropped
    dbc_path: tuple[Path, ...] = ()  # folders searched for the profile's DBC files, after its own
    passive_diagnostics: bool = True  # read diagnostic traffic in the frames (see above)

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
    completed: bool  # a replay whose every batch was answered (acknowledged or refused)
    not_due: int = 0  # frames the plan needed nothing from
    unmapped: int = 0  # frames of messages a DBC knows, with no mapped (or planned) signal
    by_bus: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # decoder, per channel
    rejected: int = 0  # batches the cloud refused (kept as dead letters) and the spool dropped


class ServiceContext:
    """The ``GatewayContext`` (``gateway.services``) given to every service."""

    def __init__(
        self,
        profile: Profile,
        sender: Sender,
        commands: Commands,
        spool: Spool,
        vin: str,
        *,
        control: ReaderControl,
    ) -> None:
        self.vin = vin
        self.profile = profile
        self._sender = sender
        self._commands = commands
        self._spool = spool
        self._control = control

    @property
    def plan(self) -> CollectionPlan | None:
        return self._control.plan

    def spool(self, kind: Kind, build: Callable[[int], bytes], priority: int = 1) -> int:
        return self._spool.append(build, priority, kind)

    @property
    def instance(self) -> str:
        """The spool's instance id, sent with every message (``pitstop.codec``)."""
        return self._spool.instance

    def publish_event(self, type_: str, data: Mapping[str, Any]) -> None:
        self._sender.event(type_, dict(data))

    def publish(self, kind: Kind, payload: bytes) -> None:
        self._sender.queue(kind, payload)

    def register_command(self, name: str, handler: Handler) -> None:
        self._commands.register(name, handler)


def run_gateway(
    config: GatewayConfig,
    stop: threading.Event,
    clock: Callable[[], float] = time.time,
    services: Sequence[Service] = (),
) -> GatewayStats:
    """Run until ``stop`` is set (or, for a replay, until all of it is acknowledged)."""
    profile = load_profile(config.profile, config.dbc_path)
    names = [m.canonical for m in profile.signals]
    if profile.diagnostics is not None:
        names += profile.diagnostics.canonical_names()
    plan = load_plan(config.plan, names) if config.plan is not None else None
    triggers = load_triggers(config.triggers) if config.triggers is not None else None
    passive = config.passive_diagnostics and wants_passive(profile)
    decoder = DiagDecoder(profile, config.vin) if passive else Decoder(profile)
    log.info("profile %s (hash %s), %d signals", profile.name, profile.hash, len(names))
    with (
        open_source(config.source, decoder.frame_filters(), _channels(profile, decoder)) as source,
        Spool(config.spool, config.spool_max_bytes) as spool,
    ):
        log.info("spool %s: %d entries waiting", config.spool, spool.depth().count)
        policy = BatchPolicy(
            config.vin, profile.hash, config.batch_interval, config.max_batch_samples
        )
        control = ReaderControl(plan)
        reader = Reader(source, decoder, spool, policy, control=control, triggers=triggers)
        commands = Commands(config.vin)
        commands.register("set_plan", _set_plan(control, names))
        if not config.source.live:  # a live bus's diagnostics service registers its own
            commands.register("read_dtcs", _replayed_dtcs)
        publisher = MqttPublisher(
            BrokerAddress.parse(config.broker_url).with_tls_files(*config.broker_tls),
            config.vin,
            config.max_in_flight,
        )
        sender = Sender(
            _sender_config(config, profile.hash),
            publisher,
            spool,
            commands,
            control=control,
            reader_report=reader.report,
            clock=clock,
        )
        _report_start(sender, profile, decoder, plan)
        context = ServiceContext(profile, sender, commands, spool, config.vin, control=control)
        reader.on_event = context.publish_event  # capture windows, from the reader thread
        if isinstance(decoder, DiagDecoder):
            decoder.on_report = _spool_report(spool, reader)  # codes, from the reader thread
        completed = _run_threads(reader, sender, context, services, stop, live=config.source.live)
        if reader.state.error is not None and not stop.is_set():
            log.error("the CAN reader stopped: %s", reader.state.error)
        return _stats(reader, decoder, sender, spool, completed)


def _sender_config(config: GatewayConfig, profile_hash: str) -> SenderConfig:
    return SenderConfig(
        vin=config.vin,
        profile_hash=profile_hash,
        ack_timeout=config.ack_timeout,
        max_in_flight=config.max_in_flight,
        status_interval=config.status_interval,
        max_publishes_per_s=config.max_publishes_per_s,
        max_bytes_per_s=config.max_bytes_per_s,
        outbox_size=config.outbox_size,
    )


def _run_threads(
    reader: Reader,
    sender: Sender,
    context: ServiceContext,
    services: Sequence[Service],
    stop: threading.Event,
    *,
    live: bool,
) -> bool:
    """The reader and the services on threads of their own, the sender on this one; whether
    the sender saw a replay through (see ``Sender.run``)."""
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
        return sender.run(stop, live=live)
    finally:
        reader_stop.set()
        for thread in threads:
            thread.join(None if thread.name == "can-reader" else SERVICE_STOP_SECONDS)
            if thread.is_alive():
                log.warning("%s did not stop within %s s", thread.name, SERVICE_STOP_SECONDS)
        sender.close()


def _spool_report(spool: Spool, reader: Reader | None = None) -> Callable[[DtcReport], None]:
    """Trouble-code reports into the spool; a report matching a ``dtc`` trigger makes the
    reader's open batch due (``Reader.dtc_seen``)."""

    def spool_report(report: DtcReport) -> None:
        spool.append(
            lambda seq: encode_dtc_report(replace(report, seq=seq, instance=spool.instance)),
            DTC_PRIORITY,
            Kind.DTC,
        )
        if reader is not None:
            reader.dtc_seen([dtc.code for dtc in report.codes], report.ts)

    return spool_report


def _channels(profile: Profile, decoder: Decoder) -> dict[str, list[FrameFilter]] | None:
    """Per channel its filters, when the profile has several buses (one python-can bus each)."""
    if len(profile.buses) < 2:
        return None
    return {bus.route: decoder.frame_filters(bus.route) for bus in profile.buses}


def _set_plan(control: ReaderControl, names: Sequence[str]) -> Handler:
    """The ``set_plan`` command: the reader uses the plan from its next frame on."""

    def handle(doc: Mapping[str, Any]) -> Mapping[str, Any]:
        plan = parse_plan(doc.get("plan"), names, "set_plan")  # PlanError: refused, with reason
        control.set_plan(plan)
        log.info("collection plan %s (%s) installed remotely", plan.name, plan.hash)
        return {"name": plan.name, "hash": plan.hash}

    return handle


def _replayed_dtcs(_doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """``read_dtcs`` on a replay: nothing can be asked of a recording; the trouble codes in
    the log go out as they are read, so the request is answered as passive."""
    return {"requested": "read_dtcs", "passive": True}


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
        rejected=sender.rejected,
        dropped=spool.dropped,
        spool_count=spool.depth().count,
        completed=completed,
        not_due=counters.not_due,
        unmapped=counters.unmapped,
        by_bus=decoder.bus_counters(),
    )
