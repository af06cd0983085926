"""rules/ keeps to its layer and its modules import each other without a circle.

Every import counts, also one inside a function or under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

RULES = REPO / "rules"
ABOVE = {"cli", "api", "sim", "gateway", "bench", "tests"}
INGEST = {"ingest.store"}  # the telemetry store's read interface only
JOBS = {"jobs.model", "jobs.errors"}  # values and errors; the store only through the sink
JOB_SINK = {"rules.jobsink": {"jobs.booking", "jobs.store"}}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules() -> dict[str, set[str]]:
    return {f"rules.{p.stem}": _imports(p) for p in sorted(RULES.glob("*.py"))}


def test_rules_imports_only_the_layers_below_it() -> None:
    known = {"ingest", "jobs"} | ABOVE
    for module, names in _modules().items():
        roots = {n for n in names if n.split(".")[0] in known}
        allowed = INGEST | JOBS | JOB_SINK.get(module, set())
        # ``from jobs.model import Severity`` yields "jobs.model" and "jobs.model.Severity"
        wrong = {n for n in roots if not any(n == a or n.startswith(a + ".") for a in allowed)}
        assert not wrong, f"{module} imports {sorted(wrong)}"


def test_the_modules_of_rules_import_each_other_without_a_circle() -> None:
    modules = _modules()
    graph = {m: {n for n in names if n in modules and n != m} for m, names in modules.items()}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path, module]))
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
