"""`python -m uploader` against gunicorn + Celery, behind a recording front proxy."""

from __future__ import annotations

import hashlib
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Stack
from tests.frontproxy import FrontProxy
from tests.http import bearer, multipart, new_sender
from tests.images import make_image

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def proxy(stack: Stack) -> Iterator[FrontProxy]:
    front = FrontProxy(stack.url).start()
    yield front
    front.stop()


def new_link(stack: Stack, proxy: FrontProxy, **body: Any) -> dict[str, Any]:
    body.setdefault("expires_in", 3600)
    result = requests.post(f"{proxy.url}/v1/links", json=body, headers=stack.admin, timeout=30)
    assert result.status_code == 201, result.text
    return dict(result.json())


def run_uploader(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    """The uploader as a person runs it, keeping its sender ids under ``state``."""
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "uploader", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "XDG_STATE_HOME": str(state), "HOME": str(state / "home")},
        check=False,
    )


def own_uploads(proxy: FrontProxy, link: dict[str, Any], sender: str | None) -> dict[str, Any]:
    headers = bearer(link["token"]) if sender is None else bearer(link["token"], sender)
    result = requests.get(f"{proxy.url}/v1/uploads/self", headers=headers, timeout=30)
    assert result.status_code == 200, result.text
    return dict(result.json())


def test_folder_of_30_with_10_duplicates(stack: Stack, proxy: FrontProxy, tmp_path: Path) -> None:
    folder = tmp_path / "shoot"
    (folder / "day2" / ".thumbs").mkdir(parents=True)
    images = {
        f"img{i:02d}.jpg": make_image(size=(96, 96), seed=900 + i, noise=True) for i in range(30)
    }
    for i, (name, data) in enumerate(images.items()):
        (folder / ("day2" if i % 2 else "") / name).write_bytes(data)
    (folder / "notes.txt").write_text("not an image, skipped in folders")
    (folder / "day2" / ".thumbs" / "x.jpg").write_bytes(make_image(seed=999))
    known = list(images.values())[:10]
    body, ctype = multipart([("images", f"k{i}.jpg", d, "image/jpeg") for i, d in enumerate(known)])
    owner = new_link(stack, proxy)
    assert requests.post(owner["url"], data=body, headers={"Content-Type": ctype}, timeout=60).ok
    link = new_link(stack, proxy, max_images=40)
    proxy.clear()

    done = run_uploader(link["page_url"], str(folder), state=tmp_path / "state")

    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "20 stored, 10 duplicates, 0 refused or failed; 20 sent as bytes, 10 by hash" in done.stdout
    )
    assert done.stdout.count("duplicate (by hash)") == 10
    assert "notes.txt" not in done.stdout
    assert ".thumbs" not in done.stdout
    # Observed on the wire: the ten known images crossed as hashes only.
    uploads = proxy.requests(lambda s: s.method == "POST" and s.multipart)
    for data in known:
        assert not any(data in s.body for s in uploads)
    for data in list(images.values())[10:]:
        assert sum(data in s.body for s in uploads) == 1
    assert not any(link["token"] in s.path for s in proxy.requests())
    # Every request carried the id the uploader keeps for this link; with it, and only
    # with it, the link lists these uploads.
    [kept] = (tmp_path / "state" / "inlet" / "senders").iterdir()
    sender = kept.read_text().strip()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert {s.sender for s in proxy.requests()} == {sender}
    state = own_uploads(proxy, link, sender)
    assert state["used"] == 30
    assert {u["id"] for u in state["uploads"]} == {
        hashlib.sha256(d).hexdigest() for d in images.values()
    }
    for other in (None, new_sender()):
        assert own_uploads(proxy, link, other)["uploads"] == []


def test_a_second_run_is_the_same_sender_and_another_terminal_is_not(
    stack: Stack, proxy: FrontProxy, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.jpg", tmp_path / "second.jpg"
    first.write_bytes(make_image(seed=970))
    second.write_bytes(make_image(seed=971))
    link = new_link(stack, proxy)
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    assert run_uploader(link["page_url"], str(first), state=mine).returncode == 0
    assert run_uploader(link["url"], str(second), state=mine).returncode == 0
    assert run_uploader(link["url"], str(first), state=theirs).returncode == 0
    kept = {
        p.parent.parent.parent.name: p.read_text().strip()
        for p in tmp_path.glob("*/inlet/senders/*")
    }
    assert kept.keys() == {"mine", "theirs"}
    listed = {who: own_uploads(proxy, link, sender) for who, sender in kept.items()}
    assert [u["filename"] for u in listed["mine"]["uploads"]] == ["first.jpg", "second.jpg"]
    [their] = listed["theirs"]["uploads"]
    assert (their["filename"], their["duplicate"]) == ("first.jpg", True)
    assert listed["mine"]["used"] == listed["theirs"]["used"] == 3


def test_without_a_place_to_keep_the_id_it_still_uploads(
    stack: Stack, proxy: FrontProxy, tmp_path: Path
) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(make_image(seed=975))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the state directory should be")
    link = new_link(stack, proxy)
    proxy.clear()
    done = run_uploader(link["url"], str(photo), state=blocked)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Cannot keep a sender id" in done.stderr
    [sent] = proxy.requests(lambda s: s.multipart)
    assert own_uploads(proxy, link, sent.sender)["uploads"][0]["filename"] == "p.jpg"


def test_a_refused_file_makes_the_exit_status_non_zero(
    stack: Stack, proxy: FrontProxy, tmp_path: Path
) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(make_image("PNG", seed=950))
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"this is text pretending to be a photo")
    link = new_link(stack, proxy)
    done = run_uploader(link["url"], str(good), str(fake), state=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 stored, 0 duplicates, 1 refused or failed" in done.stdout
    assert "not an accepted image" in done.stdout


def test_503_is_retried_and_a_bad_link_exits_2(
    stack: Stack, proxy: FrontProxy, tmp_path: Path
) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(make_image(seed=960))
    link = new_link(stack, proxy)
    proxy.clear()
    proxy.fail_next(lambda s: s.multipart, status=503, retry_after="1")
    done = run_uploader(link["url"], str(photo), state=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "server answered 503; retrying in 1.0 s" in done.stderr
    assert [s.status for s in proxy.requests(lambda s: s.multipart)] == [503, 201]

    requests.delete(f"{proxy.url}/v1/links/{link['id']}", headers=stack.admin, timeout=30)
    revoked = run_uploader(link["page_url"], str(photo), state=tmp_path)
    assert revoked.returncode == 2
    assert "revoked" in revoked.stderr
    assert (
        run_uploader("https://example.invalid/nothing", str(photo), state=tmp_path).returncode == 2
    )


def test_a_file_too_large_for_the_bytes_left_is_refused_before_sending(
    stack: Stack, proxy: FrontProxy, tmp_path: Path
) -> None:
    first, later = make_image("PNG", seed=970), make_image("PNG", seed=972)
    large = make_image("PNG", seed=971, size=(200, 200), noise=True)
    for name, data in (("1.png", first), ("2.png", large), ("3.png", later)):
        (tmp_path / name).write_bytes(data)
    link = new_link(stack, proxy, max_bytes=len(first) + len(later) + 10)
    proxy.clear()

    done = run_uploader(link["page_url"], str(tmp_path), state=tmp_path / ".state")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 stored, 0 duplicates, 1 refused or failed" in done.stdout
    assert "too large for what this link has left" in done.stdout
    assert not any(large[2000:4000] in s.body for s in proxy.requests())
    state = requests.get(f"{proxy.url}/v1/links/{link['id']}", headers=stack.admin, timeout=30)
    assert state.json()["used_bytes"] == len(first) + len(later)
