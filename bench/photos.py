"""Photo-sized JPEGs for the HTTP figures, and the request bodies built from them.

A pool of noisy JPEGs of 1-5 MB is generated once and cached under `bench/.cache`.
Every upload needs bytes the store has never seen, and re-encoding megapixels per
round would cost more than the round itself, so an image is made unique by a JPEG
comment (COM) segment inserted right after the SOI marker: the file stays a valid
JPEG with the same pixels and EXIF, and its SHA-256 (Inlet's image id) changes.

Bodies are lists of byte pieces that share the pool's buffers, so a 30 MB request
costs no copy in the load generator. Only the standard library is imported at
module level: the load-generator process imports this module too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
# Bump when the generator changes, so an old cache is never mistaken for the new pool.
POOL_VERSION = "photos-v1"
POOL_SIZE = 20
MIN_BYTES = 1_000_000
MAX_BYTES = 5_000_000
SOI = b"\xff\xd8"
BOUNDARY = "inlet-bench-boundary-7d3f9a1c"
FIELD = "images"

Piece = bytes | memoryview
PhotoRef = tuple[str, str]  # (pool file name, salt)


@dataclass(frozen=True)
class Photo:
    name: str
    data: bytes

    def salted(self, salt: str) -> list[Piece]:
        """The photo with a COM segment carrying `salt`: same image, new bytes."""
        text = salt.encode()
        if not 0 < len(text) <= 60_000:
            raise ValueError("a salt must be 1..60000 bytes")
        segment = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
        return [SOI, segment, memoryview(self.data)[2:]]


def size_of(pieces: Sequence[Piece]) -> int:
    return sum(len(p) for p in pieces)


def image_id(pieces: Sequence[Piece]) -> str:
    """Inlet's id for these bytes: their SHA-256."""
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    return digest.hexdigest()


def multipart(files: Sequence[Sequence[Piece]]) -> tuple[list[Piece], str]:
    """A multipart/form-data body with one `images` file part per entry."""
    pieces: list[Piece] = []
    for n, file_pieces in enumerate(files):
        head = (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{FIELD}"; filename="photo-{n:03d}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        pieces.append(head.encode())
        pieces.extend(file_pieces)
        pieces.append(b"\r\n")
    pieces.append(f"--{BOUNDARY}--\r\n".encode())
    return pieces, f"multipart/form-data; boundary={BOUNDARY}"


def pool_dir() -> Path:
    return CACHE / POOL_VERSION


def load_pool(directory: Path | None = None) -> dict[str, Photo]:
    directory = directory or pool_dir()
    manifest = json.loads((directory / "manifest.json").read_text())
    return {name: Photo(name, (directory / name).read_bytes()) for name in manifest["files"]}


def ensure_pool(directory: Path | None = None) -> dict[str, Photo]:
    """The cached pool, generated first if missing or incomplete."""
    directory = directory or pool_dir()
    try:
        pool = load_pool(directory)
        if len(pool) == POOL_SIZE:
            return pool
    except (OSError, ValueError, KeyError):
        pass
    _generate(directory)
    return load_pool(directory)


def _generate(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for n in range(POOL_SIZE):
        # Sizes spread evenly over 1-5 MB, so the mean part is about 3 MB.
        target = MIN_BYTES + (MAX_BYTES - MIN_BYTES) * n // (POOL_SIZE - 1)
        data = _photo(target, seed=n)
        name = f"photo-{n:02d}.jpg"
        (directory / name).write_bytes(data)
        names.append(name)
    (directory / "manifest.json").write_text(json.dumps({"files": names}, indent=1))


def _photo(target: int, seed: int) -> bytes:
    """A JPEG of about `target` bytes (within MIN..MAX) with camera-like EXIF.

    Noise drawn at half resolution and upscaled compresses to about 1 byte per
    pixel at quality 95: more pixels per byte than pure noise, so decoding costs
    are nearer a real photo's, while still compressing badly enough to be big.
    """
    import io
    import random

    from PIL import Image

    from tests.images import make_exif

    rng = random.Random(seed)
    exif = make_exif(
        make="BenchCam",
        model=f"Model {seed % 3}",
        taken_at=f"2024:05:{1 + seed % 28:02d} 12:{seed % 60:02d}:00",
        offset="+02:00",
        gps=(46.0 + seed / 100, 7.0 + seed / 100),
    )
    pixels = target / 0.98  # measured bytes per pixel of this generator
    for _ in range(6):
        width = max(64, int((pixels * 4 / 3) ** 0.5))
        height = max(48, int(width * 3 / 4))
        half = (width // 2, height // 2)
        im = Image.frombytes("RGB", half, rng.randbytes(half[0] * half[1] * 3))
        im = im.resize((width, height), Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=95, exif=exif)
        data = buf.getvalue()
        if MIN_BYTES <= len(data) <= MAX_BYTES and abs(len(data) - target) < target * 0.05:
            return data
        pixels *= target / len(data)
    if not MIN_BYTES <= len(data) <= MAX_BYTES:
        raise RuntimeError(f"could not generate a photo of about {target} bytes")
    return data
