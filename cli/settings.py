"""Settings, read once at the entry point and passed down as values.

Every setting has an embedded default and can be overridden by an environment variable
``PITSTOP_<NAME>`` (for example ``PITSTOP_BROKER_URL``) or by the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from jobs.network import BookingPolicy


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

    def service_broker_url(self, given: str | None = None) -> str:
        """The broker URL a cloud service (ingest, rules, api) connects with: ``given`` (its
        ``--broker``) or ``broker_url``, with the files of ``broker_ca_file``,
        ``broker_cert_file`` and ``broker_key_file`` as the URL's ``ca``, ``cert`` and ``key``
        where the URL does not name its own."""
        url = given or self.broker_url
        files = (
            ("ca", self.broker_ca_file),
            ("cert", self.broker_cert_file),
            ("key", self.broker_key_file),
        )
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        for name, path in files:
            if path:
                query.setdefault(name, [path])
        return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))

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

    reminder_lead_km: float = 1_000.0
    """Rules: remind the owner of maintenance coming due this many km ahead (0: not by distance)."""

    reminder_lead_days: float = 14.0
    """Rules: ... or this many days ahead, whichever comes first (0: not by time)."""

    reminders: bool = True
    """Rules: send maintenance reminders at all (to the owner's webhook, once per due item)."""

    followup_days: float = 7.0
    """Webhooks: ask the owner this many days after a completed job whether the problem is gone."""

    cloud_partitions: int = 1
    """Ingest and rules: how many partitions the cloud topics are split into (a stable hash of
    the VIN picks one); a rules worker ``--shard i/N`` with N dividing it reads its own only."""

    api_host: str = "127.0.0.1"
    api_port: int = 8000

    booking_score_weight: float = Field(default=1.0, ge=0)
    """Booking: weight of a workshop's score (1-5, from owners' ratings) in the ranking; the cost
    term is ``weight * (5 - score)`` (see jobs/ranking.py)."""

    booking_comeback_weight: float = Field(default=1.0, ge=0)
    """Booking: weight of a workshop's comeback rate; the term is ``weight * rate * 10``."""

    booking_distance_weight: float = Field(default=0.5, ge=0)
    """Booking: weight of the distance from the car's home; the term is ``weight * km / 10``."""

    booking_wait_weight: float = Field(default=0.5, ge=0)
    """Booking: weight of the wait for the first free slot; the term is ``weight * days``."""

    rating_prior_weight: float = Field(default=5.0, ge=0)
    """Ratings: a workshop's score starts as this many ratings at the network's mean (a
    Bayesian average), so a handful of ratings moves it little."""

    comeback_days: float = Field(default=30.0, gt=0)
    """A fault of the same rule on the same car within this many days of "fixed" is a comeback:
    it counts against the workshop that fixed it and the rule's precision."""

    booking_sweep_s: float = Field(default=60.0, gt=0)
    """Rules worker: how often open jobs without a slot are booked again and overdue critical
    jobs escalated (also once when the worker starts)."""

    def booking_policy(self) -> BookingPolicy:
        """The booking weights, as the value jobs.booking takes."""
        from jobs.network import BookingPolicy  # the gateway's commands need no jobs code

        return BookingPolicy(
            score_weight=self.booking_score_weight,
            comeback_weight=self.booking_comeback_weight,
            distance_weight=self.booking_distance_weight,
            wait_weight=self.booking_wait_weight,
            prior_weight=self.rating_prior_weight,
            comeback_days=self.comeback_days,
        )

    def dbc_dirs(self) -> tuple[Path, ...]:
        return tuple(Path(d) for d in self.dbc_path.split(os.pathsep) if d)

    def telemetry_store_url(self) -> str:
        return self.telemetry_url or embedded_telemetry_url(self.data_dir)

    def job_store_url(self) -> str:
        return self.jobs_url or embedded_jobs_url(self.data_dir)
