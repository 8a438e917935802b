"""docker/minio-setup.py, the `minio-setup` service's script: Inlet's own S3 user.

MinIO's admin API has no stand-in here (moto has none): the script runs against an
in-memory MinIO that keeps users, policies and buckets, and refuses, as MinIO does,
to attach a policy twice or detach one that is not attached."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from devstack.servers import REPO


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("minio_setup", REPO / "docker" / "minio-setup.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


setup = _load()
CONFIG = {"bucket": "inlet-images", "user": "inlet", "secret": "s3-secret-of-inlet"}


class PolicyChangeAlreadyApplied(Exception):
    pass


class FakeMinio:
    """MinIO's IAM and bucket list, in memory (the Admin and Buckets protocols)."""

    def __init__(self) -> None:
        self.policies: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.buckets: set[str] = set()
        self.writes = 0

    def policy_add(self, policy_name: str, *, policy: dict[str, Any]) -> str:
        self.policies[policy_name] = json.loads(json.dumps(policy))
        return ""

    def user_add(self, access_key: str, secret_key: str) -> str:
        user = self.users.setdefault(access_key, {"policies": []})
        user.update(secret=secret_key, status="enabled")
        return ""

    def user_info(self, access_key: str) -> str:
        user = self.users[access_key]
        return json.dumps({"policyName": ",".join(user["policies"]), "status": user["status"]})

    def attach_policy(self, policies: list[str], *, user: str) -> str:
        attached = self.users[user]["policies"]
        if any(p in attached for p in policies) or any(p not in self.policies for p in policies):
            raise PolicyChangeAlreadyApplied(policies)
        attached.extend(policies)
        self.writes += 1
        return ""

    def detach_policy(self, policies: list[str], *, user: str) -> str:
        attached = self.users[user]["policies"]
        if any(p not in attached for p in policies):
            raise PolicyChangeAlreadyApplied(policies)
        self.users[user]["policies"] = [p for p in attached if p not in policies]
        self.writes += 1
        return ""

    def bucket_exists(self, *, bucket_name: str) -> bool:
        return bucket_name in self.buckets

    def make_bucket(self, *, bucket_name: str) -> None:
        assert bucket_name not in self.buckets
        self.buckets.add(bucket_name)


def _allowed(policy: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (action, resource)
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
        for resource in statement["Resource"]
    }


def test_the_policy_allows_the_bucket_and_nothing_else() -> None:
    policy = setup.bucket_policy("inlet-images")
    allowed = _allowed(policy)
    bucket, objects = "arn:aws:s3:::inlet-images", "arn:aws:s3:::inlet-images/*"
    # What inlet/stores/blobstore.py does: put (multipart too), HEAD/GET, delete, list, HEAD bucket.
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"):
        assert (action, objects) in allowed
    assert ("s3:ListBucket", bucket) in allowed
    # No wildcard, no other bucket, no bucket administration, no admin action.
    assert {resource for _, resource in allowed} == {bucket, objects}
    assert all(action.startswith("s3:") and "*" not in action for action, _ in allowed)
    forbidden = ("s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:ListAllMyBuckets")
    assert not {action for action, _ in allowed} & set(forbidden)


def test_first_run_creates_bucket_policy_and_user() -> None:
    minio = FakeMinio()
    report = setup.run(CONFIG, minio, minio, attempts=1)
    assert minio.buckets == {"inlet-images"}
    assert minio.policies == {"inlet-bucket": setup.bucket_policy("inlet-images")}
    assert minio.users["inlet"] == {
        "secret": "s3-secret-of-inlet",
        "status": "enabled",
        "policies": ["inlet-bucket"],
    }
    assert "bucket inlet-images: created" in report
    assert not any("s3-secret-of-inlet" in line for line in report)


def test_every_later_run_changes_nothing() -> None:
    minio = FakeMinio()
    setup.run(CONFIG, minio, minio, attempts=1)
    state = json.dumps([minio.policies, minio.users, sorted(minio.buckets)])
    writes = minio.writes
    for _ in range(3):
        report = setup.run(CONFIG, minio, minio, attempts=1)
        assert "bucket inlet-images: exists" in report
    assert json.dumps([minio.policies, minio.users, sorted(minio.buckets)]) == state
    assert minio.writes == writes  # no attach or detach once in place


def test_a_new_secret_or_bucket_takes_effect() -> None:
    minio = FakeMinio()
    setup.run(CONFIG, minio, minio, attempts=1)
    setup.run({**CONFIG, "secret": "rotated", "bucket": "photos"}, minio, minio, attempts=1)
    assert minio.users["inlet"]["secret"] == "rotated"
    assert minio.policies["inlet-bucket"] == setup.bucket_policy("photos")
    assert minio.buckets == {"inlet-images", "photos"}


def test_other_policies_given_to_the_user_are_taken_away() -> None:
    minio = FakeMinio()
    minio.user_add("inlet", "old")
    minio.policy_add("readwrite", policy={"Statement": []})
    minio.attach_policy(["readwrite"], user="inlet")
    report = setup.run(CONFIG, minio, minio, attempts=1)
    assert minio.users["inlet"]["policies"] == ["inlet-bucket"]
    assert "user inlet: detached readwrite" in report


def test_minio_starting_up_is_waited_for() -> None:
    minio = FakeMinio()
    failures = [ConnectionRefusedError("minio:9000"), ConnectionRefusedError("minio:9000")]
    real_exists = minio.bucket_exists

    def flaky_exists(*, bucket_name: str) -> bool:
        if failures:
            raise failures.pop()
        return real_exists(bucket_name=bucket_name)

    minio.bucket_exists = flaky_exists  # type: ignore[method-assign] # a MinIO that starts late
    slept: list[float] = []
    setup.run(CONFIG, minio, minio, attempts=5, sleep=slept.append)
    assert len(slept) == 2
    assert minio.users["inlet"]["policies"] == ["inlet-bucket"]


def test_gives_up_with_the_error_after_the_last_attempt() -> None:
    minio = FakeMinio()
    minio.bucket_exists = lambda **kwargs: (_ for _ in ()).throw(OSError("down"))  # type: ignore[method-assign] # a MinIO that never answers
    with pytest.raises(OSError, match="down"):
        setup.run(CONFIG, minio, minio, attempts=3, sleep=lambda seconds: None)


def test_reads_the_compose_environment(tmp_path: Path) -> None:
    (tmp_path / "minio_root_password").write_text("root-pw\n")
    (tmp_path / "s3_secret_key").write_text("inlet-secret\n")
    config = setup.settings(
        {
            "MINIO_ROOT_USER": "inlet-admin",
            "MINIO_ROOT_PASSWORD_FILE": str(tmp_path / "minio_root_password"),
            "S3_SECRET_KEY_FILE": str(tmp_path / "s3_secret_key"),
            "S3_BUCKET": "inlet-images",
        }
    )
    assert config["user"] == "inlet"
    assert (config["root_password"], config["secret"]) == ("root-pw", "inlet-secret")
    assert config["minio"] == "http://minio:9000"


def test_refuses_to_hand_inlet_the_root_user(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("x" * 20)
    environ = {
        "MINIO_ROOT_USER": "inlet-admin",
        "MINIO_ROOT_PASSWORD_FILE": str(tmp_path / "pw"),
        "S3_SECRET_KEY_FILE": str(tmp_path / "pw"),
        "S3_ACCESS_KEY": "inlet-admin",
    }
    with pytest.raises(SystemExit, match="root user"):
        setup.settings(environ)


def test_another_s3_server_needs_no_setup(capsys: pytest.CaptureFixture[str]) -> None:
    # Not even credentials are read: compose's MinIO is scaled to 0 then.
    assert setup.main({"S3_ENDPOINT": "https://s3.eu-west-1.amazonaws.com"}) == 0
    assert "nothing to set up" in capsys.readouterr().out
