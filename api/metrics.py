"""The API's Prometheus metrics.

Under gunicorn every worker process writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (``api/gunicorn_conf.py`` sets and clears it before the
workers start, and serves their sum from gunicorn's master process). Labels are
bounded: routes are URI templates, never raw paths (an upload path carries a link
token), reasons come from fixed enums.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from inlet.outcomes import Accepted, Outcome, Refused

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
SIZE_BUCKETS = tuple(float(2**n) for n in range(10, 31, 2))  # 1 KiB .. 1 GiB

REQUESTS = Counter(
    "inlet_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "inlet_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "inlet_http_requests_in_flight",
    "HTTP requests being answered now, summed over the live worker processes.",
    multiprocess_mode="livesum",
)
UPLOAD_OUTCOMES = Counter(
    "inlet_upload_outcomes",
    "What became of uploaded files (stored, duplicate, refused with a reason) and of "
    "upload requests refused for their link (link-expired, link-revoked, link-invalid) "
    "or for overload (overloaded).",
    ["outcome", "reason"],
)
UPLOAD_QUEUE_WAIT = Histogram(
    "inlet_upload_queue_wait_seconds",
    "Time each admitted upload waited for one of MAX_UPLOADS_IN_FLIGHT slots.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60),
)
UPLOAD_BYTES = Counter(
    "inlet_upload_received_bytes",
    "Bytes of the image file parts staged from upload requests (read in full, "
    "passed the image checks).",
)
UPLOAD_SIZE = Histogram(
    "inlet_upload_file_size_bytes",
    "Size of each image file part staged from an upload request.",
    buckets=SIZE_BUCKETS,
)

# Problem slugs of refused links, as outcomes.
LINK_OUTCOMES = {
    "link-expired": "link-expired",
    "link-revoked": "link-revoked",
    "unauthorized": "link-invalid",
    "forbidden": "link-invalid",
}


def record_outcomes(outcomes: Iterable[Outcome], *, by_hash: bool = False) -> None:
    """Count each file's outcome; ``by_hash`` for uploads that sent a hash, not bytes."""
    for outcome in outcomes:
        if isinstance(outcome, Accepted):
            kind = (
                "stored"
                if not outcome.duplicate
                else "by-hash-duplicate"
                if by_hash
                else "duplicate"
            )
            UPLOAD_OUTCOMES.labels(outcome=kind, reason="").inc()
        elif isinstance(outcome, Refused):
            UPLOAD_OUTCOMES.labels(outcome="refused", reason=outcome.reason.value).inc()


def record_overloaded() -> None:
    UPLOAD_OUTCOMES.labels(outcome="overloaded", reason="").inc()


def record_link_refused(slug: str) -> None:
    UPLOAD_OUTCOMES.labels(outcome=LINK_OUTCOMES.get(slug, "link-invalid"), reason="").inc()


def record_file_read(size: int) -> None:
    UPLOAD_BYTES.inc(size)
    UPLOAD_SIZE.observe(size)
