"""The gateway as a real process (``python -m cli gateway``), for the SIGKILL tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def start_gateway(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PITSTOP_DATA_DIR": str(tmp_path / "data")}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "-v", "gateway", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
