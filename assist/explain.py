"""The reasons in plain words, in the language of the question (pure).

"your 12 V battery voltage has fallen from 12.6 V to 12.1 V in 9 days; P0562 is stored"
"您的12V蓄电池电压在9天内从12.6 V降到12.1 V；已存储故障码 P0562"
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from assist.evidence import Reading
from assist.relate import Reason
from rules.conditions import Direction

_SIGNALS: dict[str, tuple[str, str, str]] = {
    "Vehicle.LowVoltageBattery.CurrentVoltage": ("12 V battery voltage", "12V蓄电池电压", " V"),
    "Vehicle.Powertrain.ElectricMotor.CoolantTemperature": (
        "drive coolant temperature",
        "电驱冷却液温度",
        " °C",
    ),
    "Vehicle.Powertrain.CombustionEngine.ECT": ("engine coolant temperature", "发动机水温", " °C"),
    "Vehicle.Powertrain.CombustionEngine.EOP": ("engine oil pressure", "机油压力", " kPa"),
    "Vehicle.OBD.ControlModuleVoltage": ("charging voltage", "充电电压", " V"),
    "Vehicle.OBD.LongTermFuelTrim1": ("long-term fuel trim", "长期燃油修正", " %"),
    "Vehicle.Powertrain.FuelSystem.RelativeLevel": ("fuel level", "油量", " %"),
    "Vehicle.Powertrain.CoolantLevelLow": ("low coolant switch", "冷却液液位开关", ""),
}
_WHEEL = re.compile(
    r"Vehicle\.Chassis\.Axle\.Row([12])\.Wheel\.(Left|Right)\.(Tire\.Pressure|Brake\.PadWear)"
)
_WHEEL_EN = {"1": "front", "2": "rear", "Left": "left", "Right": "right"}
_WHEEL_ZH = {
    ("1", "Left"): "左前",
    ("1", "Right"): "右前",
    ("2", "Left"): "左后",
    ("2", "Right"): "右后",
}
_PART = {
    "Tire.Pressure": ("tyre pressure", "胎压", " kPa"),
    "Brake.PadWear": ("brake pad wear", "刹车片磨损", " %"),
}


def signal_name(signal: str, language: str) -> tuple[str, str]:
    """(name, unit) of a canonical signal in ``language``; the path's last part if unknown."""
    wheel = _WHEEL.fullmatch(signal)
    if wheel:
        row, side, part = wheel.groups()
        en, zh, unit = _PART[part]
        if language == "zh":
            return _WHEEL_ZH[(row, side)] + zh, unit
        return f"{en}, {_WHEEL_EN[row]} {_WHEEL_EN[side]}", unit
    known = _SIGNALS.get(signal)
    if known is None:
        return signal.rsplit(".", 1)[-1], ""
    return (known[1] if language == "zh" else known[0]), known[2]


def number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def explain(reasons: Sequence[Reason], language: str) -> str:
    """Every reason as a clause, joined; '' for none."""
    glue = "；" if language == "zh" else "; "
    return glue.join(clause(r, language) for r in reasons)


def clause(reason: Reason, language: str) -> str:
    zh = language == "zh"
    if reason.kind in ("firing", "pending"):
        day = _day(reason.since)
        if zh:
            verb = "已触发" if reason.kind == "firing" else "开始出现"
            return f"车辆自检“{reason.title}”{verb}（自{day}起）"
        verb = "is firing" if reason.kind == "firing" else "has started to see it"
        return f"the car's own check “{reason.title}” {verb} (since {day})"
    if reason.code is not None:
        code = reason.code
        note = f"（{code.description}）" if zh and code.description else ""
        note = note or (f" ({code.description})" if code.description else "")
        if zh:
            return (
                f"已存储故障码 {code.code}{note}"
                if code.active
                else f"近期出现过故障码 {code.code}{note}"
            )
        return (
            f"{code.code} is stored{note}"
            if code.active
            else f"{code.code} was stored recently{note}"
        )
    if reason.reading is not None:
        return _reading(reason.kind, reason.reading, language)
    if reason.kind == "open_job":
        if zh:
            return f"已有相关工单 #{reason.job_id}（{reason.job_status}）"
        return f"a job is already open for it: #{reason.job_id} ({reason.job_status})"
    if zh:
        return f"保养记录显示“{reason.title}”已逾期"
    return f"the service book says “{reason.title}” is overdue"


def _reading(kind: str, reading: Reading, language: str) -> str:
    watch = reading.watch
    name, unit = signal_name(watch.signal, language)
    first, last, level = (number(v) + unit for v in (reading.first, reading.last, watch.level))
    span = _span(reading.last_ts - reading.first_ts, language)
    moved = watch.towards(reading.first, reading.last) and number(reading.first) != number(
        reading.last
    )
    falling = watch.direction is Direction.BELOW
    if language == "zh":
        where = {"past_limit": f"已越过限值{level}", "near_limit": f"接近限值{level}"}.get(
            kind, f"正朝限值{level}变化"
        )
        if moved:
            verb = "降到" if falling else "升到"
            return f"您的{name}在{span}内从{first}{verb}{last}，{where}"
        return f"您的{name}为{last}，{where}"
    where = {
        "past_limit": f"past the limit of {level}",
        "near_limit": f"close to the limit of {level}",
    }.get(kind, f"heading for {level}")
    if moved:
        verb = "fallen" if falling else "risen"
        return f"your {name} has {verb} from {first} to {last} in {span}, {where}"
    return f"your {name} is {last}, {where}"


def _span(seconds: float, language: str) -> str:
    days = round(seconds / 86400)
    if days >= 1:
        return f"{days}天" if language == "zh" else f"{days} day{'s' if days > 1 else ''}"
    hours = max(1, round(seconds / 3600))
    return f"{hours}小时" if language == "zh" else f"{hours} hour{'s' if hours > 1 else ''}"


def _day(ts: float | None) -> str:
    if ts is None:
        return "?"
    return time.strftime("%Y-%m-%d", time.gmtime(ts))
