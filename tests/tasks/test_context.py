"""Task clients belong to one process: none crosses a fork."""

from __future__ import annotations

import os

from inlet.settings import Settings
from tasks.context import context_for


def test_a_forked_child_builds_its_own_clients(settings: Settings) -> None:
    parent = context_for(settings)
    assert context_for(settings) is parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports whether it got the parent's objects
        child = context_for(settings)
        shared = child is parent or child.es is parent.es or child.redis is parent.redis
        os.write(write, b"shared" if shared else b"own")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.waitpid(pid, 0)
    assert answer == b"own"
    assert context_for(settings) is parent
