"""The real model, loaded once for the whole run (it ships in its package: nothing is
fetched), and the assistant over pitstop's own catalogue."""

from __future__ import annotations

import pytest

from assist.assistant import Assistant
from assist.semantic import UseEncoder, load_model
from rules.loader import DEFAULT_CATALOG, load_catalog
from rules.model import Rule


@pytest.fixture(scope="session")
def rules() -> tuple[Rule, ...]:
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture(scope="session")
def model() -> UseEncoder:
    return load_model(threads=1)


@pytest.fixture(scope="session")
def assistant(rules: tuple[Rule, ...], model: UseEncoder) -> Assistant:
    return Assistant.build(rules, model)
