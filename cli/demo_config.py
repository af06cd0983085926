"""What ``pitstop demo`` is asked to run, and where what it started can be reached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DemoConfig:
    data_dir: Path
    broker_url: str | None = None  # None: start the embedded broker
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    vehicles: int = 3
    faulty: int = 1
    keep_data: bool = False  # False: start from empty stores and spools


@dataclass(frozen=True, slots=True)
class DemoEndpoints:
    broker_url: str
    api_url: str
    vins: tuple[str, ...]
    keys: Mapping[str, str]  # role -> API key, one per role, made afresh every run
