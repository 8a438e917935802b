"""`python -m api token|tokens|revoke`: admin tokens recorded in, and withdrawn through,
the deployment's Redis (inlet/stores/admin_tokens.py)."""

from __future__ import annotations

import argparse
import sys
import time

from redis.exceptions import RedisError

from inlet.settings import Settings, given, parse_quantity
from inlet.stores.admin_tokens import AdminTokens, InvalidName, as_rows, clean_name
from inlet.stores.clients import make_redis

DEFAULT_TTL = 48 * 3600


def ttl(value: str) -> int:
    try:
        seconds = parse_quantity(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a duration like 3600, 90m, 48h or 7d"
        ) from None
    if seconds < 1:
        raise argparse.ArgumentTypeError("the TTL must be positive")
    return seconds


def name(value: str) -> str:
    try:
        return clean_name(value)
    except InvalidName as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser(
        "token", help="record and print a new admin token for NAME (only the token on stdout)"
    )
    token.add_argument(
        "--name", type=name, required=True, help="who the token is for (shown in the access log)"
    )
    token.add_argument(
        "--ttl",
        type=ttl,
        default=None,
        help="lifetime (default 48h; at most ADMIN_TOKEN_MAX_TTL, 30d unless set)",
    )
    commands.add_parser("tokens", help="list the recorded admin tokens: name, id, expiry, revoked")
    revoke = commands.add_parser(
        "revoke", help="withdraw one admin token (its id) or every token of an admin (NAME)"
    )
    revoke.add_argument("target", metavar="NAME|ID")


def run(command: str, args: argparse.Namespace, settings: Settings) -> int:
    if not given("REDIS_URL"):
        print(
            "set REDIS_URL to the deployment's Redis (compose sets it in the api container; "
            "`make token` reads the one of a running `make dev`): admin tokens are recorded "
            "there, never in a Redis nobody named",
            file=sys.stderr,
        )
        return 2
    if command == "token" and args.ttl is not None and args.ttl > settings.admin_token_max_ttl:
        print(
            f"--ttl: {args.ttl} s is longer than ADMIN_TOKEN_MAX_TTL "
            f"({settings.admin_token_max_ttl} s); choose a shorter lifetime",
            file=sys.stderr,
        )
        return 2
    store = AdminTokens(make_redis(settings), settings.redis_prefix, settings.admin_token_max_ttl)
    try:
        if command == "token":
            return _mint(store, settings, args.name, args.ttl)
        if command == "tokens":
            return _list(store)
        return _revoke(store, args.target)
    except RedisError as exc:
        print(f"cannot reach Redis (REDIS_URL): {exc}; nothing was changed", file=sys.stderr)
        return 1


def _mint(store: AdminTokens, settings: Settings, who: str, lifetime: int | None) -> int:
    lifetime = lifetime or min(DEFAULT_TTL, settings.admin_token_max_ttl)
    token, record = store.mint(settings.secret_key, who, lifetime)
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.expires_at))
    print(f"admin token for {who}: id {record.token_id}, expires {expires}", file=sys.stderr)
    print(token)
    return 0


def _list(store: AdminTokens) -> int:
    rows = as_rows(store.listed())
    header = {"name": "NAME", "id": "ID", "expires_at": "EXPIRES", "revoked": "REVOKED"}
    width = max((len(r["name"]) for r in [header, *rows]), default=4)
    for row in [header, *rows]:
        print(f"{row['name']:<{width}}  {row['id']:<32}  {row['expires_at']:<20}  {row['revoked']}")
    if not rows:
        print("(no admin tokens recorded)", file=sys.stderr)
    return 0


def _revoke(store: AdminTokens, target: str) -> int:
    try:
        done = store.revoke(target)
    except InvalidName as exc:
        print(f"{target!r} is neither a token id nor an admin name: {exc}", file=sys.stderr)
        return 2
    if done.name is None:
        listed = f"({done.tokens[0].name})" if done.tokens else "(not listed; denied all the same)"
        print(f"revoked token {target} {listed}")
        return 0
    print(
        f"revoked {len(done.tokens)} listed token(s) of {done.name}, and every other token "
        f"of {done.name} issued before now"
    )
    return 0
