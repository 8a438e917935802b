"""Schemathesis against /openapi.json of a running deployment: generated valid and
invalid requests, seeded and time-bounded. No server error, only documented statuses,
content types and bodies, invalid input refused, auth never ignored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
)
SECONDS = 90
SEED = 20261129


def test_the_api_conforms_to_its_openapi_document(stack: Stack, tmp_path: Path) -> None:
    binary = Path(sys.executable).parent / "schemathesis"
    config = Path(__file__).with_name("schemathesis.toml")
    argv = [
        str(binary),
        "--config-file", str(config),
        "run", f"{stack.url}/openapi.json",
        "--checks", ",".join(CHECKS),
        "--max-time", str(SECONDS),
        "--seed", str(SEED),
        "--workers", "2",
        "--header", f"Authorization: {stack.admin['Authorization']}",
        "--request-timeout", "20",
        "--generation-database", "none",
        "--no-color",
    ]  # fmt: skip
    result = subprocess.run(
        argv, capture_output=True, text=True, cwd=tmp_path, timeout=SECONDS * 3, check=False
    )
    report = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(report)
    assert result.returncode == 0, report[-6000:]
