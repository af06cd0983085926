"""Sign-in sessions of the web pages, kept server-side next to the keys.

A browser never holds the API key: ``POST /signin`` with a valid key opens a session, whose id
(``secrets.token_urlsafe(32)``: 256 random bits) is the only thing in the cookie. The table
``api_sessions`` keeps the id's SHA-256 (a fast hash suffices for 256 random bits, as for
keys), the key it stands for, and its lifetime.

Lifetime: **fixed**, ``SESSION_TTL_S`` (12 h) from sign-in, never extended by use; signing in
again opens a new one. A session stops working when it expires, when it is revoked (sign-out)
or when its key is revoked (``KeyStore.revoke`` revokes the key's sessions too, and the
look-up joins the key, so either suffices). Expired and revoked sessions are deleted whenever
a session is opened.

The CSRF token of a session is derived from its id, ``HMAC-SHA256(id, "pitstop-csrf")``: only
whoever holds the id (the cookie, which scripts cannot read) can compute it, and the server
need not store it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa

from api.keys import ApiKey, KeyStore, keys_table, row_to_key, sessions_table

SESSION_TTL_S = 12 * 3600.0
_CSRF_LABEL = b"pitstop-csrf"


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def hash_session(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: what its forms carry and ``X-CSRF-Token`` presents."""
    return hmac.new(session_id.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(session_id), presented)


class SessionStore:
    """Sessions over the key store's database (its engine, lock and errors)."""

    def __init__(self, keys: KeyStore, ttl_s: float = SESSION_TTL_S) -> None:
        self._keys = keys
        self.ttl_s = ttl_s

    def open(self, key: ApiKey, now: float) -> str:
        """A new session of ``key``; returns its id (for the cookie), stored only hashed."""
        session_id = new_session_id()
        row = {
            "id_hash": hash_session(session_id),
            "key_id": key.id,
            "created_at": now,
            "expires_at": now + self.ttl_s,
        }
        with self._keys.begin() as conn:
            conn.execute(sa.delete(sessions_table).where(_dead(now)))
            conn.execute(sa.insert(sessions_table).values(row))
        return session_id

    def authenticate(self, session_id: str, now: float) -> ApiKey | None:
        """The live key of a live session with this id, or None."""
        s = sessions_table
        query = (
            sa.select(keys_table)
            .join(s, s.c.key_id == keys_table.c.id)
            .where(
                s.c.id_hash == hash_session(session_id),
                s.c.revoked_at.is_(None),
                s.c.expires_at > now,
                keys_table.c.revoked_at.is_(None),
            )
        )
        with self._keys.begin() as conn:
            row = conn.execute(query).first()
        return row_to_key(row._mapping) if row else None

    def revoke(self, session_id: str, now: float) -> bool:
        """End a session (sign-out); False if there is no live session with that id."""
        s = sessions_table
        update = (
            sa.update(s)
            .where(s.c.id_hash == hash_session(session_id), s.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        with self._keys.begin() as conn:
            return conn.execute(update).rowcount == 1

    def count_live(self, now: float) -> int:
        s = sessions_table
        query = sa.select(sa.func.count()).select_from(s).where(sa.not_(_dead(now)))
        with self._keys.begin() as conn:
            return int(conn.execute(query).scalar_one())

    def count_all(self) -> int:
        with self._keys.begin() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(sessions_table)).scalar_one()
            )


def _dead(now: float) -> sa.ColumnElement[bool]:
    s = sessions_table
    return sa.or_(s.c.expires_at <= now, s.c.revoked_at.is_not(None))
