"""gunicorn's configuration comes from Settings: what `--print-config` shows is what the
environment said, and a bad environment stops it before it binds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET = "s" * 32
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "python:api.gunicorn_conf"]


def print_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "metrics").mkdir(exist_ok=True)
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "SECRET_KEY": SECRET,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        **env,
    }
    return subprocess.run(
        [*GUNICORN, "--print-config", "api.wsgi:app"],
        env=environ,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def shown(output: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in output.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_environment_reaches_gunicorn_through_settings(tmp_path: Path) -> None:
    result = print_config(
        tmp_path,
        PORT="8123",
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="7",
        GUNICORN_TIMEOUT="2m",
        FORWARDED_ALLOW_IPS="10.0.0.1",
        GUNICORN_ACCESS_LOG=str(tmp_path / "access.log"),
    )
    assert result.returncode == 0, result.stderr
    config = shown(result.stdout)
    assert config["bind"] == "['0.0.0.0:8123']"
    assert (config["workers"], config["threads"], config["timeout"]) == ("3", "7", "120")
    assert config["forwarded_allow_ips"] == "['10.0.0.1']"
    assert config["accesslog"] == str(tmp_path / "access.log")


def test_the_defaults_are_the_documented_ones(tmp_path: Path) -> None:
    result = print_config(tmp_path, GUNICORN_BIND="127.0.0.1:8999", PORT="1")
    assert result.returncode == 0, result.stderr
    config = shown(result.stdout)
    assert config["bind"] == "['127.0.0.1:8999']"  # GUNICORN_BIND wins over PORT
    assert (config["workers"], config["threads"], config["timeout"]) == ("2", "32", "300")
    assert (config["accesslog"], config["forwarded_allow_ips"]) == ("-", "['127.0.0.1']")


def test_a_bad_environment_stops_gunicorn_with_the_variable_named(tmp_path: Path) -> None:
    for env, message in (
        ({"GUNICORN_THREADS": "0"}, "GUNICORN_THREADS must be positive"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be 'json' or 'text'"),
        ({"TASK_SOFT_TIME_LIMIT": "95"}, "TASK_SOFT_TIME_LIMIT (95) must be less than"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
    ):
        result = print_config(tmp_path, **env)
        assert result.returncode == 2, (env, result.stderr)
        assert f"inlet api: configuration error: {message}" in result.stderr
        assert "Traceback" not in result.stderr
        assert "bind" not in shown(result.stdout)
