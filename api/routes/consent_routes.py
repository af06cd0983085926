from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import MAX_ID, ClockDep, JobsDep, StoresDep
from api.errors import NotFoundError, UnauthenticatedError
from api.keys import KeyStore
from api.schemas import Consent, ConsentRequest, problem
from api.scope import OWNERS, AccessDep, ScopedVin

NOT_FOUND = problem(404, "No such vehicle or workshop, or not yours to see.")
WorkshopId = Annotated[int, Path(ge=1, le=MAX_ID, description="The workshop's id.")]

router = APIRouter(prefix="/vehicles", tags=["consent"], responses=problem(503, "Unavailable."))


@router.get("/{vin}/consent", summary="Which signals workshops may see", responses=NOT_FOUND)
def get_consent(vin: ScopedVin, stores: StoresDep) -> Consent:
    """Per workshop, the signals of this vehicle it may read beyond its jobs' evidence
    window. None by default: a workshop sees only the evidence of its own jobs."""
    return Consent(vin=vin, workshops=_keys(stores.keys).consents(vin))


@router.put(
    "/{vin}/consent/{workshop_id}",
    summary="Grant or revoke a workshop's access to signals",
    responses={**NOT_FOUND, **problem(403, "Only the vehicle's owner may consent.")},
)
def put_consent(
    *,
    vin: ScopedVin,
    workshop_id: WorkshopId,
    body: ConsentRequest,
    access: AccessDep,
    stores: StoresDep,
    jobs: JobsDep,
    clock: ClockDep,
) -> Consent:
    """Replace the list of signals the workshop may read (``[]`` revokes everything)."""
    access.require(OWNERS, "consent on a vehicle's behalf")
    if all(w.id != workshop_id for w in jobs.workshops()):
        raise NotFoundError(f"no workshop {workshop_id}")
    keys = _keys(stores.keys)
    keys.set_consent(vin, workshop_id, body.signals, clock())
    return Consent(vin=vin, workshops=keys.consents(vin))


def _keys(keys: KeyStore | None) -> KeyStore:
    if keys is None:  # get_access has already refused such a request; this is for mypy
        raise UnauthenticatedError("this server has no key store")
    return keys
