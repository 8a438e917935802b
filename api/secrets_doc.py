"""`python -m api secrets`: where the compose stack keeps its generated secrets.

The catalogue mirrors docker/generate-secrets.py (a test compares them). It prints
paths and commands, never a secret value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Where docker-compose.yml mounts the `secrets` volume in every container.
SECRETS_DIR = "/run/secrets"
VOLUME = "inlet_secrets"


@dataclass(frozen=True)
class SecretFile:
    name: str
    variable: str
    service: str
    purpose: str
    # A one-shot service (no container to `exec` into): read through `compose run`.
    one_shot: bool = False

    @property
    def path(self) -> str:
        return f"{SECRETS_DIR}/{self.name}"

    @property
    def read_command(self) -> str:
        if self.one_shot:
            return f"docker compose run --rm --no-deps --entrypoint cat {self.service} {self.path}"
        return f"docker compose exec {self.service} cat {self.path}"


# service: a service that mounts the file and runs as its owner (mode 0600) or root, so
# `exec` (or `run`) there reads it; docker-compose.yml mounts each file only where read.
SECRET_FILES = (
    SecretFile("secret_key", "SECRET_KEY", "api", "signs upload links and admin tokens"),
    SecretFile(
        "s3_secret_key",
        "S3_SECRET_KEY",
        "api",
        "S3 secret key of Inlet's user (MinIO: `inlet`, limited to the bucket)",
    ),
    SecretFile("redis_password", "REDIS_PASSWORD", "redis", "Redis's password (requirepass)"),
    SecretFile(
        "minio_root_password",
        "MINIO_ROOT_PASSWORD",
        "minio",
        "MinIO root password: the MinIO console login and minio-setup",
    ),
    SecretFile(
        "elastic_password",
        "ELASTIC_PASSWORD",
        "elasticsearch",
        "Elasticsearch superuser `elastic`: setup and administration only",
    ),
    SecretFile(
        "kibana_password",
        "KIBANA_PASSWORD",
        "kibana",
        "Kibana's own connection to Elasticsearch (user kibana_system)",
    ),
    SecretFile(
        "kibana_viewer_password",
        "KIBANA_VIEWER_PASSWORD",
        "kibana-setup",
        "Kibana login `inlet_viewer`: Inlet's indices, read-only",
        one_shot=True,
    ),
    SecretFile(
        "inlet_es_password",
        "INLET_ES_PASSWORD",
        "api",
        "Elasticsearch user `inlet`, limited to Inlet's indices",
    ),
    SecretFile("flower_password", "FLOWER_PASSWORD", "flower", "Flower's web UI (basic auth)"),
    SecretFile(
        "grafana_admin_password",
        "GRAFANA_ADMIN_PASSWORD",
        "grafana",
        "Grafana's `admin` login (the Inlet dashboard)",
    ),
)


def _by_name(name: str) -> SecretFile:
    return next(s for s in SECRET_FILES if s.name == name)


def render(minio_user: str) -> str:
    """``minio_user``: the S3 user Inlet logs in as (S3_ACCESS_KEY), not MinIO's root."""
    lines = [
        "Generated once, on the first `docker compose up`, by the one-shot `secrets`",
        f"service into the volume {VOLUME}. Each service mounts, read-only at",
        f"{SECRETS_DIR}/NAME, only the files it reads.",
        "Restarts, `down`/`up` and upgrades keep them; `down -v` deletes them.",
        "A value set in .env (the variable below) replaces a file on the next `up`.",
        "",
        f"{'file':<38} {'.env variable':<22} use",
    ]
    for secret in SECRET_FILES:
        lines.append(f"{secret.path:<38} {secret.variable:<22} {secret.purpose}")
    lines += [
        "",
        "Each file is mode 0600, owned by the user of the service that reads it:",
        "read one with `docker compose exec SERVICE cat FILE`, e.g.",
        f"  {_by_name('secret_key').read_command}",
        "",
        "Logins (ports as published by docker-compose.yml, 127.0.0.1 by default):",
        "  Flower         http://localhost:5555  user FLOWER_USER (default admin)",
        f"                 password: {_by_name('flower_password').read_command}",
        "  Kibana         http://localhost:5601  user inlet_viewer (read-only)",
        f"                 password: {_by_name('kibana_viewer_password').read_command}",
        "                 dashboard: Analytics > Dashboards > Inlet",
        "                 superuser elastic, for administration only:",
        f"                 {_by_name('elastic_password').read_command}",
        "  MinIO console  http://localhost:9001  user MINIO_ROOT_USER (default inlet-admin)",
        f"                 password: {_by_name('minio_root_password').read_command}",
        f"                 (Inlet itself logs in as {minio_user}, limited to its bucket)",
        "  Grafana        http://localhost:3000  user admin",
        f"                 password: {_by_name('grafana_admin_password').read_command}",
        "  Admin console  http://localhost:8000/admin/  paste a token from",
        "                 docker compose exec api python -m api token --name YOUR_NAME",
    ]
    readable = [s.name for s in SECRET_FILES if os.access(s.path, os.R_OK)]
    if readable:
        lines += ["", f"Readable in this container: {', '.join(readable)}"]
    return "\n".join(lines)
