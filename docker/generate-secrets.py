"""One-shot (compose service `secrets`): Inlet's secrets, generated once.

    python generate-secrets.py DIRECTORY

For each secret below: a value given in the environment (from .env) is written to
DIRECTORY/<file>, replacing what was there; otherwise an existing, non-empty file is
kept as it is; otherwise a new random value is written. Files are created mode 0600
(never readable for a moment by anyone else: written under a temporary name, then
renamed) and, when run as root, given to the user of the service that reads them.
Idempotent; prints file names, never values. Standard library only: it runs in the
plain python image, before the Inlet image is involved.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

INLET_UID = 10001  # the Inlet image's user (Dockerfile): api, worker, beat, flower, minio-setup
ELASTIC_UID = 1000  # the user of the Elasticsearch and Kibana images (and kibana-setup)
GRAFANA_UID = 472  # the user of the Grafana image
# Redis, MinIO and es-setup start as root. Which files a container sees at all is
# docker-compose.yml's choice: it mounts each service only the files it reads.

# (file, environment variable that sets it instead, owner uid)
SECRETS = (
    ("secret_key", "SECRET_KEY", INLET_UID),
    ("s3_secret_key", "S3_SECRET_KEY", INLET_UID),
    ("redis_password", "REDIS_PASSWORD", INLET_UID),
    ("minio_root_password", "MINIO_ROOT_PASSWORD", INLET_UID),
    ("elastic_password", "ELASTIC_PASSWORD", ELASTIC_UID),
    ("kibana_password", "KIBANA_PASSWORD", ELASTIC_UID),
    ("kibana_viewer_password", "KIBANA_VIEWER_PASSWORD", ELASTIC_UID),
    ("inlet_es_password", "INLET_ES_PASSWORD", INLET_UID),
    ("flower_password", "FLOWER_PASSWORD", INLET_UID),
    ("grafana_admin_password", "GRAFANA_ADMIN_PASSWORD", GRAFANA_UID),
)
# 32 random bytes, URL-safe: no character that needs quoting in a URL, a shell or JSON.
NBYTES = 32


def _write(path: Path, value: str, uid: int) -> None:
    # mkstemp creates the file 0600; the rename makes the new value appear whole.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
        if os.geteuid() == 0:
            os.chown(tmp, uid, uid)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _tighten(path: Path, uid: int) -> None:
    """An existing file keeps its value but gets mode 0600 and its owner back."""
    info = path.stat()
    if info.st_mode & 0o077:
        path.chmod(0o600)
    if os.geteuid() == 0 and info.st_uid != uid:
        os.chown(path, uid, uid)


def generate(directory: Path, environ: dict[str, str]) -> list[str]:
    """Brings every secret file into place; returns one line per file saying what happened."""
    directory.mkdir(parents=True, exist_ok=True)
    # Others may reach a file they own by name, but not list the directory.
    directory.chmod(0o711)
    report = []
    for name, variable, uid in SECRETS:
        path = directory / name
        given = environ.get(variable, "").strip()
        if given:
            _write(path, given, uid)
            report.append(f"{name}: set from {variable}")
        elif path.is_file() and path.stat().st_size > 0:
            _tighten(path, uid)
            report.append(f"{name}: kept")
        else:
            _write(path, secrets.token_urlsafe(NBYTES), uid)
            report.append(f"{name}: generated")
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    for line in generate(Path(argv[1]), dict(os.environ)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
