"""InfluxDB 1.6 and VictoriaMetrics servers that a test (or the benchmark) starts itself,
and a user's own InfluxDB 2/3 when the environment names one.

Each started server runs on free ports with its data in a folder of the caller's own, and is
killed by ``kill()`` (SIGKILL) or stopped by ``stop()``; both are safe to call twice.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from tests.servers import free_port, require_binary, wait_for_port

_CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{dir}/meta"
[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "10s"
[coordinator]
  write-timeout = "30s"
[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
  max-body-size = 0
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
"""


class _Server:
    process: subprocess.Popen[bytes] | None = None

    def _spawn(self, argv: list[str], port: int, log: Path) -> None:
        with log.open("ab") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(port, timeout=30)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        self.process = None


class InfluxDB1(_Server):
    """``influxd`` (InfluxDB 1.6) with its own config; ``url(db)`` names a store on it."""

    def __init__(self, workdir: Path) -> None:
        self.binary = require_binary("influxd")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.config = workdir / "influxdb.conf"
        self.config.write_text(
            _CONFIG.format(rpc_port=free_port(), http_port=self.port, dir=workdir)
        )

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, db: str = "pitstop") -> str:
        return f"influxdb://127.0.0.1:{self.port}/{db}?api=v1"

    def start(self) -> None:
        self._spawn([self.binary, "-config", str(self.config)], self.port, self.workdir / "log")
        for _ in range(100):  # the port opens a moment before the server answers
            try:
                if httpx.get(f"{self.http}/ping", timeout=1).status_code == 204:
                    return
            except httpx.HTTPError:
                pass
        raise TimeoutError("influxd does not answer /ping")

    def create_database(self, db: str) -> None:
        httpx.post(f"{self.http}/query", params={"q": f'CREATE DATABASE "{db}"'}).raise_for_status()


class VictoriaMetrics(_Server):
    """Debian's ``victoria-metrics``: accepts ``/api/v2/write`` (line protocol) and exports
    what it holds at ``/api/v1/export``. It silently drops points older than its retention."""

    def __init__(self, workdir: Path) -> None:
        self.binary = require_binary("victoria-metrics")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [
            self.binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.workdir / 'data'}",
            "-loggerLevel=ERROR",
            "-retentionPeriod=100y",  # the default month would drop the tests' older samples
        ]
        self._spawn(argv, self.port, self.workdir / "log")


class InfluxDB2Env:
    """A user's own InfluxDB 2.x / 3.x named by INFLUXDB_V2_URL and INFLUXDB_V2_TOKEN (with
    INFLUXDB_V2_ORG, default ``-``): ``url()`` makes a fresh bucket (and the DBRP mapping that
    InfluxQL reads need on 2.x) per test, ``drop()`` deletes it. InfluxDB 3 has no bucket API:
    there the database is created by its first write, under the same fresh name.
    """

    def __init__(self, base: str, token: str, org: str) -> None:
        from influxdb_client.client.influxdb_client import InfluxDBClient

        self.base, self.token, self.org = base, token, org
        self.client: Any = InfluxDBClient(url=base, token=token, org=org)
        self.bucket: Any = None

    def url(self, db: str) -> str:
        from influxdb_client.domain.dbrp_create import DBRPCreate
        from influxdb_client.rest import ApiException
        from influxdb_client.service.dbr_ps_service import DBRPsService

        try:
            self.bucket = self.client.buckets_api().create_bucket(bucket_name=db, org=self.org)
            mapping: Any = DBRPCreate
            service: Any = DBRPsService
            service(self.client.api_client).post_dbrp(
                mapping(
                    org_id=self.bucket.org_id,
                    bucket_id=self.bucket.id,
                    database=db,
                    retention_policy="autogen",
                    default=True,
                )
            )
        except ApiException:  # InfluxDB 3: no bucket API, the first write creates it
            self.bucket = None
        parts = urlsplit(self.base)
        scheme = "influxdbs" if parts.scheme == "https" else "influxdb"
        query = urlencode({"api": "v2", "token": self.token, "org": self.org})
        return f"{scheme}://{parts.netloc}/{db}?{query}"

    def drop(self) -> None:
        if self.bucket is not None:
            self.client.buckets_api().delete_bucket(self.bucket)
        self.client.close()
