"""The rules core's maintenance upkeep: where each maintenance interval counts from (the last
service the sink knows: completed jobs and the service book) and the reminders of items coming
due (``rules.reminders``), asked of the sink once per (vehicle, key) in this process; the sink
keeps them once across restarts."""

from __future__ import annotations

from rules.conditions import Maintenance
from rules.engine import EngineState, mark_serviced
from rules.model import Rule
from rules.reminders import Lead, Reminder, reminder
from rules.sink import Ask, FiringSink, Remind


class Upkeep:
    def __init__(
        self,
        rules: tuple[Rule, ...],
        sink: FiringSink,
        engine: EngineState,
        lead: Lead | None = None,
    ) -> None:
        self.rules = tuple(r for r in rules if isinstance(r.condition, Maintenance))
        self.sink = sink
        self.engine = engine
        self.lead = lead
        self._kinds = {
            r.id: r.condition.counts_from
            for r in self.rules
            if isinstance(r.condition, Maintenance)
        }
        self._reminded: set[tuple[str, str]] = set()  # (vin, key) asked of the sink already

    def counts(self, rule_id: str) -> bool:
        """Whether ``rule_id`` is a maintenance rule (counts from a service)."""
        return rule_id in self._kinds

    def sync(self, vin: str, only: str | None = None) -> set[str]:
        """Count the vehicle's maintenance intervals from its last service of each such rule
        (without an odometer reading in it, the next reading's); the vins whose marks moved."""
        wanted = {r: kinds for r, kinds in self._kinds.items() if only is None or r == only}
        if not wanted:
            return set()
        moved: set[str] = set()
        for rule_id, last in self.sink.last_services(vin, wanted).items():
            mark = self.engine.services.get((vin, rule_id))
            newer = mark is None or not mark.serviced or last.at > mark.at
            corrected = mark is not None and last.at == mark.at and last.km not in (None, mark.km)
            if newer or corrected:
                mark_serviced(self.engine, vin, rule_id, last.at, last.km)
                moved.add(vin)
        return moved

    def remind(self, vin: str, now: float) -> tuple[set[str], int]:
        """Ask the sink to remind the owner of each maintenance item of ``vin`` coming due
        within the lead (once per item); the vins whose marks moved on the way, and how many
        reminders the sink sent."""
        if self.lead is None:
            return set(), 0
        moved: set[str] = set()
        asks: list[Ask] = []
        for rule in self.rules:
            found = self._reminder(rule, vin)
            if found is None or (vin, found.key) in self._reminded:
                continue
            if self.sync(vin, only=rule.id):
                moved.add(vin)
                found = self._reminder(rule, vin)  # serviced meanwhile: look again
            if found is not None and (vin, found.key) not in self._reminded:
                self._reminded.add((vin, found.key))
                asks.append(Remind(vin, rule.id, found.key, found.doc))
        receipts = self.sink.emit(asks, now) if asks else []
        return moved, sum(1 for r in receipts if r.created)

    def _reminder(self, rule: Rule, vin: str) -> Reminder | None:
        mark = self.engine.services.get((vin, rule.id))
        latest = self.engine.last_seen.get(vin)
        cond = rule.condition
        if self.lead is None or mark is None or latest is None:
            return None
        if not isinstance(cond, Maintenance):
            return None
        window = self.engine.windows.get((vin, cond.distance_signal))
        km = window.latest(latest) if window else None
        hours = self.engine.running_hours.get(vin, (latest, 0.0))[1]
        return reminder(rule, vin, mark, km, hours, latest, self.lead)
