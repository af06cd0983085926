"""Request and response models of the owner's assistant (``POST /assist``, ``/assist/book``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.schemas import EPOCH
from jobs.model import JobStatus
from pitstop.topics import validate_vin

MAX_TEXT = 500
VinField = Annotated[str, AfterValidator(validate_vin)]


class AssistRequest(BaseModel):
    """What the owner says, and optionally which car (then its evidence re-ranks)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(
        min_length=1, max_length=MAX_TEXT, description="The problem in the owner's words."
    )
    vin: VinField | None = Field(default=None, description="One of your vehicles.")
    limit: int = Field(default=3, ge=1, le=10, description="At most this many answers.")


class BookRequest(BaseModel):
    """Book one of the first three answers of ``POST /assist`` (the same text and car), or a
    general inspection, as a job."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    vin: VinField
    rule_id: str = Field(
        min_length=1,
        max_length=64,
        description="An answer's rule_id, or 'owner-report' for a general inspection.",
    )


class OpenJobOut(BaseModel):
    id: int
    status: str


class CandidateOut(BaseModel):
    rank: int
    key: str = Field(description="The diagnosis (its first rule's id).")
    rule_id: str = Field(description="The rule a booking names: the one the evidence backs.")
    title: str
    headline: str = Field(description="The name in the language of the question.")
    summary: str
    score: float = Field(description="Text score x (1 + the car's evidence weight).")
    text_score: float = Field(description="0..1, from the description alone.")
    why: str = Field(description="The car's evidence in plain words ('' without any).")
    evidence: list[str] = Field(description="Kinds of evidence: code, firing, near_limit, ...")
    open_job: OpenJobOut | None = Field(description="The job already open for it, if any.")


class AssistAnswer(BaseModel):
    text: str
    language: str = Field(description="en or zh: the language of the question and answer.")
    vin: str | None
    confident: bool = Field(description="False: nothing matches well; book a general inspection.")
    message: str = Field(description="When not confident, what to say to the owner.")
    candidates: list[CandidateOut]


class Booked(BaseModel):
    job_id: int
    created: bool = Field(description="False: the job was already open; it is returned instead.")
    rule_id: str
    title: str
    status: JobStatus
    slot_start: float | None = Field(description=f"The booked slot, if any. {EPOCH}")
