"""A metadata extractor for the end-to-end tests, injected into the worker's task
context by :mod:`tests.e2e.worker`. It runs the worker's real extractor and then, for
images whose EXIF model asks for it, misbehaves the way a pathological parse would."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, BinaryIO

from celery.exceptions import SoftTimeLimitExceeded

from tasks.context import extract_in_worker


def controlled(fileobj: BinaryIO, size: int) -> dict[str, Any]:
    metadata = extract_in_worker(fileobj, size)
    model = str(metadata.get("model", ""))
    markers = Path(os.environ["INLET_TEST_MARKERS"])
    if model == "HANG":
        while True:  # interrupted by the soft time limit
            time.sleep(0.1)
    if model == "HANG-HARD":
        while True:  # ignores the soft limit, so only the hard limit ends it
            try:
                time.sleep(0.1)
            except SoftTimeLimitExceeded:
                continue
    if model.startswith("SLOW-"):
        runs = markers / f"{model}.runs"
        with runs.open("a") as log:
            log.write(f"{os.getpid()}\n")
        if len(runs.read_text().split()) == 1:
            time.sleep(30)  # the first run is killed by the test while it sleeps here
    return metadata
