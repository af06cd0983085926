from __future__ import annotations

from fastapi import APIRouter

from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness")
def health() -> Health:
    """Always ``{"status": "ok"}`` while the process serves requests."""
    return Health()
