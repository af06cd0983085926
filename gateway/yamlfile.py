"""Reading one YAML document (profiles, plans) with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from gateway.errors import GatewayError


def read_yaml(path: Path, what: str, error: type[GatewayError]) -> object:
    """The parsed document; ``error`` naming ``path`` if it cannot be read or parsed."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise error(f"{path}: cannot read {what}: {err}") from err
    except yaml.YAMLError as err:
        raise error(f"{path}: invalid YAML: {err}") from err
