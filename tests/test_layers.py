"""The layers of DESIGN.md hold: every import of every module (also one inside a function or
under ``if TYPE_CHECKING``) points down the table, and no modules of one package import each
other in a circle.

The table, lowest first; a package may import the ones listed for it and nothing else of the
project. Where a lower package is open to another only through some of its modules (its
interfaces), ``ONLY`` names them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import REPO

MAY_IMPORT: Mapping[str, frozenset[str]] = {
    "dbc": frozenset(),
    "pitstop": frozenset(),
    "gateway": frozenset({"pitstop", "dbc"}),
    "ingest": frozenset({"pitstop"}),
    "jobs": frozenset({"pitstop"}),
    "rules": frozenset({"jobs", "ingest", "pitstop"}),
    "sim": frozenset({"gateway", "pitstop", "dbc"}),
    "assist": frozenset({"rules", "jobs", "ingest", "pitstop"}),
    "api": frozenset({"assist", "rules", "jobs", "ingest", "pitstop"}),
    "cli": frozenset(
        {"api", "assist", "sim", "rules", "jobs", "ingest", "gateway", "pitstop", "dbc"}
    ),
    "bench": frozenset({"*"}),
    "tests": frozenset({"*"}),
}

#: (importer, imported package) -> the imported package's modules it may use.
ONLY: Mapping[tuple[str, str], frozenset[str]] = {
    # the rules read telemetry through the store's read interface only
    ("rules", "ingest"): frozenset({"ingest.store", "ingest.errors"}),
    # the simulator borrows the gateway's codecs (profiles, ISO-TP, OBD, UDS, J1939), no runtime
    ("sim", "gateway"): frozenset(
        {
            "gateway.profile",
            "gateway.j1939tp",
            "gateway.diag.j1939dm",
            "gateway.diag.obd",
            "gateway.diag.uds",
            "gateway.errors",
        }
    ),
    # the API reads telemetry through the store interface and opens stores by URL
    ("api", "ingest"): frozenset({"ingest.store", "ingest.open", "ingest.errors"}),
    # jobs.sql's modules are the backend's own; jobs.sql.database is the public helper that
    # lets another store keep its tables in the job store's database (the API's keys);
    # jobs.csvbook and jobs.csvmap are the service book's pure CSV codec (upload, download)
    ("api", "jobs"): frozenset(
        {
            "jobs.csvbook",
            "jobs.csvmap",
            "jobs.model",
            "jobs.store",
            "jobs.open",
            "jobs.errors",
            "jobs.lifecycle",
            "jobs.booking",
            "jobs.calendar",
            "jobs.network",
            "jobs.ranking",
            "jobs.rerouting",
            "jobs.satisfaction",
            "jobs.sql.database",
            "jobs.audit",
        }
    ),
    # the rules speak the job domain's values; only their sink (below) opens and books jobs
    ("rules", "jobs"): frozenset({"jobs.model", "jobs.errors"}),
    # the assistant reads telemetry through the store's read interface and the vehicle's open
    # jobs through the job store; it drafts a job, its caller (the API) books it
    ("assist", "ingest"): frozenset({"ingest.store", "ingest.errors"}),
    ("assist", "jobs"): frozenset({"jobs.model", "jobs.errors", "jobs.store"}),
}

#: Modules that are a package's one seam to another package's interface.
SEAMS: Mapping[str, frozenset[str]] = {
    "rules.jobsink": frozenset(
        {"jobs.store", "jobs.booking", "jobs.audit", "jobs.network", "jobs.rerouting"}
    ),
}


def modules() -> dict[str, Path]:
    """Every module of the project's packages: dotted name -> file."""
    found: dict[str, Path] = {}
    for package in MAY_IMPORT:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = modules()


def imports(name: str) -> Iterator[tuple[int, str]]:
    """(line, imported project module) for every import in module ``name``."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            targets = submodules or [base]
        else:
            continue
        seen: set[str] = set()
        for target in targets:
            module = _known(target)
            if module is not None and module != name and module not in seen:
                seen.add(module)
                yield node.lineno, module


def _known(target: str) -> str | None:
    """The longest project module ``target`` names (``a.b.C`` -> ``a.b``)."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _top(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def arrows_against_the_order() -> list[str]:
    wrong: list[str] = []
    for name in MODULES:
        importer = _top(name)
        allowed = MAY_IMPORT[importer]
        for line, target in imports(name):
            imported = _top(target)
            if imported == importer or "*" in allowed:
                continue
            where = f"{_shown(MODULES[name])}:{line}: {name} -> {target}"
            if imported not in allowed:
                wrong.append(f"{where} ({importer} may import {sorted(allowed) or 'nothing'})")
                continue
            only = ONLY.get((importer, imported))
            if only is not None:
                only = only | SEAMS.get(name, frozenset())
            if only is not None and target not in only and _parent_in(target, only) is None:
                wrong.append(f"{where} ({importer} may use only {sorted(only)} of {imported})")
    return wrong


def _parent_in(module: str, allowed: frozenset[str]) -> str | None:
    parts = module.split(".")
    while len(parts) > 1:
        parts.pop()
        if ".".join(parts) in allowed:
            return ".".join(parts)
    return None


def circles() -> list[list[str]]:
    """Strongly connected groups of two or more modules within one top-level package."""
    graph = {
        name: sorted({t for _, t in imports(name) if _top(t) == _top(name)}) for name in MODULES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for name in graph:
        if name not in index:
            visit(name)
    return found


def test_every_package_of_the_design_is_here() -> None:
    assert {_top(name) for name in MODULES} == set(MAY_IMPORT)


def test_no_import_goes_against_the_order_of_the_layers() -> None:
    wrong = arrows_against_the_order()
    assert not wrong, "\n".join(wrong)


def test_no_modules_import_each_other_in_a_circle() -> None:
    found = circles()
    assert not found, "\n".join(" <-> ".join(group) for group in found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from jobs.sql import schema\n", ["jobs.sql.schema"]),
        ("def f():\n    from cli.main import main\n", ["cli.main"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import api.app\n", ["api.app"]),
        ("from . import model\n", ["jobs.model"]),
    ],
)
def test_the_parser_sees_every_kind_of_import(
    source: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    monkeypatch.setitem(MODULES, "jobs.probe", probe)
    assert [target for _, target in imports("jobs.probe")] == expected


def test_an_upward_import_and_a_circle_are_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    up, one, two = tmp_path / "up.py", tmp_path / "one.py", tmp_path / "two.py"
    up.write_text("def f():\n    from api.app import create_app\n")
    one.write_text("from pitstop import probe_two\n")
    two.write_text("from pitstop.probe_one import x\n")
    monkeypatch.setitem(MODULES, "pitstop.probe_up", up)
    monkeypatch.setitem(MODULES, "pitstop.probe_one", one)
    monkeypatch.setitem(MODULES, "pitstop.probe_two", two)
    assert any("pitstop.probe_up -> api.app" in line for line in arrows_against_the_order())
    assert ["pitstop.probe_one", "pitstop.probe_two"] in circles()
