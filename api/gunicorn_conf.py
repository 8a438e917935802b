"""gunicorn settings, read by `gunicorn --config python:api.gunicorn_conf`.

Binding and scale come from :class:`~inlet.settings.Settings` (PORT or GUNICORN_BIND,
WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT, …), like every other setting, so
that compose, `make dev` and the tests run the same command, and a bad value stops
gunicorn before it binds, with the variable named and exit status 2. Access logs never
contain upload-link tokens; like every other log line they are JSON (or text,
LOG_FORMAT) and carry the request id.

Metrics: each worker process writes its samples under PROMETHEUS_MULTIPROC_DIR
(a fresh temporary directory unless set), which the master clears before forking
and serves, summed, on METRICS_BIND (api/metrics.py).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import tempfile
from typing import Any

from gunicorn.glogging import Logger

from api.auth import ADMIN_NAME_ENV, ADMIN_TOKEN_ID_ENV
from api.redact import redact
from inlet import logs
from inlet.settings import ConfigError, Settings, parse_host_port


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        # Before gunicorn does anything: the message alone, and a status that stops a
        # restart loop from hiding it (compose shows the exit).
        print(f"inlet api: configuration error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)


# gunicorn reads this module's names as its configuration, so they are built here, once,
# from the same Settings the application gets.
settings = _settings()
# prometheus_client picks multi-process mode when it is first imported, and reads the
# directory from the environment itself: so it is set before the app (and with it
# prometheus_client) is loaded in the workers.
metrics_directory = settings.prometheus_multiproc_dir or tempfile.mkdtemp(
    prefix="inlet-api-metrics-"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_directory

bind = settings.bind
workers = settings.web_concurrency
# Uploads waiting their turn hold a thread each (api/admission.py): threads are many and
# cheap (a sleeping thread costs no CPU and little memory), slots for uploads are few.
threads = settings.gunicorn_threads
worker_class = "gthread"
timeout = settings.gunicorn_timeout
graceful_timeout = 30
keepalive = 5
accesslog = settings.gunicorn_access_log
errorlog = "-"
# The front proxy's address: only from there are X-Real-IP / X-Forwarded-* believed.
forwarded_allow_ips = settings.forwarded_allow_ips
limit_request_line = 8190
# No gunicornc control socket: it lives in $HOME, which is read-only in the image and
# shared by every instance on a host (tests and benchmarks run several).
control_socket_disable = True


class _RedactFilter(logging.Filter):
    """Tokens out of gunicorn's own lines too (e.g. an invalid request line it quotes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def client_address(peer: str, real_ip: str | None, trusted: list[str]) -> str:
    """The client's address: the front proxy's X-Real-IP when the peer is the proxy
    (``trusted``, as gunicorn's forwarded_allow_ips), else the peer itself."""
    if not real_ip:
        return peer
    try:
        address = ipaddress.ip_address(peer)
        candidate = ipaddress.ip_address(real_ip.strip())
    except ValueError:
        return peer
    for network in trusted:
        if network == "*" or address in ipaddress.ip_network(network, strict=False):
            return str(candidate)
    return peer


class RedactingLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with tokens removed from every access-log atom and error line,
    its lines in Inlet's log format, one access line per request with its fields."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(_RedactFilter())
        fmt = settings.log_format
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.formatter(fmt))
                handler.addFilter(logs.RequestIdFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        trusted = list(self.cfg.forwarded_allow_ips)
        fields = {
            "request_id": logs.valid_request_id(atoms.get("{x-request-id}o")),
            "remote_addr": client_address(atoms["h"], environ.get("HTTP_X_REAL_IP"), trusted),
            "peer_addr": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]),
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "user_agent": atoms["a"],
            # Set by api.auth.require_admin for an accepted admin token: the admin's name
            # (validated when minted and when checked) and the token's id, never the token.
            "admin": environ.get(ADMIN_NAME_ENV),
            "admin_token_id": environ.get(ADMIN_TOKEN_ID_ENV),
        }
        self.access_log.info("%s %s", atoms["r"], atoms["s"], extra=fields)


logger_class = RedactingLogger


def on_starting(server: Any) -> None:
    logs.configure(settings.log_format)
    directory = metrics_directory
    # Start from zero: samples of a previous run's processes must not be summed in.
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))
    if settings.metrics_bind:
        _start_exporter(settings.metrics_bind, directory)


def _start_exporter(bind: str, directory: str) -> None:
    """Serve the samples of every worker process (api/metrics.py), summed."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    host, port = parse_host_port(bind)
    start_http_server(port, addr=host, registry=registry)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
