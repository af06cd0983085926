"""The assistant's errors.

PitstopError
 └── AssistError
      ├── ModelUnavailableError (RuntimeError)  the embedding model cannot be loaded
      └── QuestionError (ValueError)            a description that cannot be asked
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class AssistError(PitstopError):
    """Base of the assistant's errors."""


class ModelUnavailableError(AssistError, RuntimeError):
    """The sentence-embedding model (its package or its weights) cannot be loaded."""


class QuestionError(AssistError, ValueError):
    """A description that is empty or too long to ask about."""
