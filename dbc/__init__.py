"""DBC files and vehicle profiles that pitstop ships (data only; this module just finds them)."""

from pathlib import Path

DIR = Path(__file__).resolve().parent
DEMO_PROFILE = DIR / "demo_ev.yaml"
DEMO_DBC = DIR / "demo_ev.dbc"
OBD2_PROFILE = DIR / "obd2.yaml"
KONA_EV_PROFILE = DIR / "kona_ev.yaml"
LEAF_PROFILE = DIR / "leaf.yaml"
