"""A UDS (0x22) or KWP2000 (0x21) data response -> canonical samples, as the profile says.

A byte field reads the data record (the bytes after the service byte and the identifier echo).
A DBC message reads the whole reassembled response in the layout CSS Electronics' decoding
files use (``kona_ev_uds.dbc``, ``leaf_uds.dbc``): one leading byte (the low byte of the ISO-TP
length) and then the response from its service byte on, so the service is byte 1. A response
shorter than its DBC message is decoded as far as it goes. Nothing raises: a signal the payload
cannot give is left out and counted by the caller.
"""

from __future__ import annotations

import logging
import math

from cantools.database.can import Message

from gateway.diag.config import DidRead, DidSignal
from pitstop.codec import Sample

log = logging.getLogger(__name__)


def css_layout(payload: bytes) -> bytes:
    """The reassembled response as CSS Electronics' UDS DBC files describe it."""
    return bytes([len(payload) & 0xFF]) + payload


def decode_did(read: DidRead, payload: bytes, ts: float) -> list[Sample]:
    """The samples of one positive response to ``read`` (``read.answered_by(payload)``)."""
    record = payload[len(read.request()) :]
    decoded: dict[str, dict[str, float]] = {}
    out: list[Sample] = []
    for signal in read.signals:
        raw = _raw(signal, payload, record, decoded)
        if raw is None:
            continue
        value = raw * signal.scale + signal.offset
        if math.isfinite(value):
            out.append(Sample(signal.canonical, ts, value))
    return out


def _raw(
    signal: DidSignal, payload: bytes, record: bytes, decoded: dict[str, dict[str, float]]
) -> float | None:
    if signal.span is not None:
        f = signal.span
        if f.start + f.length > len(record):
            return None
        return float(int.from_bytes(record[f.start : f.start + f.length], "big", signed=f.signed))
    message = signal.message
    if message is None:
        return None
    values = decoded.get(message.name)
    if values is None:
        values = decoded[message.name] = _decode_message(message, payload)
    value = values.get(signal.signal)
    return float(value) if isinstance(value, int | float) else None


def _decode_message(message: Message, payload: bytes) -> dict[str, float]:
    data = css_layout(payload)[: message.length]
    try:
        values = message.decode_simple(data, decode_choices=False, allow_truncated=True)
    except Exception as err:  # a payload cantools cannot decode yields no sample, never a crash
        log.info("DID response for %s cannot be decoded: %s", message.name, err)
        return {}
    return {k: v for k, v in values.items() if isinstance(v, int | float)}
