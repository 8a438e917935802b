"""A metadata extractor for the end-to-end tests, loaded by the worker through the
METADATA_EXTRACTOR setting. It runs the real extractor and then, for images whose
EXIF model asks for it, misbehaves the way a pathological parse would."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, BinaryIO

from celery.exceptions import SoftTimeLimitExceeded

from inlet.metadata import extract_metadata


def controlled(fileobj: BinaryIO, size: int) -> dict[str, Any]:
    metadata = extract_metadata(fileobj, size)
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
