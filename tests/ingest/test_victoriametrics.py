"""The InfluxDB backend's v2 write path (influxdb-client, ``/api/v2/write``) lands every point.

Debian's ``victoria-metrics``, started here, accepts InfluxDB's v2 write API; reading back
through its own export API (``/api/v1/export``) shows what arrived, point by point. It does not
speak InfluxQL, so the store's reads are not involved: this proves the writes only (the
contract suite covers the rest on InfluxDB 1.6, and on InfluxDB 2/3 with INFLUXDB_V2_URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest import influx_proto as proto
from ingest.influx_http import InfluxHttp
from ingest.influx_url import InfluxConfig
from pitstop.codec import Sample, TelemetryBatch, TelemetryColumns
from tests.ingest.helpers import SIGNALS, T0, VIN, VIN2, make_batch, wait_until
from tests.ingest.servers_influx import VictoriaMetrics

pytestmark = pytest.mark.integration

Key = tuple[str, str, int, float]  # metric, vin, ms, value
ODD_NAME = "Vehicle.Cabin Temp,front=left"  # spaces, commas and equals signs to escape


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    server = VictoriaMetrics(tmp_path / "vm")
    server.start()
    yield server
    server.kill()


def test_every_point_written_through_api_v2_write_arrives(victoria: VictoriaMetrics) -> None:
    config = InfluxConfig.parse(
        f"influxdb://127.0.0.1:{victoria.port}/pitstop?api=v2&token=unused&org=pitstop"
    )
    assert config.api == "v2"
    http = InfluxHttp(config)
    batches = [make_batch(vin, seq, n=60) for seq in range(100) for vin in (VIN, VIN2)]
    batches.append(TelemetryBatch(VIN, 100, "p", (Sample(ODD_NAME, T0 + 0.5, -1.25e-3),)))
    expected: set[Key] = set()
    try:
        for batch in batches:
            columns = TelemetryColumns.from_batch(batch)
            lines = proto.telemetry_lines(f"telemetry,vin={proto.key(batch.vin)}", columns)
            http.write(lines, precision=proto.TELEMETRY_PRECISION)
            expected |= {
                (f"telemetry_{s.signal}", batch.vin, round(s.ts * 1000), s.value)
                for s in batch.samples
            }
    finally:
        http.close()
    assert len(expected) == 200 * 60 + 1

    def arrived() -> bool:
        httpx.get(f"{victoria.http}/internal/force_flush", timeout=5)
        return exported(victoria) == expected

    wait_until(arrived, timeout=30, what="every point exported back")
    names = {metric for metric, _vin, _ms, _v in expected}
    assert names == {f"telemetry_{s}" for s in SIGNALS} | {f"telemetry_{ODD_NAME}"}


def exported(victoria: VictoriaMetrics) -> set[Key]:
    response = httpx.get(
        f"{victoria.http}/api/v1/export",
        params={"match[]": '{__name__=~"telemetry_.+"}'},
        timeout=10,
    )
    response.raise_for_status()
    points: set[Key] = set()
    for line in response.text.splitlines():
        doc = json.loads(line)
        metric = doc["metric"]
        for ms, value in zip(doc["timestamps"], doc["values"], strict=True):
            points.add((metric["__name__"], metric["vin"], ms, value))
    return points
