"""The SQL job store's service book and after-care (``jobs.store.ServiceBook`` and
``jobs.store.AfterCare``): a mixin of ``SqlJobStore`` over ``jobs.sql.servicebook`` and
``jobs.sql.aftercare``, each call one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from jobs.errors import ServiceBookError
from jobs.model import FollowUp, ImportOutcome, RecordSource, ServiceEntry, ServiceRecord
from jobs.sql import aftercare, servicebook
from jobs.sql.database import SqlStore

_RETRIES = 5


class SqlServiceBook(SqlStore):
    """The service-book half of ``SqlJobStore``; it passes integrity errors on (see
    ``SqlStore``), so each method here converts those it does not retry."""

    PASSES_INTEGRITY_ERRORS = True

    def add_record(
        self,
        vin: str,
        entry: ServiceEntry,
        *,
        source: RecordSource,
        now: float,
        workshop_id: int | None = None,
    ) -> ServiceRecord:
        try:
            with self._tx() as conn:
                return servicebook.insert(
                    conn, vin, entry, source=source, now=now, workshop_id=workshop_id
                )
        except IntegrityError as err:
            raise ServiceBookError(f"service record of {vin}: no workshop {workshop_id}") from err

    def update_record(self, record_id: int, entry: ServiceEntry, now: float) -> ServiceRecord:
        try:
            with self._tx() as conn:
                return servicebook.update(conn, record_id, entry, now)
        except IntegrityError as err:
            raise ServiceBookError(f"service record {record_id}: {err}") from err

    def delete_record(self, record_id: int) -> None:
        with self._tx() as conn:
            servicebook.delete(conn, record_id)

    def service_record(self, record_id: int) -> ServiceRecord | None:
        with self._tx() as conn:
            return servicebook.get(conn, record_id)

    def service_records(self, vin: str) -> list[ServiceRecord]:
        with self._tx() as conn:
            return servicebook.of_vehicle(conn, vin)

    def import_records(
        self,
        vin: str,
        entries: Sequence[ServiceEntry],
        *,
        now: float,
        progress: Callable[[int], object] | None = None,
    ) -> ImportOutcome:
        for _ in range(_RETRIES):
            try:
                with self._tx() as conn:
                    return servicebook.import_entries(
                        conn, vin, entries, now=now, progress=progress
                    )
            except IntegrityError:
                continue  # the same file imported at the same time: look again
        raise ServiceBookError(f"cannot import into the service book of {vin}: contention")

    def ask_followups(self, now: float, after_s: float) -> int:
        with self._tx() as conn:
            return aftercare.ask_due(conn, now, after_s)

    def answer_followup(self, job_id: int, solved: bool, now: float) -> FollowUp:
        with self._tx() as conn:
            return aftercare.answer(conn, job_id, solved, now)

    def note_fired_again(self, vin: str, rule_id: str, job_id: int, at: float) -> int:
        with self._tx() as conn:
            return aftercare.fired_again(conn, vin, rule_id, job_id, at)

    def followup(self, job_id: int) -> FollowUp | None:
        with self._tx() as conn:
            return aftercare.get(conn, job_id)

    def notify_once(self, vin: str, key: str, event: str, doc: dict[str, Any], now: float) -> bool:
        try:
            with self._tx() as conn:
                return aftercare.notify_once(conn, vin, key, event, doc, now)
        except IntegrityError:
            return False  # another worker sent it first

    def _tx(self) -> AbstractContextManager[Connection]:
        return self._begin()
