"""Uploads through gunicorn, metadata and events through a real Celery worker,
statistics from the search server."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tasks import pipeline
from tasks.celery_app import create_celery
from tests.e2e.conftest import Stack, eventually
from tests.http import multipart
from tests.images import make_exif, make_image
from tests.support import beat_sends

pytestmark = pytest.mark.e2e


def upload(stack: Stack, files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    link = stack.new_link()
    body, ctype = multipart(
        [("images", name, data, "application/octet-stream") for name, data in files]
    )
    result = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)
    assert result.status_code == 201, result.text
    return list(result.json()["images"])


def photo(fmt: str, seed: int, make: str | None = None, model: str | None = None) -> bytes:
    return make_image(fmt, seed=seed, exif=make_exif(make=make, model=model))


def stats(stack: Stack, **params: str) -> dict[str, Any]:
    result = stack.get("/v1/stats", params=params)
    assert result.status_code == 200, result.text
    return dict(result.json())


def test_statistics_match_the_uploads(stack: Stack) -> None:
    canon = [photo("JPEG", n, "Canon", "Canon EOS R5") for n in range(3)]
    nikon = [photo("JPEG", 10 + n, "NIKON CORPORATION", "NIKON Z 6") for n in range(2)]
    pixel = photo("WEBP", 20, "Google", "Pixel 8")
    plain = photo("PNG", 30)
    files = [(f"c{n}.jpg", d) for n, d in enumerate(canon)] + [
        ("n0.jpg", nikon[0]),
        ("n1.jpg", nikon[1]),
        ("p.webp", pixel),
        ("x.png", plain),
        ("again.jpg", canon[0]),
    ]
    entries = upload(stack, files)
    assert [e["duplicate"] for e in entries] == [False] * 7 + [True]

    expected_uploads = 8
    result = eventually(
        lambda: (s := stats(stack))["totals"] == {"images": 7, "uploads": expected_uploads} and s
    )
    assert result["formats"] == [
        {"format": "JPEG", "mime_type": "image/jpeg", "count": 5},
        {"format": "PNG", "mime_type": "image/png", "count": 1},
        {"format": "WEBP", "mime_type": "image/webp", "count": 1},
    ]
    assert result["most_popular_format"] == {
        "format": "JPEG",
        "mime_type": "image/jpeg",
        "count": 5,
    }
    assert result["top_cameras"] == [
        {"make": "Canon", "model": "Canon EOS R5", "count": 3},
        {"make": "NIKON CORPORATION", "model": "NIKON Z 6", "count": 2},
        {"make": "Google", "model": "Pixel 8", "count": 1},
    ]
    assert result["unknown_camera"] == 1
    series = result["uploads_per_day"]
    assert len(series) == 30
    today = datetime.now(UTC).date()
    assert series[-1] == {"date": today.isoformat(), "count": expected_uploads}
    assert series[0]["date"] == (today - timedelta(days=29)).isoformat()
    assert sum(day["count"] for day in series) == expected_uploads

    # Metadata of one of them, over HTTP.
    meta = stack.session.get(f"{stack.url}/v1/images/{entries[3]['id']}/metadata").json()
    assert meta["model"] == "NIKON Z 6"
    assert meta["format"] == "JPEG"
    assert meta["id"] == entries[3]["id"]
    assert "uploaded_at" in meta


def test_past_days_and_time_zones(stack: Stack) -> None:
    ctx = stack.context()
    now = datetime.now(UTC)
    before = stats(stack)["totals"]["uploads"]
    stamps = [
        now - timedelta(days=3),
        now - timedelta(days=29, hours=-1),
        now - timedelta(days=31),  # outside the window, still in the total
        (now - timedelta(days=5)).replace(hour=12, minute=0),  # 12:00 UTC: the next day in +14
        (now - timedelta(days=5)).replace(hour=9, minute=30),
    ]
    for stamp in stamps:
        pipeline.record_upload(
            ctx,
            {
                "event_id": uuid.uuid4().hex,
                "image_id": "0" * 64,
                "link_id": "past",
                "uploaded_at": stamp.isoformat(),
                "duplicate": True,
                "format": "JPEG",
            },
        )
    for tz in ("UTC", "Pacific/Kiritimati", "America/Los_Angeles"):
        zone = ZoneInfo(tz)
        today = datetime.now(zone).date()
        window = {today - timedelta(days=n) for n in range(30)}
        expected = Counter(d for d in (s.astimezone(zone).date() for s in stamps) if d in window)

        def all_in(tz: str = tz) -> dict[str, Any] | None:
            s = stats(stack, tz=tz)
            return s if s["totals"]["uploads"] == before + 5 else None

        result = eventually(all_in)
        series = result["uploads_per_day"]
        assert [d["date"] for d in series] == [
            (today - timedelta(days=29 - n)).isoformat() for n in range(30)
        ]
        past = {date.fromisoformat(d["date"]): d["count"] for d in series if d["count"]}
        uploads_today = stats(stack, tz=tz)["uploads_per_day"][-1]["count"]
        counted = Counter(past)
        counted[today] -= uploads_today
        assert +counted == +expected, tz


def test_invalid_time_zone_is_400(stack: Stack) -> None:
    result = stack.get("/v1/stats", params={"tz": "Mars/Olympus_Mons"})
    assert result.status_code == 400
    assert result.headers["content-type"] == "application/problem+json"
    assert "tz" in result.json()["detail"]


def test_stats_need_an_admin_token(stack: Stack) -> None:
    assert requests.get(f"{stack.url}/v1/stats", timeout=10).status_code == 401
    link = stack.new_link()
    as_link = requests.get(
        f"{stack.url}/v1/stats", headers={"Authorization": f"Bearer {link['token']}"}, timeout=10
    )
    assert as_link.status_code == 403


def test_metadata_is_202_until_indexed_then_200(stack: Stack) -> None:
    # The extractor holds the task until the test opens the gate (tests/e2e/extractors.py).
    data = photo("JPEG", 300, "Gate", "GATE-meta")
    image_id = upload(stack, [("gate.jpg", data)])[0]["id"]
    url = f"{stack.url}/v1/images/{image_id}/metadata"
    markers = stack.workdir / "markers"
    eventually((markers / "GATE-meta.waiting").exists)
    held = stack.session.get(url)
    assert held.status_code == 202
    assert held.json() == {"id": image_id, "status": "processing", "state": "ready"}

    (markers / "GATE-meta.open").touch()

    meta = eventually(lambda: (r := stack.session.get(url)).status_code == 200 and r.json())
    assert (meta["id"], meta["model"], meta["format"]) == (image_id, "GATE-meta", "JPEG")
    assert "metadata_error" not in meta
    unknown = stack.session.get(f"{stack.url}/v1/images/{'f' * 64}/metadata")
    assert unknown.status_code == 404


def test_worker_killed_mid_task_runs_it_again_and_indexes_once(stack: Stack) -> None:
    data = photo("JPEG", 400, "Kill", "SLOW-kill")
    image_id = upload(stack, [("kill.jpg", data)])[0]["id"]
    runs = stack.workdir / "markers" / "SLOW-kill.runs"
    pid = int(eventually(lambda: runs.exists() and runs.read_text().split()[0], timeout=20))
    os.kill(pid, signal.SIGKILL)
    meta = eventually(
        lambda: (
            (r := stack.session.get(f"{stack.url}/v1/images/{image_id}/metadata")).status_code
            == 200
            and r.json()
        ),
        timeout=30,
    )
    assert meta["model"] == "SLOW-kill"
    assert len(runs.read_text().split()) == 2
    hits = stack.get("/v1/images", params={"model": "SLOW-kill"}).json()["images"]
    assert [h["id"] for h in hits] == [image_id]


def test_hanging_parse_is_cut_off_recorded_and_the_queue_drains(stack: Stack) -> None:
    hang = photo("JPEG", 500, "Hang", "HANG")
    hard = photo("JPEG", 501, "Hang", "HANG-HARD")
    fine = photo("PNG", 502, "Fine", "Fine 1")
    entries = upload(stack, [("hang.jpg", hang), ("hard.jpg", hard), ("fine.png", fine)])
    ids = [e["id"] for e in entries]

    fine_meta = eventually(
        lambda: (
            (r := stack.session.get(f"{stack.url}/v1/images/{ids[2]}/metadata")).status_code == 200
            and r.json()
        ),
        timeout=40,
    )
    assert fine_meta["model"] == "Fine 1"
    soft = eventually(
        lambda: (
            (r := stack.session.get(f"{stack.url}/v1/images/{ids[0]}/metadata")).status_code == 200
            and r.json()
        ),
        timeout=40,
    )
    assert "time limit" in soft["metadata_error"]
    assert soft["format"] == "JPEG"
    failures = eventually(
        lambda: [
            f for f in stack.get("/v1/failures").json()["failures"] if ids[1] in str(f["args"])
        ],
        timeout=40,
    )
    assert "TimeLimitExceeded" in failures[0]["error"]
    recorded = [f for f in stack.get("/v1/failures").json()["failures"] if ids[0] in str(f["args"])]
    assert recorded


def test_delete_image(stack: Stack) -> None:
    data = photo("GIF", 600)
    image_id = upload(stack, [("d.gif", data)])[0]["id"]
    eventually(lambda: any(f["format"] == "GIF" for f in stats(stack)["formats"]))
    before = stats(stack)
    deleted = stack.session.delete(f"{stack.url}/v1/images/{image_id}", headers=stack.admin)
    assert deleted.status_code == 204
    assert stack.session.get(f"{stack.url}/v1/images/{image_id}").status_code == 404
    after = eventually(
        lambda: (s := stats(stack))["totals"]["images"] == before["totals"]["images"] - 1 and s
    )
    assert all(f["format"] != "GIF" for f in after["formats"])
    assert after["totals"]["uploads"] == before["totals"]["uploads"]
    assert stack.session.get(f"{stack.url}/v1/images/{image_id}/metadata").status_code == 404
    again = stack.session.delete(f"{stack.url}/v1/images/{image_id}", headers=stack.admin)
    assert again.status_code == 404
    # The same bytes can be uploaded again and are new again.
    assert upload(stack, [("d.gif", data)])[0]["duplicate"] is False
    assert hashlib.sha256(data).hexdigest() == image_id


def test_beat_reconcile_task_indexes_what_no_task_reached(stack: Stack) -> None:
    # Bytes in the store that no upload task ever announced (a broker outage, say).
    data = photo("JPEG", 700, "Lost", "Lost 1")
    image_id = hashlib.sha256(data).hexdigest()
    stack.context().blobs.put(
        image_id,
        io.BytesIO(data),
        content_type="image/jpeg",
        metadata={"format": "JPEG", "uploaded-at": datetime.now(UTC).isoformat()},
    )
    assert stack.session.get(f"{stack.url}/v1/images/{image_id}/metadata").status_code == 202
    beat_sends(create_celery(stack.settings), "reconcile")
    meta = eventually(
        lambda: (
            (r := stack.session.get(f"{stack.url}/v1/images/{image_id}/metadata")).status_code
            == 200
            and r.json()
        )
    )
    assert meta["model"] == "Lost 1"
