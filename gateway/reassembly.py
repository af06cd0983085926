"""Multi-frame transports made whole for the decoder: J1939 TP and NMEA 2000 fast packets.

Each channel has its own reassembler (``gateway.j1939tp``, ``gateway.fastpacket``); a frame of
a channel without one goes to the first. A frame that completes a parameter group or a message
comes back as one ``can.Message`` (sized as CAN FD when longer than 8 bytes), which
``Decoder`` decodes like any other frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import can

from gateway.fastpacket import FastPacketReassembler
from gateway.j1939tp import TpReassembler


def whole_group(reassemblers: Mapping[str, TpReassembler], msg: can.Message) -> can.Message | None:
    """Feed one TP.CM/TP.DT frame; the parameter group it completes as one frame, or None."""
    channel = msg.channel if isinstance(msg.channel, str) else ""
    reassembler = reassemblers.get(channel) or next(iter(reassemblers.values()))
    done = reassembler.feed(msg)
    if done is None:
        return None
    return can.Message(
        timestamp=done.ts,
        arbitration_id=(6 << 26) | (done.pgn << 8) | done.source_address,
        is_extended_id=True,
        data=done.data,
        channel=msg.channel,
        is_fd=len(done.data) > 8,
        check=False,
    )


def whole_fast_packet(
    reassemblers: Mapping[str, FastPacketReassembler], msg: can.Message
) -> can.Message | None:
    """Feed one fast-packet frame; the message it completes as one frame, or None."""
    channel = msg.channel if isinstance(msg.channel, str) else ""
    reassembler = reassemblers.get(channel) or next(iter(reassemblers.values()))
    data = reassembler.feed(msg.arbitration_id, bytes(msg.data))
    if data is None:
        return None
    return can.Message(
        timestamp=msg.timestamp,
        arbitration_id=msg.arbitration_id,
        is_extended_id=msg.is_extended_id,
        data=data,
        channel=msg.channel,
        is_fd=len(data) > 8,
        check=False,
    )
