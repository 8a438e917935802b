"""`make token`: `python -m api token` against the running `make dev`.

The token is recorded in that stack's own Redis, signed with its secret; without a
running `make dev` this refuses, unless REDIS_URL and SECRET_KEY name another stack.
It never falls back to the machine's shared Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys

from devstack import stackfile
from devstack.servers import REPO

NO_STACK = (
    "make token: no `make dev` is running from this checkout. Start `make dev` in another "
    "terminal, then run `make token` again (or set REDIS_URL and SECRET_KEY to another "
    "Inlet's, whose Redis will record the token)."
)


def main(argv: list[str]) -> int:
    facts = stackfile.read()
    env = dict(os.environ)
    if facts is not None:
        env.update(facts)
    elif not (env.get("REDIS_URL") and (env.get("SECRET_KEY") or env.get("SECRET_KEY_FILE"))):
        print(NO_STACK, file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "api", "token", *argv]
    return subprocess.run(command, env=env, cwd=REPO, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
