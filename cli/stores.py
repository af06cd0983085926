"""The stores a reading command opens: they must exist (a typo makes no empty database and no
folders), and by default the demo's, when the demo is all there is.

``pitstop demo`` keeps its stores in ``<data_dir>/demo/`` (it may reset them); the production
defaults are ``<data_dir>/telemetry.db`` and ``<data_dir>/jobs.db``. A command reading with the
defaults, where only the demo's stores exist, reads the demo's and says so on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from cli.settings import Settings, embedded_jobs_url, embedded_telemetry_url
from pitstop.errors import ConfigError

SQLITE = "sqlite:///"


def telemetry_to_read(given: str | None, settings: Settings, command: str) -> str:
    """The telemetry store URL ``command`` reads: ``given``, the settings', or the demo's."""
    if given or settings.telemetry_url:
        return require_existing(given or settings.telemetry_url, "telemetry store", "--telemetry")
    return _default(embedded_telemetry_url, settings, command, "telemetry store", "--telemetry")


def jobs_to_read(given: str | None, settings: Settings, command: str) -> str:
    """The job store URL ``command`` reads: ``given``, the settings', or the demo's."""
    if given or settings.jobs_url:
        return require_existing(given or settings.jobs_url, "job store", "--jobs")
    return _default(embedded_jobs_url, settings, command, "job store", "--jobs")


def _default(
    url_of: Callable[[Path], str], settings: Settings, command: str, what: str, option: str
) -> str:
    own: str = url_of(settings.data_dir)
    demo: str = url_of(settings.data_dir / "demo")
    if not _missing(own) or _missing(demo):
        return require_existing(own, what, option)
    print(f"{command}: reading the demo's {what} {demo.removeprefix(SQLITE)}", file=sys.stderr)
    return demo


def require_existing(url: str, what: str, option: str) -> str:
    """``url`` if it names a store that exists (a server URL is taken as it is); else a
    ``ConfigError`` that says what to do."""
    if _missing(url):
        path = url.removeprefix(SQLITE)
        raise ConfigError(
            f"there is no {what} at {path}: give an existing one with {option} URL "
            "(`pitstop ingest`, `pitstop rules run` or `pitstop demo` create them)"
        )
    return url


def _missing(url: str) -> bool:
    if not url.startswith(SQLITE):
        return False  # a server, or in memory
    path = url.removeprefix(SQLITE)
    return bool(path) and not Path(path).is_file()
