"""The sender id this terminal keeps per link, so that it sees its own uploads.

A link is shared by many people and each sees only the uploads sent with their own
id (X-Inlet-Sender). The uploader makes one per link (16 random bytes, base64url) and
keeps it in ``$XDG_STATE_HOME/inlet/senders/<link id>`` (``~/.local/state`` when the
variable is unset), readable by its owner only: it is what lists this person's
uploads, so it is kept like a password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

_SENDER = re.compile(r"[A-Za-z0-9_-]{22,64}")
_LINK_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def state_directory(environ: Mapping[str, str]) -> Path:
    """Where sender ids are kept, by the XDG base directory rules."""
    state = environ.get("XDG_STATE_HOME", "")
    base = Path(state) if state and Path(state).is_absolute() else Path.home() / ".local/state"
    return base / "inlet" / "senders"


def link_key(token: str) -> str:
    """The link's id (the token's subject), which names its file; a token that does
    not read as one is named by its hash, never by itself."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        subject = claims.get("sub") if isinstance(claims, dict) else None
    except (IndexError, ValueError, binascii.Error):
        subject = None
    if isinstance(subject, str) and _LINK_ID.fullmatch(subject):
        return subject
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:32]


def new_sender() -> str:
    return secrets.token_urlsafe(16)


def kept_sender(directory: Path, token: str) -> str:
    """This link's sender id from ``directory``, made and kept (mode 0600) on first use.

    Two uploads started at once agree on one id: the file appears whole or not at all.
    Raises :class:`OSError` when the directory cannot be written.
    """
    path = directory / link_key(token)
    existing = _read(path)
    if existing is not None:
        return existing
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists() and _read(path) is None:
        path.unlink(missing_ok=True)  # damaged; a whole file is never taken for one
    fresh = new_sender()
    temporary = directory / f".{path.name}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(fresh + "\n")
        os.link(temporary, path)
    except FileExistsError:
        return _read(path) or fresh
    finally:
        temporary.unlink(missing_ok=True)
    return fresh


def _read(path: Path) -> str | None:
    try:
        value = path.read_text().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return value if _SENDER.fullmatch(value) else None
