"""API keys, owners' consents and the web pages' sessions (``api.sessions``), in their own
tables of the job store's database.

A key is ``pst_`` + 43 URL-safe characters from 32 random bytes (``secrets.token_urlsafe``).
Only its SHA-256 is stored. A slow password hash (bcrypt, scrypt, argon2) exists to make
guessing a *low-entropy* secret expensive; a 256-bit random key cannot be guessed whatever
the hash costs, so one fast SHA-256 is as safe and lets every request be checked with one
indexed look-up instead of a 100 ms KDF.

A key has a role and a scope:

- ``engineer``, ``admin``: the whole fleet (the admin may also act on any job);
- ``workshop``: one workshop (``workshop_id``), its jobs and their evidence only;
- ``owner``, ``fleet_manager``: an owner's vehicles (``owner_id``, resolved through the job
  store) and/or an explicit set of VINs.

The tables are created by the Alembic environment in ``api/migrations`` (version table
``api_alembic_version``), next to the rules' tables and never in their way.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.errors import KeyStoreError
from jobs.errors import JobStoreError
from jobs.sql.database import SqlStore, open_migrated

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PREFIX = "pst_"


class Role(StrEnum):
    ENGINEER = "engineer"
    WORKSHOP = "workshop"
    OWNER = "owner"
    FLEET_MANAGER = "fleet_manager"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as stored: everything but the secret."""

    id: int
    name: str
    role: Role
    prefix: str  # the first characters of the secret, to recognise it in a list
    workshop_id: int | None
    owner_id: int | None
    vins: tuple[str, ...]
    created_at: float
    revoked_at: float | None = None


_metadata = sa.MetaData()
keys_table = sa.Table(
    "api_keys",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("workshop_id", sa.Integer, nullable=True),
    sa.Column("owner_id", sa.Integer, nullable=True),
    sa.Column("vins", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
)
consents_table = sa.Table(
    "api_consents",
    _metadata,
    sa.Column("vin", sa.String(17), primary_key=True),
    sa.Column("workshop_id", sa.Integer, primary_key=True),
    sa.Column("signal", sa.String(200), primary_key=True),
    sa.Column("granted_at", sa.Float, nullable=False),
)
sessions_table = sa.Table(  # the web pages' sessions (api.sessions)
    "api_sessions",
    _metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
)


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def check_scope(
    role: Role, workshop_id: int | None, owner_id: int | None, vins: Iterable[str]
) -> None:
    """A workshop key names its workshop; an owner's names an owner or VINs; others neither."""
    if role is Role.WORKSHOP and workshop_id is None:
        raise KeyStoreError("a workshop key needs the workshop it belongs to (--workshop ID)")
    if role in (Role.OWNER, Role.FLEET_MANAGER) and owner_id is None and not list(vins):
        raise KeyStoreError(f"an {role.value} key needs an owner (--owner ID) or VINs (--vin)")


class KeyStore(SqlStore):
    """Keys and consents over SQLAlchemy Core; safe to use from several threads."""

    WHAT = "key store"
    ERROR = KeyStoreError

    @classmethod
    def open(cls, url: str) -> KeyStore:
        """Connect to the job store's database and bring the API's tables to the newest schema."""
        try:
            return cls(open_migrated(url, MIGRATIONS))
        except JobStoreError as err:
            raise KeyStoreError(f"the key store: {err}") from err

    def create(
        self,
        name: str,
        role: Role,
        now: float,
        *,
        workshop_id: int | None = None,
        owner_id: int | None = None,
        vins: Iterable[str] = (),
    ) -> tuple[ApiKey, str]:
        """A new key; returns it and its secret, which is shown once and never stored."""
        vin_list = sorted(set(vins))
        check_scope(role, workshop_id, owner_id, vin_list)
        secret = new_secret()
        row = {
            "name": name,
            "role": role.value,
            "key_hash": hash_key(secret),
            "prefix": secret[: len(PREFIX) + 4],
            "workshop_id": workshop_id,
            "owner_id": owner_id,
            "vins": vin_list,
            "created_at": now,
        }
        with self._begin() as conn:
            key_id = conn.execute(
                sa.insert(keys_table).values(row).returning(keys_table.c.id)
            ).scalar_one()
        return row_to_key(dict(row, id=key_id, revoked_at=None)), secret

    def authenticate(self, secret: str) -> ApiKey | None:
        """The live key with this secret, or None."""
        query = sa.select(keys_table).where(
            keys_table.c.key_hash == hash_key(secret), keys_table.c.revoked_at.is_(None)
        )
        with self._begin() as conn:
            row = conn.execute(query).first()
        return row_to_key(row._mapping) if row else None

    def list_keys(self) -> list[ApiKey]:
        with self._begin() as conn:
            rows = conn.execute(sa.select(keys_table).order_by(keys_table.c.id)).all()
        return [row_to_key(row._mapping) for row in rows]

    def revoke(self, key_id: int, now: float) -> bool:
        """Revoke a live key and end its sessions; False if there is no live key with that id."""
        update = (
            sa.update(keys_table)
            .where(keys_table.c.id == key_id, keys_table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        sessions = (
            sa.update(sessions_table)
            .where(sessions_table.c.key_id == key_id, sessions_table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        with self._begin() as conn:
            conn.execute(sessions)
            return conn.execute(update).rowcount == 1

    def begin(self) -> AbstractContextManager[Connection]:
        """One transaction on this database, for the sessions kept next to the keys."""
        return self._begin()

    def set_consent(self, vin: str, workshop_id: int, signals: Iterable[str], now: float) -> None:
        """Replace which signals of ``vin`` the workshop may read beyond its jobs' evidence."""
        table = consents_table
        with self._begin() as conn:
            conn.execute(
                sa.delete(table).where(table.c.vin == vin, table.c.workshop_id == workshop_id)
            )
            rows = [
                {"vin": vin, "workshop_id": workshop_id, "signal": s, "granted_at": now}
                for s in sorted(set(signals))
            ]
            if rows:
                conn.execute(sa.insert(table), rows)

    def consents(self, vin: str) -> dict[int, list[str]]:
        """Workshop id -> the signals of ``vin`` it may read; empty by default."""
        query = (
            sa.select(consents_table.c.workshop_id, consents_table.c.signal)
            .where(consents_table.c.vin == vin)
            .order_by(consents_table.c.workshop_id, consents_table.c.signal)
        )
        granted: dict[int, list[str]] = {}
        with self._begin() as conn:
            for workshop_id, signal in conn.execute(query):
                granted.setdefault(workshop_id, []).append(signal)
        return granted


def row_to_key(row: Mapping[Any, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        prefix=row["prefix"],
        workshop_id=row["workshop_id"],
        owner_id=row["owner_id"],
        vins=tuple(row["vins"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
