"""Keys for ``pitstop demo``: one per role, scoped to the demo's workshops and vehicles."""

from __future__ import annotations

from collections.abc import Sequence

from api.keys import KeyStore, Role
from jobs.store import JobStore

DEMO_PREFIX = "demo "


def ensure_demo_keys(
    keys: KeyStore, jobs: JobStore, vins: Sequence[str], now: float
) -> dict[Role, str]:
    """Revoke the demo keys of an earlier run and make fresh ones, one per role.

    Secrets are stored hashed, so an earlier run's keys cannot be shown again: a new set is
    made each run. The workshop key belongs to the first workshop (the demo books into it);
    the owner key sees the last VIN (the faulty car), the fleet manager's every demo VIN.
    """
    for key in keys.list_keys():
        if key.name.startswith(DEMO_PREFIX) and key.revoked_at is None:
            keys.revoke(key.id, now)
    workshops = jobs.workshops()
    made: dict[Role, str] = {}
    for role in Role:
        _, secret = keys.create(
            DEMO_PREFIX + role.value,
            role,
            now,
            workshop_id=workshops[0].id if role is Role.WORKSHOP and workshops else None,
            vins=_demo_vins(role, vins),
        )
        made[role] = secret
    return made


def _demo_vins(role: Role, vins: Sequence[str]) -> Sequence[str]:
    if role is Role.OWNER:
        return vins[-1:]
    return vins if role is Role.FLEET_MANAGER else ()
