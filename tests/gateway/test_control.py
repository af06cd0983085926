"""The rate limit and the cmd-topic dispatch, as pure pieces."""

from __future__ import annotations

import json

import pytest

from gateway.control import CommandError, Commands
from gateway.ratelimit import RateLimit

VIN = "WPITSTOPTEST00004"


def test_the_rate_limit_caps_publishes_and_bytes_per_second() -> None:
    rate = RateLimit(publishes_per_s=100, bytes_per_s=512 * 1024)
    sent = sum(rate.take(100, now=0.0) for _ in range(1000))
    assert sent == 100  # a full bucket: one second's worth
    sent = sum(rate.take(100, now=0.5) for _ in range(1000))
    assert sent == 50
    # 512 KB/s: ten 100 KB messages over two seconds -> about ten, never more
    rate = RateLimit(publishes_per_s=100, bytes_per_s=512 * 1024)
    times = [i * 0.01 for i in range(200)]
    sent_bytes = sum(100_000 for t in times if rate.take(100_000, t))
    assert sent_bytes <= 512 * 1024 * 3  # a full bucket plus two seconds of refill
    assert sent_bytes >= 512 * 1024 * 2 - 100_000


def _cmd(**doc: object) -> bytes:
    return json.dumps({"v": 1, "vin": VIN, **doc}).encode()


def test_commands_are_dispatched_by_type_and_refused_with_a_reason() -> None:
    commands = Commands(VIN)

    def echo(doc: object) -> dict[str, object]:
        assert isinstance(doc, dict)
        if doc.get("bad"):
            raise CommandError("bad request")
        return {"echo": doc["x"]}

    commands.register("echo", echo)
    assert commands.dispatch(_cmd(type="echo", x=1)) == ("echo_accepted", {"echo": 1})
    assert commands.dispatch(_cmd(type="echo", bad=True)) == (
        "command_refused",
        {"reason": "bad request"},
    )
    kind, data = commands.dispatch(_cmd(type="flash_ecu"))
    assert (kind, data["reason"]) == ("command_refused", "unknown command type 'flash_ecu'")
    assert "VIN" in commands.dispatch(_cmd(type="echo", vin="WOTHERVEHICLE0001"))[1]["reason"]
    assert "not JSON" in commands.dispatch(b"\xff")[1]["reason"]


@pytest.mark.parametrize(
    "payload", [b"[]", b'{"v": 2}', b'{"v": 1, "vin": "' + VIN.encode() + b'"}']
)
def test_malformed_commands_are_refused(payload: bytes) -> None:
    kind, _ = Commands(VIN).dispatch(payload)
    assert kind == "command_refused"


def test_the_outcome_carries_the_command_id_accepted_or_refused() -> None:
    commands = Commands(VIN)
    commands.register("echo", lambda doc: {"echo": 1})
    assert commands.dispatch(_cmd(type="echo", id="c-1")) == (
        "echo_accepted",
        {"echo": 1, "id": "c-1"},
    )
    kind, data = commands.dispatch(_cmd(type="flash_ecu", id="c-2"))
    assert (kind, data["id"]) == ("command_refused", "c-2")
    kind, data = commands.dispatch(_cmd(type="echo", id="c-3", vin="WOTHERVEHICLE0001"))
    assert (kind, data["id"]) == ("command_refused", "c-3")  # refused, still answered by id
    assert "id" not in commands.dispatch(_cmd(type="echo", id="no spaces/" * 10))[1]
