#!/bin/sh
# One-shot (compose service es-setup): sets the password of Elasticsearch's built-in
# `kibana_system` user to $KIBANA_PASSWORD, so that Kibana can connect. Idempotent:
# setting the same password again is harmless. Runs as the `elastic` superuser.
set -eu
: "${ELASTIC_PASSWORD:?ELASTIC_PASSWORD is not set}"
: "${KIBANA_PASSWORD:?KIBANA_PASSWORD is not set}"
ES_URL="${ES_URL:-http://elasticsearch:9200}"
. "${SETUP_DIR:-/setup}/lib.sh"

set_password() {
    status=$(request POST "$ES_URL/_security/user/kibana_system/_password" \
        "{\"password\":$(json_string "$KIBANA_PASSWORD")}")
    case "$status" in
        200) echo "kibana_system password set" ;;
        401)
            # ELASTIC_PASSWORD is applied only when the data volume is first created.
            echo "Elasticsearch rejected the elastic user's password (401). If .env's" \
                "ELASTIC_PASSWORD changed after the first start, change it back or reset" \
                "it with elasticsearch-reset-password." >&2
            exit 1
            ;;
        *)
            echo "POST _security/user/kibana_system/_password: HTTP $status" \
                "$(cat "$RESPONSE_FILE" 2>/dev/null)" >&2
            return 1
            ;;
    esac
}

retry "setting the kibana_system password" set_password
