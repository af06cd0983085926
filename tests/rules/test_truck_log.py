"""The real healthy J1939 truck log books nothing: decoded with cantools (the CSS DBC) and the
DM1 reader into canonical samples and DM1 reports with the log's original timestamps, run
through the whole catalogue with the engine's clock at the log's time."""

from __future__ import annotations

from pathlib import Path

from bench.truck_log import VIN, read_truck_log
from pitstop.dtc import DtcReport
from rules.engine import AlertState, EngineState, evaluate, evaluate_dtc, tick
from rules.loader import DEFAULT_CATALOG, load_catalog


def test_the_healthy_truck_log_fires_nothing(shared_data: Path) -> None:
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    dbc = shared_data / "dbc" / "css" / "j1939_demo.dbc"
    rules = load_catalog(DEFAULT_CATALOG)
    state = EngineState()
    transitions = []
    samples = reports = 0
    first = last = None
    for item in read_truck_log(log, dbc):
        if isinstance(item, DtcReport):
            reports += 1
            assert item.lamps == {"amber_warning": False}
            assert item.codes == ()
            transitions += evaluate_dtc(rules, state, item, item.ts)
            ts = item.ts
        else:
            samples += len(item)
            ts = item[0].ts
            transitions += evaluate(rules, state, item, VIN, ts)
        first = ts if first is None else first
        last = ts
    assert first is not None
    assert last is not None
    transitions += tick(rules, state, last)
    assert last - first > 400  # the log's own clock: 402 s
    assert reports == 10
    assert samples > 7_000
    assert [t for t in transitions if t.to_state is AlertState.FIRING] == []
