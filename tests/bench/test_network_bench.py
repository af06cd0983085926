"""``python -m bench.network`` runs end to end on a small network and reports as every
benchmark does: readable lines, then one JSON object on the last line."""

from __future__ import annotations

import json

import pytest

from bench import network, network_world


def test_a_small_network_reports_its_figures_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert network.main(["--workshops", "20", "--cars", "40", "--days", "10", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert lines[0].startswith("bench.network")
    assert figures["workshops"] == 20
    assert figures["cars"] == 40
    assert figures["jobs"] >= 1
    assert 0 <= figures["booked_within_urgency_pct"] <= 100
    assert figures["rerouted_after_rejection"] <= figures["declined"]
    assert figures["never_booked"] <= figures["jobs"]
    assert figures["comebacks"] <= figures["fixed"]
    assert figures["distance_only_comebacks"] <= figures["distance_only_fixed"]
    assert figures["ratings"] <= figures["fixed"]


def test_the_same_seed_makes_the_same_world() -> None:
    one = network_world.make_world(20, 30, 10, seed=5)
    two = network_world.make_world(20, 30, 10, seed=5)
    assert one == two
    assert sum(1 for s in one.shops if s["kind"] == "partner") >= 1
    assert len({s["skills"] for s in one.shops}) > 1  # mixed skills
    assert len({round(t.holds, 2) for t in one.truth}) > 1  # mixed quality
