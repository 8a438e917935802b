"""`python -m bench`: run the figures, print the table, write bench/results/<UTC>.json.

python -m bench                       # everything, as `make bench`
python -m bench --quick               # a smoke run: fewer rounds, smaller P5
python -m bench --only P1,P4          # some figures
python -m bench --configs gthread:2x4,sync:4 --only P2,P3,P4
python -m bench --profile --only P3   # py-spy profiles of the API (slower rounds)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench import (
    crowd,
    freshness,
    http_figures,
    memory,
    p1_extract,
    photos,
    slow_clients,
    worker_memory,
)
from bench.deploy import ServerConfig, start_backends
from bench.profiling import Profiler
from bench.runner import RESULTS, Row, Stopwatch, machine, render_table, write_json

FIGURES = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9")
# The configuration that ships (api/gunicorn_conf.py) first: its figures fill the
# table. The others are measured for P2-P4 only, to show why it ships; see
# BENCHMARKS.md, "Worker class and counts".
DEFAULT_CONFIGS = "gthread:2x32,sync:4,gthread:4x2"
WORKDIR = photos.CACHE / "last-run"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke run")
    parser.add_argument("--only", default=",".join(FIGURES), help="e.g. P1,P4")
    parser.add_argument("--reps", type=int, help="measured rounds per figure (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up rounds (default 1)")
    parser.add_argument(
        "--configs",
        help="gunicorn configurations for P2-P4, the shipped one first "
        f"(default {DEFAULT_CONFIGS}; with --quick only the first)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the API during P2-P4")
    parser.add_argument("--native", action="store_true", help="with --profile: native frames")
    parser.add_argument("--no-json", action="store_true", help="print only")
    parser.add_argument(
        "--api-app",
        default="api.wsgi:app",
        help="WSGI app for the API (to measure a candidate change before it lands)",
    )
    args = parser.parse_args(argv)
    args.selected = {f.strip().upper() for f in args.only.split(",") if f.strip()}
    unknown = args.selected - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    args.reps = args.reps or (2 if args.quick else 5)
    if args.reps < 1 or args.warmup < 0:
        parser.error("--reps must be at least 1 and --warmup at least 0")
    if not args.configs:
        args.configs = DEFAULT_CONFIGS.split(",", maxsplit=1)[0] if args.quick else DEFAULT_CONFIGS
    args.config_list = [ServerConfig.parse(c) for c in args.configs.split(",") if c]
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:8]
    clock = Stopwatch()
    started_utc = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    host = machine()  # before the run, so the load average is the machine's own
    durations: dict[str, float] = {}
    rows: list[Row] = []
    details: dict[str, Any] = {}
    reps, warmup = args.reps, args.warmup
    print(
        f"bench {run_id}: {', '.join(sorted(args.selected))}; {reps} rounds after {warmup} warm-up"
    )

    if "P1" in args.selected:
        started = time.monotonic()
        rows += p1_extract.run(reps=reps, warmup=warmup, quick=args.quick)
        durations["P1"] = time.monotonic() - started
        print(f"  P1 done in {durations['P1']:.0f}s", flush=True)

    if args.selected & {"P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"}:
        photos.ensure_pool()
        shutil.rmtree(WORKDIR, ignore_errors=True)
        WORKDIR.mkdir(parents=True)
        backends = start_backends(WORKDIR / "servers")
        details["backends"] = {
            "self_started": [s.name for s in backends.started],
            "redis": backends.redis_url,
            "s3": backends.s3_endpoint,
            "search": backends.search_url,
        }
        try:
            rows += _server_figures(args, backends, run_id, durations, details)
        finally:
            backends.stop()

    table = render_table(rows)
    print()
    print(table)
    comparison = details.get("gunicorn_configs")
    if comparison and len(comparison) > 1:
        print()
        print(http_figures.render_comparison(comparison))
    # The shipped configuration's CPU split; the others' are in the JSON.
    for label, breakdown in list(details.get("cpu_ms_per_unit", {}).items())[:1]:
        print()
        print(f"[gunicorn {label}] " + http_figures.render_cpu(breakdown))
    print(f"\ntotal {clock.elapsed:.0f}s")
    if not args.no_json:
        record = {
            "run_id": run_id,
            "started_utc": started_utc,
            "args": {k: v for k, v in vars(args).items() if k not in ("config_list", "selected")},
            "reps": reps,
            "warmup": warmup,
            "machine": host,
            "rows": [r.as_dict() for r in rows],
            "table": table,
            "durations_s": durations,
            "total_s": clock.elapsed,
            **details,
        }
        print(f"wrote {write_json(record, RESULTS)}")
    return 0


def _server_figures(
    args: argparse.Namespace,
    backends: Any,
    run_id: str,
    durations: dict[str, float],
    details: dict[str, Any],
) -> list[Row]:
    rows: list[Row] = []
    reps, warmup = args.reps, args.warmup
    shipped = args.config_list[0]
    http = args.selected & {"P2", "P3", "P4"}
    if http:
        started = time.monotonic()
        profiler = (
            Profiler(
                RESULTS / f"profile-{run_id}",
                photos.CACHE / "profiles" / run_id,
                native=args.native,
            )
            if args.profile
            else None
        )
        plan = http_figures.Plan.quick() if args.quick else http_figures.Plan()
        results = http_figures.run(
            backends,
            args.config_list,
            http,
            reps=reps,
            warmup=warmup,
            plan=plan,
            workdir=WORKDIR,
            run_id=run_id,
            profiler=profiler,
            api_app=args.api_app,
        )
        rows += http_figures.rows(results[0], plan)
        details["gunicorn_configs"] = http_figures.comparison(results)
        details["cpu_ms_per_unit"] = {
            r.config.label: http_figures.cpu_breakdown(r) for r in results
        }
        details["http_rounds"] = {r.config.label: r.figures for r in results}
        if profiler is not None:
            details["profiles"] = profiler.summaries
        durations["P2-P4"] = time.monotonic() - started
        print(f"  P2-P4 done in {durations['P2-P4']:.0f}s", flush=True)
    if "P5" in args.selected:
        started = time.monotonic()
        per_round = 5 if args.quick else 20
        fresh = freshness.measure(
            backends, shipped, reps=reps, warmup=warmup, per_round=per_round, run_id=run_id
        )
        rows += freshness.rows(fresh, shipped)
        details["P5"] = {"counted_s": fresh.counted(), "indexed_s": fresh.indexed()}
        durations["P5"] = time.monotonic() - started
        print(f"  P5 done in {durations['P5']:.0f}s", flush=True)
    if "P6" in args.selected:
        started = time.monotonic()
        mem = memory.measure(
            backends, shipped, reps=reps, warmup=warmup, workdir=WORKDIR, run_id=run_id
        )
        rows += memory.rows(mem)
        details["P6"] = {
            "boot_idle_mib": mem.boot_idle_mib,
            "rounds": [vars(r) for r in mem.rounds],
            "warmup": [vars(r) for r in mem.warmup],
        }
        durations["P6"] = time.monotonic() - started
        print(f"  P6 done in {durations['P6']:.0f}s", flush=True)
    rows += _proxy_figures(args, backends, run_id, durations, details)
    return rows


def _proxy_figures(
    args: argparse.Namespace,
    backends: Any,
    run_id: str,
    durations: dict[str, float],
    details: dict[str, Any],
) -> list[Row]:
    """P7 slow clients, P8 the worker's memory while verifying, P9 a crowd at once."""
    rows: list[Row] = []
    shipped = args.config_list[0]
    if "P7" in args.selected:
        started = time.monotonic()
        slow = slow_clients.measure(
            backends, shipped, reps=args.reps, warmup=args.warmup, run_id=run_id
        )
        rows += slow_clients.rows(slow, shipped)
        details["P7"] = vars(slow)
        durations["P7"] = time.monotonic() - started
        print(f"  P7 done in {durations['P7']:.0f}s", flush=True)
    if "P8" in args.selected:
        started = time.monotonic()
        mem = worker_memory.measure(
            backends, shipped, reps=args.reps, warmup=args.warmup, run_id=run_id
        )
        rows += worker_memory.rows(mem)
        details["P8"] = vars(mem)
        durations["P8"] = time.monotonic() - started
        print(f"  P8 done in {durations['P8']:.0f}s", flush=True)
    if "P9" in args.selected:
        started = time.monotonic()
        many = crowd.measure(
            backends, shipped, reps=args.reps, warmup=args.warmup, run_id=run_id, workdir=WORKDIR
        )
        rows += crowd.rows(many, shipped)
        details["P9"] = many.rounds
        durations["P9"] = time.monotonic() - started
        print(f"  P9 done in {durations['P9']:.0f}s", flush=True)
    return rows


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
