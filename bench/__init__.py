"""Inlet's benchmarks: each figure next to a floor measured in the same run.

`make bench` (or `python -m bench`) runs them; BENCHMARKS.md explains every figure.
Nothing here is imported by the product.
"""
