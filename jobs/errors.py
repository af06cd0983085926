"""The jobs package's error tree.

PitstopError
 └── JobStoreError                   the job store could not do what was asked
      ├── JobTransitionError (ValueError)  an action the job's status does not allow
      │    └── SlotRefusedError            a slot that does not fit (hours, bays, the past):
      │                                     carries the free slots it could take instead
      └── RatingError (ValueError)         a rating that cannot be kept (not completed,
                                           already rated, a mark outside 1-5)
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class JobStoreError(PitstopError):
    """The job store could not do what was asked."""


class JobTransitionError(JobStoreError, ValueError):
    """An action the job's status does not allow, or one missing its argument."""


class SlotRefusedError(JobTransitionError):
    """A slot the workshop's calendar cannot take; ``alternatives`` are (start, end) slots
    that it can."""

    def __init__(self, message: str, alternatives: tuple[tuple[float, float], ...] = ()) -> None:
        super().__init__(message)
        self.alternatives = alternatives


class RatingError(JobStoreError, ValueError):
    """A rating that cannot be kept."""
