"""The rules package's error tree.

PitstopError
 └── RuleError (ValueError)       a rule catalogue that cannot be used; names file, rule, field

The job store's errors are the jobs package's own (``jobs.errors``).
"""

from __future__ import annotations

from pitstop.errors import PitstopError


class RuleError(PitstopError, ValueError):
    """A rule catalogue that cannot be loaded: the message names the file, rule and field."""
