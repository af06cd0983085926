"""The real model and BM25 over the real catalogue: descriptions from the issue, and ones that
match nothing."""

from __future__ import annotations

import time

import pytest

from assist.assistant import Assistant, Mode
from assist.errors import QuestionError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it struggles to start in the morning", "lv-battery-low"),
        ("a squeal when I brake", "brake-pads-worn-front-left"),
        ("the temperature gauge is climbing into the red", "engine-coolant-temperature-high"),
        ("刹车的时候有刺耳的尖叫声", "brake-pads-worn-front-left"),
        ("早上车很难发动", "lv-battery-low"),
        ("发动机有敲缸的声音，机油灯亮了", "engine-oil-pressure-low"),
    ],
)
def test_the_likeliest_diagnosis_comes_first(
    assistant: Assistant, text: str, expected: str
) -> None:
    answer = assistant.ask(text)
    assert answer.confident
    assert answer.candidates[0].key == expected, [c.key for c in answer.candidates]
    assert len(answer.candidates) == 3
    assert answer.candidates[0].score >= answer.candidates[1].score


def test_the_answer_is_in_the_language_of_the_question(assistant: Assistant) -> None:
    zh = assistant.ask("刹车的时候有刺耳的尖叫声")
    assert zh.language == "zh"
    assert zh.candidates[0].headline.startswith("刹车")
    en = assistant.ask("a squeal when I brake")
    assert en.language == "en"
    assert en.candidates[0].headline == "Brake pads worn"  # the group's name, not one wheel


@pytest.mark.parametrize(
    "text",
    ["the cup holder is broken", "车载屏幕的字太小了", "my door mirror is cracked"],
)
def test_nothing_matching_well_says_so_instead_of_guessing(assistant: Assistant, text: str) -> None:
    answer = assistant.ask(text)
    assert not answer.confident
    assert answer.candidates == ()
    assert "general inspection" in answer.message or "全面检查" in answer.message


def test_every_mode_ranks_the_whole_catalogue(assistant: Assistant) -> None:
    for mode in Mode:
        ranked = assistant.rank("grinding noise from the brakes", mode)
        assert sorted(ranked) == sorted(e.key for e in assistant.entries)
        assert ranked[0] == "brake-pads-worn-front-left", mode


def test_a_description_must_say_something_and_not_too_much(assistant: Assistant) -> None:
    with pytest.raises(QuestionError):
        assistant.ask("   ")
    with pytest.raises(QuestionError):
        assistant.ask("noise " * 200)


def test_a_question_takes_milliseconds_after_load(assistant: Assistant) -> None:
    assistant.ask("warm up")
    started = time.perf_counter()
    for _ in range(5):
        assistant.ask("the engine shakes at the traffic lights")
    assert (time.perf_counter() - started) / 5 < 0.5  # the benchmark's goal is 0.1 s at p95
