"""Settings, read once at the entry point and passed down as values.

Every setting has an embedded default and can be overridden by an environment variable
``PITSTOP_<NAME>`` (for example ``PITSTOP_BROKER_URL``) or by the command line.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def embedded_telemetry_url(data_dir: Path) -> str:
    """The embedded telemetry store (SQLite) in ``data_dir``."""
    return f"sqlite:///{data_dir / 'telemetry.db'}"


def embedded_jobs_url(data_dir: Path) -> str:
    """The embedded job store (SQLite) in ``data_dir``; the API keys and the rules state live
    in the same database."""
    return f"sqlite:///{data_dir / 'jobs.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PITSTOP_", frozen=True)

    broker_url: str = "mqtt://127.0.0.1:1883"
    """MQTT broker, ``mqtt://[user:password@]host[:port]`` or ``mqtts://`` for TLS."""

    broker_ca_file: str = ""
    """The CA that signed the broker's certificate (``mqtts://``; default: the system's CAs)."""

    broker_cert_file: str = ""
    """A client certificate for mutual TLS (the gateway's, CN = its VIN)."""

    broker_key_file: str = ""
    """The client certificate's private key."""

    data_dir: Path = Path("pitstop-data")
    """Where the embedded stores and the gateway spool live."""

    telemetry_url: str = ""
    """Telemetry store; empty means ``sqlite:///<data_dir>/telemetry.db``."""

    jobs_url: str = ""
    """Job store; empty means ``sqlite:///<data_dir>/jobs.db``."""

    dbc_path: str = ""
    """Folders searched for the DBC files a vehicle profile names (after the profile's own
    folder), separated by ``os.pathsep`` (``:``) like ``PATH``."""

    live_window_s: float = 86_400.0
    """Ingest: a batch whose newest sample is older than this is history: stored, shown,
    exported, never handed to the rules (so it books no live job)."""

    max_future_s: float = 300.0
    """Ingest: how far ahead of its clock a sample time may be (clock skew) before it is refused."""

    dead_letter_max_bytes: int = 64 * 1024
    """Ingest: how much of a refused payload a dead letter keeps (its size and SHA-256 always)."""

    dead_letter_days: float = 30.0
    """Ingest: dead letters older than this are deleted (0: kept until purged)."""

    dead_letter_quota: int = 1_000
    """Ingest: dead letters kept per vehicle; a new one drops that vehicle's oldest."""

    cloud_partitions: int = 1
    """Ingest and rules: how many partitions the cloud topics are split into (a stable hash of
    the VIN picks one); a rules worker ``--shard i/N`` with N dividing it reads its own only."""

    api_host: str = "127.0.0.1"
    api_port: int = 8000

    def dbc_dirs(self) -> tuple[Path, ...]:
        return tuple(Path(d) for d in self.dbc_path.split(os.pathsep) if d)

    def telemetry_store_url(self) -> str:
        return self.telemetry_url or embedded_telemetry_url(self.data_dir)

    def job_store_url(self) -> str:
        return self.jobs_url or embedded_jobs_url(self.data_dir)
