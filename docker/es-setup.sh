#!/bin/sh
# One-shot (compose service es-setup), as the `elastic` superuser:
# - sets the password of the built-in `kibana_system` user, so that Kibana connects;
# - creates the role `inlet_app` (Inlet's indices and aliases, ${INDEX_PREFIX}-*, and
#   cluster monitoring for the version check) and the user `inlet` with that role,
#   whom the Inlet processes log in as.
# Passwords come from the secrets volume. Idempotent: each run sets the same state.
set -eu
ES_URL="${ES_URL:-http://elasticsearch:9200}"
INDEX_PREFIX="${INDEX_PREFIX:-inlet}"
. "${SETUP_DIR:-/setup}/lib.sh"
ELASTIC_PASSWORD=$(read_secret elastic_password)
KIBANA_PASSWORD=$(read_secret kibana_password)
INLET_ES_PASSWORD=$(read_secret inlet_es_password)

# call DESCRIPTION METHOD URL BODY: one request that must answer 200.
call() {
    status=$(request "$2" "$3" "$4")
    case "$status" in
        200) echo "$1: done" ;;
        401)
            # ELASTIC_PASSWORD is applied only when the data volume is first created.
            echo "Elasticsearch rejected the elastic user's password (401). If" \
                "elastic_password changed after the first start (a new ELASTIC_PASSWORD" \
                "in .env), set it back or reset it with elasticsearch-reset-password." >&2
            exit 1
            ;;
        *)
            echo "$1: HTTP $status $(cat "$RESPONSE_FILE" 2>/dev/null)" >&2
            return 1
            ;;
    esac
}

retry "kibana_system password" call "kibana_system password" \
    POST "$ES_URL/_security/user/kibana_system/_password" \
    "{\"password\":$(json_string "$KIBANA_PASSWORD")}"

retry "role inlet_app" call "role inlet_app" \
    PUT "$ES_URL/_security/role/inlet_app" \
    "{\"cluster\":[\"monitor\"],\"indices\":[{\"names\":[$(json_string "${INDEX_PREFIX}-*")],\
\"privileges\":[\"all\"]}]}"

retry "user inlet" call "user inlet" \
    PUT "$ES_URL/_security/user/inlet" \
    "{\"password\":$(json_string "$INLET_ES_PASSWORD"),\"roles\":[\"inlet_app\"],\
\"full_name\":\"Inlet processes\"}"
