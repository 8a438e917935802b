#!/bin/sh
# One-shot (compose service minio-setup): creates the bucket $S3_BUCKET and the
# application's own MinIO user ($S3_ACCESS_KEY / $S3_SECRET_KEY), allowed to use
# that bucket only; the root credentials stay with MinIO and this script.
# Idempotent: an existing bucket, policy or user is updated in place.
set -eu
: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is not set}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is not set}"
: "${S3_BUCKET:?S3_BUCKET is not set}"
: "${S3_ACCESS_KEY:?S3_ACCESS_KEY is not set}"
: "${S3_SECRET_KEY:?S3_SECRET_KEY is not set}"
MINIO_URL="${MINIO_URL:-http://minio:9000}"
POLICY=inlet-app

if [ "$S3_ACCESS_KEY" = "$MINIO_ROOT_USER" ]; then
    echo "S3_ACCESS_KEY must differ from MINIO_ROOT_USER: the app gets its own user" >&2
    exit 1
fi

attempt=1
until mc alias set inlet "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
    if [ "$attempt" -ge 30 ]; then
        echo "giving up: MinIO at $MINIO_URL does not accept the root credentials" >&2
        exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
done

mc mb --ignore-existing "inlet/$S3_BUCKET"

policy_file="${TMPDIR:-/tmp}/$POLICY.json"
cat >"$policy_file" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:*"],
      "Resource": ["arn:aws:s3:::$S3_BUCKET", "arn:aws:s3:::$S3_BUCKET/*"]
    }
  ]
}
JSON
mc admin policy create inlet "$POLICY" "$policy_file"
mc admin user add inlet "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >/dev/null
# `attach` fails when the policy is attached already; that state is the goal.
if ! mc admin policy attach inlet "$POLICY" --user "$S3_ACCESS_KEY" 2>/dev/null; then
    mc admin user info inlet "$S3_ACCESS_KEY" | grep -q "$POLICY" || {
        echo "could not attach policy $POLICY to $S3_ACCESS_KEY" >&2
        exit 1
    }
fi
echo "bucket $S3_BUCKET ready; user $S3_ACCESS_KEY has policy $POLICY"
