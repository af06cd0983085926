"""Benchmarks: ``python -m bench.<name>`` prints readable figures, then one JSON line."""
