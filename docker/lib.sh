# Shared helpers for the one-shot setup containers (POSIX sh; curl and sed only).
# Sourced by es-setup.sh and kibana-setup.sh; not run on its own.

# read_secret NAME: the secret NAME from the secrets volume (docker-compose.yml),
# failing with a message when it is missing or empty.
read_secret() {
    secret_file="${SECRETS_DIR:-/run/secrets}/$1"
    if [ ! -s "$secret_file" ]; then
        echo "missing secret $secret_file (the secrets service writes it)" >&2
        return 1
    fi
    cat "$secret_file"
}

# json_string VALUE: VALUE as a JSON string literal (quotes and backslashes escaped).
json_string() {
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# request METHOD URL [BODY]: an HTTP request as the `elastic` superuser (password in
# $ELASTIC_PASSWORD, a shell variable); prints the status code and leaves the
# response body in $RESPONSE_FILE. Credentials and the body (which may hold a
# password being set) go to curl through its config on stdin, so they never appear
# in a process listing. A quoted config value takes the escapes json_string makes.
RESPONSE_FILE="${TMPDIR:-/tmp}/setup-response.$$"
trap 'rm -f "$RESPONSE_FILE"' EXIT
request() {
    method="$1" url="$2" body="${3:-}"
    # curl prints 000 itself when there is no HTTP response; always succeed so that
    # callers under `set -e` can look at the status.
    {
        printf 'user = %s\n' "$(json_string "elastic:${ELASTIC_PASSWORD}")"
        if [ -n "$body" ]; then
            printf 'data-binary = %s\n' "$(json_string "$body")"
        fi
    } | curl --silent --show-error --output "$RESPONSE_FILE" --write-out '%{http_code}' \
        --max-time 30 --config - --request "$method" \
        --header 'Content-Type: application/json' --header 'kbn-xsrf: true' "$url" || true
}

# upload_form URL FIELD FILE: like request, a multipart POST of FILE as FIELD.
upload_form() {
    printf 'user = %s\n' "$(json_string "elastic:${ELASTIC_PASSWORD}")" |
        curl --silent --show-error --output "$RESPONSE_FILE" --write-out '%{http_code}' \
            --max-time 60 --config - --request POST --header 'kbn-xsrf: true' \
            --form "$2=@$3" "$1" || true
}

# retry DESCRIPTION COMMAND...: runs COMMAND until it succeeds, at most
# $SETUP_ATTEMPTS times (default 30) with $SETUP_DELAY seconds between tries.
retry() {
    what="$1"
    shift
    attempt=1
    until "$@"; do
        if [ "$attempt" -ge "${SETUP_ATTEMPTS:-30}" ]; then
            echo "giving up: $what" >&2
            return 1
        fi
        attempt=$((attempt + 1))
        sleep "${SETUP_DELAY:-2}"
    done
}
