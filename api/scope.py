"""Who is calling and what they may see: the one place where scope is decided.

Every route but ``/health`` depends on ``get_access`` (directly or through the scoped
parameters below), which authenticates the caller (``Authorization: Bearer <key>``, or the
session cookie of the web pages, ``api.sessions``; a cookie-signed call that changes state
must also pass ``api.csrf.check_api_call``) and resolves its scope once per request into an
``Access``.
Routes then ask for a ``ScopedVin``, ``ScopedSignal`` or ``ScopedJob`` instead of a bare id:
an object outside the caller's scope answers 404 exactly like one that does not exist.

    engineer, admin          every vehicle, signal and job
    workshop                 jobs booked into its workshop, their evidence; the signals an
                             owner consented to, of the vehicles it has open jobs for
    owner, fleet_manager     their vehicles (the owner's, and/or the key's VINs) and their jobs
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated

from fastapi import Depends, Request

from api.audit import note_actor
from api.csrf import check_api_call
from api.deps import JobId, JobsDep, Signal, Stores, Vin, get_stores
from api.errors import ForbiddenError, NotFoundError, UnauthenticatedError
from api.keys import ApiKey, KeyStore, Role
from api.sessions import SessionStore, csrf_token
from jobs.model import OPEN_STATUSES, Job
from jobs.store import JobStore

COOKIE = "pitstop_session"  # a session id (api.sessions), never a key
WHOLE_FLEET = frozenset({Role.ENGINEER, Role.ADMIN})
OWNERS = frozenset({Role.OWNER, Role.FLEET_MANAGER})


@dataclass(frozen=True, slots=True)
class Access:
    key: ApiKey
    vins: frozenset[str] | None  # the vehicles whose telemetry it sees; None: all
    granted: Mapping[str, frozenset[str]] = field(default_factory=dict)  # consented signals
    session: str | None = field(default=None, repr=False)  # the session id, if cookie-signed

    @property
    def csrf(self) -> str | None:
        """The token the session's forms carry; None for a Bearer key."""
        return csrf_token(self.session) if self.session is not None else None

    @property
    def role(self) -> Role:
        return self.key.role

    def sees_vin(self, vin: str) -> bool:
        return self.vins is None or vin in self.vins

    def sees_signal(self, vin: str, signal: str) -> bool:
        return self.sees_vin(vin) or signal in self.granted.get(vin, frozenset())

    def sees_job(self, job: Job) -> bool:
        if self.role is Role.WORKSHOP:
            return job.workshop_id is not None and job.workshop_id == self.key.workshop_id
        return self.sees_vin(job.vin)

    def sees_workshop(self, workshop_id: int) -> bool:
        return self.role is not Role.WORKSHOP or workshop_id == self.key.workshop_id

    def require(self, roles: frozenset[Role], doing: str) -> None:
        """403 for a caller whose role may not do this at all (scope is checked separately)."""
        if self.role not in roles and self.role is not Role.ADMIN:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise ForbiddenError(f"only a key with the role {allowed} may {doing}")


def bearer_of(request: Request) -> str | None:
    """The key of ``Authorization: Bearer <key>``, if the request presents one."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def resolve(key: ApiKey, jobs: JobStore, keys: KeyStore) -> Access:
    """A key's scope, as sets the checks above read."""
    if key.role in WHOLE_FLEET:
        return Access(key, None)
    if key.role in OWNERS:
        vins = set(key.vins)
        if key.owner_id is not None:
            vins.update(v.vin for v in jobs.vehicles(owner_id=key.owner_id))
        return Access(key, frozenset(vins))
    open_vins = {
        job.vin
        for job in jobs.list_jobs(workshop_id=key.workshop_id)
        if job.status in OPEN_STATUSES
    }
    granted: dict[str, frozenset[str]] = {
        vin: frozenset(keys.consents(vin).get(key.workshop_id or 0, ())) for vin in open_vins
    }
    return Access(key, frozenset(), granted)


def get_access(request: Request, stores: Annotated[Stores, Depends(get_stores)]) -> Access:
    """The caller's access; 403 for a cookie-signed state change without proof of origin."""
    access = authenticate(request, stores)
    if access.session is not None:
        check_api_call(request, access.session)
    return access


def authenticate(request: Request, stores: Stores) -> Access:
    """Who calls: the Bearer key if there is one, else the session of the cookie."""
    if stores.keys is None:
        raise UnauthenticatedError("this server has no key store, so no key can be checked")
    secret = bearer_of(request)
    if secret is not None:
        key = stores.keys.authenticate(secret)
        if key is None:
            raise UnauthenticatedError("this API key is unknown or has been revoked")
        note_actor(request, key, "bearer key")
        return resolve(key, stores.jobs, stores.keys)
    session = request.cookies.get(COOKIE)
    if not session:
        raise UnauthenticatedError(
            "an API key is required: send 'Authorization: Bearer <key>' "
            "(keys come from 'pitstop admin keys create')"
        )
    key = SessionStore(stores.keys).authenticate(session, stores.clock())
    if key is None:
        raise UnauthenticatedError("this session has ended (signed out, expired or revoked)")
    note_actor(request, key, "session")
    return replace(resolve(key, stores.jobs, stores.keys), session=session)


AccessDep = Annotated[Access, Depends(get_access)]


async def scoped_vin(vin: Vin, access: AccessDep) -> str:
    return visible_vin(access, vin)


def visible_vin(access: Access, vin: str) -> str:
    """``vin`` if the caller may see it; else 404, as for a vehicle that does not exist."""
    if not access.sees_vin(vin):
        raise unknown_vehicle(vin)
    return vin


async def scoped_signal(vin: Vin, signal: Signal, access: AccessDep) -> tuple[str, str]:
    if not access.sees_signal(vin, signal):
        raise unknown_vehicle(vin)
    return vin, signal


def scoped_job(job_id: JobId, access: AccessDep, jobs: JobsDep) -> Job:
    job = jobs.get_job(job_id)
    if job is None or not access.sees_job(job):
        raise NotFoundError(f"no job {job_id}")
    return job


def unknown_vehicle(vin: str) -> NotFoundError:
    return NotFoundError(
        f"no vehicle {vin} among those you may see (nothing stored for it, or not yours to see)"
    )


ScopedVin = Annotated[str, Depends(scoped_vin)]
ScopedSignal = Annotated[tuple[str, str], Depends(scoped_signal)]
