"""The core's error tree.

    PitstopError
     ├── TopicError (ValueError)      a topic or VIN that breaks the contract
     ├── CodecError (ValueError)      a payload that cannot be decoded
     └── ConfigError (ValueError)     settings or a URL that cannot be used

Each package (gateway, ingest, rules, api) roots its own errors at ``PitstopError`` too.
"""


class PitstopError(Exception):
    """Base of every error pitstop raises on purpose."""


class TopicError(PitstopError, ValueError):
    """A topic or VIN that breaks the topic contract."""


class CodecError(PitstopError, ValueError):
    """A payload that cannot be decoded into a pitstop message."""


class ConfigError(PitstopError, ValueError):
    """A setting or URL that cannot be used."""
