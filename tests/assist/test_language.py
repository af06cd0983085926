from __future__ import annotations

import pytest

from assist.language import detect


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("a squeal when I brake", "en"),
        ("刹车的时候有刺耳的尖叫声", "zh"),
        ("P0562 报警了，早上打不着火", "zh"),  # a code inside Chinese stays Chinese
        ("my car shows 故障 on the screen sometimes when cold", "en"),
        ("12345 !!", "en"),
    ],
)
def test_the_language_is_the_one_the_letters_are_in(text: str, language: str) -> None:
    assert detect(text) == language
