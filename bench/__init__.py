"""Benchmarks run by `make bench` (`python -m bench --scale quick|full`).

Each benchmark is a module here with `run(scale, lines=None) -> dict`; results are written to
docs/benchmarks.md. They run against their own database, created and dropped by the run.
"""
