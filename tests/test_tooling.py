"""The project's habits: hash-pinned requirements, pre-commit hooks, the CI workflows.

Run with the real tools of the virtualenv (requirements-dev.txt): make, pre-commit,
actionlint (with shellcheck) and docker-compose; none needs a network or a Docker engine.
The workflows themselves run only on GitHub: here they are linted and read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import dev_tool

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
COMPOSE_CI = ROOT / ".github" / "compose.ci.yml"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)
# The long-running services of docker-compose.yml and its one-shot setup services.
LONG_RUNNING = {"api", "worker", "beat", "flower", "nginx", "redis", "minio", "elasticsearch"}
LONG_RUNNING |= {"kibana", "prometheus", "grafana"}
ONE_SHOT = {"secrets", "minio-setup", "es-setup", "kibana-setup"}


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins(path: Path) -> dict[str, str]:
    return {_name(name): version for name, version in PIN.findall(path.read_text())}


def _requirements(path: Path) -> list[str]:
    """Each requirement of a compiled file, its continuation lines (the hashes) joined."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    lines = (line.strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# --- requirements ----------------------------------------------------------------


@pytest.mark.parametrize("compiled", ["requirements.txt", "requirements-dev.txt"])
def test_every_requirement_is_pinned_with_hashes(compiled: str) -> None:
    entries = [line.strip() for line in _requirements(ROOT / compiled)]
    assert len(entries) > 40
    for entry in entries:
        assert PIN.match(entry), f"{compiled}: not pinned to one version: {entry[:80]}"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"{compiled}: no hash: {entry[:80]}"


@pytest.mark.parametrize(
    ("source", "compiled"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_the_compiled_files_hold_what_their_sources_name(source: str, compiled: str) -> None:
    wanted, pinned = _pins(ROOT / source), _pins(ROOT / compiled)
    assert wanted
    stale = {
        name: (version, pinned.get(name))
        for name, version in wanted.items()
        if pinned.get(name) != version
    }
    assert stale == {}, f"run `make requirements`: {compiled} lags {source}"


def test_the_dev_set_runs_the_runtime_versions() -> None:
    """`make test` tests the very versions the image ships."""
    runtime, dev = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements-dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime


def _make(*args: str) -> str:
    """What make would run (-n), as if the virtualenv were still to be installed."""
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "STAMP=/nonexistent/.installed", *args],  # noqa: S607 - make from PATH, as a user runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return re.sub(r"\\\n", " ", result.stdout)


def test_make_install_checks_every_hash() -> None:
    commands = [line for line in _make("install").splitlines() if "pip install" in line]
    assert len(commands) == 1
    assert "--require-hashes" in commands[0]
    assert re.search(r"-r\s+requirements-dev\.txt", commands[0])


def test_ci_installs_through_make_test() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.MULTILINE)
    assert "pip install" not in ci  # the only install is make's, with --require-hashes
    assert "pip install" in _make("test")


def test_make_lint_runs_actionlint_with_shellcheck() -> None:
    lint = _make("lint")
    assert re.search(r"actionlint -shellcheck \S*shellcheck .*compose\.yml", lint)
    assert ".github/workflows/test.yml" in lint


def test_make_smoke_takes_base_url() -> None:
    smoke = _make("smoke", "BASE_URL=http://127.0.0.1:9")
    assert "-m devstack.smoke http://127.0.0.1:9" in smoke


# --- workflows -------------------------------------------------------------------


def _actionlint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [dev_tool("actionlint"), "-shellcheck", dev_tool("shellcheck"), "-no-color", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_passes_the_workflows() -> None:
    # Named one by one, as make lint does: a copy without .git has no "project".
    result = _actionlint(*(str(path) for path in sorted(WORKFLOWS.glob("*.yml"))))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
        "      - run: cd $UNQUOTED_DIR\n"
    )
    result = _actionlint(str(broken))
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout
    assert "SC2086" in result.stdout  # shellcheck saw the run: script


def _workflow(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return loaded


def _steps(workflow: str, job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _workflow(workflow)["jobs"][job]["steps"]
    return steps


def _step_index(steps: list[dict[str, Any]], pattern: str) -> int:
    found = [i for i, step in enumerate(steps) if re.search(pattern, step.get("run", ""))]
    assert found, f"no step runs {pattern!r}"
    return found[0]


def test_the_test_job_is_ci_run_on_debian() -> None:
    job = _workflow("test.yml")["jobs"]["test"]
    assert re.fullmatch(r"python:3\.11\.\d+-bookworm", job["container"])
    assert [step["run"] for step in job["steps"] if "run" in step] == ["bash .ci/run"]


def test_the_compose_job_walks_through_then_tests_end_to_end_then_cleans_up() -> None:
    steps = _steps("compose.yml", "compose")
    up = _step_index(steps, r"docker compose up --build --wait")
    smoke = _step_index(steps, r"make smoke BASE_URL=")
    e2e = _step_index(steps, r"pytest tests/e2e")
    down = _step_index(steps, r"docker compose down -v")
    assert up < smoke < e2e < down
    assert steps[down]["if"] == "always()"
    for variable in ("REDIS_URL", "S3_ENDPOINT", "ELASTICSEARCH_URL"):
        assert f"{variable}=" in steps[e2e]["run"]


def _compose_config(tmp_path: Path) -> dict[str, Any]:
    files = _workflow("compose.yml")["env"]["COMPOSE_FILE"].split(":")
    result = subprocess.run(
        [dev_tool("docker-compose"), "--project-directory", str(ROOT)]
        + [arg for f in files for arg in ("--file", str(ROOT / f))]
        + ["--env-file", os.devnull, "config", "--format", "json"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_the_compose_job_starts_every_service(tmp_path: Path) -> None:
    services = _compose_config(tmp_path)["services"]
    assert set(services) == LONG_RUNNING | ONE_SHOT, "a new service: start it in compose.yml"
    up = _steps("compose.yml", "compose")[
        _step_index(_steps("compose.yml", "compose"), "up --build")
    ]
    lines = up["run"].replace("\\\n", " ").splitlines()
    named = set(lines[0].split("--wait-timeout")[1].split()[1:])
    ran = {line.split()[-1] for line in lines if "docker compose run" in line}
    started = set(named)
    for name in named:  # with their dependencies
        started |= set(services[name].get("depends_on", {}))
    assert started >= LONG_RUNNING
    # A one-shot that nothing started waits for would fail `up --wait`: it runs alone.
    adopted = {
        dep
        for name in named
        for dep, how in services[name].get("depends_on", {}).items()
        if how["condition"] == "service_completed_successfully"
    }
    assert ONE_SHOT - adopted == ran


def test_the_ci_override_publishes_the_backends_on_loopback_only(tmp_path: Path) -> None:
    services = _compose_config(tmp_path)["services"]
    published = {
        (name, port["target"]): port.get("host_ip")
        for name, service in services.items()
        for port in service.get("ports", [])
    }
    for backend in (("redis", 6379), ("minio", 9000), ("elasticsearch", 9200)):
        assert published.get(backend) == "127.0.0.1", backend
    override: dict[str, Any] = yaml.safe_load(COMPOSE_CI.read_text())
    ports = [port for service in override["services"].values() for port in service["ports"]]
    assert ports
    assert all(port.startswith("127.0.0.1:") for port in ports)


# --- pre-commit ------------------------------------------------------------------


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],  # noqa: S607 - git from PATH
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")},
    )


def test_pre_commit_refuses_a_commit_that_make_lint_would_refuse(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo)
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (repo / ".gitignore").write_text(".venv\n")
    (repo / "pyproject.toml").write_text('[tool.mypy]\nstrict = true\nfiles = ["pkg"]\n')
    (repo / "pkg" / "a.py").write_text("import os\n\n\ndef double(x):\n    return 2 * x\n")
    (repo / "Dockerfile").write_text("FROM python:latest\nRUN cd /app\n")
    assert _git(repo, "init", "-q").returncode == 0
    install = subprocess.run(
        [dev_tool("pre-commit"), "install"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")},
    )
    assert install.returncode == 0, install.stderr
    _git(repo, "add", ".")
    refused = _git(repo, "commit", "-m", "bad")
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    for complaint in ("F401", "no-untyped-def", "DL3007"):
        assert complaint in said, said
    (repo / "pkg" / "a.py").write_text("def double(x: int) -> int:\n    return 2 * x\n")
    (repo / "Dockerfile").write_text("FROM python:3.12.12-slim\nWORKDIR /app\n")
    _git(repo, "add", ".")
    accepted = _git(repo, "commit", "-m", "good")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
