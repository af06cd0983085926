"""Ingest: MQTT -> validation -> telemetry store. Owns the telemetry store and its backends."""
