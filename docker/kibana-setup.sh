#!/bin/sh
# One-shot (compose service kibana-setup), as the `elastic` superuser:
# - creates Kibana data views for Inlet's indices, through their aliases
#   ${INDEX_PREFIX}-images and ${INDEX_PREFIX}-uploads, with `uploaded_at` as the
#   time field; a data view that already exists (same id) is left alone, so changes
#   made to it in Kibana are kept;
# - imports the dashboard "Inlet" and its panels (kibana-dashboard.ndjson) through
#   Kibana's saved-objects import API with overwrite: same ids, same result on
#   every run;
# - creates the read-only login ${KIBANA_VIEWER} (default inlet_viewer; password: the
#   secret kibana_viewer_password): a role of the same name reads Inlet's indices
#   (${INDEX_PREFIX}-*: read, view_index_metadata) and opens Discover, Dashboards and
#   Visualize read-only, in every space. The `elastic` superuser stays for setup.
set -eu
KIBANA_URL="${KIBANA_URL:-http://kibana:5601}"
ES_URL="${ES_URL:-http://elasticsearch:9200}"
INDEX_PREFIX="${INDEX_PREFIX:-inlet}"
KIBANA_VIEWER="${KIBANA_VIEWER:-inlet_viewer}"
DASHBOARD="${SETUP_DIR:-/setup}/kibana-dashboard.ndjson"
. "${SETUP_DIR:-/setup}/lib.sh"
ELASTIC_PASSWORD=$(read_secret elastic_password)
VIEWER_PASSWORD=$(read_secret kibana_viewer_password)

# ensure_data_view NAME DISPLAY_NAME
ensure_data_view() {
    alias_name="${INDEX_PREFIX}-$1"
    status=$(request GET "$KIBANA_URL/api/data_views/data_view/$alias_name")
    case "$status" in
        200)
            echo "data view $alias_name exists"
            return 0
            ;;
        404) ;;
        *)
            echo "GET data view $alias_name: HTTP $status $(cat "$RESPONSE_FILE" 2>/dev/null)" >&2
            return 1
            ;;
    esac
    body="{\"override\":true,\"data_view\":{\"id\":$(json_string "$alias_name"),\
\"title\":$(json_string "$alias_name"),\"name\":$(json_string "$2"),\
\"timeFieldName\":\"uploaded_at\"}}"
    status=$(request POST "$KIBANA_URL/api/data_views/data_view" "$body")
    if [ "$status" = 200 ]; then
        echo "data view $alias_name created"
        return 0
    fi
    echo "POST data view $alias_name: HTTP $status $(cat "$RESPONSE_FILE" 2>/dev/null)" >&2
    return 1
}

retry "data view ${INDEX_PREFIX}-images" ensure_data_view images "Inlet images"
retry "data view ${INDEX_PREFIX}-uploads" ensure_data_view uploads "Inlet uploads"

# import_dashboard: the saved objects, their data view ids changed to this prefix's.
import_dashboard() {
    objects="${TMPDIR:-/tmp}/inlet-dashboard.$$.ndjson"
    sed -e "s/\"inlet-images\"/\"${INDEX_PREFIX}-images\"/g" \
        -e "s/\"inlet-uploads\"/\"${INDEX_PREFIX}-uploads\"/g" "$DASHBOARD" >"$objects"
    status=$(upload_form "$KIBANA_URL/api/saved_objects/_import?overwrite=true" file "$objects")
    rm -f "$objects"
    # 200 with "success":false lists objects that failed (e.g. a missing reference).
    if [ "$status" = 200 ] && grep -q '"success":true' "$RESPONSE_FILE"; then
        echo "dashboard Inlet imported (Analytics > Dashboards > Inlet)"
        return 0
    fi
    echo "import dashboard: HTTP $status $(cat "$RESPONSE_FILE" 2>/dev/null)" >&2
    return 1
}

retry "dashboard Inlet" import_dashboard

# expect DESCRIPTION STATUS METHOD URL BODY: one request that must answer STATUS.
expect() {
    status=$(request "$3" "$4" "$5")
    if [ "$status" = "$2" ]; then
        echo "$1: done"
        return 0
    fi
    echo "$1: HTTP $status $(cat "$RESPONSE_FILE" 2>/dev/null)" >&2
    return 1
}

# Kibana's role API (it adds the Kibana feature privileges); 204 when set.
retry "role $KIBANA_VIEWER" expect "role $KIBANA_VIEWER" 204 \
    PUT "$KIBANA_URL/api/security/role/$KIBANA_VIEWER" \
    "{\"elasticsearch\":{\"cluster\":[],\"indices\":[{\"names\":[$(json_string "${INDEX_PREFIX}-*")],\
\"privileges\":[\"read\",\"view_index_metadata\"]}]},\"kibana\":[{\"base\":[],\"feature\":{\
\"discover_v2\":[\"read\"],\"dashboard_v2\":[\"read\"],\"visualize_v2\":[\"read\"]},\"spaces\":[\"*\"]}]}"

retry "user $KIBANA_VIEWER" expect "user $KIBANA_VIEWER" 200 \
    PUT "$ES_URL/_security/user/$KIBANA_VIEWER" \
    "{\"password\":$(json_string "$VIEWER_PASSWORD"),\"roles\":[$(json_string "$KIBANA_VIEWER")],\
\"full_name\":\"Inlet viewer (read-only)\"}"
