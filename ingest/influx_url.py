"""The InfluxDB store's URL, parsed once into a frozen value.

    influxdb://[USER:PASSWORD@]HOST[:PORT]/DATABASE[?OPTIONS]      (influxdbs:// for HTTPS)

Options:

- ``api=v2`` (default): writes go to ``/api/v2/write`` through influxdb-client, synchronously
  (InfluxDB 1.8+, 2.x, 3.x, Cloud). ``token=`` (or the URL's password) authenticates,
  ``org=`` names the organisation, ``bucket=`` the bucket (default: DATABASE, or
  DATABASE/RP when ``rp`` is set, as 1.8 maps it).
- ``api=v1``: writes go to InfluxDB 1.x's ``/write?db=DATABASE&rp=RP`` (1.6 has no v2
  endpoint); USER:PASSWORD authenticate; ``create=false`` skips ``CREATE DATABASE`` on open.
- ``rp=``: the retention policy reads (and v1 writes) use; default: the database's default.
- ``measurement=telemetry``: the measurement the samples go to.
- ``timeout=10``: seconds per HTTP request.

Reads always use InfluxQL through ``/query?db=DATABASE`` (every InfluxDB generation serves it;
on 2.x the bucket needs a DBRP mapping to DATABASE/RP).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from pitstop.errors import ConfigError

_OPTIONS = {"api", "token", "org", "bucket", "rp", "create", "measurement", "timeout"}


@dataclass(frozen=True, slots=True)
class InfluxConfig:
    base_url: str  # http(s)://host:port
    database: str
    api: str = "v2"
    rp: str = ""
    token: str = ""
    org: str = "-"
    bucket: str = ""
    username: str = ""
    password: str = ""
    create: bool = True
    measurement: str = "telemetry"
    timeout_s: float = 10.0

    @classmethod
    def parse(cls, url: str) -> InfluxConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("influxdb", "influxdbs") or not parts.hostname:
            raise ConfigError(f"telemetry store URL: expected influxdb://host:port/db, got {url!r}")
        database = parts.path.strip("/")
        if not database or "/" in database:
            raise ConfigError(f"telemetry store URL: name one database after the host: {url!r}")
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise ConfigError(f"telemetry store URL: unknown option(s) {', '.join(unknown)}")
        api = options.get("api", "v2")
        if api not in ("v1", "v2"):
            raise ConfigError(f"telemetry store URL: api must be v1 or v2, got {api!r}")
        try:
            timeout = float(options.get("timeout", "10"))
        except ValueError as err:
            raise ConfigError("telemetry store URL: timeout must be a number of seconds") from err
        scheme = "https" if parts.scheme == "influxdbs" else "http"
        port = parts.port or 8086
        rp = options.get("rp", "")
        password = unquote(parts.password or "")
        return cls(
            base_url=f"{scheme}://{parts.hostname}:{port}",
            database=database,
            api=api,
            rp=rp,
            token=options.get("token", password if api == "v2" else ""),
            org=options.get("org", "-"),
            bucket=options.get("bucket", f"{database}/{rp}" if rp else database),
            username=unquote(parts.username or ""),
            password=password,
            create=options.get("create", "true").lower() not in ("false", "0", "no"),
            measurement=options.get("measurement", "telemetry"),
            timeout_s=timeout,
        )
