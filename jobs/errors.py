"""The jobs package's error tree.

PitstopError
 └── JobStoreError                   the job store could not do what was asked
      └── JobTransitionError (ValueError)  an action the job's status does not allow
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class JobStoreError(PitstopError):
    """The job store could not do what was asked."""


class JobTransitionError(JobStoreError, ValueError):
    """An action the job's status does not allow, or one missing its argument."""
