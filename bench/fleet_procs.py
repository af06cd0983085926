"""The processes of bench/fleet.py: a Mosquitto configured like deploy/mosquitto.conf for the
fleet (queue limits, inflight window; no TLS), ``pitstop ingest`` and ``pitstop rules run`` as
subprocesses, and what is read from them: CPU seconds and RSS from /proc, Prometheus
histograms from their /metrics, stored samples from the SQLite file (read-only)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.processes import PitstopProcess
from tests.servers import Mosquitto, free_port

_TICKS = os.sysconf("SC_CLK_TCK")

# the fleet settings of deploy/mosquitto.conf, on a plain listener of the bench's own
BROKER_CONFIG = """listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {folder}/
autosave_interval 60
autosave_on_changes false
max_queued_messages 1000000
max_queued_bytes 4000000000
max_inflight_messages 1000
max_packet_size 1049600
log_dest none
"""


def start_broker(folder: Path) -> Mosquitto:
    port = free_port()
    config = BROKER_CONFIG.format(port=port, folder=folder)
    if os.geteuid() == 0:
        config += "user root\n"
    broker = Mosquitto(folder, port, config_text=config)
    broker.start()
    return broker


def service(name: str, args: list[str], folder: Path) -> PitstopProcess:
    """A step's ``pitstop`` process; with ``PITSTOP_BENCH_PROFILE=<folder>`` under cProfile
    (``<name>.prof`` in that folder, written when it stops)."""
    profile = os.environ.get("PITSTOP_BENCH_PROFILE")
    runner = ["-m", "cProfile", "-o", f"{profile}/{name}.prof"] if profile else []
    return PitstopProcess(name, args, folder, runner=runner)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


_BUCKET = re.compile(r'^(\w+)_bucket\{le="([^"]+)"\} ([0-9.e+]+)$', re.M)


def histogram(text: str, name: str) -> dict[float, float]:
    """The cumulative bucket counts of histogram ``name``: upper bound -> count."""
    return {
        float("inf") if le == "+Inf" else float(le): float(count)
        for metric, le, count in _BUCKET.findall(text)
        if metric == name
    }


def quantile(before: dict[float, float], after: dict[float, float], q: float) -> float | None:
    """The upper bound of the bucket holding quantile ``q`` of what was observed between two
    scrapes (conservative: the real value is at most this)."""
    delta = sorted((le, after.get(le, 0.0) - before.get(le, 0.0)) for le in after)
    total = delta[-1][1] if delta else 0.0
    if total <= 0:
        return None
    for le, count in delta:
        if count >= q * total:
            return le
    return float("inf")
