"""Logs and metrics of the Celery processes (worker, beat), wired through signals.

- Logging: :mod:`inlet.logs` replaces Celery's own set-up; in a pool process, each
  task's log lines carry the id of the HTTP request that queued it (a message header
  set by the ``send_*`` functions of :mod:`tasks.jobs`).
- Metrics: pool processes record into ``PROMETHEUS_MULTIPROC_DIR``; the worker's main
  process clears it at start and serves the sum on ``METRICS_BIND``, with what it
  reads from the backends when scraped: the depth of each Inlet queue, the
  dead-letter total and whether Redis, the store and search answer.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextvars import Token
from typing import Any

import redis
from celery import Celery, signals
from celery.utils.log import LoggingProxy
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from inlet import logs
from inlet.settings import Settings, parse_host_port
from inlet.stores.clients import make_blob_store, make_redis
from inlet.stores.deadletter import DeadLetters
from search import service
from search.client import make_client
from tasks import metrics
from tasks.jobs import REQUEST_ID_HEADER

log = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's messages of priority p > 0 in
# "<queue>\x06\x16<p>"; Inlet sends none, but a depth should not hide them.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
PING_TIMEOUT = 2.0

_tokens: dict[str, Token[str | None]] = {}


def queue_keys(app: Celery) -> dict[str, list[str]]:
    """Each Inlet queue and the broker keys holding its messages."""
    prefix = app.conf.broker_transport_options.get("global_keyprefix", "")
    names = [app.conf.task_default_queue]
    names += [q.name for q in app.conf.task_queues or () if q.name not in names]
    return {
        name: [
            prefix + name + (f"{PRIORITY_SEPARATOR}{step}" if step else "")
            for step in PRIORITY_STEPS
        ]
        for name in names
    }


class BackendCollector(Collector):
    """What the backends say, read when Prometheus scrapes."""

    def __init__(self, app: Celery, settings: Settings) -> None:
        self.queues = queue_keys(app)
        self.settings = settings
        self.broker = redis.Redis.from_url(
            settings.celery_broker_url, socket_connect_timeout=PING_TIMEOUT
        )
        self.redis = make_redis(settings)
        self.blobs = make_blob_store(settings, pool=1)
        self.es = make_client(settings)

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "inlet_queue_depth", "Messages waiting in each Inlet queue.", labels=["queue"]
        )
        for name, keys in self.queues.items():
            total = self._probe(lambda keys=keys: sum(int(self.broker.llen(k)) for k in keys))  # type: ignore[misc]
            if total is not None:
                depth.add_metric([name], total)
        yield depth
        dead = self._probe(lambda: DeadLetters(self.redis, self.settings.redis_prefix).total())
        if dead is not None:
            yield CounterMetricFamily(
                "inlet_dead_letters",
                "Tasks that failed for good since the start (GET /v1/failures).",
                value=dead,
            )
        up = GaugeMetricFamily(
            "inlet_backend_up",
            "1 when the backend answered the worker's probe at scrape time, else 0.",
            labels=["backend"],
        )
        for backend, ping in self._pings().items():
            up.add_metric([backend], 1 if self._probe(ping) else 0)
        yield up

    def _pings(self) -> dict[str, Callable[[], bool]]:
        def store() -> bool:
            self.blobs.ping()
            return True

        def search() -> bool:
            service.ping(self.es, PING_TIMEOUT)
            return True

        return {"redis": lambda: bool(self.redis.ping()), "store": store, "search": search}

    @staticmethod
    def _probe(read: Callable[[], Any]) -> Any:
        try:
            return read()
        except Exception as exc:  # noqa: BLE001 - a down backend is a sample, not an error
            log.debug("metrics probe failed: %s", exc)
            return None


def start_exporter(app: Celery, settings: Settings) -> None:
    directory = settings.prometheus_multiproc_dir
    registry = CollectorRegistry()
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        log.warning("PROMETHEUS_MULTIPROC_DIR is not set: task metrics are not exported")
    registry.register(BackendCollector(app, settings))
    host, port = parse_host_port(settings.metrics_bind)
    start_http_server(port, addr=host, registry=registry)
    log.info("worker metrics on http://%s:%d/metrics", host, port)


def install(app: Celery, settings: Settings) -> None:
    """Connect the handlers for ``app``'s processes (worker, beat)."""

    def setup_logging(**kwargs: Any) -> None:
        logs.configure(settings.log_format, kwargs.get("loglevel") or logging.INFO)
        logging.captureWarnings(True)
        # Stray prints become log lines too; the handler keeps the real stderr.
        sys.stdout = LoggingProxy(logging.getLogger("celery.redirected"), logging.WARNING)

    def worker_starting(instance: Any = None, **kwargs: Any) -> None:
        # Celery sets up logging later; its first warnings (running as root) come now.
        setup_logging()
        # The multi-line start-up banner is written past the logging set-up.
        if settings.log_format == "json" and instance is not None:
            instance.quiet = True

    def worker_init(sender: Any = None, **kwargs: Any) -> None:
        if settings.metrics_bind:
            start_exporter(app, settings)

    def process_shutdown(**kwargs: Any) -> None:
        if settings.prometheus_multiproc_dir:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    # Celery's signals are global: one set of handlers per process, the first app's.
    for signal, handler in (
        (signals.setup_logging, setup_logging),
        (signals.celeryd_init, worker_starting),
        (signals.worker_init, worker_init),
        (signals.worker_process_shutdown, process_shutdown),
        (signals.task_prerun, _task_prerun),
        (signals.task_postrun, _task_postrun),
    ):
        signal.connect(handler, weak=False, dispatch_uid=f"inlet.observe.{handler.__name__}")


def _task_prerun(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    request_id = logs.valid_request_id(getattr(task.request, REQUEST_ID_HEADER, None))
    _tokens[task_id] = logs.request_id.set(request_id)
    metrics.task_started(task_id)


def _task_postrun(task_id: str = "", task: Any = None, state: Any = None, **kwargs: Any) -> None:
    metrics.task_finished(task.name, task_id, state)
    token = _tokens.pop(task_id, None)
    if token is not None:
        logs.request_id.reset(token)
