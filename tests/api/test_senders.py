"""Each sender sees only their own: a link is shared by many holders, and
/v1/uploads/self lists only the uploads sent with the caller's X-Inlet-Sender."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from falcon import testing

from inlet.senders import InvalidSender, Sender
from inlet.settings import Settings
from tests.http import assert_problem, bearer, multipart, new_sender
from tests.images import make_image

HEADER = "X-Inlet-Sender"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def send(client: testing.TestClient, headers: dict[str, str], name: str, data: bytes) -> Any:
    body, ctype = multipart([("images", name, data, "image/jpeg")])
    return client.simulate_post(
        "/v1/uploads", body=body, headers={"Content-Type": ctype, **headers}
    )


def own(client: testing.TestClient, headers: dict[str, str]) -> dict[str, Any]:
    result = client.simulate_get("/v1/uploads/self", headers=headers)
    assert result.status_code == 200, result.text
    return dict(result.json)


def names(doc: dict[str, Any]) -> list[str]:
    return [u["filename"] for u in doc["uploads"]]


def test_two_holders_of_one_link_see_only_their_own(
    client: testing.TestClient, new_link: Any, admin: dict[str, str]
) -> None:
    known = make_image(seed=703)
    assert send(client, bearer(new_link()["token"]), "elsewhere.jpg", known).status_code == 201
    link = new_link(max_images=5)
    alice = bearer(link["token"], new_sender())
    bob = bearer(link["token"], new_sender())

    assert send(client, alice, "alice.jpg", make_image(seed=701)).status_code == 201
    body, ctype = multipart([("images", "bob.jpg", make_image(seed=702), "image/jpeg")])
    by_url = client.simulate_post(
        f"/v1/uploads/{link['token']}",
        body=body,
        headers={"Content-Type": ctype, HEADER: bob[HEADER]},
    )
    assert by_url.status_code == 201, by_url.text
    by_hash = client.simulate_post(
        "/v1/uploads", json={"images": [{"sha256": sha(known), "filename": "k.jpg"}]}, headers=bob
    )
    assert by_hash.status_code == 201, by_hash.text

    mine, theirs = own(client, alice), own(client, bob)
    assert names(mine) == ["alice.jpg"]
    assert names(theirs) == ["bob.jpg", "k.jpg"]
    assert [u["id"] for u in theirs["uploads"]][1] == sha(known)
    # Quota and expiry stay link-wide: both see what the link as a whole has left.
    for doc in (mine, theirs):
        assert (doc["used"], doc["remaining"]) == (3, 2)
        assert doc["sender_known"] is True
    assert client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json["used"] == 3


def test_without_a_sender_an_upload_is_accepted_and_listed_to_no_holder(
    client: testing.TestClient, new_link: Any, admin: dict[str, str]
) -> None:
    link = new_link()
    plain = bearer(link["token"])
    result = send(client, plain, "script.jpg", make_image(seed=711))
    assert result.status_code == 201, result.text
    assert client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json["used"] == 1
    anonymous = own(client, plain)
    assert (anonymous["uploads"], anonymous["sender_known"], anonymous["used"]) == ([], False, 1)
    assert own(client, bearer(link["token"], new_sender()))["uploads"] == []


def test_the_same_sender_id_on_another_link_sees_nothing_of_the_first(
    client: testing.TestClient, new_link: Any
) -> None:
    sender = new_sender()
    first, second = new_link(), new_link()
    assert (
        send(client, bearer(first["token"], sender), "a.jpg", make_image(seed=721)).status_code
        == 201
    )
    assert names(own(client, bearer(first["token"], sender))) == ["a.jpg"]
    assert own(client, bearer(second["token"], sender))["uploads"] == []


@pytest.mark.parametrize(
    "value",
    [
        "",
        "short",
        "a" * 21,
        "a" * 65,
        "abcdefghijklmnopqrstuv+/",  # base64, not base64url
        "abcdefghijklmnopqrstuvw=",
        "abcdefghijk lmnopqrstuvw",
    ],
)
def test_a_malformed_sender_is_refused_naming_the_header_and_nothing_is_recorded(
    client: testing.TestClient, new_link: Any, admin: dict[str, str], value: str
) -> None:
    link = new_link()
    headers = {**bearer(link["token"]), HEADER: value}
    for result in (
        client.simulate_get("/v1/uploads/self", headers=headers),
        send(client, headers, "x.jpg", make_image(seed=731)),
        client.simulate_post(
            "/v1/uploads", json={"images": [{"sha256": "0" * 64}]}, headers=headers
        ),
    ):
        doc = assert_problem(result, 400, HEADER, "base64url")
        assert doc["type"].endswith("/invalid-header")
        assert doc["header"] == HEADER
        assert value not in doc["detail"] or not value
    assert client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json["used"] == 0


def test_a_bad_link_is_refused_before_the_sender_is_looked_at(client: testing.TestClient) -> None:
    result = client.simulate_get("/v1/uploads/self", headers={HEADER: "bad"})
    assert_problem(result, 401)


def test_only_a_hash_of_the_sender_id_is_stored(
    client: testing.TestClient, new_link: Any, redis_client: Any, settings: Settings
) -> None:
    sender = new_sender()
    link = new_link()
    assert (
        send(client, bearer(link["token"], sender), "a.jpg", make_image(seed=741)).status_code
        == 201
    )
    assert names(own(client, bearer(link["token"], sender))) == ["a.jpg"]
    keys = list(redis_client.scan_iter(f"{settings.redis_prefix}:*"))
    assert keys
    for key in keys:
        assert sender not in str(key)
        if redis_client.type(key) == "list":
            assert not any(sender in str(row) for row in redis_client.lrange(key, 0, -1))
    assert any(Sender.parse(sender).digest in str(key) for key in keys)


def test_sender_ids_are_22_to_64_base64url_characters() -> None:
    assert Sender.parse("A" * 22).digest == sha(b"A" * 22)
    assert Sender.parse("-_" * 32).digest == sha(b"-_" * 32)
    for bad in ("A" * 21, "A" * 65, "A" * 22 + "\n", "é" * 22):
        with pytest.raises(InvalidSender):
            Sender.parse(bad)
    assert "secret-sender-id-123456" not in repr(Sender.parse("secret-sender-id-123456"))
