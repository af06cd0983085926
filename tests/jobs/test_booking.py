from __future__ import annotations

from jobs.booking import choose_workshop
from jobs.model import Workshop

A = Workshop(1, "Tyres Only", "North", ("tyres",))
B = Workshop(2, "Full Service", "South", ("electrical", "tyres", "brakes"))
C = Workshop(3, "Also Full", "East", ("electrical", "tyres", "brakes"))


def test_the_first_workshop_with_every_skill() -> None:
    assert choose_workshop([A, B, C], ("electrical", "tyres")) == B
    assert choose_workshop([A, B, C], ["tyres"]) == A
    assert choose_workshop([A, B, C], ()) == A


def test_none_when_nobody_qualifies() -> None:
    assert choose_workshop([A, B, C], ("high-voltage",)) is None
    assert choose_workshop([], ("tyres",)) is None
