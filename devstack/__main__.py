"""`make dev`: the whole stack without Docker, in the foreground.

Fresh, ephemeral Redis, S3 (moto) and search (osmem) servers on free loopback
ports — never the machine's shared ones — then the API, a Celery worker, beat and
Flower with the same commands as docker-compose.yml, and the front proxy (Debian's
nginx with docker/nginx/inlet.conf.template) on $PORT, in front of the API as in
compose. Ctrl-C or SIGTERM stops all.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from devstack import proxy, servers, stackfile

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    flower_port = int(os.environ.get("FLOWER_PORT", "5555"))
    (REPO / ".dev").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=REPO / ".dev"))
    started: list[servers.Service] = []
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for service in (
            servers.redis_service(workdir / "redis"),
            servers.s3_service(workdir / "s3"),
            servers.search_service(workdir / "search"),
        ):
            started.append(service.start())
        redis, s3, search = started
        api_port = servers.free_port()
        env = servers.inlet_env(
            redis_url=f"redis://127.0.0.1:{redis.port}/0",
            s3_endpoint=s3.url,
            search_url=search.url,
            extra={
                "GUNICORN_BIND": f"127.0.0.1:{api_port}",
                "PORT": str(api_port),
                "ACCEL_REDIRECT_PREFIX": proxy.ACCEL_PREFIX,
                "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
                # A key of this run's own unless one is given: tokens die with the stack
                # (its Redis, with their revocations, is thrown away too).
                "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
                "REDIS_PREFIX": os.environ.get("REDIS_PREFIX") or "inlet",
            },
        )
        api = servers.Service(
            "api",
            servers.command("api"),
            api_port,
            env=servers.with_metrics(env, workdir / "api"),
            log_path=workdir / "api.log",
            ready=servers.http_ok("/healthz"),
        )
        worker = servers.worker_service(env, workdir / "worker")
        front = proxy.proxy_service(
            workdir / "proxy", api_port=api_port, s3_endpoint=s3.url, port=port
        )
        # Before the services: once any of them answers, make token can use this stack.
        stackfile.write(env)
        for service in (
            api,
            front,
            worker,
            servers.beat_service(env, workdir / "beat"),
            servers.flower_service(env, workdir / "flower", flower_port),
        ):
            started.append(service.start(timeout=60))
        print(
            f"Inlet is running (logs in {workdir}):\n"
            f"  Inlet   http://127.0.0.1:{port}   (admin token: make token)\n"
            f"  API     http://127.0.0.1:{api_port}   (itself, without the front proxy)\n"
            f"  Flower  http://127.0.0.1:{flower_port}\n"
            f"  Metrics {servers.metrics_url(api)}  {servers.metrics_url(worker)}\n"
            f"  Redis   {env['REDIS_URL']}\n"
            f"  S3      {s3.url}\n"
            f"  Search  {search.url}\n"
            "Ctrl-C stops everything.",
            flush=True,
        )
        while not stopping:
            for service in started:
                if service.process and service.process.poll() is not None:
                    print(f"{service.name} exited:\n{service.tail()}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    except RuntimeError as exc:
        print(f"make dev: {exc}", file=sys.stderr)
        return 1
    finally:
        stackfile.remove()
        for service in reversed(started):
            service.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
