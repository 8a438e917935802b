"""What an operator sees: the API's and the worker's Prometheus endpoints, and JSON
logs in which one upload can be followed from its request into the worker."""

from __future__ import annotations

import json
import re
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from devstack.servers import metrics_url
from tests.e2e.conftest import Stack, eventually
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    text = requests.get(url, timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def outcomes(samples: Samples) -> dict[tuple[str, str], float]:
    return {
        (dict(ls)["outcome"], dict(ls)["reason"]): v
        for (n, ls), v in samples.items()
        if n == "inlet_upload_outcomes_total"
    }


def upload(url: str, *files: tuple[str, bytes], request_id: str | None = None) -> requests.Response:
    body, ctype = multipart(
        [("images", name, data, "application/octet-stream") for name, data in files]
    )
    headers = {"Content-Type": ctype, **({"X-Request-ID": request_id} if request_id else {})}
    return requests.post(url, data=body, headers=headers, timeout=60)


def delta(after: dict[Any, float], before: dict[Any, float]) -> dict[Any, float]:
    changed = {key: after[key] - before.get(key, 0.0) for key in after}
    return {key: v for key, v in changed.items() if v}


def test_upload_outcomes_are_counted_exactly_across_gunicorn_workers(stack: Stack) -> None:
    api = metrics_url(stack.api)
    before = scrape(api)
    link = stack.new_link(max_images=3)
    new_a, new_b, extra = (make_image(seed=seed) for seed in (1401, 1402, 1403))
    # 2 stored and 1 refused, then 1 duplicate (the quota of 3 is now used up), then 1
    # refused for the quota; then a bad token and a revoked link.
    assert upload(link["url"], ("a.jpg", new_a), ("b.jpg", new_b), ("n.txt", b"notes")).ok
    assert upload(link["url"], ("a-again.jpg", new_a)).status_code == 201
    assert upload(link["url"], ("c.jpg", extra)).status_code == 403
    assert upload(f"{stack.url}/v1/uploads/not-a-token", ("c.jpg", extra)).status_code == 401
    revoked = stack.new_link()
    stack.session.delete(f"{stack.url}/v1/links/{revoked['id']}", headers=stack.admin)
    assert upload(revoked["url"], ("c.jpg", extra)).status_code == 410
    # Enough requests that both gunicorn workers answer some of them.
    with requests.Session() as session:
        for _ in range(40):
            assert session.get(f"{stack.url}/healthz", timeout=10).ok
    after = scrape(api)

    assert delta(outcomes(after), outcomes(before)) == {
        ("stored", ""): 2,
        ("duplicate", ""): 1,
        ("refused", "not-an-image"): 1,
        ("refused", "quota-used-up"): 1,
        ("link-invalid", ""): 1,
        ("link-revoked", ""): 1,
    }
    assert (
        value(after, "inlet_http_requests_total", route="/healthz", status="200")
        - value(before, "inlet_http_requests_total", route="/healthz", status="200")
        == 40
    )
    uploads = {"route": "/v1/uploads/{token}", "method": "POST"}
    assert value(after, "inlet_http_requests_total", status="207", **uploads) == 1
    assert value(after, "inlet_http_requests_total", status="410", **uploads) == 1
    assert value(after, "inlet_http_request_duration_seconds_count", **uploads) >= 4
    # The bad token never reached the upload route: the proxy's check refused it.
    check = {"route": "/v1/uploads/check", "method": "GET"}
    assert value(after, "inlet_http_requests_total", status="401", **check) == 1
    sizes = value(after, "inlet_upload_file_size_bytes_count")
    assert sizes - value(before, "inlet_upload_file_size_bytes_count") == 4
    received = value(after, "inlet_upload_received_bytes_total")
    assert received - value(before, "inlet_upload_received_bytes_total") == (
        2 * len(new_a) + len(new_b) + len(extra)
    )
    # The raw path, with its token, is never a label.
    assert "not-a-token" not in requests.get(api, timeout=10).text
    pids = {
        path.stem.rpartition("_")[2] for path in (stack.workdir / "api" / "metrics").glob("*.db")
    }
    assert len(pids) >= 2, "the requests were all answered by one gunicorn worker"


def test_worker_metrics_show_the_tasks_and_the_time_to_index(stack: Stack) -> None:
    link = stack.new_link()
    image = make_image(seed=1501)
    answer = upload(link["url"], ("w.jpg", image)).json()
    image_id = answer["images"][0]["id"]
    eventually(lambda: stack.get(f"/v1/images/{image_id}/metadata").status_code == 200)
    worker = metrics_url(stack.worker)

    def indexed() -> Samples | None:
        samples = scrape(worker)
        done = value(samples, "inlet_task_outcomes_total", task="inlet.record_upload")
        return samples if done >= 1 else None

    samples = eventually(indexed)
    assert (
        value(samples, "inlet_task_outcomes_total", task="inlet.index_image", outcome="success")
        >= 1
    )
    assert value(samples, "inlet_task_runtime_seconds_count", task="inlet.index_image") >= 1
    assert value(samples, "inlet_extraction_seconds_count", format="JPEG") >= 1
    assert value(samples, "inlet_upload_to_indexed_seconds_count", kind="new") >= 1
    assert value(samples, "inlet_upload_to_indexed_seconds_bucket", kind="new", le="+Inf") >= 1
    assert ("inlet_dead_letters_total", frozenset()) in samples
    for backend in ("redis", "store", "search"):
        assert value(samples, "inlet_backend_up", backend=backend) == 1


def test_queue_depth_rises_while_the_pool_is_paused_and_falls_after(stack: Stack) -> None:
    queue = f"{stack.settings.redis_prefix}.default"
    worker = metrics_url(stack.worker)
    assert stack.worker.process is not None
    pool = psutil.Process(stack.worker.process.pid).children()
    assert pool, "the worker has no pool processes"
    link = stack.new_link()
    images = [(f"q{i}.jpg", make_image(seed=1600 + i)) for i in range(5)]
    try:
        for child in pool:
            child.send_signal(signal.SIGSTOP)
        assert upload(link["url"], *images).status_code == 201
        # 10 tasks (an index and a record per image); the paused pool holds at most 2.
        eventually(lambda: value(scrape(worker), "inlet_queue_depth", queue=queue) >= 6)
    finally:
        for child in pool:
            child.send_signal(signal.SIGCONT)
    eventually(lambda: value(scrape(worker), "inlet_queue_depth", queue=queue) == 0, timeout=60)


def json_lines(path: Path) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                yield dict(json.loads(line))
            except json.JSONDecodeError:
                pytest.fail(f"{path.name} line {number} is not JSON: {line[:200]}")


def test_logs_are_json_and_follow_an_upload_into_the_worker(stack: Stack) -> None:
    link = stack.new_link()
    traced = f"e2e-{uuid.uuid4().hex}"
    result = upload(link["url"], ("t.jpg", make_image(seed=1701)), request_id=traced)
    assert result.headers["X-Request-ID"] == traced
    image_id = result.json()["images"][0]["id"]
    eventually(lambda: stack.get(f"/v1/images/{image_id}/metadata").status_code == 200)
    unusable = "x" * 500
    generated = requests.get(f"{stack.url}/healthz", headers={"X-Request-ID": unusable}, timeout=10)
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-ID"])

    def worker_lines() -> list[dict[str, Any]] | None:
        lines = [r for r in json_lines(stack.worker.log_path) if r.get("request_id") == traced]  # type: ignore[arg-type]
        tasks = " ".join(r["message"] for r in lines)
        return lines if "inlet.record_upload" in tasks and "inlet.index_image" in tasks else None

    assert eventually(worker_lines)
    access = list(json_lines(stack.workdir / "api" / "access.log"))
    assert access
    for record in access:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", record["request_id"]), record
        assert {"time", "level", "logger", "message", "status", "path", "method"} <= record.keys()
    traced_access = [r for r in access if r["request_id"] == traced]
    # The proxy's check of the token (before it reads the body), then the upload.
    assert [(r["method"], r["path"], r["status"]) for r in traced_access] == [
        ("GET", "/v1/uploads/check", 204),
        ("POST", "/v1/uploads/[redacted]", 201),
    ]
    assert link["token"] not in (stack.workdir / "api" / "access.log").read_text()
    assert unusable not in (stack.workdir / "api" / "access.log").read_text()
    api_log = list(json_lines(stack.workdir / "api" / "api.log"))
    assert any("Booting worker" in r["message"] for r in api_log)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in api_log)


def promql_names(text: str) -> set[str]:
    return set(re.findall(r"\binlet_[a-z0-9_]+", text))


def test_dashboard_and_alerts_use_only_exported_metric_names(stack: Stack) -> None:
    exported = {name for name, _ in scrape(metrics_url(stack.api))}
    exported |= {name for name, _ in scrape(metrics_url(stack.worker))}
    dashboard = json.loads((ROOT / "docker/grafana/dashboards/inlet.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = promql_names(" ".join(exprs))
    assert len(used) >= 10
    assert used - exported == set()
    rules = (ROOT / "docker/prometheus/alerts.yml").read_text()
    assert promql_names(rules) - exported == set()
