"""NMEA 2000 fast-packet reassembly: one message of up to 223 bytes in up to 32 frames.

Byte 0 of each frame holds a 3-bit sequence counter (the top bits, the same for every frame of
one message) and a 5-bit frame counter. Frame 0 carries the message length in byte 1 and the
first 6 data bytes; every later frame 7 more. Frames of one message come from one sender with one
identifier, so messages in progress are keyed by the full 29-bit identifier (PGN and source
address). A frame out of order, or a new message with the same key, drops the one in progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LENGTH = 223  # 6 + 31 * 7 bytes
MAX_IN_PROGRESS = 256  # messages being reassembled at once; beyond it the oldest is dropped


@dataclass(slots=True)
class _Message:
    sequence: int
    length: int
    next_frame: int = 1
    data: bytearray = field(default_factory=bytearray)


class FastPacketReassembler:
    """Feed frames of fast-packet messages; each completed message's payload is returned."""

    def __init__(self) -> None:
        self._open: dict[int, _Message] = {}
        self.dropped = 0  # messages dropped incomplete (a frame lost or out of order)

    def feed(self, arbitration_id: int, data: bytes) -> bytes | None:
        """The whole payload when ``data`` is the last frame of a message, else None."""
        if len(data) < 2:
            return None
        sequence, frame = data[0] >> 5, data[0] & 0x1F
        if frame == 0:
            return self._start(arbitration_id, sequence, data)
        message = self._open.get(arbitration_id)
        if message is None:
            return None  # the first frame was lost (or came before the capture started)
        if message.sequence != sequence or message.next_frame != frame:
            del self._open[arbitration_id]
            self.dropped += 1
            return None
        message.data += data[1:8]
        message.next_frame += 1
        return self._complete(arbitration_id, message)

    def _start(self, arbitration_id: int, sequence: int, data: bytes) -> bytes | None:
        if self._open.pop(arbitration_id, None) is not None:
            self.dropped += 1
        length = data[1]
        if length == 0 or length > MAX_LENGTH:
            return None
        if len(self._open) >= MAX_IN_PROGRESS:
            del self._open[next(iter(self._open))]
            self.dropped += 1
        message = _Message(sequence, length, data=bytearray(data[2:8]))
        self._open[arbitration_id] = message
        return self._complete(arbitration_id, message)

    def _complete(self, arbitration_id: int, message: _Message) -> bytes | None:
        if len(message.data) < message.length:
            return None
        del self._open[arbitration_id]
        return bytes(message.data[: message.length])
