"""pitstop: connected-vehicle remote diagnostics.

This package is the wire contract every part stands on, and nothing else: topics, the message
schema and codec, the DTC model, the MQTT client factory and the root of the error tree.
"""

__version__ = "0.1.0"
