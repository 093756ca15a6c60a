"""Benchmarks: salesbot's requests, wall time and memory against N seeded issues.

`python -m benchmarks` (or `make bench`); see `benchmarks.runner` for what is
measured and `benchmarks.dataset` for the data.
"""
