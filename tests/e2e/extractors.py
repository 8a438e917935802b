"""A metadata extractor and a decoder for the end-to-end tests, put into the worker by
:mod:`tests.e2e.worker`. Each runs the worker's real one and, for images whose EXIF
model asks for it, misbehaves the way a pathological parse or decode would."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import IO, Any, BinaryIO

from celery.exceptions import SoftTimeLimitExceeded

from inlet.images import verify
from tasks.context import extract_in_worker

# The EXIF model of an image whose decoding kills the process decoding it.
KILL_DECODER = "KILL-DECODER"


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
    if model.startswith("GATE-"):
        (markers / f"{model}.waiting").touch()
        while not (markers / f"{model}.open").exists():
            time.sleep(0.05)  # until the test opens the gate, or the soft time limit
    if model.startswith("SLOW-"):
        runs = markers / f"{model}.runs"
        with runs.open("a") as log:
            log.write(f"{os.getpid()}\n")
        if len(runs.read_text().split()) == 1:
            time.sleep(30)  # the first run is killed by the test while it sleeps here
    return metadata


def controlled_verify(fileobj: IO[bytes], *, fmt: str, max_frames: int) -> int:
    """The worker's decoder; on an image carrying :data:`KILL_DECODER` it first records
    its process id, then dies of SIGKILL, as a decoder crashing in C code would."""
    fileobj.seek(0)
    if KILL_DECODER.encode() in fileobj.read():
        with (Path(os.environ["INLET_TEST_MARKERS"]) / f"{KILL_DECODER}.runs").open("a") as log:
            log.write(f"{os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)
    fileobj.seek(0)
    return verify(fileobj, fmt=fmt, max_frames=max_frames)
