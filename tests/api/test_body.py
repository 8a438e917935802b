from __future__ import annotations

import io

import pytest

from api.body import BodyAborted, BodyReader, BodyTimeout


def test_the_whole_declared_body_passes() -> None:
    body = BodyReader(io.BytesIO(b"abcdef").read, expected=6, deadline=10)
    assert body.read(4) + body.read(10) == b"abcdef"
    body.finish()
    assert body.received == 6


def test_reads_never_go_past_the_declared_length() -> None:
    body = BodyReader(io.BytesIO(b"abcdef-next-request").read, expected=6, deadline=10)
    assert body.read(-1) == b"abcdef"
    assert body.read(5) == b""


def test_a_short_body_is_aborted() -> None:
    body = BodyReader(io.BytesIO(b"abc").read, expected=6, deadline=10)
    with pytest.raises(BodyAborted, match="3 of 6 bytes"):
        body.finish()


def test_the_deadline_bounds_the_whole_body() -> None:
    now = [0.0]
    body = BodyReader(io.BytesIO(b"a" * 10).read, expected=10, deadline=5, clock=lambda: now[0])
    body.read(1)
    now[0] = 6.0
    with pytest.raises(BodyTimeout):
        body.read(1)


def test_errors_of_the_connection_become_aborts() -> None:
    def broken(size: int) -> bytes:
        raise ConnectionResetError("peer went away")

    with pytest.raises(BodyAborted, match="cut off"):
        BodyReader(broken, expected=None, deadline=10).read(10)
