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
from api.keys import KeyStore, Role
from ingest.errors import StoreError
from ingest.open import open_store
from jobs.open import open_job_store
from tests.api.conftest import VIN_A, VIN_B, fill_jobs, fill_telemetry
from tests.servers import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]


def engineer_key(jobs_url: str) -> dict[str, str]:
    keys = KeyStore.open(jobs_url)
    try:
        _, secret = keys.create("test", Role.ENGINEER, 0.0)
    finally:
        keys.close()
    return {"Authorization": f"Bearer {secret}"}


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
    urls = fill(tmp_path)
    app = create_app_from_urls(*urls)
    with TestClient(app, headers=engineer_key(urls[1])) as client:
        assert [v["vin"] for v in client.get("/vehicles").json()] == [VIN_A, VIN_B]
        assert len(client.get("/jobs").json()) == 2
        telemetry = app.state.stores.telemetry
    with pytest.raises(StoreError):
        telemetry.vehicles()


@pytest.mark.integration
def test_pitstop_api_serves_until_terminated(tmp_path: Path) -> None:
    headers = engineer_key(fill(tmp_path)[1])  # the default places: <data_dir>/*.db
    port = free_port()
    env = {**os.environ, "PITSTOP_DATA_DIR": str(tmp_path), "PITSTOP_API_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "api"],
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
        assert httpx.get(f"{base}/vehicles", timeout=5).status_code == 401
        vehicles = httpx.get(f"{base}/vehicles", headers=headers, timeout=5).json()
        assert [v["vin"] for v in vehicles] == [VIN_A, VIN_B]
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=15)
    # uvicorn shuts down cleanly, then re-raises SIGTERM so a supervisor sees why it stopped.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr  # the lifespan closed the stores
    assert f"open http://127.0.0.1:{port}/" in stdout


def test_pitstop_api_refuses_a_broken_catalogue_in_a_sentence(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: x\n  title: X\n  kind: threshold\n")
    done = subprocess.run(
        [sys.executable, "-m", "cli", "api", "--catalog", str(broken), "--port", "1"],
        cwd=REPO,
        env={**os.environ, "PITSTOP_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("pitstop api: ")
    assert "broken.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_app_shows_the_catalogue_it_was_given(tmp_path: Path) -> None:
    from rules.loader import DEFAULT_CATALOG, load_catalog

    urls = fill(tmp_path)
    one = [r for r in load_catalog(DEFAULT_CATALOG) if r.id == "lv-battery-low"]
    with TestClient(create_app_from_urls(*urls, rules=one), headers=engineer_key(urls[1])) as c:
        assert [rule["id"] for rule in c.get("/rules").json()] == ["lv-battery-low"]
