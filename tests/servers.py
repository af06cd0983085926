"""Real servers that tests start, stop and SIGKILL themselves, each on a free port."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_binary(name: str) -> str:
    """The path of a server binary; in CI a missing one fails the test, elsewhere it skips."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )
    if path is None:
        message = f"{name} is not installed (make test installs it with apt)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def serving(app: Any, name: str = "uvicorn-test") -> Iterator[str]:
    """``app`` served by uvicorn on a free port in a thread of its own; its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Mosquitto:
    """A Mosquitto broker of the test's own, with persistence in a folder of the test's own.

    ``kill()`` sends SIGKILL (the broker loses what it had not saved), ``stop()`` shuts it down
    cleanly (it saves its persistence file), ``start()`` brings it back on the same port.
    """

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        extra_config: str = "",
        *,
        config_text: str | None = None,
    ) -> None:
        """``config_text``: the whole configuration (then ``port`` is one it listens on)."""
        self.binary = require_binary("mosquitto")
        self.port = port or free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "mosquitto.conf"
        self.config.write_text(
            config_text
            if config_text is not None
            else f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {workdir}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 0\n"
            "log_dest none\n" + ("user root\n" if os.geteuid() == 0 else "") + extra_config
            # As root, Mosquitto drops to the `mosquitto` user, who cannot write the test's
            # private folder: it would never save its persistence file.
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


def render_production_config(
    text: str, *, ports: Mapping[int, int], certs: Path, passwd: Path, acl: Path, workdir: Path
) -> str:
    """deploy/mosquitto.conf as it is, with what a test must change substituted: each
    ``listener PORT [ADDRESS]`` becomes ``listener ports[PORT] 127.0.0.1``, /etc/mosquitto/certs/
    becomes ``certs``, the password and ACL files and the persistence folder the test's own,
    syslog a log file in ``workdir``. Anything it expects but does not find fails the test:
    the shipped file changed shape."""

    def listener(match: re.Match[str]) -> str:
        port = int(match.group(1))
        if port not in ports:
            pytest.fail(f"deploy/mosquitto.conf listens on {port}, which the test does not map")
        return f"listener {ports[port]} 127.0.0.1"

    substitutions = {
        "/etc/mosquitto/certs/": f"{certs}/",
        "/etc/mosquitto/passwd": str(passwd),
        "/etc/mosquitto/pitstop.acl": str(acl),
        "/var/lib/mosquitto/": f"{workdir}/",
        "log_dest syslog": f"log_dest file {workdir}/mosquitto.log",
    }
    for old, new in substitutions.items():
        if old not in text:
            pytest.fail(f"deploy/mosquitto.conf no longer mentions {old!r}")
        text = text.replace(old, new)
    text, count = re.subn(r"^listener (\d+)(?: \S+)?$", listener, text, flags=re.MULTILINE)
    if count != len(ports):
        pytest.fail(f"deploy/mosquitto.conf has {count} listeners, the test maps {len(ports)}")
    return text + ("user root\n" if os.geteuid() == 0 else "")


class Postgres:
    """Where the PostgreSQL tests make their throwaway databases: the server on
    127.0.0.1:5432 when one runs there, else a private ``initdb`` cluster on a free port
    (started here, run as the ``postgres`` user when the tests run as root)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 5432
        self.process: subprocess.Popen[bytes] | None = None
        self._bindir = self._data = Path()
        self._as_user: list[str] = []

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        if _reachable(5432):
            return
        self._bindir = bindir = _postgres_bindir()
        self.port = free_port()
        self._as_user = as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_user:  # pytest's folders are root's alone: the cluster lives in one of its own
            self.workdir = Path(tempfile.mkdtemp(prefix="pitstop-pg-"))
            shutil.chown(self.workdir, "postgres")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._data = data = self.workdir / "pgdata"
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.process = subprocess.Popen(
            [*as_user, str(bindir / "postgres"), "-D", str(data), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.workdir), "-F"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, timeout=30)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:  # runuser does not pass signals on: ask pg_ctl
            subprocess.run(
                [*self._as_user, str(self._bindir / "pg_ctl"), "-D", str(self._data),
                 "-m", "fast", "-w", "stop"],
                check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            )  # fmt: skip
            self.process.wait(30)
        self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _postgres_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        message = (
            "PostgreSQL is neither running on 127.0.0.1:5432 nor installed (make test installs it)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found[-1].parent
