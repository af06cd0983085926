"""Mosquitto started from the production configuration, deploy/mosquitto.conf.

The file is used as it is, except for what cannot work in a test: the listener moves to a free
port on 127.0.0.1 without TLS, the persistence folder to the test's own, the log to nowhere, and
the password file and ACL are left out (the test clients are anonymous; tests/security runs the
listeners, identities and ACL as shipped). ``autosave_interval``
becomes 1 s so that tests which SIGKILL the broker need not wait a minute for a save.
Everything else (queue limits, in-flight window, packet size, expiry) is what production runs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.servers import Mosquitto

DEPLOY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto.conf"

_DROPPED = ("listener", "persistence_location", "password_file", "acl_file", "log_dest")
#: Options of the production listeners (TLS, identities): the test listener is plain TCP.
_LISTENER_SCOPED = (
    "certfile",
    "keyfile",
    "cafile",
    "crlfile",
    "tls_version",
    "require_certificate",
    "use_identity_as_username",
    "use_username_as_clientid",
)
_REPLACED = {"allow_anonymous": "true", "autosave_interval": "1"}


def rewrite_config(text: str, port: int, workdir: Path) -> str:
    """The deploy configuration with its paths, port, log and authentication made local."""
    lines = [f"persistence_location {workdir}/", "log_dest none"]
    for line in text.splitlines():
        stripped = line.strip()
        option = re.split(r"\s+", stripped, maxsplit=1)[0] if stripped else ""
        if stripped.startswith("#") or not stripped or option in (*_DROPPED, *_LISTENER_SCOPED):
            continue
        lines.append(f"{option} {_REPLACED[option]}" if option in _REPLACED else line)
    lines.append(f"listener {port} 127.0.0.1")  # after the global options, as Mosquitto wants
    if os.geteuid() == 0:  # as root Mosquitto drops to `mosquitto`, who cannot write workdir
        lines.append("user root")
    return "\n".join(lines) + "\n"


class DeployMosquitto(Mosquitto):
    """``tests.servers.Mosquitto`` (start, stop, kill) running deploy/mosquitto.conf."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        super().__init__(workdir, port)
        self.config.write_text(rewrite_config(DEPLOY_CONFIG.read_text(), self.port, workdir))
