"""What a link holder's browser and client get: page_url, the redirect, /v1/uploads/self
and the upload page's own files."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from falcon import testing

from api.redact import redact
from inlet import tokens
from inlet.settings import Settings
from tests.http import assert_problem, bearer, multipart, new_sender
from tests.images import make_image

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_link_has_a_page_url_with_the_token_in_the_fragment(
    make_client: Any, admin: dict[str, str]
) -> None:
    client = make_client(public_base_url="https://in.example.org/")
    link = client.simulate_post("/v1/links", json={"expires_in": 60}, headers=admin).json
    assert link["page_url"] == f"https://in.example.org/u/#{link['token']}"
    assert link["url"] == f"https://in.example.org/v1/uploads/{link['token']}"


def test_page_url_defaults_to_the_request_host(client: testing.TestClient, new_link: Any) -> None:
    link = new_link()
    assert link["page_url"].endswith(f"/u/#{link['token']}")
    assert link["page_url"].startswith("http://")


def test_a_browser_opening_the_old_url_is_sent_to_the_page(
    client: testing.TestClient, new_link: Any
) -> None:
    link = new_link()
    result = client.simulate_get(f"/v1/uploads/{link['token']}", headers={"Accept": BROWSER_ACCEPT})
    assert result.status_code == 303
    assert result.headers["location"] == link["page_url"]
    assert result.headers["referrer-policy"] == "no-referrer"
    assert result.headers["cache-control"] == "no-store"


def test_a_non_browser_get_of_the_old_url_is_told_to_post(
    client: testing.TestClient, new_link: Any
) -> None:
    result = client.simulate_get(f"/v1/uploads/{new_link()['token']}")
    assert_problem(result, 405, "POST")
    assert result.headers["allow"] == "POST"


def test_self_describes_the_link_and_its_uploads(make_client: Any, new_link: Any) -> None:
    client = make_client(max_image_bytes=5_000_000, max_files_per_request=7, part_size=6 * 2**20)
    link = new_link(max_images=3, max_bytes=10**6, expires_in=600)
    me = bearer(link["token"], new_sender())
    before = client.simulate_get("/v1/uploads/self", headers=me)
    assert before.status_code == 200, before.text
    assert before.headers["cache-control"] == "no-store"
    doc = before.json
    assert doc["expires_at"] == link["expires_at"]
    assert 590 <= doc["expires_in"] <= 600
    assert (doc["max_images"], doc["used"], doc["remaining"]) == (3, 0, 3)
    assert (doc["max_bytes"], doc["used_bytes"], doc["remaining_bytes"]) == (10**6, 0, 10**6)
    assert (doc["max_image_bytes"], doc["max_files_per_request"]) == (5_000_000, 7)
    assert doc["part_size"] == 6 * 2**20
    assert {".jpg", ".png", ".heic"} <= set(doc["accepted"]["extensions"])
    assert "image/jpeg" in doc["accepted"]["mime_types"]
    assert ".txt" not in doc["accepted"]["extensions"]
    assert doc["uploads"] == []
    assert doc["sender_known"] is True

    data = make_image(seed=131)
    body, ctype = multipart(
        [("images", "a<b>.jpg", data, "image/jpeg"), ("images", "n.txt", b"hi", "text/plain")]
    )
    client.simulate_post("/v1/uploads", body=body, headers={"Content-Type": ctype, **me})
    after = client.simulate_get("/v1/uploads/self", headers=me).json
    assert after["remaining"] == 2
    assert (after["used_bytes"], after["remaining_bytes"]) == (len(data), 10**6 - len(data))
    [entry] = after["uploads"]
    assert entry["id"] == hashlib.sha256(data).hexdigest()
    assert (entry["filename"], entry["state"], entry["duplicate"]) == ("a<b>.jpg", "pending", False)
    assert entry["uploaded_at"].endswith("+00:00")


def test_self_for_an_unlimited_link(client: testing.TestClient, new_link: Any) -> None:
    link = new_link(max_images=None, max_bytes=None)
    doc = client.simulate_get("/v1/uploads/self", headers=bearer(link["token"])).json
    assert (doc["max_images"], doc["remaining"]) == (None, None)
    assert (doc["max_bytes"], doc["remaining_bytes"]) == (None, None)


def test_self_refuses_bad_links_with_distinct_problems(
    client: testing.TestClient, new_link: Any, admin: dict[str, str], settings: Settings
) -> None:
    revoked = new_link()
    client.simulate_delete(f"/v1/links/{revoked['id']}", headers=admin)
    doc = assert_problem(
        client.simulate_get("/v1/uploads/self", headers=bearer(revoked["token"])), 410
    )
    assert doc["type"].endswith("/link-revoked")
    expired = tokens.issue(
        settings.secret_key, tokens.TokenKind.LINK, new_link()["id"], int(time.time()) - 30
    )
    doc = assert_problem(client.simulate_get("/v1/uploads/self", headers=bearer(expired)), 410)
    assert doc["type"].endswith("/link-expired")
    assert_problem(client.simulate_get("/v1/uploads/self", headers=bearer("nonsense")), 401)
    assert_problem(client.simulate_get("/v1/uploads/self"), 401)


def test_the_page_is_served_with_a_strict_policy(client: testing.TestClient) -> None:
    page = client.simulate_get("/u/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" in page.text
    assert "<script>" not in page.text  # no inline script: every script has a src
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", page.text, re.IGNORECASE)  # no handlers
    script = client.simulate_get("/u/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in script.text
    assert client.simulate_get("/u/app.css").status_code == 200
    assert_problem(client.simulate_get("/u/secrets.txt"), 404)
    assert_problem(client.simulate_get("/u/..%2Fapp.py"), 404)


def test_the_page_without_its_trailing_slash_redirects(client: testing.TestClient) -> None:
    result = client.simulate_get("/u")
    assert result.status_code == 301
    assert result.headers["location"].endswith("/u/")


def test_self_is_not_redacted_but_tokens_are() -> None:
    assert redact("GET /v1/uploads/self HTTP/1.1") == "GET /v1/uploads/self HTTP/1.1"
    assert redact("POST /v1/uploads/selfish.tok HTTP/1.1") == "POST /v1/uploads/[redacted] HTTP/1.1"
