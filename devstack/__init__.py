"""Development and test tooling: real servers from pip-installed binaries.

Not part of the product image; used by `make dev`, the test suite and `make bench`.
"""
