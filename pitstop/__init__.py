"""pitstop: connected-vehicle remote diagnostics.

This package is the shared core: the wire contract (topics, message schema, codec), settings,
and the composition root (the ``pitstop`` command line and the demo).
"""

__version__ = "0.1.0"
