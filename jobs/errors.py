"""The jobs package's error tree.

PitstopError
 └── JobStoreError                   the job store could not do what was asked
      ├── JobTransitionError (ValueError)  an action the job's status does not allow
      │    └── SlotRefusedError            a slot that does not fit (hours, bays, the past):
      │                                     carries the free slots it could take instead
      ├── ServiceBookError                 a service-book record that cannot be written
      │    └── CsvImportError (ValueError) a CSV file that cannot be imported (row, column)
      └── RatingError (ValueError)         a rating that cannot be kept (not completed,
                                           already rated, a mark outside 1-5)
"""

from __future__ import annotations

from dataclasses import dataclass

from pitstop.errors import PitstopError


class JobStoreError(PitstopError):
    """The job store could not do what was asked."""


class JobTransitionError(JobStoreError, ValueError):
    """An action the job's status does not allow, or one missing its argument."""


class ServiceBookError(JobStoreError):
    """A service-book record that cannot be written as asked (unknown record, bad value)."""


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """One thing wrong in a CSV file: the row (1 is the header), the column, what."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


class CsvImportError(ServiceBookError, ValueError):
    """A CSV file that cannot be imported; ``problems`` names each row and column (the first
    ``SHOWN`` are in the message). Nothing of such a file is imported."""

    SHOWN = 20

    def __init__(self, problems: tuple[CsvProblem, ...]) -> None:
        lines = [str(p) for p in problems[: self.SHOWN]]
        more = len(problems) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        super().__init__("; ".join(lines) or "the CSV file cannot be imported")
        self.problems = problems


class SlotRefusedError(JobTransitionError):
    """A slot the workshop's calendar cannot take; ``alternatives`` are (start, end) slots
    that it can."""

    def __init__(self, message: str, alternatives: tuple[tuple[float, float], ...] = ()) -> None:
        super().__init__(message)
        self.alternatives = alternatives


class RatingError(JobStoreError, ValueError):
    """A rating that cannot be kept."""
