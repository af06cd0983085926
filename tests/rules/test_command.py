from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main


def test_check_lists_the_default_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check"]) == 0
    out = capsys.readouterr().out
    assert "lv-battery-low" in out
    assert "< 11.8 for 20s" in out
    assert "38 rules OK" in out
    for kind in ("trend", "rate", "window", "dtc", "maintenance", "no_data", "all"):
        assert f" {kind} " in out, kind


def test_check_names_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- {id: x, kind: threshold, title: t, signal: s, below: 1, for: 20x,"
        " severity: info, diagnosis: {summary: s}}\n"
    )
    assert main(["rules", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml: rule 'x': field 'for': '20x' is not a duration" in err


def test_rules_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rules"])
    assert "run" in capsys.readouterr().err
