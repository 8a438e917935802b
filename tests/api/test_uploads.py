from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from falcon import testing

from inlet import tokens
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.dedup import HashIndex
from tests.http import assert_problem, bearer, multipart
from tests.images import make_image
from tests.support import hash_count

# The stored bytes themselves (the public rendition needs a worker; see test_public_images).
ORIGINAL = {"original": "true"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(client: testing.TestClient, token: str, *files: Any, **kw: Any) -> testing.Result:
    body, ctype = multipart(list(files), kw.get("fields"))
    return client.simulate_post(f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype})


def stored(blob_store: S3BlobStore) -> set[str]:
    return set(blob_store.iter_ids())


def used(client: testing.TestClient, admin: dict[str, str], link: dict[str, Any]) -> int:
    return int(client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json["used"])


def test_upload_several_images_and_get_them_back(
    client: testing.TestClient, new_link: Any, blob_store: S3BlobStore, admin: dict[str, str]
) -> None:
    jpeg, png = make_image("JPEG", seed=1), make_image("PNG", seed=2)
    link = new_link()
    result = upload(
        client,
        link["token"],
        ("images", "a.jpg", jpeg, "image/jpeg"),
        ("images", "b.png", png, "image/png"),
    )
    assert result.status_code == 201, result.text
    assert result.json == {
        "images": [
            {
                "filename": "a.jpg",
                "id": sha(jpeg),
                "duplicate": False,
                "state": "pending",
                "url": f"/v1/images/{sha(jpeg)}",
            },
            {
                "filename": "b.png",
                "id": sha(png),
                "duplicate": False,
                "state": "pending",
                "url": f"/v1/images/{sha(png)}",
            },
        ]
    }
    assert result.headers["referrer-policy"] == "no-referrer"
    got = client.simulate_get(f"/v1/images/{sha(png)}", params=ORIGINAL, headers=admin)
    assert got.status_code == 200
    assert got.content == png
    assert got.headers["content-type"] == "image/png"
    assert stored(blob_store) == {sha(jpeg), sha(png)}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "HEIF"])
def test_every_accepted_format(
    client: testing.TestClient, new_link: Any, admin: dict[str, str], fmt: str
) -> None:
    data = make_image(fmt, seed=7)
    result = upload(
        client, new_link()["token"], ("images", f"x.{fmt}", data, "application/x-anything")
    )
    assert result.status_code == 201, result.text
    served = client.simulate_get(f"/v1/images/{sha(data)}", params=ORIGINAL, headers=admin)
    assert served.content == data
    assert (
        served.headers["content-type"]
        in {
            "JPEG": {"image/jpeg"},
            "PNG": {"image/png"},
            "GIF": {"image/gif"},
            "WEBP": {"image/webp"},
            "TIFF": {"image/tiff"},
            "BMP": {"image/bmp"},
            "HEIF": {"image/heic", "image/heif"},
        }[fmt]
    )


def test_content_decides_not_the_name_or_declared_type(
    client: testing.TestClient, new_link: Any, admin: dict[str, str]
) -> None:
    png = make_image("PNG", seed=3)
    result = upload(client, new_link()["token"], ("f", "photo.jpg", png, "image/jpeg"))
    assert result.status_code == 201
    served = client.simulate_get(result.json["images"][0]["url"], params=ORIGINAL, headers=admin)
    assert served.headers["content-type"] == "image/png"


def test_upload_with_token_in_authorization_header(
    client: testing.TestClient, new_link: Any
) -> None:
    data = make_image(seed=4)
    body, ctype = multipart([("images", "a.jpg", data, "image/jpeg")])
    result = client.simulate_post(
        "/v1/uploads", body=body, headers={"Content-Type": ctype, **bearer(new_link()["token"])}
    )
    assert result.status_code == 201
    assert result.json["images"][0]["id"] == sha(data)
    assert result.headers["referrer-policy"] == "no-referrer"


def test_duplicates_across_and_within_requests(
    client: testing.TestClient, new_link: Any, blob_store: S3BlobStore
) -> None:
    data = make_image(seed=5)
    link = new_link()
    first = upload(
        client,
        link["token"],
        ("a", "one.jpg", data, "image/jpeg"),
        ("a", "again.jpg", data, "image/jpeg"),
    )
    assert [i["duplicate"] for i in first.json["images"]] == [False, True]
    second = upload(client, link["token"], ("a", "later.jpg", data, "image/jpeg"))
    assert second.json["images"][0] == {
        "filename": "later.jpg",
        "id": sha(data),
        "duplicate": True,
        "state": "pending",
        "url": f"/v1/images/{sha(data)}",
    }
    assert stored(blob_store) == {sha(data)}


def test_seen_hash_with_missing_object_is_stored_again(
    client: testing.TestClient,
    new_link: Any,
    blob_store: S3BlobStore,
    redis_client: Any,
    settings: Settings,
    admin: dict[str, str],
) -> None:
    data = make_image(seed=6)
    link = new_link()
    upload(client, link["token"], ("a", "a.jpg", data, "image/jpeg"))
    blob_store.delete(sha(data))
    assert sha(data) in HashIndex(redis_client, settings.redis_prefix)
    result = upload(client, link["token"], ("a", "a.jpg", data, "image/jpeg"))
    assert result.status_code == 201
    again = client.simulate_get(f"/v1/images/{sha(data)}", params=ORIGINAL, headers=admin)
    assert again.content == data


def test_mixed_request_is_207_with_per_file_errors_in_order(
    client: testing.TestClient, new_link: Any, blob_store: S3BlobStore
) -> None:
    good = make_image(seed=8)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    result = upload(
        client,
        new_link()["token"],
        ("images", "evil.svg", svg, "image/svg+xml"),
        ("images", "good.jpg", good, "image/jpeg"),
        ("images", "fake.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 500, "image/jpeg"),
    )
    assert result.status_code == 207
    entries = result.json["images"]
    assert entries[0]["filename"] == "evil.svg"
    assert entries[0]["error"]["status"] == 415
    assert entries[1]["id"] == sha(good)
    assert entries[2]["error"]["status"] == 422
    assert stored(blob_store) == {sha(good)}


@pytest.fixture
def unchanged(
    admin: dict[str, str], blob_store: S3BlobStore, redis_client: Any, settings: Settings
) -> Callable[[testing.TestClient, dict[str, Any]], None]:
    """Asserts that the store, the dedup SET and the link's quota are untouched."""

    def check(client: testing.TestClient, link: dict[str, Any]) -> None:
        assert stored(blob_store) == set()
        assert hash_count(redis_client, settings.redis_prefix) == 0
        assert used(client, admin, link) == 0

    return check


def link_for(client: testing.TestClient, admin: dict[str, str]) -> dict[str, Any]:
    return dict(client.simulate_post("/v1/links", json={"expires_in": 60}, headers=admin).json)


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


@pytest.mark.parametrize(
    ("name", "data", "status", "reason", "word"),
    [
        ("notes.txt", b"hello, not an image", 415, "not-an-image", "not an accepted image"),
        ("vector.svg", b"<?xml version='1.0'?><svg/>", 415, "not-an-image", "not an accepted"),
        ("print.eps", EPS, 415, "not-an-image", "not an accepted image"),
        ("empty.jpg", b"", 422, "empty", "empty"),
        ("fake.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 500, 422, "undecodable", "JPEG"),
    ],
)
def test_refused_files_leave_everything_as_it_was(
    client: testing.TestClient,
    new_link: Any,
    unchanged: Callable[..., None],
    name: str,
    data: bytes,
    status: int,
    reason: str,
    word: str,
) -> None:
    link = new_link(max_images=5)
    result = upload(client, link["token"], ("images", name, data, "image/jpeg"))
    doc = assert_problem(result, status, word)
    detail = doc["images"][0]["error"]["detail"]
    assert doc["images"] == [
        {"filename": name, "error": {"status": status, "reason": reason, "detail": detail}}
    ]
    assert " at 0x" not in detail
    assert word in doc["images"][0]["error"]["detail"]
    unchanged(client, link)


def test_decompression_bomb_is_refused(
    make_client: Any,
    admin: dict[str, str],
    unchanged: Callable[..., None],
) -> None:
    client = make_client(max_image_pixels=10_000)
    link = link_for(client, admin)
    big = make_image("PNG", size=(200, 200))
    doc = assert_problem(
        upload(client, link["token"], ("i", "big.png", big, "image/png")), 422, "pixels"
    )
    assert doc["images"][0]["error"]["status"] == 422
    unchanged(client, link)


def test_file_over_the_size_limit_is_refused(
    make_client: Any,
    admin: dict[str, str],
    blob_store: S3BlobStore,
    redis_client: Any,
    settings: Settings,
) -> None:
    client = make_client(max_image_bytes=20_000)
    link = link_for(client, admin)
    big = make_image("PNG", size=(200, 200), noise=True)
    small = make_image("PNG", seed=9)
    assert len(big) > 20_000
    result = upload(
        client,
        link["token"],
        ("i", "big.png", big, "image/png"),
        ("i", "small.png", small, "image/png"),
    )
    assert result.status_code == 207
    assert result.json["images"][0]["error"]["status"] == 413
    assert "20000 bytes" in result.json["images"][0]["error"]["detail"]
    assert stored(blob_store) == {sha(small)}


def test_max_images_is_a_quota_across_requests(
    client: testing.TestClient, admin: dict[str, str], new_link: Any, blob_store: S3BlobStore
) -> None:
    link = new_link(max_images=2)
    a, b, c = (make_image(seed=s) for s in (10, 11, 12))
    first = upload(client, link["token"], ("i", "a", a, "image/jpeg"))
    assert first.status_code == 201
    second = upload(client, link["token"], ("i", "b", b, "image/jpeg"), ("i", "c", c, "image/jpeg"))
    assert second.status_code == 207
    assert second.json["images"][1]["error"]["status"] == 403
    assert "quota" in second.json["images"][1]["error"]["detail"]
    third = upload(client, link["token"], ("i", "c", c, "image/jpeg"))
    assert_problem(third, 403, "quota")
    assert used(client, admin, link) == 2
    assert stored(blob_store) == {sha(a), sha(b)}


def test_refused_files_do_not_use_the_quota(
    client: testing.TestClient, admin: dict[str, str], new_link: Any
) -> None:
    link = new_link(max_images=1)
    upload(client, link["token"], ("i", "t.txt", b"text", "text/plain"))
    ok = upload(client, link["token"], ("i", "a.jpg", make_image(seed=13), "image/jpeg"))
    assert ok.status_code == 201
    assert used(client, admin, link) == 1


@pytest.mark.parametrize(
    ("body", "ctype", "status", "word"),
    [
        (b"not multipart", "application/octet-stream", 415, "multipart/form-data"),
        (
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
            400,
            "no file part",
        ),
    ],
)
def test_request_shape_errors(
    client: testing.TestClient, new_link: Any, body: bytes, ctype: str, status: int, word: str
) -> None:
    result = client.simulate_post(
        f"/v1/uploads/{new_link()['token']}", body=body, headers={"Content-Type": ctype}
    )
    assert_problem(result, status, word)


def test_truncated_multipart_stores_nothing(
    client: testing.TestClient,
    new_link: Any,
    unchanged: Callable[..., None],
) -> None:
    link = new_link()
    body, ctype = multipart(
        [
            ("i", "a.jpg", make_image(seed=14), "image/jpeg"),
            ("i", "b.jpg", make_image(seed=15), "image/jpeg"),
        ]
    )
    cut = body[: len(body) - 300]
    result = client.simulate_post(
        f"/v1/uploads/{link['token']}", body=cut, headers={"Content-Type": ctype}
    )
    assert_problem(result, 400, "multipart")
    unchanged(client, link)


def test_multipart_without_boundary_is_400(client: testing.TestClient, new_link: Any) -> None:
    result = client.simulate_post(
        f"/v1/uploads/{new_link()['token']}",
        body=b"x",
        headers={"Content-Type": "multipart/form-data"},
    )
    assert_problem(result, 400)


def test_too_many_files_in_one_request(
    make_client: Any, admin: dict[str, str], blob_store: S3BlobStore
) -> None:
    client = make_client(max_files_per_request=2)
    link = link_for(client, admin)
    files = [("i", f"{n}.jpg", make_image(seed=20 + n), "image/jpeg") for n in range(3)]
    assert_problem(upload(client, link["token"], *files), 413, "at most 2")
    assert stored(blob_store) == set()


def test_filenames_are_sanitised(client: testing.TestClient, new_link: Any) -> None:
    data = make_image(seed=16)
    name = "../../etc/" + "\x07evil\u202e" + "x" * 400 + ".jpg"
    result = upload(client, new_link()["token"], ("i", name, data, "image/jpeg"))
    shown = result.json["images"][0]["filename"]
    assert "/" not in shown
    assert "\x07" not in shown
    assert "\u202e" not in shown
    assert len(shown) <= 255
    assert result.json["images"][0]["id"] == sha(data)


def test_link_token_failures(
    client: testing.TestClient, admin: dict[str, str], new_link: Any, settings: Settings
) -> None:
    part = ("i", "a.jpg", make_image(seed=17), "image/jpeg")
    link = new_link()
    client.simulate_delete(f"/v1/links/{link['id']}", headers=admin)
    assert_problem(upload(client, link["token"], part), 410, "revoked")

    fresh = new_link()
    expired = tokens.issue(
        settings.secret_key, tokens.TokenKind.LINK, fresh["id"], int(time.time()) - 30
    )
    assert_problem(upload(client, expired, part), 410, "expired")
    assert_problem(upload(client, "garbage", part), 401)
    header, payload, signature = fresh["token"].split(".")
    assert_problem(upload(client, f"{header}.{payload}x.{signature}", part), 401)
    admin_as_link = admin["Authorization"].split()[1]
    assert_problem(upload(client, admin_as_link, part), 403)
    body, ctype = multipart([part])
    no_token = client.simulate_post("/v1/uploads", body=body, headers={"Content-Type": ctype})
    assert_problem(no_token, 401)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cut.png", make_image("PNG", size=(300, 300), noise=True)[:5000]),
        ("cut.jpg", make_image("JPEG", size=(300, 300), noise=True)[:3000]),
    ],
)
def test_truncated_images_are_accepted_pending_for_the_workers_to_verify(
    client: testing.TestClient, new_link: Any, name: str, data: bytes
) -> None:
    # The request checks only the header: decoding the pixels of untrusted input is the
    # workers' job, and an image that fails it is rejected afterwards.
    result = upload(client, new_link()["token"], ("images", name, data, "image/png"))
    assert result.status_code == 201, result.text
    assert result.json["images"][0]["state"] == "pending"
