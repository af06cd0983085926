"""The API on SQLite: 24 hours of a 10 Hz signal downsampled for a chart, and latest values
under 50 concurrent clients.

    .venv/bin/python -m bench.api

Writes 864,000 samples (one signal at 10 Hz for 24 h, in 1 s batches through the store's
``write_batches``) into a fresh SQLite store in a temporary folder, starts ``pitstop api`` on it
(uvicorn, its own process, a free port) and measures with httpx:

- ``/vehicles/{vin}/signals/{signal}/buckets`` over the 24 h, at most 2,000 buckets: median ms
  (goal <= 100 ms), beside the same answer done naively (every raw row to Python through
  ``query_page``, bucketed there) in the same run;
- ``/vehicles/{vin}/latest`` with 50 concurrent clients: requests/s and the 99th percentile,
  beside ``/health`` (no key, no store) as the server's own floor.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from api.keys import KeyStore, Role
from bench.report import emit
from ingest.open import open_store
from ingest.store import TelemetryStore
from jobs.open import open_job_store
from pitstop.codec import Series, TelemetryColumns
from tests.servers import free_port, wait_for_port

VIN = "WPITSTOPBENCH0001"
SIGNAL = "Vehicle.Powertrain.TractionBattery.CurrentCurrent"
OTHERS = [f"Vehicle.Bench.Signal{i}" for i in range(30)]  # for the latest values
DAY_S = 86_400
HZ = 10
POINTS = 2_000
WRITE_CHUNK = 600  # batches per write_batches call (ingest commits groups like this)
DOWNSAMPLE_RUNS = 21
NAIVE_RUNS = 3
CLIENTS = 50
REQUESTS_PER_CLIENT = 40
GOAL_MS = 100.0


def one_second(seq: int, t0_ms: int) -> TelemetryColumns:
    ts = [t0_ms + k * (1000 // HZ) for k in range(HZ)]
    values = [float((seq * HZ + k) % 977) / 10 for k in range(HZ)]
    return TelemetryColumns(VIN, seq, "bench", {SIGNAL: Series(ts, values)})


def batches(start_ms: int) -> Iterator[list[TelemetryColumns]]:
    chunk: list[TelemetryColumns] = []
    for second in range(DAY_S):
        chunk.append(one_second(second + 1, start_ms + second * 1000))
        if len(chunk) == WRITE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fill(store: TelemetryStore, start: float) -> None:
    began = time.perf_counter()
    for i, chunk in enumerate(batches(round(start * 1000))):
        store.write_batches(chunk)
        if i % 24 == 0:
            print(f"  writing: {i * WRITE_CHUNK / DAY_S:4.0%}", end="\r", flush=True)
    latest = {name: Series([round(start * 1000) + DAY_S * 1000 - 1], [1.0]) for name in OTHERS}
    store.write_batches([TelemetryColumns(VIN, DAY_S + 1, "bench", latest)])
    took = time.perf_counter() - began
    print(f"  wrote {DAY_S * HZ:,} samples in {took:.1f} s ({DAY_S * HZ / took:,.0f}/s)")


def naive_buckets(store: TelemetryStore, start: float, end: float) -> int:
    """Every raw row to Python, page by page, then min/max/sum/last per bucket."""
    width = (end - start) / POINTS
    acc: dict[int, list[float]] = {}
    cursor: str | None = None
    while True:
        page = store.query_page(VIN, SIGNAL, start, end, limit=50_000, cursor=cursor)
        for ts, value in page.points:
            b = int((ts - start) / width)
            slot = acc.get(b)
            if slot is None:
                acc[b] = [1, value, value, value, value]
            else:
                slot[0] += 1
                slot[1] = min(slot[1], value)
                slot[2] = max(slot[2], value)
                slot[3] += value
                slot[4] = value
        cursor = page.cursor
        if cursor is None:
            return len(acc)


def timed_ms(runs: int, call: object) -> list[float]:
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        call()  # type: ignore[operator]
        out.append((time.perf_counter() - began) * 1000)
    return out


async def hammer(url: str, headers: dict[str, str]) -> tuple[float, float]:
    """CLIENTS clients, each with its own connection (opened and used once before the clock
    starts), REQUESTS_PER_CLIENT requests each: requests/s and the 99th percentile (ms)."""
    latencies: list[float] = []
    ready = asyncio.Barrier(CLIENTS + 1)
    go = asyncio.Event()

    async def client() -> None:
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            (await http.get(url)).raise_for_status()
            await ready.wait()
            await go.wait()
            for _ in range(REQUESTS_PER_CLIENT):
                began = time.perf_counter()
                answer = await http.get(url)
                latencies.append((time.perf_counter() - began) * 1000)
                answer.raise_for_status()

    clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
    await ready.wait()
    began = time.perf_counter()
    go.set()
    await asyncio.gather(*clients)
    took = time.perf_counter() - began
    return len(latencies) / took, statistics.quantiles(latencies, n=100)[98]


def serve(folder: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "cli",
        "api",
        "--telemetry",
        f"sqlite:///{folder}/telemetry.db",
        "--jobs",
        f"sqlite:///{folder}/jobs.db",
        "--port",
        str(port),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    end = float(int(time.time()))
    start = end - DAY_S
    with tempfile.TemporaryDirectory(prefix="pitstop-bench-api-") as tmp:
        folder = Path(tmp)
        store = open_store(f"sqlite:///{folder}/telemetry.db")
        open_job_store(f"sqlite:///{folder}/jobs.db").close()
        keys = KeyStore.open(f"sqlite:///{folder}/jobs.db")
        secret = keys.create("bench", Role.ENGINEER, end)[1]
        keys.close()
        fill(store, start)
        naive = timed_ms(NAIVE_RUNS, lambda: naive_buckets(store, start, end))
        port = free_port()
        server = serve(folder, port)
        try:
            wait_for_port(port, timeout=30)
            figures = measure(f"http://127.0.0.1:{port}", secret, start, end)
        finally:
            server.terminate()
            server.wait(timeout=10)
            store.close()
    figures["naive_24h_median_ms"] = statistics.median(naive)
    figures["speedup"] = figures["naive_24h_median_ms"] / figures["downsample_24h_median_ms"]
    figures["downsample_goal_met"] = figures["downsample_24h_median_ms"] <= GOAL_MS
    emit(
        "pitstop API on SQLite",
        figures,
        {
            "downsample_24h_median_ms": f"GET .../buckets, 24 h of 10 Hz, <= {POINTS} points "
            f"(goal <= {GOAL_MS:g} ms)",
            "naive_24h_median_ms": "every raw row to Python via query_page, bucketed there",
            "latest_rps": f"GET /vehicles/VIN/latest, {CLIENTS} concurrent clients",
            "health_rps": "GET /health, the same clients: the server's floor",
        },
    )


def measure(base: str, secret: str, start: float, end: float) -> dict[str, float | int | bool]:
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"{base}/vehicles/{VIN}/signals/{SIGNAL}/buckets"
    params = {"from": str(start), "to": str(end), "points": str(POINTS)}
    with httpx.Client(headers=headers, timeout=30) as http:
        first = http.get(url, params=params)
        first.raise_for_status()
        buckets = len(first.json()["buckets"])
        runs = timed_ms(DOWNSAMPLE_RUNS, lambda: http.get(url, params=params).raise_for_status())
    latest_rps, latest_p99 = asyncio.run(hammer(f"{base}/vehicles/{VIN}/latest", headers))
    health_rps, health_p99 = asyncio.run(hammer(f"{base}/health", {}))
    return {
        "samples": DAY_S * HZ,
        "buckets": buckets,
        "downsample_24h_median_ms": statistics.median(runs),
        "latest_rps": latest_rps,
        "latest_p99_ms": latest_p99,
        "health_rps": health_rps,
        "health_p99_ms": health_p99,
    }


if __name__ == "__main__":
    main()
