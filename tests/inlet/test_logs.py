"""The one logging configuration: JSON lines carrying the request id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from inlet import logs


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123", True),
        ("0b6f:req.42_x", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("has space", False),
        ("-leading-dash", False),
        ('quote"', False),
        ("line\nbreak", False),
    ],
)
def test_request_ids_from_callers_are_bounded_and_plain(given: str, kept: bool) -> None:
    assert logs.valid_request_id(given) == (given if kept else None)


def _emit(fmt: str, request_id: str | None) -> str:
    out = io.StringIO()
    logger = logging.getLogger(f"inlet.test.{fmt}")
    logger.propagate = False
    logger.addHandler(logs.handler(fmt, out))
    token = logs.request_id.set(request_id)
    try:
        logger.warning("stored %s", "img")
    finally:
        logs.request_id.reset(token)
        logger.handlers.clear()
    return out.getvalue()


def test_json_lines_carry_the_request_being_served() -> None:
    line = _emit("json", "req-1")
    record = json.loads(line)
    assert line.count("\n") == 1
    assert record["message"] == "stored img"
    assert record["level"] == "WARNING"
    assert record["logger"] == "inlet.test.json"
    assert record["request_id"] == "req-1"
    assert "time" in record


def test_outside_a_request_the_id_is_null() -> None:
    assert json.loads(_emit("json", None))["request_id"] is None


def test_text_format_is_one_readable_line() -> None:
    line = _emit("text", "req-2")
    assert "WARNING inlet.test.text [req-2] stored img" in line


def test_configure_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.configure("xml")
