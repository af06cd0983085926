"""Trouble-code reading as a gateway service (``gateway.services.Service``).

    run_gateway(config, stop, services=[diagnostics("socketcan", "can0")])

The service opens a bus of its own on the gateway's channel (socketcan allows several sockets;
on python-can's virtual bus every instance on a channel sees every frame), runs a
``DiagnosticsService`` on it, and sends every ``DtcReport`` through the gateway's spool, so a
report is published again until ingest acknowledges it, like telemetry, and survives a
SIGKILL or a reboot. The report's ``seq`` is its spool sequence number. The cloud's
``{"type": "read_dtcs"}`` command on the ``cmd`` topic asks for a read now.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import can

from gateway.diag.service import DiagnosticsService, DiagSchedule
from gateway.services import GatewayContext, Service
from pitstop.dtc import DtcReport, encode_dtc_report
from pitstop.topics import Kind

log = logging.getLogger(__name__)

DTC_PRIORITY = 2  # a full spool drops telemetry (priority 0) before trouble codes


def diagnostics(interface: str, channel: str, schedule: DiagSchedule | None = None) -> Service:
    """A gateway service reading trouble codes on ``interface``/``channel``."""

    def run(context: GatewayContext, stop: threading.Event) -> None:
        def publish(report: DtcReport) -> None:
            context.spool(
                Kind.DTC, lambda seq: encode_dtc_report(replace(report, seq=seq)), DTC_PRIORITY
            )

        with (
            can.Bus(interface=interface, channel=channel) as bus,
            DiagnosticsService(bus, context.vin, publish, schedule) as service,
        ):

            def read_now(command: Mapping[str, Any]) -> Mapping[str, Any]:
                service.request(command)
                return {"requested": "read_dtcs"}

            context.register_command("read_dtcs", read_now)
            log.info("diagnostics: reading trouble codes on %s %s", interface, channel)
            stop.wait()

    return run
