#!/bin/sh
# One-shot: generate Grafana's admin password once, into the secrets volume, readable
# by Grafana's user (472) only. Read it with:
#   docker compose run --rm --entrypoint cat grafana-password /secrets/grafana_admin_password
set -eu
file=/secrets/grafana_admin_password
if [ ! -s "$file" ]; then
    umask 077
    head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40 > "$file.tmp"
    mv "$file.tmp" "$file"
    echo "generated the Grafana admin password"
fi
chown 472:0 "$file"
chmod 0400 "$file"
