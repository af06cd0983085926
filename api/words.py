"""The words the pages use for pitstop's internal names: statuses, outcomes, actions, roles,
severities and signal paths. Every page says ``waiting for the workshop``, never
``confirmed``; ``Battery voltage``, never ``Vehicle.LowVoltageBattery.CurrentVoltage``.

One table per vocabulary, so a new status or action is one line here and shows the same on
every page.
"""

from __future__ import annotations

from api import signal_meta
from api.html import Badge, Html, el
from api.keys import Role
from jobs.model import JobStatus, Outcome, Severity

STATUS = {
    JobStatus.PROPOSED: "waiting for the owner to confirm",
    JobStatus.CONFIRMED: "waiting for the workshop to accept",
    JobStatus.ACCEPTED: "booked: the workshop expects the car",
    JobStatus.IN_SERVICE: "in the workshop now",
    JobStatus.COMPLETED: "done",
    JobStatus.CANCELLED: "cancelled",
    JobStatus.REJECTED: "turned down by the workshop",
}

OUTCOME = {
    Outcome.FIXED: "fixed",
    Outcome.NO_FAULT_FOUND: "no fault found",
}

ROLE = {
    Role.ENGINEER: "Engineer",
    Role.WORKSHOP: "Workshop",
    Role.OWNER: "Owner",
    Role.FLEET_MANAGER: "Fleet manager",
    Role.ADMIN: "Admin",
}

#: The button of each action, and what the message after it says was done.
BUTTON = {
    "confirm": "Confirm the booking",
    "move": "Move the booking",
    "cancel": "Cancel the job",
    "accept": "Accept the job",
    "start": "Start the work",
    "complete": "Complete the job",
    "reject": "Turn the job down",
}
DONE = {
    "confirm": "Booking confirmed. The workshop has been asked to accept it.",
    "move": "Booking moved to the new time.",
    "cancel": "Job cancelled. The workshop slot has been released.",
    "accept": "Job accepted. The owner sees that you expect the car.",
    "start": "Work started.",
    "complete": "Job completed. The outcome is in the vehicle's service book.",
    "reject": "Job turned down. pitstop offers it to the next qualified workshop.",
}

#: What each step of a job's history says happened (``jobs.network.JobEvent.action``).
EVENT = {
    "open": "found the fault and opened the job",
    "book": "booked a workshop slot",
    "reoffer": "offered the job to another workshop",
    "unplaced": "found no workshop with a free slot yet",
    "escalate": "escalated the job: no workshop took it in time",
    "confirm": "confirmed the booking",
    "move": "moved the booking",
    "cancel": "cancelled the job",
    "accept": "accepted the job",
    "start": "started the work",
    "complete": "completed the job",
    "reject": "turned the job down",
}

#: What a fault of each severity means for driving, for the owner.
DRIVING = {
    Severity.CRITICAL: "Stop driving as soon as it is safe, and call the workshop.",
    Severity.WARNING: "You can drive to the workshop, but have it seen to by the booked slot.",
    Severity.INFO: "It does not affect driving; it can wait for the booked visit.",
}

HEALTH = {  # a vehicle's worst open fault, as a word (colour alone is not enough)
    "critical": "Critical fault",
    "warning": "Needs attention",
    "info": "Advisory",
    "ok": "OK",
}

PRESENCE = {"online": "online", "offline": "offline", "unknown": "not reported"}


def status(value: JobStatus) -> str:
    return STATUS.get(value, value.value.replace("_", " "))


def outcome(value: Outcome) -> str:
    return OUTCOME.get(value, value.value.replace("_", " "))


def event(action: str) -> str:
    return EVENT.get(action, action.replace("_", " "))


def driving(severity: str) -> str:
    try:
        return DRIVING[Severity(severity)]
    except ValueError:
        return DRIVING[Severity.WARNING]


def signal_name(path: str) -> str:
    """``Vehicle.LowVoltageBattery.CurrentVoltage`` -> ``Low-voltage battery voltage``
    (``api.signal_meta``: the charts' titles too)."""
    return signal_meta.title(path)


def unit(path: str) -> str:
    """The unit symbol of a canonical signal, or '' where none is known."""
    return signal_meta.describe(path).symbol


def reading(path: str, value: float) -> str:
    """A value with its unit: ``12.41 V``."""
    shown = f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return f"{shown} {unit(path)}".strip()


def health_label(health: str) -> Html:
    """Colour and words: ``Critical fault`` on red, ``OK`` on green."""
    return el("span", HEALTH.get(health, health), class_=f"sev sev-{health}")


def presence(state: str) -> str:
    return PRESENCE.get(state, state)


def badge(role: Role, name: str) -> Badge:
    return Badge(ROLE.get(role, role.value), name)
