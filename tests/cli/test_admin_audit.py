"""``pitstop admin`` records what it changes in the audit log and reads it back (subprocesses,
as an admin runs them); lists are not recorded and a key's secret never is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def _admin(jobs_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "cli", "admin", "--jobs", jobs_url, *args],
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_admin_changes_are_audited_and_listed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    made = _admin(url, "keys", "create", "--role", "engineer", "--name", "Jo")
    secret = made.stdout.splitlines()[1]
    _admin(url, "keys", "list")
    _admin(url, "keys", "revoke", "1")
    _admin(url, "workshops", "add", "Garage Nord", "--location", "Hamburg")
    listed = _admin(url, "audit", "list", "--json").stdout
    entries = [json.loads(line) for line in listed.splitlines()]
    assert [(e["action"], e["target"]) for e in entries] == [
        ("admin workshops add", "Garage Nord"),
        ("admin keys revoke", "1"),
        ("admin keys create", "Jo"),
    ]
    assert all(e["actor"].startswith("cli ") for e in entries)
    assert secret.startswith("pst_")
    assert secret not in listed
    text = _admin(url, "audit", "list", "--action", "revoke").stdout
    assert len(text.splitlines()) == 1
    assert "admin keys revoke" in text


def test_purge_keeps_the_recent_and_records_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    _admin(url, "keys", "create", "--role", "engineer", "--name", "Jo")
    done = _admin(url, "audit", "purge", "--days", "1")
    assert "0 audit entries" in done.stdout
    listed = _admin(url, "audit", "list").stdout.splitlines()
    assert ["admin audit purge" in listed[0], "admin keys create" in listed[1]] == [True, True]
