"""bench.fleet's step stores count what ingest stored, on SQLite and on a real InfluxDB 1.6."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fleet_influx import open_step_store
from bench.fleet_load import batch, vin_of
from ingest.open import open_store


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("influx", marks=pytest.mark.integration)])
def test_a_step_store_counts_the_samples_written_to_it(kind: str, tmp_path: Path) -> None:
    step = open_step_store(kind, tmp_path)
    try:
        assert step.stored_samples() == 0
        written = [batch(vin_of(i), 0, 1_767_225_600_000, 3) for i in range(2)]
        store = open_store(step.url)
        try:
            for one in written:
                assert store.write_batch(one)
        finally:
            store.close()
        assert step.stored_samples() == sum(len(b.samples) for b in written)
        assert (step.pid is None) == (kind == "sqlite")
    finally:
        step.close()


def test_an_unknown_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sqlite, influx"):
        open_step_store("mongo", tmp_path)
