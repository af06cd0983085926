"""DBC files and vehicle profiles that pitstop ships (data only; this module just finds them)."""

from pathlib import Path

DIR = Path(__file__).resolve().parent
DEMO_PROFILE = DIR / "demo_ev.yaml"
DEMO_DBC = DIR / "demo_ev.dbc"
