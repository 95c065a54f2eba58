"""Reproducible benchmarks, each figure beside its baseline: `python -m benchmarks`."""
