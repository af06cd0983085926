"""Decode a reassembled payload with a real DBC, typed for the tests."""

from __future__ import annotations

from pathlib import Path

import cantools.database


def decoder(path: Path, can_id: int) -> cantools.database.can.Message:
    db = cantools.database.load_file(str(path))
    assert isinstance(db, cantools.database.can.Database)
    return db.get_message_by_frame_id(can_id)


def decode(spec: cantools.database.can.Message, data: bytes) -> dict[str, float]:
    decoded = spec.decode(data, decode_choices=False, allow_truncated=True)
    assert isinstance(decoded, dict)
    return {name: float(value) for name, value in decoded.items()}  # type: ignore[arg-type]
