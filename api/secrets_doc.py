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

    @property
    def path(self) -> str:
        return f"{SECRETS_DIR}/{self.name}"

    @property
    def read_command(self) -> str:
        return f"docker compose exec {self.service} cat {self.path}"


# service: a container whose user owns the file (mode 0600), so `exec` there reads it.
SECRET_FILES = (
    SecretFile("secret_key", "SECRET_KEY", "api", "signs upload links and admin tokens"),
    SecretFile(
        "minio_root_password",
        "MINIO_ROOT_PASSWORD",
        "api",
        "MinIO root password: the MinIO console login and Inlet's S3 secret key",
    ),
    SecretFile(
        "elastic_password",
        "ELASTIC_PASSWORD",
        "elasticsearch",
        "Elasticsearch superuser `elastic`: the Kibana login",
    ),
    SecretFile(
        "kibana_password",
        "KIBANA_PASSWORD",
        "kibana",
        "Kibana's own connection to Elasticsearch (user kibana_system)",
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
    lines = [
        "Generated once, on the first `docker compose up`, by the one-shot `secrets`",
        f"service into the volume {VOLUME}, mounted read-only at {SECRETS_DIR}.",
        "Restarts, `down`/`up` and upgrades keep them; `down -v` deletes them.",
        "A value set in .env (the variable below) replaces a file on the next `up`.",
        "",
        f"{'file':<34} {'.env variable':<20} use",
    ]
    for secret in SECRET_FILES:
        lines.append(f"{secret.path:<34} {secret.variable:<20} {secret.purpose}")
    lines += [
        "",
        "Each file is mode 0600, owned by the user of the service that reads it:",
        "read one with `docker compose exec SERVICE cat FILE`, e.g.",
        f"  {_by_name('secret_key').read_command}",
        "",
        "Logins (ports as published by docker-compose.yml, 127.0.0.1 by default):",
        "  Flower         http://localhost:5555  user FLOWER_USER (default admin)",
        f"                 password: {_by_name('flower_password').read_command}",
        "  Kibana         http://localhost:5601  user elastic",
        f"                 password: {_by_name('elastic_password').read_command}",
        "                 dashboard: Analytics > Dashboards > Inlet",
        f"  MinIO console  http://localhost:9001  user {minio_user}",
        f"                 password: {_by_name('minio_root_password').read_command}",
        "  Grafana        http://localhost:3000  user admin",
        f"                 password: {_by_name('grafana_admin_password').read_command}",
        "  Admin console  http://localhost:8000/admin/  paste a token from",
        "                 docker compose exec api python -m api token --name YOUR_NAME",
    ]
    readable = [s.name for s in SECRET_FILES if os.access(s.path, os.R_OK)]
    if readable:
        lines += ["", f"Readable in this container: {', '.join(readable)}"]
    return "\n".join(lines)
