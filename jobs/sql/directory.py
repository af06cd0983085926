"""The network's directory in the SQL job store: workshops (own and partner), owners and
vehicles. A mixin of ``jobs.sql.store.SqlJobStore``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from jobs.errors import JobStoreError
from jobs.model import WEEKDAYS_8_TO_17, OpeningHours, Owner, Vehicle, Workshop
from jobs.sql import rows, schema
from jobs.sql.database import SqlStore

WORKSHOP_KINDS = ("own", "partner")
_RETRIES = 5


class SqlDirectory(SqlStore):
    """Workshops, owners and vehicles (see ``jobs.store.JobStore``)."""

    def add_workshop(
        self,
        name: str,
        location: str,
        skills: tuple[str, ...],
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        brands: tuple[str, ...] = (),
        bays: int = 1,
        hours: OpeningHours = WEEKDAYS_8_TO_17,
        timezone: str = "UTC",
        webhook_url: str | None = None,
        kind: str = "own",
        high_voltage: bool = False,
    ) -> Workshop:
        if bays < 1:
            raise JobStoreError(f"workshop {name!r}: bays must be at least 1, not {bays}")
        if kind not in WORKSHOP_KINDS:
            raise JobStoreError(f"workshop {name!r}: kind must be own or partner, not {kind!r}")
        values = {
            "name": name,
            "location": location,
            "skills": list(skills),
            "latitude": latitude,
            "longitude": longitude,
            "brands": list(brands),
            "bays": bays,
            "hours": rows.hours_to_json(hours),
            "timezone": timezone,
            "webhook_url": webhook_url,
            "kind": kind,
            "high_voltage": high_voltage,
        }
        with self._begin() as conn:
            workshop_id = conn.execute(
                sa.insert(schema.workshops).values(values).returning(schema.workshops.c.id)
            ).scalar_one()
        return rows.workshop(dict(values, id=workshop_id))

    def workshops(self) -> list[Workshop]:
        query = sa.select(schema.workshops).order_by(schema.workshops.c.id)
        with self._begin() as conn:
            return [rows.workshop(row._mapping) for row in conn.execute(query)]

    def add_owner(
        self,
        name: str,
        kind: str,
        *,
        preferred_workshop_id: int | None = None,
        auto_confirm: bool = False,
        webhook_url: str | None = None,
    ) -> Owner:
        if kind not in ("private", "fleet"):
            raise JobStoreError(f"owner {name!r}: kind must be private or fleet, not {kind!r}")
        values = {
            "name": name,
            "kind": kind,
            "preferred_workshop_id": preferred_workshop_id,
            "auto_confirm": auto_confirm,
            "webhook_url": webhook_url,
        }
        try:
            with self._begin() as conn:
                owner_id = conn.execute(
                    sa.insert(schema.owners).values(values).returning(schema.owners.c.id)
                ).scalar_one()
        except IntegrityError as err:
            raise JobStoreError(f"owner {name!r}: no workshop {preferred_workshop_id}") from err
        return rows.owner(dict(values, id=owner_id))

    def owners(self) -> list[Owner]:
        query = sa.select(schema.owners).order_by(schema.owners.c.id)
        with self._begin() as conn:
            return [rows.owner(row._mapping) for row in conn.execute(query)]

    def register_vehicle(
        self,
        vin: str,
        owner_id: int | None,
        label: str = "",
        *,
        brand: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> Vehicle:
        table = schema.vehicles
        values = {
            "owner_id": owner_id,
            "label": label,
            "brand": brand,
            "latitude": latitude,
            "longitude": longitude,
        }
        for _ in range(_RETRIES):
            try:
                with self._begin() as conn:
                    updated = conn.execute(
                        sa.update(table).where(table.c.vin == vin).values(values)
                    ).rowcount
                    if not updated:
                        conn.execute(sa.insert(table).values(dict(values, vin=vin)))
                return rows.vehicle(dict(values, vin=vin))
            except IntegrityError as err:
                if owner_id is not None and not any(o.id == owner_id for o in self.owners()):
                    raise JobStoreError(f"vehicle {vin}: there is no owner {owner_id}") from err
        raise JobStoreError(f"cannot register vehicle {vin}: contention")

    def vehicle(self, vin: str) -> Vehicle | None:
        table = schema.vehicles
        with self._begin() as conn:
            row = conn.execute(sa.select(table).where(table.c.vin == vin)).first()
        return rows.vehicle(row._mapping) if row else None

    def vehicles(self, owner_id: int | None = None) -> list[Vehicle]:
        table = schema.vehicles
        query = sa.select(table).order_by(table.c.vin)
        if owner_id is not None:
            query = query.where(table.c.owner_id == owner_id)
        with self._begin() as conn:
            return [rows.vehicle(row._mapping) for row in conn.execute(query)]
