"""Our own short descriptions of trouble codes (no SAE text, no GPL tables).

Codes the rule catalogue acts on have a sentence of their own; every other code gets a
description derived from its structure: system (P/C/B/U), generic or manufacturer-specific,
subsystem; J1939 codes from the failure mode identifier.
"""

from __future__ import annotations

import re

J2012_CODE = re.compile(r"[PCBU][0-3][0-9A-F]{3}")
J1939_CODE = re.compile(r"SPN(\d{1,7})-FMI(\d{1,2})")


def describe(code: str) -> str:
    """Our short description of a code: from the table for codes the rules act on, else
    derived from the code's structure (system, generic or manufacturer-specific, subsystem)."""
    known = _DESCRIPTIONS.get(code)
    if known:
        return known
    j1939 = J1939_CODE.fullmatch(code)
    if j1939:
        spn, fmi = int(j1939[1]), int(j1939[2])
        return f"J1939 SPN {spn}: {_FMI.get(fmi, f'failure mode {fmi}')}"
    if not J2012_CODE.fullmatch(code):
        return "Unrecognised trouble code"
    system = _SYSTEM_NAMES[code[0]]
    owner = "manufacturer-specific" if code[1] in "13" or (code[:2] == "P3") else "generic"
    if code[0] == "P" and code[1] in "02":
        area = _P_SUBSYSTEMS.get(code[2], "powertrain")
        return f"{system} fault ({owner}): {area}"
    return f"{system} fault ({owner}), group {code[2]}"


# --- descriptions (our own wording) -----------------------------------------------------------

_SYSTEM_NAMES = {"P": "Powertrain", "C": "Chassis", "B": "Body", "U": "Network"}
_P_SUBSYSTEMS = {
    "0": "fuel, air metering or emissions",
    "1": "fuel and air metering",
    "2": "fuel and air metering (injector circuit)",
    "3": "ignition system or misfire",
    "4": "auxiliary emission controls",
    "5": "vehicle speed, idle control or auxiliary inputs",
    "6": "computer or output circuit",
    "7": "transmission",
    "8": "transmission",
    "9": "transmission",
    "A": "hybrid or electric propulsion",
    "B": "hybrid or electric propulsion",
    "C": "hybrid or electric propulsion",
}
_FMI = {
    0: "value too high (most severe)",
    1: "value too low (most severe)",
    2: "erratic or intermittent data",
    3: "voltage above normal or shorted high",
    4: "voltage below normal or shorted low",
    5: "current below normal or open circuit",
    6: "current above normal or grounded circuit",
    7: "mechanical system not responding",
    8: "abnormal frequency or pulse width",
    9: "abnormal update rate",
    11: "root cause not known",
    12: "bad device or component",
    13: "out of calibration",
    14: "special instructions",
    15: "value too high (least severe)",
    16: "value too high (moderately severe)",
    17: "value too low (least severe)",
    18: "value too low (moderately severe)",
    19: "received network data in error",
    31: "condition exists",
}
_DESCRIPTIONS = {
    "P0300": "Misfire in several cylinders or at random",
    **{f"P030{n}": f"Cylinder {n} misfire" for n in range(1, 7)},
    "P0115": "Coolant temperature sensor circuit fault",
    "P0116": "Coolant temperature reading implausible",
    "P0117": "Coolant temperature sensor reads too low (signal low)",
    "P0118": "Coolant temperature sensor reads too high (signal high)",
    "P0128": "Engine takes too long to reach operating temperature (thermostat)",
    "P0217": "Engine over temperature",
    "P0562": "12 V system voltage too low",
    "P0563": "12 V system voltage too high",
    "P0620": "Alternator / generator control circuit fault",
    "P0622": "Alternator / generator field circuit fault",
    "P0A7F": "High-voltage battery pack has deteriorated",
    "P0A80": "High-voltage battery pack needs replacing",
    "P0AFA": "High-voltage battery system voltage low",
    "P0B3B": "High-voltage battery cell voltage imbalance",
    "C0750": "Tyre pressure sensor front left",
    "C0755": "Tyre pressure sensor front right",
    "C0760": "Tyre pressure sensor rear left",
    "C0765": "Tyre pressure sensor rear right",
    "C0775": "Tyre pressure low",
    "C1A00": "Brake pad wear limit reached",
    "U0100": "No communication with the engine control module",
    "U0101": "No communication with the transmission control module",
    "U0121": "No communication with the ABS module",
    "U0140": "No communication with the body control module",
    "U0293": "No communication with the hybrid / EV powertrain control module",
    "SPN168-FMI1": "Battery potential (12/24 V) too low",
    "SPN110-FMI0": "Engine coolant temperature too high",
}
