"""The telemetry store of a bench.fleet step: SQLite (the default) or a real InfluxDB 1.6
(``--store influx``), started fresh for the step in its folder, so the fleet figures can be
read against the production store too.

Either way the step's ``pitstop ingest`` gets ``store.url`` and the step counts what arrived with
``store.stored_samples()`` (through the store's own read interface, ``count()``: the same query
for both backends), then ``store.close()`` (InfluxDB is killed; the SQLite file stays for
``--keep``). InfluxDB writes go through the v1 ``/write`` endpoint, one HTTP request per grouped
commit of ingest, each answered only once the points are in InfluxDB's WAL.

Wiring in bench/fleet.py (kept out of it while that file changes; four lines)::

    parser.add_argument("--store", choices=fleet_influx.STORES, default="sqlite")     # main()
    store = fleet_influx.open_step_store(store_kind, folder)   # run_step(..., store_kind), for
                                                               # `store = folder / "telemetry.db"`
    "--store", store.url,                                      # in the ingest Service's args
    stored = store.stored_samples(); store.close()             # for procs.stored_samples(store)

and, to count the server's CPU and memory with the others, ``if store.pid: pids["influxd"] =
store.pid`` next to the other ``pids``.
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Protocol

from ingest.open import open_store

STORES = ("sqlite", "influx")


class StepStore(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def pid(self) -> int | None: ...  # the server's process, if the store has one

    def stored_samples(self) -> int: ...

    def close(self) -> None: ...


class _Counted:
    """Counts through the telemetry store's read interface (``TelemetryStore.count``)."""

    url: str
    pid: int | None = None

    def stored_samples(self) -> int:
        store = open_store(self.url)
        try:
            return store.count()
        finally:
            store.close()


class SqliteStep(_Counted):
    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'telemetry.db'}"

    def stored_samples(self) -> int:
        if not Path(self.url.removeprefix("sqlite:///")).exists():
            return 0  # ingest never started: nothing stored (and nothing to create)
        return super().stored_samples()

    def close(self) -> None:
        pass


class InfluxStep(_Counted):
    """A fresh ``influxd`` (1.6) with its data in ``folder``; killed by ``close`` (and at exit,
    should the step fail before it)."""

    def __init__(self, folder: Path) -> None:
        from tests.ingest.servers_influx import InfluxDB1

        self._server = InfluxDB1(folder / "influxdb")
        self._server.start()
        atexit.register(self._server.kill)
        self.url = self._server.url("fleet")
        self.pid = None if self._server.process is None else self._server.process.pid

    def close(self) -> None:
        self._server.kill()
        atexit.unregister(self._server.kill)


def open_step_store(kind: str, folder: Path) -> StepStore:
    """The store of one step: ``kind`` is one of ``STORES``."""
    if kind == "sqlite":
        return SqliteStep(folder)
    if kind == "influx":
        return InfluxStep(folder)
    raise ValueError(f"store {kind!r}: expected one of {', '.join(STORES)}")
