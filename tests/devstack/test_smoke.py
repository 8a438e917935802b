"""`make smoke` (devstack/smoke.py) never prints a token; its run against a real
`make dev` is in test_make_dev.py, which starts one."""

from __future__ import annotations

from devstack.smoke import redacted


def test_a_connection_error_names_no_link_token() -> None:
    message = (
        "HTTPConnectionPool(host='127.0.0.1', port=8000): Max retries exceeded with url: "
        "/v1/uploads/eyJhbGciOiJIUzI1NiJ9.eyJsIjoiYWJjIn0.c2ln-_x (Caused by …)"
    )
    said = redacted(message, "admin.token.value")
    assert "eyJ" not in said
    assert "url: /v1/uploads/… (Caused by" in said


def test_the_admin_token_is_never_repeated() -> None:
    said = redacted("401 for Bearer admin.token.value on /v1/links", "admin.token.value")
    assert said == "401 for Bearer … on /v1/links"
