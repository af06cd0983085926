"""The InfluxDB seam: line protocol out (v1 ``/write`` or v2 ``/api/v2/write``), InfluxQL in.

Writes are synchronous: a write returns when the server has accepted the points, or raises
``StoreError`` (ingest then retries the same batch, unacknowledged). influxdb-client is used in
its SYNCHRONOUS mode only; its batching mode drops a batch for good once its retries run out.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from ingest.errors import StoreError
from ingest.influx_url import InfluxConfig

Row = list[Any]
_V2_PRECISION = {"ms": "ms", "u": "us", "ns": "ns"}  # v1's precision names -> WritePrecision


class InfluxHttp:
    def __init__(self, config: InfluxConfig) -> None:
        self.config = config
        headers = {"Authorization": f"Token {config.token}"} if config.token else {}
        self._http = httpx.Client(
            base_url=config.base_url, timeout=config.timeout_s, headers=headers
        )
        self._auth = {"u": config.username, "p": config.password} if config.username else {}
        self._lock = threading.Lock()
        self._v2: Any = None
        if config.api == "v2":
            from influxdb_client.client.influxdb_client import InfluxDBClient
            from influxdb_client.client.write_api import SYNCHRONOUS

            client = InfluxDBClient(
                url=config.base_url,
                token=config.token,
                org=config.org,
                timeout=int(config.timeout_s * 1000),
            )
            self._v2 = (client, client.write_api(write_options=SYNCHRONOUS))

    def write(self, lines: list[str], precision: str = "ms") -> None:
        """Write lines with timestamps in ``precision`` (ms, u or ns); nothing to do for none."""
        if not lines:
            return
        body = "\n".join(lines)
        if self._v2 is not None:
            self._write_v2(body, precision)
            return
        params = {"db": self.config.database, "precision": precision, **self._auth}
        if self.config.rp:
            params["rp"] = self.config.rp
        self._check(self._post("/write", params, body.encode()), "write")

    def _write_v2(self, body: str, precision: str) -> None:
        try:
            self._v2[1].write(
                bucket=self.config.bucket,
                org=self.config.org,
                record=body,
                write_precision=_V2_PRECISION[precision],
            )
        except Exception as err:  # ApiException, urllib3's errors: the seam converts them all
            raise StoreError(f"InfluxDB v2 write failed: {err}") from err

    def query(
        self, statements: list[str], epoch: str = "ms"
    ) -> list[list[tuple[dict[str, str], list[str], list[Row]]]]:
        """Run InfluxQL statements in one request; per statement its series (tags, columns,
        rows)."""
        params = {"db": self.config.database, "q": ";".join(statements), "epoch": epoch}
        if self.config.rp:
            params["rp"] = self.config.rp
        response = self._post("/query", {**params, **self._auth}, None)
        self._check(response, "query")
        results = response.json().get("results", [])
        out = []
        for result in results:
            if "error" in result:
                raise StoreError(f"InfluxDB query failed: {result['error']}")
            out.append(
                [(s.get("tags") or {}, s["columns"], s["values"]) for s in result.get("series", [])]
            )
        return out

    def admin(self, statement: str) -> None:
        """A statement that changes things (CREATE DATABASE, DELETE), run with POST."""
        self.query([statement])

    def close(self) -> None:
        self._http.close()
        if self._v2 is not None:
            self._v2[1].close()
            self._v2[0].close()

    def _post(self, path: str, params: dict[str, str], body: bytes | None) -> httpx.Response:
        try:
            return self._http.post(path, params=params, content=body)
        except httpx.HTTPError as err:
            raise StoreError(f"InfluxDB at {self.config.base_url} unreachable: {err}") from err

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code >= 300:
            raise StoreError(
                f"InfluxDB {what} failed ({response.status_code}): {response.text[:300]}"
            )
