from __future__ import annotations

import base64
import hashlib

import pytest

from inlet import parts

MiB = 1024 * 1024


def test_a_file_up_to_one_part_is_one_part() -> None:
    assert parts.plan(5 * MiB, 5 * MiB) == [parts.Part(1, 0, 5 * MiB)]
    assert parts.plan(10, 5 * MiB) == [parts.Part(1, 0, 10)]
    assert parts.plan(0, 5 * MiB) == [parts.Part(1, 0, 0)]


def test_a_larger_file_is_full_parts_then_a_shorter_last() -> None:
    plan = parts.plan(11 * MiB + 7, 5 * MiB)
    assert [(p.number, p.offset, p.length) for p in plan] == [
        (1, 0, 5 * MiB),
        (2, 5 * MiB, 5 * MiB),
        (3, 10 * MiB, MiB + 7),
    ]
    assert sum(p.length for p in plan) == 11 * MiB + 7


def test_an_exact_multiple_has_no_empty_tail() -> None:
    assert [p.length for p in parts.plan(10 * MiB, 5 * MiB)] == [5 * MiB, 5 * MiB]


def test_parts_below_the_s3_minimum_are_refused() -> None:
    with pytest.raises(ValueError, match="part_size"):
        parts.plan(10, 5 * MiB - 1)


def test_too_many_parts_are_refused() -> None:
    with pytest.raises(ValueError, match="parts"):
        parts.plan(5 * MiB * parts.MAX_PARTS + 1, 5 * MiB)


def test_parts_match_counts_and_shapes() -> None:
    h = hashlib.sha256(b"x").hexdigest()
    assert parts.parts_match(11 * MiB, 5 * MiB, [h, h, h])
    assert not parts.parts_match(11 * MiB, 5 * MiB, [h, h])
    assert not parts.parts_match(1, 5 * MiB, [h.upper()])
    assert not parts.parts_match(1, 5 * MiB, ["zz"])


def test_checksum_header_is_base64_of_the_raw_digest() -> None:
    digest = hashlib.sha256(b"part")
    assert base64.b64decode(parts.checksum_header(digest.hexdigest())) == digest.digest()
