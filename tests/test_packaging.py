"""Packaging: Dockerfile, .dockerignore, docker-compose.yml and .env.example.

Checked with the real `docker-compose` and `hadolint` binaries from the virtualenv
(requirements-dev.txt); neither needs a Docker engine. Compose runs with a clean
environment and a temporary --env-file (empty unless a test sets values), so a
developer's own .env or shell variables cannot change the outcome.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.secrets_doc import render
from devstack import proxy
from devstack.commands import PROCESS_COMMANDS
from devstack.servers import Service, find_redis_server, free_port
from tests.support import dev_tool

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
REQUIREMENTS = ROOT / "requirements.txt"

# The secrets the `secrets` service generates, by the .env variable that sets one instead.
GENERATED = {
    "SECRET_KEY": "secret_key",
    "S3_SECRET_KEY": "s3_secret_key",
    "REDIS_PASSWORD": "redis_password",
    "MINIO_ROOT_PASSWORD": "minio_root_password",
    "ELASTIC_PASSWORD": "elastic_password",
    "KIBANA_PASSWORD": "kibana_password",
    "KIBANA_VIEWER_PASSWORD": "kibana_viewer_password",
    "INLET_ES_PASSWORD": "inlet_es_password",
    "FLOWER_PASSWORD": "flower_password",
    "GRAFANA_ADMIN_PASSWORD": "grafana_admin_password",
}
APP_SERVICES = ("api", "worker", "beat", "flower")
LONG_RUNNING = (
    *APP_SERVICES,
    "nginx",
    "redis",
    "minio",
    "elasticsearch",
    "kibana",
    "prometheus",
    "grafana",
)
ONE_SHOT = ("secrets", "minio-setup", "es-setup", "kibana-setup")
# Least privilege: the secret files each service can see (it mounts exactly these).
INLET_SECRETS = {"secret_key", "s3_secret_key", "inlet_es_password", "redis_password"}
VISIBLE_SECRETS = {
    "api": INLET_SECRETS,
    "worker": INLET_SECRETS,
    "beat": INLET_SECRETS,
    # Flower: the broker only. No signing key, no store or search credentials.
    "flower": {"flower_password", "redis_password"},
    "nginx": set(),
    "redis": {"redis_password"},
    "minio": {"minio_root_password"},
    "minio-setup": {"minio_root_password", "s3_secret_key"},
    "elasticsearch": {"elastic_password"},
    "es-setup": {"elastic_password", "kibana_password", "inlet_es_password"},
    "kibana": {"kibana_password"},
    "kibana-setup": {"elastic_password", "kibana_viewer_password"},
    "prometheus": set(),
    "grafana": {"grafana_admin_password"},
}
MUST_BE_HEALTHCHECKED = ("api", "nginx", "redis", "minio", "elasticsearch", "kibana")
ASSIGNMENT = re.compile(r"^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
SECRET_FILE = re.compile(r"/run/secrets/([a-z0-9_]+)")
# The users images run as when a service sets none (Dockerfile USER; Elastic's images).
IMAGE_UIDS = {"inlet": 10001, "elasticsearch": 1000, "kibana": 1000}


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


def _clean_environment(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "DOCKER_CONFIG": str(home / "docker-config"),
    }


ComposeRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> ComposeRunner:
    """Runs docker-compose on the repo's compose file with the given .env values."""
    binary = dev_tool("docker-compose")
    workdir = tmp_path_factory.mktemp("compose")

    def run(values: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        env_file = workdir / f"{secrets.token_hex(4)}.env"
        env_file.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
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
            env={**_clean_environment(workdir), "COMPOSE_PROJECT_NAME": "inlet-packaging-test"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture(scope="module")
def config(compose: ComposeRunner) -> dict[str, Any]:
    """The configuration a fresh clone gets: no .env value at all."""
    result = compose({}, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def services(config: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = config["services"]
    return found


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _generator() -> list[tuple[str, str, int]]:
    """The (file, variable, owner uid) list of docker/generate-secrets.py."""
    namespace: dict[str, Any] = {"__name__": "generate_secrets"}
    exec(compile((ROOT / "docker" / "generate-secrets.py").read_text(), "g", "exec"), namespace)  # noqa: S102 - our own script, to read its table
    return list(namespace["SECRETS"])


def _uid(service: dict[str, Any]) -> int:
    if "user" in service:
        return int(str(service["user"]).split(":")[0])
    image = service["image"].rsplit("/", 1)[-1].split(":")[0]
    return IMAGE_UIDS.get(image, 0)


# --- docker-compose.yml and .env.example -------------------------------------------


def test_compose_config_passes_with_no_env_file_and_no_variables(tmp_path: Path) -> None:
    # A fresh clone: the compose file and what it mounts, no .env, an empty environment.
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copytree(ROOT / "docker", tmp_path / "docker")
    result = subprocess.run(
        [dev_tool("docker-compose"), "config", "--quiet"],
        cwd=tmp_path,
        env=_clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Every variable has a default: no "is not set" warnings.
    assert "is not set" not in result.stderr, result.stderr


def test_rendered_config_holds_no_secret(services: dict[str, Any]) -> None:
    secretish = re.compile(r"PASSWORD|SECRET|TOKEN|BASIC_AUTH|_KEY(_FILE)?$")
    for name, service in services.items():
        for variable, value in (service.get("environment") or {}).items():
            if not secretish.search(variable) or variable == "S3_ACCESS_KEY":
                continue
            if variable.endswith("_FILE"):
                assert SECRET_FILE.fullmatch(value or ""), (name, variable, value)
            else:
                assert not value, f"{name}: {variable} has a value in the rendered config"


def test_a_secret_from_env_reaches_only_the_secrets_service(compose: ComposeRunner) -> None:
    values = {variable: secrets.token_urlsafe(24) for variable in GENERATED}
    result = compose(values, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    for name, service in json.loads(result.stdout)["services"].items():
        found = [v for v in values.values() if any(v in s for s in _strings(service))]
        if name == "secrets":
            assert len(found) == len(values)
        else:
            assert not found, f"{name} sees a secret set in .env"


def _visible_secrets(service: dict[str, Any]) -> set[str]:
    """The secret files a container of ``service`` can see: one per file mount of the
    secrets volume (its `subpath`), or every file when it mounts the whole volume."""
    visible = set()
    for mount in service.get("volumes", []):
        if mount["type"] != "volume" or mount["source"] != "secrets":
            continue
        subpath = (mount.get("volume") or {}).get("subpath")
        if not subpath:
            return set(GENERATED.values())
        assert mount["target"] == f"/run/secrets/{subpath}"
        assert mount["read_only"] is True
        visible.add(subpath)
    return visible


@pytest.mark.parametrize("name", sorted(VISIBLE_SECRETS))
def test_each_service_sees_only_the_secrets_it_reads(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert _visible_secrets(service) == VISIBLE_SECRETS[name]
    # Every file it sees, it reads (a *_FILE variable, its wrapper or setup script).
    referenced = {m for s in _strings(service) for m in SECRET_FILE.findall(s)}
    binds = [Path(m["source"]) for m in service.get("volumes", []) if m["type"] == "bind"]
    for script in (path for path in binds if path.suffix == ".sh"):
        referenced |= set(re.findall(r"read_secret ([a-z0-9_]+)", script.read_text()))
    assert referenced == VISIBLE_SECRETS[name]


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("api", "from inlet.settings import Settings; Settings.from_env()"),
        ("worker", "import tasks.worker"),
        ("beat", "import tasks.worker"),
        ("flower", "import tasks.monitor"),
    ],
)
def test_inlet_starts_with_only_the_secrets_it_mounts(
    services: dict[str, Any], tmp_path: Path, name: str, probe: str
) -> None:
    service = services[name]
    for file in VISIBLE_SECRETS[name]:
        (tmp_path / file).write_text(f"{file}-value-long-enough-for-any-check")
    env = {
        key: str(value).replace("/run/secrets", str(tmp_path))
        for key, value in service["environment"].items()
        if value is not None
    }
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**env, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_only_the_secrets_service_mounts_the_whole_volume(services: dict[str, Any]) -> None:
    assert set(services) == {*VISIBLE_SECRETS, "secrets"}
    assert _visible_secrets(services["secrets"]) == set(GENERATED.values())


def test_every_referenced_secret_is_generated_and_readable_there(
    services: dict[str, Any],
) -> None:
    owners = {file: uid for file, _, uid in _generator()}
    assert {variable: file for file, variable, _ in _generator()} == GENERATED
    seen = set()
    for name, service in services.items():
        referenced = {m for s in _strings(service) for m in SECRET_FILE.findall(s)}
        assert referenced <= _visible_secrets(service), f"{name} reads a file it cannot see"
        for file in referenced:
            assert file in owners, f"{name} reads {file}, which nothing generates"
            # Each file is 0600: the service must run as its owner, or as root.
            assert _uid(service) in (0, owners[file]), f"{name} cannot read {file}"
        seen |= referenced
    assert seen == set(owners), "generated, but read by no service"


def test_secrets_service_generates_into_the_volume_with_least_privilege(
    services: dict[str, Any],
) -> None:
    service = services["secrets"]
    assert service["command"] == ["python", "/setup/generate-secrets.py", "/run/secrets"]
    mounts = {m["target"]: m for m in service["volumes"]}
    assert mounts["/run/secrets"]["type"] == "volume"
    assert not mounts["/run/secrets"].get("read_only")
    assert service["network_mode"] == "none"
    assert service["cap_drop"] == ["ALL"]
    assert set(service["cap_add"]) == {"CHOWN", "FOWNER"}
    assert set(service["environment"]) >= set(GENERATED)
    for name, service in services.items():
        mount = next((m for m in service.get("volumes", []) if m["source"] == "secrets"), None)
        if mount and name != "secrets":
            assert mount["read_only"], f"{name} could change the secrets"


def test_env_example_documents_every_secret_as_optional() -> None:
    example = _example()
    documented = _documented()
    for variable in GENERATED:
        assert variable in documented, f"{variable} is not in .env.example"
        assert variable not in example, f"{variable} must be commented out: it is generated"
    assert example == {}, "a fresh clone needs no .env: every line stays commented out"


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
    services: dict[str, Any], name: str
) -> None:
    service = services[name]
    assert service["image"] == "inlet:latest"
    assert Path(service["build"]["context"]) == ROOT
    env = service["environment"]
    assert env["ENVIRONMENT"] == "production"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert "REDIS_PASSWORD" not in env
    assert env["REDIS_PASSWORD_FILE"] == "/run/secrets/redis_password"
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    if name == "flower":
        # The broker only: tasks.monitor needs no key, Flower no store or search.
        assert not {k for k in env if k.startswith(("SECRET_KEY", "S3_", "ELASTICSEARCH_"))}
        return
    assert "SECRET_KEY" not in env
    assert env["SECRET_KEY_FILE"] == "/run/secrets/secret_key"
    assert env["S3_ENDPOINT"] == "http://minio:9000"
    # Inlet's own S3 user (minio-setup), never MinIO's root.
    assert env["S3_ACCESS_KEY"] == "inlet"
    assert env["S3_ACCESS_KEY"] != services["minio"]["environment"]["MINIO_ROOT_USER"]
    assert "S3_SECRET_KEY" not in env
    assert env["S3_SECRET_KEY_FILE"] == "/run/secrets/s3_secret_key"
    assert env["ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert env["ELASTICSEARCH_USERNAME"] == "inlet"
    assert env["ELASTICSEARCH_PASSWORD_FILE"] == "/run/secrets/inlet_es_password"


def test_another_s3_server_is_a_matter_of_variables(compose: ComposeRunner) -> None:
    values = {
        "S3_ENDPOINT": "https://s3.eu-west-1.amazonaws.com",
        "S3_ACCESS_KEY": "AKIAEXAMPLE",
        "S3_SECRET_KEY": "example-secret",
        "S3_REGION": "eu-west-1",
        "S3_BUCKET": "my-inlet-images",
    }
    result = compose(values, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    # The secret key goes into the file s3_secret_key, which Inlet reads.
    assert services["secrets"]["environment"]["S3_SECRET_KEY"] == "example-secret"
    plain = {k: v for k, v in values.items() if k != "S3_SECRET_KEY"}
    for name in ("api", "worker", "beat", "minio-setup"):
        env = services[name]["environment"]
        assert {k: env[k] for k in plain} == plain
        assert env["S3_SECRET_KEY_FILE"] == "/run/secrets/s3_secret_key"
    for name in ("api", "worker", "beat"):
        # Inlet can start without MinIO (`--scale minio=0`): minio-setup exits at once.
        assert services[name]["depends_on"]["minio"]["required"] is False
    assert services["minio-setup"]["depends_on"]["minio"]["required"] is False


def test_minio_setup_gives_inlet_a_user_of_its_own(services: dict[str, Any]) -> None:
    setup, api = services["minio-setup"], services["api"]
    assert setup["image"] == "inlet:latest"
    assert setup["entrypoint"] == ["python", "/setup/minio-setup.py"]
    env = setup["environment"]
    # The user and secret it creates are the ones Inlet logs in with.
    for variable in ("S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY_FILE", "S3_BUCKET"):
        assert env[variable] == api["environment"][variable]
    assert env["MINIO_ROOT_USER"] == services["minio"]["environment"]["MINIO_ROOT_USER"]
    assert env["MINIO_ROOT_PASSWORD_FILE"] == "/run/secrets/minio_root_password"
    assert env["MINIO_ENDPOINT"] == env["S3_ENDPOINT"]
    assert setup["read_only"] is True
    assert setup["cap_drop"] == ["ALL"]


def test_scale_comes_from_the_environment(services: dict[str, Any]) -> None:
    assert services["api"]["environment"]["WEB_CONCURRENCY"].isdigit()
    assert services["api"]["environment"]["GUNICORN_THREADS"].isdigit()
    assert services["api"]["environment"]["PORT"] == "8000"
    assert services["worker"]["environment"]["WORKER_CONCURRENCY"].isdigit()


def _run_wrapper(entrypoint: list[str], secrets_dir: Path, *args: str) -> str:
    """Runs a service's `sh -c` wrapper here, its /run/secrets pointed at secrets_dir."""
    assert entrypoint[:2] == ["/bin/sh", "-c"]
    script = entrypoint[2].replace("$$", "$").replace("/run/secrets", str(secrets_dir))
    script = script.replace("exec /usr/local/bin/kibana-docker", 'exec "$@"')
    result = subprocess.run(
        [dev_tool("sh"), "-c", script, *(entrypoint[3:4] or ["sh"]), *args],
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_flower_gets_its_basic_auth_from_the_secret_file(
    services: dict[str, Any], tmp_path: Path
) -> None:
    service = services["flower"]
    env = service["environment"]
    # Flower turns every FLOWER_* variable into an option and fails on unknown ones.
    assert {k for k in env if k.startswith("FLOWER_")} == {"FLOWER_PORT"}
    (tmp_path / "flower_password").write_text("pw-from-file")
    output = _run_wrapper(service["entrypoint"], tmp_path, "env")
    assert "FLOWER_BASIC_AUTH=admin:pw-from-file\n" in output


def test_kibana_gets_its_password_from_the_secret_file(
    services: dict[str, Any], tmp_path: Path
) -> None:
    service = services["kibana"]
    assert "ELASTICSEARCH_PASSWORD" not in service["environment"]
    assert service["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert service["init"] is True  # the wrapper replaces the image's tini entrypoint
    (tmp_path / "kibana_password").write_text("kibana-pw")
    output = _run_wrapper(service["entrypoint"], tmp_path, "env")
    assert "ELASTICSEARCH_PASSWORD=kibana-pw\n" in output


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


INLET_DEPENDS = {
    "secrets": "service_completed_successfully",
    "redis": "service_healthy",
    "minio": "service_healthy",
    "minio-setup": "service_completed_successfully",
    "elasticsearch": "service_healthy",
    "es-setup": "service_completed_successfully",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        *((app, INLET_DEPENDS) for app in ("api", "worker", "beat")),
        (
            "flower",
            {"secrets": "service_completed_successfully", "redis": "service_healthy"},
        ),
        ("minio", {"secrets": "service_completed_successfully"}),
        ("redis", {"secrets": "service_completed_successfully"}),
        (
            "minio-setup",
            {"secrets": "service_completed_successfully", "minio": "service_healthy"},
        ),
        ("elasticsearch", {"secrets": "service_completed_successfully"}),
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
        ("secrets", "/run/secrets"),
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
    # The front proxy is the public port; the API is reachable on the compose network only.
    assert published == {
        ("nginx", 8080): 8000,
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


def test_redis_requires_its_generated_password(services: dict[str, Any], tmp_path: Path) -> None:
    """The redis service's wrapper, command and healthcheck, run here on a real
    redis-server: it starts with the password from the file, refuses clients without
    it, and the healthcheck passes."""
    service = services["redis"]
    (tmp_path / "redis_password").write_text("redis-pw-from-file")
    port = free_port()
    entrypoint = service["entrypoint"]
    assert entrypoint[:2] == ["/bin/sh", "-c"]
    script = entrypoint[2].replace("$$", "$").replace("/run/secrets", str(tmp_path))
    # The image's entrypoint only drops to the redis user before running the command.
    script = script.replace("exec docker-entrypoint.sh", "exec")
    command = [find_redis_server(), *service["command"][1:]]
    command += ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    # No secret value in the rendered arguments: the password goes in on stdin.
    assert "redis-pw-from-file" not in " ".join(command)
    server = Service(
        "redis-compose",
        [dev_tool("sh"), "-c", script, "redis", *command],
        port,
        log_path=tmp_path / "redis.log",
    ).start()
    try:
        cli = [shutil.which("redis-cli") or "redis-cli", "-p", str(port), "ping"]
        plain = subprocess.run(cli, capture_output=True, text=True, timeout=30, check=False)
        assert "NOAUTH" in plain.stdout + plain.stderr
        check = service["healthcheck"]["test"]
        assert check[0] == "CMD-SHELL"
        probe = check[1].replace("$$", "$").replace("/run/secrets", str(tmp_path))
        probe = probe.replace("redis-cli ping", f"redis-cli -p {port} ping")
        healthy = subprocess.run(
            [dev_tool("sh"), "-c", probe], capture_output=True, timeout=30, check=False
        )
        assert healthy.returncode == 0, healthy.stderr
        # The wrapper replaced itself: redis-server is the process compose signals.
        assert server.process is not None
        assert server.process.poll() is None
    finally:
        server.stop()
    assert "redis-pw-from-file" not in server.tail()


def _pinned_version(requirement: str) -> tuple[int, int]:
    match = re.search(rf"^{requirement}==(\d+)\.(\d+)\.", REQUIREMENTS.read_text(), re.MULTILINE)
    assert match, f"{requirement} is not pinned in requirements.txt"
    return int(match.group(1)), int(match.group(2))


def test_images_exist_today_and_are_pinned(services: dict[str, Any]) -> None:
    images = {name: s["image"] for name, s in services.items() if s["image"] != "inlet:latest"}
    for name, image in images.items():
        # MinIO withdrew its images in 2026: no registry serves these any more.
        assert not re.search(r"(^|/)minio/(minio|mc)([:@]|$)", image), f"{name}: {image}"
        repository, _, tag = image.rpartition(":")
        assert repository, f"{name} has no tag"
        assert tag not in ("", "latest"), f"{name} is not pinned"
        assert "/" not in tag, f"{name} has no tag"
    tags = {name: image.rpartition(":")[2] for name, image in images.items()}
    assert re.fullmatch(r"7\.\d+\.\d+(-alpine)?", tags["redis"])
    assert images["minio"].startswith("pgsty/minio:")
    assert re.fullmatch(r"RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", tags["minio"])
    assert re.fullmatch(r"8\.\d+\.\d+", tags["es-setup"])
    assert tags["kibana-setup"] == tags["es-setup"]
    assert re.fullmatch(r"3\.\d+\.\d+-slim-\w+", tags["secrets"])
    assert tags["kibana"] == tags["elasticsearch"]
    assert images["nginx"].startswith("nginx:")
    assert re.fullmatch(r"1\.\d+\.\d+-alpine", tags["nginx"])


# --- the front proxy -----------------------------------------------------------------


def _store_values(envsh: Path, s3_endpoint: str) -> dict[str, str]:
    """What docker/nginx/store.envsh exports for ``s3_endpoint``, run here with sh."""
    result = subprocess.run(
        [dev_tool("sh"), "-c", f'. "{envsh}" && env'],
        env={"PATH": os.environ.get("PATH", ""), "S3_ENDPOINT": s3_endpoint},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    pairs = (line.partition("=") for line in result.stdout.splitlines())
    return {k: v for k, _, v in pairs if k.startswith("INLET_STORE_")}


@pytest.mark.parametrize(
    "endpoint", ["http://minio:9000", "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9"]
)
def test_compose_finds_the_store_as_devstack_does(services: dict[str, Any], endpoint: str) -> None:
    mounts = {m["target"]: m for m in services["nginx"]["volumes"]}
    envsh = Path(mounts["/docker-entrypoint.d/15-inlet-store.envsh"]["source"])
    # The image's entrypoint sources only executable *.envsh files.
    assert os.access(envsh, os.X_OK)
    assert _store_values(envsh, endpoint) == proxy.store_values(endpoint)


def test_the_compose_proxy_config_is_valid_nginx(services: dict[str, Any], tmp_path: Path) -> None:
    service = services["nginx"]
    mounts = {m["target"]: m for m in service["volumes"]}
    template = Path(mounts["/etc/nginx/templates/default.conf.template"]["source"])
    assert template == proxy.TEMPLATE
    env = service["environment"]
    values = {k: v for k, v in env.items() if re.fullmatch(env["NGINX_ENVSUBST_FILTER"] + ".*", k)}
    values |= proxy.store_values(env["S3_ENDPOINT"])
    # Paths of the container, moved under tmp_path; upstream names resolved locally.
    values |= {
        "INLET_CACHE_DIR": str(tmp_path / "cache"),
        "INLET_BODY_SPOOL_DIR": str(tmp_path / "spool"),
        "INLET_ACCESS_LOG": str(tmp_path / "access.log"),
        "INLET_LISTEN": "127.0.0.1:9",
        "INLET_API_UPSTREAM": "127.0.0.1:8000",
        "INLET_STORE_HOST": "127.0.0.1:9000",
    }
    (tmp_path / "inlet.conf").write_text(proxy.render(values))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log stderr; events {{}}\n"
        f"http {{ include {tmp_path}/inlet.conf; }}\n"
    )
    check = subprocess.run(
        [proxy.find_nginx(), "-t", "-p", str(tmp_path), "-c", "nginx.conf"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_the_proxy_spools_bodies_on_a_volume_apart_from_its_cache(
    services: dict[str, Any],
) -> None:
    service = services["nginx"]
    env = service["environment"]
    volumes = {m["target"]: m["source"] for m in service["volumes"] if m["type"] == "volume"}
    spool, cache = env["INLET_BODY_SPOOL_DIR"], env["INLET_CACHE_DIR"]
    cache_target = max((t for t in volumes if cache.startswith(t + "/")), key=len)
    assert volumes[spool] != volumes[cache_target]
    assert not spool.startswith(cache_target + "/")
    # Every limit is set from .env, with the documented default.
    example = ENV_EXAMPLE.read_text()
    for name in ("PROXY_MAX_API_BODY", "PROXY_RATE_LIMIT", "PROXY_RATE_BURST", "PROXY_CONN_LIMIT"):
        assert f"#{name}=" in example


def test_the_api_behind_the_proxy_serves_through_it(services: dict[str, Any]) -> None:
    api, nginx = services["api"], services["nginx"]
    assert api["environment"]["ACCEL_REDIRECT_PREFIX"] == proxy.ACCEL_PREFIX
    assert f'location ~ "^{proxy.ACCEL_PREFIX}/' in proxy.TEMPLATE.read_text()
    # X-Real-IP is believed from the proxy's address only.
    address = nginx["networks"]["default"]["ipv4_address"]
    assert api["environment"]["FORWARDED_ALLOW_IPS"] == address
    assert nginx["environment"]["INLET_API_UPSTREAM"] == "api:8000"
    assert nginx["depends_on"]["api"]["condition"] == "service_healthy"


def test_elasticsearch_client_is_not_newer_than_the_server(services: dict[str, Any]) -> None:
    # Elastic's clients are forward-compatible only: a 9.5 client may use APIs or
    # parameters a 9.2 server rejects.
    server = tuple(int(p) for p in services["elasticsearch"]["image"].rpartition(":")[2].split("."))
    client = _pinned_version("elasticsearch")
    assert client[0] == server[0]
    assert client <= server[:2]


def test_elasticsearch_is_a_secured_single_node(services: dict[str, Any]) -> None:
    env = services["elasticsearch"]["environment"]
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "true"
    assert "ELASTIC_PASSWORD" not in env
    assert env["ELASTIC_PASSWORD_FILE"] == "/run/secrets/elastic_password"
    assert env["ES_JAVA_OPTS"] == "-Xms1g -Xmx1g"
    assert "ports" not in services["elasticsearch"]


@pytest.mark.parametrize("name", ONE_SHOT)
def test_setup_scripts_exist_and_parse(services: dict[str, Any], name: str) -> None:
    service = services[name]
    binds = {Path(m["source"]): m for m in service["volumes"] if m["type"] == "bind"}
    assert binds, f"{name} mounts no script"
    for source, mount in binds.items():
        assert source.is_file()
        assert source.parent == ROOT / "docker"
        assert mount["read_only"]
        if source.suffix == ".sh":
            check = subprocess.run(
                [dev_tool("sh"), "-n", str(source)], capture_output=True, check=False
            )
            assert check.returncode == 0, check.stderr
        if source.suffix == ".py":
            compile(source.read_text(), str(source), "exec")
    argv = [*(service.get("entrypoint") or []), *(service.get("command") or [])]
    assert argv[0] in ("/bin/sh", "python")
    assert Path(argv[1]).name in {p.name for p in binds}


def test_kibana_offers_a_read_only_login(services: dict[str, Any]) -> None:
    # The login `python -m api secrets`, the README and docs/operating.md offer is the one
    # kibana-setup makes.
    viewer = services["kibana-setup"]["environment"]["KIBANA_VIEWER"]
    assert viewer == "inlet_viewer"
    assert f"user {viewer} (read-only)" in render(minio_user="inlet")
    for page in ("README.md", "docs/operating.md"):
        assert f"`{viewer}`" in (ROOT / page).read_text(), page


def test_kibana_setup_makes_data_views_and_imports_the_dashboard() -> None:
    script = (ROOT / "docker" / "kibana-setup.sh").read_text()
    assert "/api/data_views/data_view" in script
    assert "kbn-xsrf: true" in (ROOT / "docker" / "lib.sh").read_text()
    assert "uploaded_at" in script
    for alias in ("images", "uploads"):
        assert f"ensure_data_view {alias} " in script
    assert "/api/saved_objects/_import?overwrite=true" in script
    assert "kibana-dashboard.ndjson" in script


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
        [dev_tool("hadolint"), "--failure-threshold", "warning", str(DOCKERFILE)],
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
    # Every wheel fetched, then installed, is checked against the sha256 in
    # requirements.txt; binary wheels only, so the files installed are those hashed.
    pips = [args for keyword, args in instructions if keyword == "RUN" and "pip " in args]
    assert len(pips) == 2
    assert all("--require-hashes" in args for args in pips)
    assert "--only-binary=:all:" in pips[0]
    copied = {args.split()[0] for args in copies if not args.startswith("--from")}
    assert {"api/", "tasks/", "search/", "inlet/", "uploader/"} <= copied
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
