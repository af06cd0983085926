"""``pitstop demo``: the whole loop in one process, on embedded defaults.

An embedded MQTT broker (unless one is given), SQLite stores in a data directory, ingest, the
rules worker, the API, and simulated cars each sending CAN traffic on python-can's virtual bus
to a gateway of its own. One car has a fault developing; a job for it appears within a minute
or two. Every part runs on its own thread and stops when ``stop`` is set.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cli.demo_config import DemoConfig, DemoEndpoints
from cli.demo_report import LV_DTC, LV_RULE_LEVEL
from cli.settings import embedded_jobs_url, embedded_telemetry_url
from pitstop.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from api.keys import KeyStore
    from gateway.runner import GatewayConfig
    from ingest.store import TelemetryStore
    from jobs.audit import AuditLog
    from jobs.sql.rulestate import SqlStateStore
    from jobs.store import CommandLog, JobStore
    from sim.vehicle import SimVehicle

log = logging.getLogger(__name__)


class _Threads:
    """The demo's worker threads: one failing stops them all, so nothing half-runs."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.failed: list[str] = []
        self._threads: list[threading.Thread] = []

    def start(self, name: str, target: Callable[[], object]) -> None:
        def run() -> None:
            try:
                target()
            except Exception:
                log.exception("%s failed; stopping the demo", name)
                self.failed.append(name)
                self.stop.set()

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def join(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("%s did not stop within %.0f s", thread.name, timeout)


@contextmanager
def _broker(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from cli.broker import EmbeddedBroker

    with EmbeddedBroker() as broker:
        yield broker.url


def _fresh(data_dir: Path, keep: bool) -> str:
    """Start from an empty ``data_dir`` unless ``keep``; what was done, for the banner."""
    existed = data_dir.exists() and any(data_dir.iterdir())
    if existed and not keep:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not existed:
        return f"data: new, in {data_dir}"
    if keep:
        return f"data: kept from the earlier run, in {data_dir}"
    return (
        f"data: reset; the earlier run's stores and keys in {data_dir} were deleted "
        "(--keep-data keeps them)"
    )


@dataclass(frozen=True)
class _DemoStores:
    telemetry: TelemetryStore
    jobs: JobStore
    state: SqlStateStore
    keys: KeyStore
    commands: CommandLog
    audit: AuditLog


def _open_stores(resources: ExitStack, data_dir: Path) -> _DemoStores:
    """The demo's stores in ``data_dir`` (the demo workshop seeded), closed with ``resources``."""
    from api.keys import KeyStore
    from ingest.open import open_store
    from jobs.open import open_audit_log, open_command_log, open_job_store, open_state_store
    from jobs.seed import ensure_demo_workshops

    jobs_url = embedded_jobs_url(data_dir)
    telemetry = open_store(embedded_telemetry_url(data_dir))
    resources.callback(telemetry.close)
    stores = _DemoStores(
        telemetry,
        open_job_store(jobs_url),
        open_state_store(jobs_url),
        KeyStore.open(jobs_url),
        open_command_log(jobs_url),
        open_audit_log(jobs_url),
    )
    for store in (stores.jobs, stores.state, stores.keys, stores.commands, stores.audit):
        resources.callback(store.close)
    ensure_demo_workshops(stores.jobs)
    return stores


def run_demo(
    config: DemoConfig,
    stop: threading.Event,
    out: TextIO | None = None,
    on_ready: Callable[[DemoEndpoints], None] | None = None,
) -> int:
    """Run the demo until ``stop`` is set; 0 when it ran cleanly, 1 when a part failed."""
    import uvicorn

    from api.app import create_app
    from api.demo_keys import ensure_demo_keys
    from assist.assistant import Assistant
    from assist.semantic import load_model
    from cli.demo_report import print_banner, watch_jobs
    from rules.loader import DEFAULT_CATALOG, load_catalog
    from sim.run import demo_fleet, run_on_bus

    said = _fresh(config.data_dir, config.keep_data)
    if out is not None:
        print(f"pitstop demo: {said}", file=out, flush=True)
    fleet = demo_fleet(config.vehicles, config.faulty)
    threads = _Threads(stop)
    with ExitStack() as resources:
        broker_url = resources.enter_context(_broker(config.broker_url))
        stores = _open_stores(resources, config.data_dir)
        telemetry, jobs, state, keys, audit = (
            stores.telemetry,
            stores.jobs,
            stores.state,
            stores.keys,
            stores.audit,
        )
        demo_keys = ensure_demo_keys(keys, jobs, [v.vin for v in fleet], time.time())

        _start_consumers(threads, broker_url, telemetry, jobs, state, audit)

        assistant = Assistant.build(load_catalog(DEFAULT_CATALOG), load_model())
        app = create_app(
            telemetry,
            jobs,
            keys=keys,
            commands=stores.commands,
            audit=audit,
            broker_url=broker_url,
            assistant=assistant,
            rule_state=state,
        )
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=config.api_host,
                port=config.api_port,
                log_level="warning",
            )
        )
        threads.start("api", server.run)
        _start_cars(resources, threads, fleet, config.data_dir, broker_url)
        threads.start("simulator", lambda: run_on_bus(fleet, stop))

        api_url = f"http://{config.api_host}:{config.api_port}"
        endpoints = DemoEndpoints(
            broker_url,
            api_url,
            tuple(v.vin for v in fleet),
            {role.value: key for role, key in demo_keys.items()},
        )
        if not _wait_started(server, stop):
            raise ConfigError(f"the API could not listen on {config.api_host}:{config.api_port}")
        if out is not None:
            print_banner(out, config, endpoints, fleet)
        if on_ready is not None:
            on_ready(endpoints)
        watch_jobs(jobs, telemetry, stop, out, api_url)
        server.should_exit = True
        threads.join()
    return 1 if threads.failed else 0


def _start_consumers(  # noqa: PLR0917 - the parts it starts
    threads: _Threads,
    broker_url: str,
    telemetry: TelemetryStore,
    jobs: JobStore,
    state: SqlStateStore,
    audit: AuditLog,
) -> None:
    """Ingest, the presence service and the rules worker, each subscribed before this returns."""
    from ingest.consumer import IngestConfig, run_ingest
    from ingest.presence import PresenceConfig, run_presence
    from rules.jobsink import JobSink
    from rules.worker import RulesConfig, run_rules

    stop = threads.stop
    ready = [threading.Event(), threading.Event(), threading.Event()]
    threads.start(
        "ingest",
        lambda: run_ingest(IngestConfig(broker_url=broker_url), telemetry, stop, ready[0]),
    )
    threads.start(
        "presence", lambda: run_presence(PresenceConfig(broker_url), telemetry, stop, ready[1])
    )
    sink = JobSink(jobs, audit=audit)
    threads.start(
        "rules",
        lambda: run_rules(
            RulesConfig(broker_url=broker_url), sink, stop, ready[2], state=state, sweep=sink.sweep
        ),
    )
    for event in ready:
        if not event.wait(30):
            raise ConfigError(f"ingest, presence or rules could not subscribe at {broker_url}")


def _start_cars(
    resources: ExitStack,
    threads: _Threads,
    fleet: Sequence[SimVehicle],
    data_dir: Path,
    broker_url: str,
) -> None:
    """Per car: its ECU and its gateway (reading telemetry and trouble codes) on its own
    virtual CAN bus, which the simulator then drives."""
    from gateway.diag.plugin import diagnostics
    from gateway.diag.service import DiagSchedule
    from gateway.runner import run_gateway
    from sim.run import channel_for

    schedule = DiagSchedule(interval=5.0, heartbeat=60.0)  # trouble-code reads
    triggers = _write_triggers(data_dir)
    for vehicle in fleet:
        channel = channel_for(vehicle.vin)
        _start_ecu(resources, vehicle, channel)
        gateway = virtual_bus_gateway(vehicle.vin, channel, data_dir, broker_url)
        gateway = dataclasses.replace(gateway, triggers=triggers)
        services = [diagnostics("virtual", channel, schedule)]
        threads.start(
            f"gateway-{vehicle.vin}",
            functools.partial(run_gateway, gateway, threads.stop, services=services),
        )


def _write_triggers(data_dir: Path) -> Path:
    """The catalogue's triggers, as the cloud ships them to cars (docs/triggers.md): a sample
    crossing a rule's level closes its batch at once instead of waiting for the second."""
    import yaml

    from rules.loader import DEFAULT_CATALOG, load_catalogs
    from rules.triggers import compile_triggers

    path = data_dir / "triggers.yaml"
    doc = compile_triggers(load_catalogs([DEFAULT_CATALOG]))
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def virtual_bus_gateway(
    vin: str, channel: str, data_dir: Path, broker_url: str, batch_interval: float = 1.0
) -> GatewayConfig:
    """The demo EV's gateway on a channel of python-can's (in-process) virtual bus."""
    from dbc import DEMO_PROFILE
    from gateway.runner import GatewayConfig
    from gateway.sources import SourceSpec

    return GatewayConfig(
        vin=vin,
        profile=DEMO_PROFILE,
        source=SourceSpec.bus("virtual", channel),
        spool=data_dir / f"spool-{vin}.db",
        broker_url=broker_url,
        batch_interval=batch_interval,
    )


def _start_ecu(resources: ExitStack, vehicle: SimVehicle, channel: str) -> None:
    """Each car's ECU answers OBD-II and UDS on its bus; a car whose 12 V battery fails stores
    a trouble code when the voltage crosses the rule's level."""
    from sim.ecu import EcuSimulator
    from sim.ecu_services import SimFault

    ecu = resources.enter_context(EcuSimulator(channel))
    ecu.broadcast_dm1 = False  # an electric car speaks OBD-II and UDS, not J1939
    for fault in vehicle.faults:
        at = vehicle.crossing_time(fault, LV_RULE_LEVEL)
        if at is not None:
            timer = threading.Timer(at, ecu.set_fault, [SimFault(LV_DTC)])
            timer.daemon = True
            timer.start()
            resources.callback(timer.cancel)


def _wait_started(server: object, stop: threading.Event, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if getattr(server, "started", False):
            return True
        time.sleep(0.05)
    return False
