"""Packaging: Dockerfile, .dockerignore, docker-compose.yml and .env.example.

Checked with the real `docker-compose` and `hadolint` binaries from the virtualenv
(requirements-dev.txt); neither needs a Docker engine. Compose runs with a clean
environment and a temporary --env-file built from .env.example, so a developer's own
.env or shell variables cannot change the outcome.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack.commands import PROCESS_COMMANDS

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"

# Left empty in .env.example; Compose must refuse to start without each of them.
REQUIRED = (
    "SECRET_KEY",
    "ELASTIC_PASSWORD",
    "KIBANA_PASSWORD",
    "MINIO_ROOT_PASSWORD",
    "S3_SECRET_KEY",
    "FLOWER_PASSWORD",
)
APP_SERVICES = ("api", "worker", "beat", "flower")
LONG_RUNNING = (
    *APP_SERVICES,
    "redis",
    "minio",
    "elasticsearch",
    "kibana",
    "prometheus",
    "grafana",
)
ONE_SHOT = ("minio-setup", "es-setup", "kibana-setup", "grafana-password")
MUST_BE_HEALTHCHECKED = ("api", "redis", "minio", "elasticsearch", "kibana")
ASSIGNMENT = re.compile(r"^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def _tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: install requirements-dev.txt (make install)")
    return found


def _example() -> dict[str, str]:
    """The variables .env.example sets (uncommented lines), in order."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match and not match.group(1):
            values[match.group(2)] = match.group(3)
    return values


def _documented() -> set[str]:
    """Every variable .env.example mentions, set or commented out."""
    return {
        m.group(2) for line in ENV_EXAMPLE.read_text().splitlines() if (m := ASSIGNMENT.match(line))
    }


def _filled_example() -> dict[str, str]:
    """.env.example with every empty (required) value filled in."""
    return {name: value or secrets.token_urlsafe(32) for name, value in _example().items()}


ComposeRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> ComposeRunner:
    """Runs docker-compose on the repo's compose file with the given .env values."""
    binary = _tool("docker-compose")
    workdir = tmp_path_factory.mktemp("compose")

    def run(values: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        env_file = workdir / f"{secrets.token_hex(4)}.env"
        env_file.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(workdir),
            "DOCKER_CONFIG": str(workdir / "docker-config"),
            "COMPOSE_PROJECT_NAME": "inlet-packaging-test",
        }
        return subprocess.run(
            [
                binary,
                "--project-directory",
                str(ROOT),
                "--file",
                str(COMPOSE_FILE),
                "--env-file",
                str(env_file),
                *args,
            ],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture(scope="module")
def env_values() -> dict[str, str]:
    return _filled_example()


@pytest.fixture(scope="module")
def config(compose: ComposeRunner, env_values: dict[str, str]) -> dict[str, Any]:
    result = compose(env_values, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def services(config: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = config["services"]
    return found


# --- docker-compose.yml and .env.example -------------------------------------------


def test_compose_config_is_valid_with_a_complete_env(
    compose: ComposeRunner, env_values: dict[str, str]
) -> None:
    result = compose(env_values, "config", "--quiet")
    assert result.returncode == 0, result.stderr
    # Every variable has a value or a default: no "is not set" warnings.
    assert "is not set" not in result.stderr, result.stderr


@pytest.mark.parametrize("name", REQUIRED)
def test_compose_fails_fast_naming_a_missing_secret(
    compose: ComposeRunner, env_values: dict[str, str], name: str
) -> None:
    for values in ({**env_values, name: ""}, {k: v for k, v in env_values.items() if k != name}):
        result = compose(values, "config", "--quiet")
        assert result.returncode != 0
        assert f"set {name} in .env" in result.stderr, result.stderr


def test_env_example_itself_is_refused_until_filled_in(compose: ComposeRunner) -> None:
    result = compose(_example(), "config", "--quiet")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_env_example_leaves_every_secret_empty() -> None:
    example = _example()
    for name in REQUIRED:
        assert example.get(name) == "", f"{name} must be present and empty in .env.example"
    assert "secrets.token_urlsafe" in ENV_EXAMPLE.read_text()


def test_env_example_documents_exactly_the_compose_variables() -> None:
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    documented = _documented()
    assert used - documented == set(), "used in docker-compose.yml, not in .env.example"
    assert documented - used == set(), "in .env.example, not used by docker-compose.yml"


def test_every_service_is_defined(services: dict[str, Any]) -> None:
    assert set(services) == {*LONG_RUNNING, *ONE_SHOT}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_commands_are_the_process_commands(services: dict[str, Any], name: str) -> None:
    assert services[name]["command"] == PROCESS_COMMANDS[name]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_share_the_image_and_production_settings(
    services: dict[str, Any], env_values: dict[str, str], name: str
) -> None:
    service = services[name]
    assert service["image"] == "inlet:latest"
    assert Path(service["build"]["context"]) == ROOT
    env = service["environment"]
    assert env["ENVIRONMENT"] == "production"
    assert env["SECRET_KEY"] == env_values["SECRET_KEY"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["S3_ENDPOINT"] == "http://minio:9000"
    assert env["S3_SECRET_KEY"] == env_values["S3_SECRET_KEY"]
    assert env["ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert env["ELASTICSEARCH_USERNAME"] == "elastic"
    assert env["ELASTICSEARCH_PASSWORD"] == env_values["ELASTIC_PASSWORD"]
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]


def test_scale_comes_from_the_environment(services: dict[str, Any]) -> None:
    assert services["api"]["environment"]["WEB_CONCURRENCY"].isdigit()
    assert services["api"]["environment"]["PORT"] == "8000"
    assert services["worker"]["environment"]["WORKER_CONCURRENCY"].isdigit()


def test_flower_basic_auth_and_no_stray_flower_options(
    services: dict[str, Any], env_values: dict[str, str]
) -> None:
    env = services["flower"]["environment"]
    assert env["FLOWER_BASIC_AUTH"] == f"admin:{env_values['FLOWER_PASSWORD']}"
    # Flower turns every FLOWER_* variable into an option and fails on unknown ones.
    assert {k for k in env if k.startswith("FLOWER_")} == {"FLOWER_PORT", "FLOWER_BASIC_AUTH"}


@pytest.mark.parametrize("name", [*MUST_BE_HEALTHCHECKED, "worker", "flower"])
def test_long_running_services_have_healthchecks(services: dict[str, Any], name: str) -> None:
    healthcheck = services[name].get("healthcheck", {})
    assert not healthcheck.get("disable")
    assert healthcheck.get("test"), f"{name} has no healthcheck"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_restart(services: dict[str, Any], name: str) -> None:
    assert services[name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", ONE_SHOT)
def test_setup_services_run_once(services: dict[str, Any], name: str) -> None:
    assert services[name].get("restart", "no") == "no"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        *(
            (
                app,
                {
                    "redis": "service_healthy",
                    "minio-setup": "service_completed_successfully",
                    "elasticsearch": "service_healthy",
                },
            )
            for app in ("api", "worker", "beat")
        ),
        ("flower", {"redis": "service_healthy"}),
        ("minio-setup", {"minio": "service_healthy"}),
        ("es-setup", {"elasticsearch": "service_healthy"}),
        (
            "kibana",
            {"elasticsearch": "service_healthy", "es-setup": "service_completed_successfully"},
        ),
        ("kibana-setup", {"kibana": "service_healthy"}),
    ],
)
def test_depends_on_conditions(
    services: dict[str, Any], name: str, expected: dict[str, str]
) -> None:
    depends = services[name]["depends_on"]
    assert {dep: spec["condition"] for dep, spec in depends.items()} == expected


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("redis", "/data"),
        ("minio", "/data"),
        ("elasticsearch", "/usr/share/elasticsearch/data"),
        ("beat", "/app/var"),
    ],
)
def test_state_lives_in_named_volumes(
    config: dict[str, Any], services: dict[str, Any], name: str, target: str
) -> None:
    mounts = {m["target"]: m for m in services[name]["volumes"]}
    assert mounts[target]["type"] == "volume"
    assert mounts[target]["source"] in config["volumes"]


def test_published_ports(services: dict[str, Any]) -> None:
    published = {
        (name, int(port["target"])): int(port["published"])
        for name, service in services.items()
        for port in service.get("ports", [])
    }
    assert published == {
        ("api", 8000): 8000,
        ("flower", 5555): 5555,
        ("kibana", 5601): 5601,
        ("minio", 9001): 9001,
        ("prometheus", 9090): 9090,
        ("grafana", 3000): 3000,
    }
    # The admin UIs are local to the host unless ADMIN_BIND says otherwise.
    for name in ("flower", "kibana", "minio", "prometheus", "grafana"):
        assert services[name]["ports"][0]["host_ip"] == "127.0.0.1"


def test_redis_persists_and_never_evicts(services: dict[str, Any]) -> None:
    command = services["redis"]["command"]
    assert "--appendonly yes" in " ".join(command)
    assert "--maxmemory-policy noeviction" in " ".join(command)
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_images_are_pinned(services: dict[str, Any]) -> None:
    tags = {
        name: service["image"].rpartition(":")[2]
        for name, service in services.items()
        if service["image"] != "inlet:latest"
    }
    for name, tag in tags.items():
        assert tag not in ("", "latest"), f"{name} is not pinned"
        assert "/" not in tag, f"{name} has no tag"
    assert re.fullmatch(r"7\.\d+\.\d+(-alpine)?", tags["redis"])
    assert re.fullmatch(r"RELEASE\.[0-9TZ-]+", tags["minio"])
    assert re.fullmatch(r"RELEASE\.[0-9TZ-]+", tags["minio-setup"])
    assert re.fullmatch(r"8\.\d+\.\d+", tags["es-setup"])
    # The Python client is elasticsearch 9.x, which needs a 9.x server.
    assert re.fullmatch(r"9\.\d+\.\d+", tags["elasticsearch"])
    assert tags["kibana"] == tags["elasticsearch"]


def test_elasticsearch_is_a_secured_single_node(
    services: dict[str, Any], env_values: dict[str, str]
) -> None:
    env = services["elasticsearch"]["environment"]
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "true"
    assert env["ELASTIC_PASSWORD"] == env_values["ELASTIC_PASSWORD"]
    assert env["ES_JAVA_OPTS"] == "-Xms1g -Xmx1g"
    assert "ports" not in services["elasticsearch"]
    kibana = services["kibana"]["environment"]
    assert kibana["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert kibana["ELASTICSEARCH_PASSWORD"] == env_values["KIBANA_PASSWORD"]
    assert services["es-setup"]["environment"]["KIBANA_PASSWORD"] == env_values["KIBANA_PASSWORD"]


@pytest.mark.parametrize("name", ONE_SHOT)
def test_setup_scripts_exist_and_parse(services: dict[str, Any], name: str) -> None:
    service = services[name]
    binds = {Path(m["source"]) for m in service["volumes"] if m["type"] == "bind"}
    assert binds, f"{name} mounts no script"
    shell = shutil.which("sh")
    for script in binds:
        assert script.is_file()
        assert script.parent == ROOT / "docker"
        assert all(m.get("read_only") for m in service["volumes"] if m["type"] == "bind")
        if shell:
            check = subprocess.run([shell, "-n", str(script)], capture_output=True, check=False)
            assert check.returncode == 0, check.stderr
    assert service["entrypoint"][0] == "/bin/sh"
    assert Path(service["entrypoint"][1]).name in {p.name for p in binds}


def test_kibana_setup_makes_data_views_for_both_aliases() -> None:
    script = (ROOT / "docker" / "kibana-setup.sh").read_text()
    assert "/api/data_views/data_view" in script
    assert "kbn-xsrf: true" in (ROOT / "docker" / "lib.sh").read_text()
    assert "uploaded_at" in script
    for alias in ("images", "uploads"):
        assert f"ensure_data_view {alias} " in script


# --- Dockerfile and .dockerignore ------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_hadolint_passes() -> None:
    result = subprocess.run(
        [_tool("hadolint"), "--failure-threshold", "warning", str(DOCKERFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_on_a_pinned_python() -> None:
    bases = [args.split()[0] for keyword, args in _instructions() if keyword == "FROM"]
    assert len(bases) >= 2
    for base in bases:
        match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base)
        assert match, f"{base} is not a pinned python slim image"
        assert (int(match.group(1)), int(match.group(2))) >= (3, 12)


def test_final_stage_runs_as_non_root_without_compilers() -> None:
    final = _final_stage()
    users = [args for keyword, args in final if keyword == "USER"]
    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    text = " ".join(args for _, args in final)
    assert not re.search(r"\b(gcc|g\+\+|build-essential|clang)\b", text)
    assert "--no-index" in text  # installs the builder's wheels, nothing from an index


def test_dockerfile_installs_the_pinned_requirements_and_product_code_only() -> None:
    instructions = _instructions()
    copies = [args for keyword, args in instructions if keyword == "COPY"]
    assert any("requirements.txt" in args for args in copies)
    assert any("pip wheel" in args for keyword, args in instructions if keyword == "RUN")
    copied = {args.split()[0] for args in copies if not args.startswith("--from")}
    assert {"api/", "tasks/", "search/", "inlet/"} <= copied
    assert not any(source.startswith(("devstack", "tests", "bench", ".")) for source in copied)


def test_dockerfile_runtime_settings() -> None:
    final = _final_stage()
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    for setting in ("PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "PIP_NO_CACHE_DIR=1"):
        assert setting in env
    assert not re.search(r"SECRET|PASSWORD", env)
    assert ("EXPOSE", "8000") in final
    healthchecks = [args for keyword, args in final if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "python" in healthchecks[0]
    assert "/healthz" in healthchecks[0]
    commands = [args for keyword, args in final if keyword == "CMD"]
    assert json.loads(commands[-1]) == PROCESS_COMMANDS["api"]


def _dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context: the last matching
    pattern wins, a pattern matching a directory matches everything in it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        candidates = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(p, c) for p in prefixes for c in candidates):
            ignored = not negated
    return ignored


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        ".venv/bin/python",
        ".git",
        ".git/config",
        ".env",
        "inlet/.env",
        "bench/results/latest.json",
        "tests/conftest.py",
        ".pytest_cache",
        "api/__pycache__/app.cpython-312.pyc",
        "devstack/commands.py",
    ],
)
def test_dockerignore_excludes(path: str) -> None:
    assert _dockerignored(path)


@pytest.mark.parametrize(
    "path", ["requirements.txt", "api/wsgi.py", "tasks/worker.py", "search/x.py", "inlet/s.py"]
)
def test_dockerignore_keeps_what_the_dockerfile_copies(path: str) -> None:
    assert not _dockerignored(path)
