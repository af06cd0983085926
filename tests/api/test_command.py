"""``pitstop api`` end to end: the real command in its own process, and the lifespan it runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app_from_urls
from ingest.store import StoreError, open_store
from rules.jobs import open_job_store
from tests.api.conftest import VIN_A, VIN_B, fill_jobs, fill_telemetry
from tests.servers import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]


def fill(folder: Path) -> tuple[str, str]:
    telemetry_url = "sqlite:///" + str(folder / "telemetry.db")
    jobs_url = "sqlite:///" + str(folder / "jobs.db")
    telemetry, jobs = open_store(telemetry_url), open_job_store(jobs_url)
    try:
        fill_telemetry(telemetry)
        fill_jobs(jobs)
    finally:
        telemetry.close()
        jobs.close()
    return telemetry_url, jobs_url


def test_app_from_urls_opens_its_stores_and_closes_them(tmp_path: Path) -> None:
    app = create_app_from_urls(*fill(tmp_path))
    with TestClient(app) as client:
        assert [v["vin"] for v in client.get("/vehicles").json()] == [VIN_A, VIN_B]
        assert len(client.get("/jobs").json()) == 2
        telemetry = app.state.stores.telemetry
    with pytest.raises(StoreError):
        telemetry.vehicles()


@pytest.mark.integration
def test_pitstop_api_serves_until_terminated(tmp_path: Path) -> None:
    fill(tmp_path)  # where the settings point by default: <data_dir>/telemetry.db, jobs.db
    port = free_port()
    env = {**os.environ, "PITSTOP_DATA_DIR": str(tmp_path), "PITSTOP_API_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pitstop", "api"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, timeout=30)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/health", timeout=5).json() == {"status": "ok"}
        vehicles = httpx.get(f"{base}/vehicles", timeout=5).json()
        assert [v["vin"] for v in vehicles] == [VIN_A, VIN_B]
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=15)
    # uvicorn shuts down cleanly, then re-raises SIGTERM so a supervisor sees why it stopped.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr  # the lifespan closed the stores
    assert f"open http://127.0.0.1:{port}/" in stdout
