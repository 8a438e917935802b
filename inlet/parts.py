"""How a file is cut into the parts a client sends straight to the store.

A file up to ``part_size`` bytes is one part; a larger one is parts of exactly
``part_size`` bytes, the last shorter. ``part_size`` is at least 5 MiB, the smallest part
S3 accepts in a multipart upload (all but the last), so the same plan works on any store.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

MIN_PART_SIZE = 5 * 1024 * 1024
# S3 numbers parts 1..10000.
MAX_PARTS = 10_000
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Part:
    number: int
    offset: int
    length: int


def plan(size: int, part_size: int) -> list[Part]:
    """The parts covering ``size`` bytes in order; one empty part for an empty file."""
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
    if size < 0:
        raise ValueError("size must not be negative")
    if size <= part_size:
        return [Part(1, 0, size)]
    count = -(-size // part_size)
    if count > MAX_PARTS:
        raise ValueError(f"a file of {size} bytes needs more than {MAX_PARTS} parts")
    return [Part(n + 1, n * part_size, min(part_size, size - n * part_size)) for n in range(count)]


def parts_match(size: int, part_size: int, parts_sha256: list[str]) -> bool:
    """Whether the client's part hashes are well-formed and as many as the plan's parts."""
    if not all(isinstance(h, str) and _HEX_SHA256.fullmatch(h) for h in parts_sha256):
        return False
    return len(parts_sha256) == len(plan(size, part_size))


def checksum_header(sha256_hex: str) -> str:
    """The ``x-amz-checksum-sha256`` value for a part: base64 of its raw SHA-256."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()
