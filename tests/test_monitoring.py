"""The shipped Prometheus and Grafana files: valid for the real promtool, wired into
compose the way docs/monitoring.md says. (That the dashboard and the rules use only metric
names the processes export is checked against live scrapes in
tests/e2e/test_observability.py.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "docker" / "prometheus"
DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "inlet.json"
ALERTS = {
    "InletNoWorkerAlive",
    "InletQueueGrowing",
    "InletTaskFailureRatioHigh",
    "InletBackendUnreachable",
    "InletUpload5xxRatioHigh",
}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


@pytest.mark.parametrize(
    "args",
    [("check", "config", "prometheus.yml"), ("check", "rules", "alerts.yml")],
    ids=["config", "rules"],
)
def test_promtool_accepts_the_shipped_files(args: tuple[str, ...]) -> None:
    result = subprocess.run(
        [promtool(), *args], cwd=PROMETHEUS, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_the_docs_explain_is_defined() -> None:
    # promtool (above) has parsed the file; its alert names are enough here.
    defined = set(re.findall(r"^\s*- alert: (\w+)$", (PROMETHEUS / "alerts.yml").read_text(), re.M))
    assert defined == ALERTS
    page = (ROOT / "docs" / "monitoring.md").read_text()
    alerts = page[page.index("## Alerts") :]
    for alert in ALERTS:
        assert f"`{alert}`" in alerts, f"docs/monitoring.md does not explain {alert}"


def test_prometheus_scrapes_every_inlet_process() -> None:
    text = (PROMETHEUS / "prometheus.yml").read_text()
    jobs = set(re.findall(r"^\s*- job_name: (\w+)$", text, re.M))
    assert {"api", "worker", "flower", "minio"} <= jobs


def test_dashboard_has_the_operator_panels_on_the_provisioned_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["title"] == "Inlet"
    titles = {panel["title"] for panel in dashboard["panels"]}
    for wanted in (
        "Request rate by status",
        "Error ratio (5xx)",
        "Upload outcomes",
        "Bytes in",
        "Latency p50 / p95",
        "Queue depth",
        "Task failures",
        "Upload to indexed",
        "Dedup hit ratio",
    ):
        assert wanted in titles
    datasource = (ROOT / "docker/grafana/provisioning/datasources/prometheus.yml").read_text()
    match = re.search(r"^\s*uid: (\S+)$", datasource, re.M)
    assert match
    uid = match.group(1)
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid
        assert all(target["expr"] for target in panel["targets"])
