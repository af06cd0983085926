"""The API's models of the service network: ratings (request and response), hand-offs, each
workshop's standing, refused slots and the satisfaction report. Times are epoch seconds (UTC)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

EPOCH = "Epoch seconds, UTC."
Mark = Field(ge=1, le=5)


class RatingRequest(BaseModel):
    """The owner's marks for a completed job, 1 (poor) to 5 (excellent), and a comment."""

    model_config = ConfigDict(extra="forbid", strict=True)

    overall: int = Field(ge=1, le=5, description="How satisfied you are overall.")
    quality: int = Field(ge=1, le=5, description="The quality of the repair.")
    speed: int = Field(ge=1, le=5, description="How quickly it was done.")
    price: int = Field(ge=1, le=5, description="The price, for what was done.")
    communication: int = Field(ge=1, le=5, description="How well you were kept informed.")
    reception: int = Field(ge=1, le=5, description="The welcome at the workshop's reception.")
    comment: str = Field(default="", max_length=2000, description="Free text; shown escaped.")


class RatingOut(BaseModel):
    job_id: int
    workshop_id: int
    at: float = Field(description=EPOCH)
    overall: int
    quality: int
    speed: int
    price: int
    communication: int
    reception: int
    comment: str


class HandoffOut(BaseModel):
    """One step of a job's way through the network."""

    at: float = Field(description=EPOCH)
    kind: str = Field(description="offered, declined (with a reason), unplaced or escalated.")
    workshop_id: int | None
    workshop: str | None = Field(description="The workshop's name, if any.")
    reason: str


class Standing(BaseModel):
    """How a workshop stands in the network (see jobs/ranking.py for the formulas)."""

    score: float = Field(description="1-5: owners' overall marks, Bayesian-averaged.")
    ratings: int
    comeback_rate: float = Field(description="0-1: share of its fixes that came back, smoothed.")
    fixed: int = Field(description="Jobs it closed as fixed.")
    comebacks: int = Field(description="Of those, how many came back within the window.")


class FreeSlot(BaseModel):
    start: float = Field(description=EPOCH)
    end: float = Field(description=EPOCH)


class SlotRefused(BaseModel):
    """A 409: an action the job's status does not allow, or a move the calendar refused, with
    the slots it could take instead (``alternatives``, present for a refused move only)."""

    detail: str
    alternatives: list[FreeSlot] = Field(
        default_factory=list, description="A refused move: the free slots it could take."
    )


class AspectOut(BaseModel):
    aspect: str
    ratings: int
    mean: float | None = Field(description="Performance: the mean mark, 1-5.")
    spread: float | None = Field(description="The marks' standard deviation.")
    importance: float | None = Field(
        description="How much it drives overall satisfaction: correlation with the overall mark."
    )
    quadrant: str | None = Field(
        description="concentrate here, keep up the good work, low priority or possible overkill."
    )
    priority: float | None = Field(description="importance * (5 - mean): highest first.")


class SatisfactionOut(BaseModel):
    ratings: int
    overall_mean: float | None
    aspects: list[AspectOut] = Field(description="Highest priority first.")
