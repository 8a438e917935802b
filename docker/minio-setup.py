"""One-shot (compose service `minio-setup`), as MinIO's root user: Inlet's own S3 user.

    python minio-setup.py

On every `up`, with the same result each time:
- creates the bucket S3_BUCKET when it is missing;
- writes the policy `inlet-bucket`: object reads, writes, deletes and multipart
  uploads in that bucket, listing it, and nothing else (no other bucket, no bucket
  settings, no admin action);
- creates the user S3_ACCESS_KEY (default `inlet`) with the secret in
  S3_SECRET_KEY_FILE, or gives it that secret again, and leaves it that one policy.
The Inlet processes log in as that user; MinIO's root user stays for this script and
the console. Skipped when S3_ENDPOINT is another server than compose's MinIO.
Runs in the Inlet image, which has minio-py (its MinioAdmin speaks MinIO's admin
API). Prints names, never a secret.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

POLICY_NAME = "inlet-bucket"
ATTEMPTS = 30  # MinIO answers its health check before its IAM is ready, at times
DELAY = 2.0


class Admin(Protocol):
    """The part of minio.minioadmin.MinioAdmin this script uses."""

    def policy_add(self, policy_name: str, *, policy: dict[str, Any]) -> str: ...
    def user_add(self, access_key: str, secret_key: str) -> str: ...
    def user_info(self, access_key: str) -> str: ...
    def attach_policy(self, policies: list[str], *, user: str) -> str: ...
    def detach_policy(self, policies: list[str], *, user: str) -> str: ...


class Buckets(Protocol):
    """The part of minio.Minio this script uses."""

    def bucket_exists(self, *, bucket_name: str) -> bool: ...
    def make_bucket(self, *, bucket_name: str) -> None: ...


def bucket_policy(bucket: str) -> dict[str, Any]:
    """What Inlet does with its bucket (inlet/stores/blobstore.py), on that bucket only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                # HEAD bucket (the readiness check), listing (reconcile), and the
                # multipart uploads Inlet may need to abort.
                "Action": [
                    "s3:GetBucketLocation",
                    "s3:ListBucket",
                    "s3:ListBucketMultipartUploads",
                ],
                "Resource": [f"arn:aws:s3:::{bucket}"],
            },
            {
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            },
        ],
    }


def ensure_bucket(buckets: Buckets, bucket: str) -> str:
    if buckets.bucket_exists(bucket_name=bucket):
        return f"bucket {bucket}: exists"
    buckets.make_bucket(bucket_name=bucket)
    return f"bucket {bucket}: created"


def attached_policies(admin: Admin, user: str) -> set[str]:
    # MinIO lists a user's policies comma-separated in policyName.
    info = json.loads(admin.user_info(user) or "{}")
    return {name for name in str(info.get("policyName") or "").split(",") if name}


def ensure_user(admin: Admin, user: str, secret: str, bucket: str) -> list[str]:
    """The user with this secret and the bucket's policy alone; attaching a policy that
    is attached already is an error in MinIO, so only the difference is applied."""
    admin.policy_add(POLICY_NAME, policy=bucket_policy(bucket))
    # Adding an existing user sets its secret (and enables it): a new S3_SECRET_KEY
    # takes effect on the next `up`.
    admin.user_add(user, secret)
    report = [f"policy {POLICY_NAME}: set for bucket {bucket}", f"user {user}: set"]
    attached = attached_policies(admin, user)
    extra = sorted(attached - {POLICY_NAME})
    if extra:
        admin.detach_policy(extra, user=user)
        report.append(f"user {user}: detached {', '.join(extra)}")
    if POLICY_NAME not in attached:
        admin.attach_policy([POLICY_NAME], user=user)
        report.append(f"user {user}: attached {POLICY_NAME}")
    return report


def read_secret(environ: Mapping[str, str], name: str) -> str:
    """NAME, else the contents of the file NAME_FILE names (as inlet/settings.py)."""
    if environ.get(name):
        return environ[name]
    path = environ.get(f"{name}_FILE", "")
    value = Path(path).read_text(encoding="utf-8").strip() if path else ""
    if not value:
        raise SystemExit(f"{name} (or {name}_FILE) is empty or missing")
    return value


def settings(environ: Mapping[str, str]) -> dict[str, str]:
    minio = environ.get("MINIO_ENDPOINT", "http://minio:9000").rstrip("/")
    user = environ.get("S3_ACCESS_KEY") or "inlet"
    root_user = environ["MINIO_ROOT_USER"]
    if user == root_user:
        raise SystemExit("S3_ACCESS_KEY must not be MinIO's root user: Inlet has a user of its own")
    return {
        "minio": minio,
        "root_user": root_user,
        "root_password": read_secret(environ, "MINIO_ROOT_PASSWORD"),
        "user": user,
        "secret": read_secret(environ, "S3_SECRET_KEY"),
        "bucket": environ.get("S3_BUCKET") or "inlet-images",
        "region": environ.get("S3_REGION") or "us-east-1",
    }


def connect(config: Mapping[str, str]) -> tuple[Admin, Buckets]:
    from minio import Minio
    from minio.credentials.providers import StaticProvider
    from minio.minioadmin import MinioAdmin

    url = urlsplit(config["minio"])
    secure = url.scheme == "https"
    admin = MinioAdmin(
        endpoint=url.netloc,
        credentials=StaticProvider(config["root_user"], config["root_password"]),
        secure=secure,
    )
    buckets = Minio(
        endpoint=url.netloc,
        access_key=config["root_user"],
        secret_key=config["root_password"],
        secure=secure,
        region=config["region"],
    )
    return admin, buckets


def run(
    config: Mapping[str, str],
    admin: Admin,
    buckets: Buckets,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    for attempt in range(1, attempts + 1):
        try:
            report = [ensure_bucket(buckets, config["bucket"])]
            return report + ensure_user(admin, config["user"], config["secret"], config["bucket"])
        # MinIO starting up fails in many ways; after the last attempt, the error stands.
        except Exception as exc:
            if attempt == attempts:
                raise
            print(f"MinIO not ready ({type(exc).__name__}), trying again", file=sys.stderr)
            sleep(DELAY)
    raise AssertionError("unreachable")


def main(environ: Mapping[str, str]) -> int:
    endpoint = (environ.get("S3_ENDPOINT") or "").rstrip("/")
    minio = environ.get("MINIO_ENDPOINT", "http://minio:9000").rstrip("/")
    if endpoint and endpoint != minio:
        print(f"S3_ENDPOINT is {endpoint}, not compose's MinIO: nothing to set up")
        return 0
    config = settings(environ)
    admin, buckets = connect(config)
    for line in run(config, admin, buckets):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
