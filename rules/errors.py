"""The rules package's error tree.

PitstopError
 └── RuleError (ValueError)       a rule catalogue that cannot be used; names file, rule, field

The job store's errors (``JobStoreError``) belong to the jobs package (jobs/errors.py); the job
store's sink (rules/jobsink.py) lets them pass and the worker counts them.
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class RuleError(PitstopError, ValueError):
    """A rule catalogue that cannot be loaded: the message names the file, rule and field."""
