"""A ``pitstop`` subcommand as a real process, the way production runs it: its stderr in a log
file, its Prometheus /metrics on a port of its own. The multi-process tests and bench.fleet
start, kill and read their services through this one class."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class PitstopProcess:
    """``python -m cli -v ARGS --metrics-port PORT`` from the repository's root, with
    ``PITSTOP_DATA_DIR`` in ``folder``; ``runner`` goes before ``-m cli`` (a profiler)."""

    name: str
    args: list[str]
    folder: Path
    metrics_port: int = field(default_factory=free_port)
    runner: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}.log"

    def start(self) -> None:
        """Start it; a restart appends to the same log."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PITSTOP_DATA_DIR": str(self.folder)}
        command = [sys.executable, *self.runner, "-m", "cli", "-v", *self.args]
        command += ["--metrics-port", str(self.metrics_port)]
        with self.log.open("ab") as err:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err
            )

    def subscribed(self) -> int:
        """How many times its log says it subscribed (once per start)."""
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count("subscribed to")

    def wait_subscribed(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.subscribed():
                return
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not subscribe:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def metrics_text(self, attempts: int = 1) -> str:
        """Its /metrics, asked up to ``attempts`` times 0.2 s apart (OSError after the last)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        for _ in range(attempts - 1):
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    return str(answer.read().decode())
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(url, timeout=5) as answer:
            return str(answer.read().decode())

    def metric_values(self) -> dict[str, float]:
        """The unlabelled samples of /metrics (none while it does not answer yet)."""
        try:
            text = self.metrics_text()
        except OSError:
            return {}
        found: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#") and "{" not in line:
                name, value = line.rsplit(" ", 1)
                found[name] = float(value)
        return found
