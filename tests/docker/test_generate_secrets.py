"""docker/generate-secrets.py, the `secrets` service's script, run for real."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.servers import REPO

SCRIPT = REPO / "docker" / "generate-secrets.py"
NAMES = {
    "secret_key",
    "s3_secret_key",
    "redis_password",
    "minio_root_password",
    "kibana_viewer_password",
    "elastic_password",
    "kibana_password",
    "inlet_es_password",
    "flower_password",
    "grafana_admin_password",
}


def generate(directory: Path, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(directory)],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def contents(directory: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in directory.iterdir()}


def test_creates_every_secret_once_private_and_random(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    result = generate(directory)
    values = contents(directory)
    assert set(values) == NAMES
    for name, value in values.items():
        mode = stat.S_IMODE((directory / name).stat().st_mode)
        assert mode & 0o077 == 0, f"{name} is mode {mode:o}"
        assert len(value) >= 40, name
        assert value not in result.stdout
    assert len(set(values.values())) == len(values)
    # Others may reach their own file by name, but not list the directory.
    assert stat.S_IMODE(directory.stat().st_mode) == 0o711


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    generate(tmp_path)
    first = contents(tmp_path)
    again = generate(tmp_path)
    assert contents(tmp_path) == first
    assert again.stdout.count(": kept") == len(NAMES)


def test_never_overwrites_an_existing_secret(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("chosen-by-the-operator-long-enough-to-sign")
    (tmp_path / "secret_key").chmod(0o644)
    generate(tmp_path)
    assert (tmp_path / "secret_key").read_text() == "chosen-by-the-operator-long-enough-to-sign"
    # Kept, but no longer readable by others.
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_an_empty_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "flower_password").write_text("")
    generate(tmp_path)
    assert len((tmp_path / "flower_password").read_text()) >= 40


def test_a_value_from_the_environment_wins(tmp_path: Path) -> None:
    generate(tmp_path)
    before = contents(tmp_path)
    result = generate(tmp_path, ELASTIC_PASSWORD="from-dot-env", FLOWER_PASSWORD="")
    after = contents(tmp_path)
    assert after["elastic_password"] == "from-dot-env"
    assert stat.S_IMODE((tmp_path / "elastic_password").stat().st_mode) == 0o600
    # An empty variable (compose's default when .env has none) changes nothing.
    assert after["flower_password"] == before["flower_password"]
    assert {k: v for k, v in after.items() if k != "elastic_password"} == {
        k: v for k, v in before.items() if k != "elastic_password"
    }
    assert "from-dot-env" not in result.stdout
    # Idempotent with the variable too.
    generate(tmp_path, ELASTIC_PASSWORD="from-dot-env")
    assert contents(tmp_path) == after


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    generate(tmp_path, SECRET_KEY="x" * 40)
    generate(tmp_path, SECRET_KEY="y" * 40)
    assert {p.name for p in tmp_path.iterdir()} == NAMES


def test_as_root_each_file_belongs_to_its_reader(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown needs root (CI runs as root)")
    generate(tmp_path)
    owners = {p.name: p.stat().st_uid for p in tmp_path.iterdir()}
    # The Inlet image's user, the Elasticsearch/Kibana images' user, Grafana's.
    assert owners == {
        "secret_key": 10001,
        "s3_secret_key": 10001,
        "redis_password": 10001,
        "minio_root_password": 10001,
        "inlet_es_password": 10001,
        "flower_password": 10001,
        "elastic_password": 1000,
        "kibana_password": 1000,
        "kibana_viewer_password": 1000,
        "grafana_admin_password": 472,
    }
