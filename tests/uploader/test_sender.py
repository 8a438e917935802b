"""The terminal uploader's sender id: one per link, kept for its owner only."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest

from inlet import tokens
from inlet.senders import Sender
from uploader.sender import kept_sender, link_key, state_directory


def link_token(link_id: str) -> str:
    return tokens.issue("k" * 32, tokens.TokenKind.LINK, link_id, int(time.time()) + 60)


def test_the_state_directory_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_directory({"XDG_STATE_HOME": "/srv/state"}) == Path("/srv/state/inlet/senders")
    default = tmp_path / "home" / ".local" / "state" / "inlet" / "senders"
    assert state_directory({}) == default
    assert state_directory({"XDG_STATE_HOME": "relative/state"}) == default  # per the spec


def test_one_id_per_link_kept_for_its_owner_only(tmp_path: Path) -> None:
    directory = tmp_path / "state" / "inlet" / "senders"
    first = kept_sender(directory, link_token("a1b2c3"))
    Sender.parse(first)  # what the API accepts
    assert kept_sender(directory, link_token("a1b2c3")) == first  # a new token, same link
    assert kept_sender(directory, link_token("d4e5f6")) != first
    path = directory / "a1b2c3"
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == ["a1b2c3", "d4e5f6"]


def test_a_damaged_file_is_replaced(tmp_path: Path) -> None:
    token = link_token("fe12")
    (tmp_path / "fe12").write_text("not an id\n")
    fresh = kept_sender(tmp_path, token)
    Sender.parse(fresh)
    assert (tmp_path / "fe12").read_text().strip() == fresh
    assert kept_sender(tmp_path, token) == fresh


def test_a_token_that_is_no_jwt_is_never_written_down(tmp_path: Path) -> None:
    token = "opaque-token-value"
    name = link_key(token)
    assert token not in name
    assert name.startswith("token-")
    kept_sender(tmp_path, token)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert link_key(link_token("../../etc")) != "../../etc"  # not a link id: hashed


def test_uploads_started_at_once_agree_on_one_id(tmp_path: Path) -> None:
    token = link_token("race")
    found: list[str] = []
    start = threading.Barrier(12)

    def run() -> None:
        start.wait()
        found.append(kept_sender(tmp_path, token))

    threads = [threading.Thread(target=run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["race"]


def test_a_directory_that_cannot_be_made_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(NotADirectoryError):
        kept_sender(blocker / "senders", link_token("x1"))
