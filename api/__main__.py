"""Admin command line: `python -m api token --name NAME [--ttl 48h]`, `python -m api tokens`,
`python -m api revoke NAME|ID`, `python -m api reindex`, `python -m api secrets`.

Admin tokens are recorded in the deployment's Redis (REDIS_URL must be set); a revoked
token is refused by the API at once (401).
"""

from __future__ import annotations

import argparse
import sys

from api import admin_cli
from inlet.settings import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    admin_cli.add_commands(commands)
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
    if args.command in ("token", "tokens", "revoke"):
        return admin_cli.run(args.command, args, settings)
    from tasks.reconcile import run_reindex

    queued = run_reindex(settings)
    if queued is None:
        print("another reconcile run is under way: it queues the images", file=sys.stderr)
    else:
        print(f"queued {queued} image(s) for indexing", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
