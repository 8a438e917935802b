"""Admin command line: `python -m api token [--ttl 48h]`, `python -m api reindex`,
`python -m api secrets`."""

from __future__ import annotations

import argparse
import sys
import time

from inlet import tokens
from inlet.settings import ConfigError, Settings, parse_quantity


def _ttl(value: str) -> int:
    try:
        seconds = parse_quantity(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a duration like 3600, 90m, 48h or 7d"
        ) from None
    if seconds < 1:
        raise argparse.ArgumentTypeError("the TTL must be positive")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="print a new admin token and nothing else")
    token.add_argument("--ttl", type=_ttl, default=48 * 3600, help="lifetime (default 48h)")
    commands.add_parser("reindex", help="queue metadata jobs for stored images not yet indexed")
    commands.add_parser(
        "secrets", help="where the compose stack keeps its generated secrets and logins"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "secrets":
        from api.secrets_doc import render

        print(render(minio_user=settings.s3_access_key))
        return 0
    if args.command == "token":
        expires_at = int(time.time()) + args.ttl
        print(tokens.issue(settings.secret_key, tokens.TokenKind.ADMIN, "admin", expires_at))
        return 0
    from tasks.reconcile import run_reindex

    queued = run_reindex(settings)
    print(f"queued {queued} image(s) for indexing", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
