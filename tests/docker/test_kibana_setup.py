"""docker/kibana-setup.sh and es-setup.sh, run for real (sh and curl) against a
recording HTTP stand-in for Kibana and Elasticsearch on loopback: what they ask them
to create.

Whether Kibana 9.5 accepts these bodies needs the real Kibana (compose); this checks
that the shell builds valid JSON with the privileges the viewer login is meant to
have, and that no password reaches curl's arguments (a process listing)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devstack.servers import REPO

Request = tuple[str, str, Any]
ELASTIC_PASSWORD = "ELASTIC-SECRET-1"
# Quotes and backslashes, as a password chosen in .env may have.
VIEWER_PASSWORD = 'VIEWER-SECRET "2" \\ x'


def _recorder(requests: list[Request]) -> type[BaseHTTPRequestHandler]:
    """Answers as Kibana and Elasticsearch do to kibana-setup, and records the calls."""

    class Recorder(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = raw.decode(errors="replace")
            if self.headers.get("Content-Type") == "application/json" and raw:
                body = json.loads(raw)
            requests.append((self.command, self.path, body))
            status, reply = 200, b"{}"
            if self.command == "GET" and "/api/data_views/data_view/" in self.path:
                status = 404
            elif "/_import" in self.path:
                reply = b'{"success":true}'
            elif self.path.startswith("/api/security/role/"):
                status, reply = 204, b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    for verb in ("GET", "PUT", "POST"):
        setattr(Recorder, f"do_{verb}", Recorder._answer)
    return Recorder


def _curl_logging_its_arguments(directory: Path) -> Path:
    """A curl that logs its arguments (what a process listing shows), then runs curl."""
    real = shutil.which("curl")
    if real is None:
        pytest.skip("curl is not installed")
    shim = directory / "bin"
    shim.mkdir()
    script = f'#!/bin/sh\nprintf "%s\\n" "$*" >>"{directory}/argv.log"\nexec {real} "$@"\n'
    (shim / "curl").write_text(script)
    (shim / "curl").chmod(0o755)
    return shim


def _run_setup(script: str, secrets: dict[str, str], tmp_path: Path, **env: str) -> list[Request]:
    """Runs docker/SCRIPT against the recorder; checks that no password reached curl's
    arguments or the script's output; returns the requests it made."""
    shim = _curl_logging_its_arguments(tmp_path)
    requests: list[Request] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _recorder(requests))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    for name, value in secrets.items():
        (secrets_dir / name).write_text(value)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = subprocess.run(
            [shutil.which("sh") or "/bin/sh", str(REPO / "docker" / script)],
            env={
                "PATH": f"{shim}:{os.environ.get('PATH', '')}",
                "SETUP_DIR": str(REPO / "docker"),
                "SECRETS_DIR": str(secrets_dir),
                "KIBANA_URL": url,
                "ES_URL": url,
                "SETUP_ATTEMPTS": "1",
                "TMPDIR": str(tmp_path),
                **env,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    argv = (tmp_path / "argv.log").read_text()
    for password in secrets.values():
        assert password not in argv
        assert password not in result.stdout + result.stderr
    assert "SECRET" not in argv
    assert not list(tmp_path.glob("setup-response.*"))  # its temporary file is gone
    return requests


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[list[Request], Path]:
    secrets = {"elastic_password": ELASTIC_PASSWORD, "kibana_viewer_password": VIEWER_PASSWORD}
    requests = _run_setup(
        "kibana-setup.sh", secrets, tmp_path, INDEX_PREFIX="photos", KIBANA_VIEWER="inlet_viewer"
    )
    return requests, tmp_path


def _one(requests: list[Request], method: str, path: str) -> Any:
    found = [body for m, p, body in requests if (m, p) == (method, path)]
    assert len(found) == 1, [(m, p) for m, p, _ in requests]
    return found[0]


def test_the_viewer_role_reads_inlet_and_nothing_else(
    recorded: tuple[list[Request], Path],
) -> None:
    role = _one(recorded[0], "PUT", "/api/security/role/inlet_viewer")
    assert role["elasticsearch"] == {
        "cluster": [],
        "indices": [{"names": ["photos-*"], "privileges": ["read", "view_index_metadata"]}],
    }
    (kibana,) = role["kibana"]
    assert kibana["base"] == []
    # Read-only feature privileges: Discover, Dashboards and the visualizations in them.
    assert kibana["feature"] == {
        "discover_v2": ["read"],
        "dashboard_v2": ["read"],
        "visualize_v2": ["read"],
    }
    assert kibana["spaces"] == ["*"]


def test_the_viewer_user_gets_that_role_and_its_password(
    recorded: tuple[list[Request], Path],
) -> None:
    user = _one(recorded[0], "PUT", "/_security/user/inlet_viewer")
    # Quotes and backslashes in a password chosen in .env survive the shell's JSON.
    assert user["password"] == VIEWER_PASSWORD
    assert user["roles"] == ["inlet_viewer"]


def test_data_views_and_dashboard_still_come_first(
    recorded: tuple[list[Request], Path],
) -> None:
    paths = [(method, path) for method, path, _ in recorded[0]]
    assert paths.index(("POST", "/api/data_views/data_view")) < paths.index(
        ("PUT", "/api/security/role/inlet_viewer")
    )
    assert any("/api/saved_objects/_import" in path for _, path in paths)


def test_es_setup_sends_its_passwords_in_bodies_only(tmp_path: Path) -> None:
    secrets = {
        "elastic_password": ELASTIC_PASSWORD,
        "kibana_password": "KIBANA-SYSTEM-SECRET-3",
        "inlet_es_password": 'INLET-ES-SECRET "4"',
    }
    requests = _run_setup("es-setup.sh", secrets, tmp_path, INDEX_PREFIX="photos")
    system = _one(requests, "POST", "/_security/user/kibana_system/_password")
    assert system == {"password": "KIBANA-SYSTEM-SECRET-3"}
    role = _one(requests, "PUT", "/_security/role/inlet_app")
    assert role["indices"] == [{"names": ["photos-*"], "privileges": ["all"]}]
    user = _one(requests, "PUT", "/_security/user/inlet")
    assert (user["password"], user["roles"]) == ('INLET-ES-SECRET "4"', ["inlet_app"])
