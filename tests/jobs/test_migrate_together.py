"""Several workers started at once on a fresh database: the schema is made once, no process
fails on a table another one created meanwhile ("table workshops already exists")."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

PROCESSES = 4

_CHILD = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
{imports}
while not go.exists():
    time.sleep(0.001)
{work}
print("opened")
"""

_JOBS = (
    "from jobs.open import open_job_store, open_state_store",
    "open_job_store(sys.argv[1]).close(); open_state_store(sys.argv[1]).close()",
)
_TELEMETRY = (
    "from ingest.sqlite import SqliteStore",
    "SqliteStore.open(sys.argv[1]).close()",
)


def _together(url: str, code: tuple[str, str], folder: Path) -> list[tuple[int, str]]:
    go = folder / "go"
    script = _CHILD.format(imports=code[0], work=code[1])
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    time.sleep(3.0)  # every child has imported and waits for the signal
    go.touch()
    results = []
    for child in children:
        out, err = child.communicate(timeout=60)
        results.append((child.returncode, out + err))
    return results


@pytest.mark.parametrize("code", [_JOBS, _TELEMETRY], ids=["job-store", "telemetry-store"])
def test_four_processes_open_one_fresh_database_at_once(
    code: tuple[str, str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    results = _together(url, code, tmp_path)
    failed = [text for rc, text in results if rc != 0 or "opened" not in text]
    assert not failed, failed[0]
    assert len(results) == PROCESSES


@pytest.mark.integration
def test_four_processes_migrate_one_fresh_postgresql_database_at_once(
    postgres_url: str, tmp_path: Path
) -> None:
    results = _together(postgres_url, _JOBS, tmp_path)
    failed = [text for rc, text in results if rc != 0 or "opened" not in text]
    assert not failed, failed[0]


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_checkpoint_upserts_every_scope_in_one_statement(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from jobs.sql.rulestate import SqlStateStore

    url = f"sqlite:///{tmp_path / 'state.db'}"
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    store = SqlStateStore.open(url)
    try:
        store.save_many([(f"0/1:V{i}", {"n": i}) for i in range(300)], 1.0)
        store.save_many([("0/1:V7", {"n": 70}), ("0/1:NEW", {"n": -1})], 2.0)
        saved = store.load("0/1:")
    finally:
        store.close()
    assert len(saved) == 301
    assert saved["0/1:V7"] == {"n": 70}
    assert saved["0/1:V8"] == {"n": 8}
    assert saved["0/1:NEW"] == {"n": -1}
