"""The gateway installs and runs alone on the car: its import graph never touches the cloud."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

#: Every module of the gateway package and the command that runs it on the car.
GATEWAY_MODULES = [
    *sorted(
        ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for path in (REPO / "gateway").rglob("*.py")
    ),
    "cli.commands.gateway",
]
FORBIDDEN = (
    "fastapi",
    "sqlalchemy",
    "influxdb_client",
    "ingest",
    "jobs",
    "rules",
    "api",
    "uvicorn",
    "sim",
)


def test_the_gateway_imports_nothing_of_the_cloud() -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {GATEWAY_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "import cli.commands.gateway as g, argparse\n"
        "g.add_arguments(argparse.ArgumentParser())\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout.splitlines()[-1])
    roots = {name.split(".")[0] for name in loaded}
    assert "gateway" in roots
    assert "cantools" in roots
    assert not roots & set(FORBIDDEN), sorted(roots & set(FORBIDDEN))
