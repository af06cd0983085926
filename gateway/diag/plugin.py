"""Trouble-code reading and PID/DID polling as a gateway service (``gateway.services.Service``).

    run_gateway(config, stop, services=[diagnostics("socketcan", "can0")])

The service opens a bus of its own on the gateway's channel (socketcan allows several sockets;
on python-can's virtual bus every instance on a channel sees every frame), runs a
``DiagnosticsService`` on it, and sends every ``DtcReport`` through the gateway's spool, so a
report is published again until ingest acknowledges it, like telemetry, and survives a
SIGKILL or a reboot. The report's ``seq`` is its spool sequence number. The cloud's
``{"type": "read_dtcs"}`` command on the ``cmd`` topic asks for a read now.

The profile's ``diagnostics`` section (``gateway.diag.config``) says which OBD-II PIDs and UDS
DIDs to poll; ``obd`` stands in for a profile without an ``obd`` part (``--obd`` on a profile
of another kind). Polled samples go through the spool as ``Kind.TELEMETRY`` batches, encoded
like decoded CAN samples (sequence numbers from the spool, the profile's hash), so ingest's
acknowledgement clears them. With a collection plan (the one in force at start) only the
signals it collects are polled, each every ``interval`` of the plan; without one, every signal
of the section on the profile's ``every``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import can

from gateway.diag.config import Diagnostics, ObdConfig
from gateway.diag.service import DiagnosticsService, DiagSchedule
from gateway.services import GatewayContext, Service
from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.dtc import DtcReport, encode_dtc_report
from pitstop.topics import Kind

log = logging.getLogger(__name__)

DTC_PRIORITY = 2  # a full spool drops telemetry (priority 0) before trouble codes
TELEMETRY_PRIORITY = 0  # polled samples weigh like decoded ones


def diagnostics(
    interface: str,
    channel: str,
    schedule: DiagSchedule | None = None,
    obd: ObdConfig | None = None,
) -> Service:
    """A gateway service reading trouble codes (and polling) on ``interface``/``channel``."""

    def run(context: GatewayContext, stop: threading.Event) -> None:
        instance = context.instance

        def publish(report: DtcReport) -> None:
            context.spool(
                Kind.DTC,
                lambda seq: encode_dtc_report(replace(report, seq=seq, instance=instance)),
                DTC_PRIORITY,
            )

        def publish_samples(samples: tuple[Sample, ...]) -> None:
            vin, digest = context.vin, context.profile.hash
            context.spool(
                Kind.TELEMETRY,
                lambda seq: encode_telemetry(TelemetryBatch(vin, seq, digest, samples, instance)),
                TELEMETRY_PRIORITY,
            )

        planned = _with_profile(schedule or DiagSchedule(), context, obd)
        with (
            can.Bus(interface=interface, channel=channel) as bus,
            DiagnosticsService(
                bus, context.vin, publish, planned, publish_samples=publish_samples
            ) as service,
        ):

            def read_now(command: Mapping[str, Any]) -> Mapping[str, Any]:
                service.request(command)
                return {"requested": "read_dtcs"}

            context.register_command("read_dtcs", read_now)
            log.info("diagnostics: reading trouble codes on %s %s", interface, channel)
            stop.wait()

    return run


def _with_profile(
    schedule: DiagSchedule, context: GatewayContext, obd: ObdConfig | None
) -> DiagSchedule:
    """The schedule with the profile's diagnostics section and the plan's intervals."""
    section = context.profile.diagnostics
    if section is None and obd is None:
        return schedule
    section = section or Diagnostics()
    if section.obd is None and obd is not None:
        section = replace(section, obd=obd)
    plan = context.plan
    if plan is not None:  # what the plan does not collect is not even asked for
        section = section.restricted_to(plan.rules)
    intervals = {name: rule.interval for name, rule in plan.rules.items()} if plan else {}
    batch = plan.batch_seconds if plan and plan.batch_seconds else schedule.batch_seconds
    return replace(
        schedule,
        diagnostics=section,
        j1939=schedule.j1939 and section.j1939,
        intervals={**intervals, **schedule.intervals},
        batch_seconds=batch,
    )
