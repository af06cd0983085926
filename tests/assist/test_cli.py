"""``pitstop assist`` through ``cli.main.main``, with the stores of the settings (a data
folder of the test's own). Each call loads the model, as the command does: few calls."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cli.main import main
from ingest.open import open_store
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol

VIN = "WPITSTOPASSIST777"


def test_json_answers_in_the_language_of_the_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assist", "刹车的时候有刺耳的尖叫声", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["language"] == "zh"
    assert answer["confident"] is True
    assert answer["candidates"][0]["key"] == "brake-pads-worn-front-left"
    assert len(answer["candidates"]) == 3
    assert main(["assist", "x", "--vin", "bad"]) == 2  # a VIN that breaks the contract


def test_text_output_says_when_it_is_not_sure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assist", "the cup holder is broken"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("I cannot match this to a known fault with confidence.")


def test_with_a_vin_the_cars_codes_are_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PITSTOP_DATA_DIR", str(tmp_path))
    store = open_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    misfire = Dtc("P0302", Protocol.OBD, 0x7E8, frozenset({DtcStatus.CONFIRMED}), "Misfire")
    store.write_dtc_report(DtcReport(VIN, time.time() - 3600, (misfire,)), time.time())
    store.close()
    assert main(["assist", "the engine shakes", "--vin", VIN, "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Likely causes, best first:"
    assert lines[1].startswith("1. Engine misfire codes")
    assert "   why: P0302 is stored (Misfire)" in lines
    assert not any(line.startswith("2.") for line in lines)
