"""Which files to send, and their SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

CHUNK = 1024 * 1024


def collect(paths: Iterable[Path], extensions: frozenset[str]) -> tuple[list[Path], list[Path]]:
    """(files to send, paths that do not exist). Folders are walked for images only;
    a file named explicitly is always sent, so the server can say why it refuses it."""
    found: list[Path] = []
    missing: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in extensions
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            candidates = [path]
        else:
            missing.append(path)
            continue
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found, missing


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()
