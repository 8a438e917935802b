"""P2 ingest, P3 duplicate uploads and P4 serving, each against its floor.

One deployment (bucket, prefixes) serves every gunicorn configuration measured; for
each configuration the API (behind the front proxy, nginx, as users meet it) and the
floor app are started under the same gunicorn flags, and the load generator
(`bench.load`, a separate process) drives 8 clients.

- P2: each client POSTs requests of 10 new photos (1-5 MB, about 30 MB a request) to
  `/v1/uploads/{token}`; the floor PUTs the same bytes straight to the S3 server,
  one object per photo, through presigned URLs (so the same plain HTTP client does
  both, and no SDK's cost lands on one side only).
- P3: the bodies of earlier P2 rounds again, every image already stored; the floor
  is `bench.floor_app`, which only parses the multipart and hashes each part.
- P4: each client GETs the images it uploaded in a P2 round, through the proxy:
  first when none is in nginx's cache (misses: the API decides, nginx streams from the
  store), then again twice: the second request stores an image in the cache
  (`proxy_cache_min_uses 2`), the third, timed, is a hit (reported apart); the floor GETs the
  same objects straight from the S3 server (presigned). Then conditional GETs that
  end in 304, against Inlet and against the floor app.

The Celery worker is not running here: these figures are the API's own, and its
tasks wait in this deployment's queue, which is deleted with the deployment.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import load, photos
from bench.cpu import CpuMeter
from bench.deploy import Backends, Deployment, ServerConfig, deployment
from bench.profiling import Profiler
from bench.runner import Metrics, Row, Summary, Target, alternate, summary

MB = 1_000_000


@dataclass(frozen=True)
class Plan:
    clients: int = 8
    # Two 30 MB uploads per client: a round of P2 moves about 480 MB, several seconds.
    uploads_per_client: int = 2
    photos_per_upload: int = 10
    # P4 fetches each image a client uploaded this many times per round (1: a miss
    # round is all misses, its hit round all hits).
    get_passes: int = 1
    revalidations_per_client: int = 500
    deadline_s: float = 180.0

    @classmethod
    def quick(cls) -> Plan:
        return cls(uploads_per_client=1, get_passes=1, revalidations_per_client=150)


@dataclass
class Servers:
    """One gunicorn configuration under test: Inlet's API and the floor app."""

    config: ServerConfig
    api_url: str
    floor_url: str
    token: str
    # Salts (hence images) already stored, for P3 and P4 to send or fetch again.
    stored: list[str] = field(default_factory=list)

    @property
    def upload_path(self) -> str:
        return f"/v1/uploads/{self.token}"


def _photo_names(pool: Sequence[str], plan: Plan, client: int, upload: int) -> list[str]:
    # Alternating even and odd pool entries gives every request about 30 MB of 1-5 MB photos.
    parity = (client + upload) % 2
    return [pool[(2 * i + parity) % len(pool)] for i in range(plan.photos_per_upload)]


def upload_refs(pool: Sequence[str], plan: Plan, salt: str) -> list[list[list[photos.PhotoRef]]]:
    """clients -> uploads -> the (photo, salt) of each part; every part unique."""
    return [
        [
            [(name, f"{salt}/{c}/{u}/{i}") for i, name in enumerate(_photo_names(pool, plan, c, u))]
            for u in range(plan.uploads_per_client)
        ]
        for c in range(plan.clients)
    ]


def _ids(pool: dict[str, photos.Photo], refs: Sequence[photos.PhotoRef]) -> list[str]:
    return [photos.image_id(pool[name].salted(salt)) for name, salt in refs]


def _bytes(pool: dict[str, photos.Photo], refs: Sequence[photos.PhotoRef]) -> int:
    return sum(len(pool[name].data) + len(salt) + 4 for name, salt in refs)


@dataclass
class HttpBench:
    deployment: Deployment
    pool: dict[str, photos.Photo]
    plan: Plan
    workdir: Path
    run_id: str
    profiler: Profiler | None = None
    # Process trees whose CPU time is recorded for every round (name -> root pid).
    cpu_groups: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.names = sorted(self.pool)

    # -- running the load generator --------------------------------------------------------

    def _load(self, base_url: str, clients: list[list[load.Request]], expect: int) -> load.Result:
        spec = load.Spec(base_url, clients, self.plan.deadline_s)
        with CpuMeter(self.cpu_groups).measure() as used:
            result = load.run(spec, self.workdir / "load")
        result.server_cpu_s = used
        result.check(expect)
        return result

    def _uploads(self, url: str, path: str, salt: str) -> tuple[load.Result, int, int]:
        refs = upload_refs(self.names, self.plan, salt)
        clients = [
            [load.Request("POST", path, multipart=parts) for parts in uploads] for uploads in refs
        ]
        result = self._load(url, clients, 201)
        flat = [ref for uploads in refs for parts in uploads for ref in parts]
        return result, _bytes(self.pool, flat), len(flat)

    @staticmethod
    def _throughput(result: load.Result, nbytes: int, images: int) -> Metrics:
        return {
            "MB/s": nbytes / MB / result.wall_s,
            "images/s": images / result.wall_s,
            "wall_s": result.wall_s,
            "MB": nbytes / MB,
            **result.cpu_metrics(),
        }

    @staticmethod
    def _duplicates(result: load.Result) -> list[bool]:
        return [img["duplicate"] for body in result.bodies for img in json.loads(body)["images"]]

    # -- P2 ---------------------------------------------------------------------------------

    def p2(self, srv: Servers, *, reps: int, warmup: int) -> dict[str, list[Metrics]]:
        def inlet(index: int) -> Metrics:
            salt = f"{self.run_id}/p2/{srv.config.label}/{index}"
            with self._profile("P2", srv.config, index, warmup):
                result, nbytes, images = self._uploads(srv.api_url, srv.upload_path, salt)
            if any(self._duplicates(result)):
                raise RuntimeError("P2 sent an image that was already stored")
            srv.stored.append(salt)
            return self._throughput(result, nbytes, images)

        def floor(index: int) -> Metrics:
            # The same bytes as Inlet's round of the same index.
            salt = f"{self.run_id}/p2/{srv.config.label}/{index}"
            refs = upload_refs(self.names, self.plan, salt)
            clients = [
                [
                    load.Request(
                        "PUT",
                        self.deployment.presigned("put_object", self.deployment.floor_key(s)),
                        photo=(name, s),
                    )
                    for parts in uploads
                    for name, s in parts
                ]
                for uploads in refs
            ]
            try:
                result = self._load(self.deployment.settings.s3_endpoint, clients, 200)
            finally:
                self.deployment.delete_floor_objects()
            flat = [ref for uploads in refs for parts in uploads for ref in parts]
            return self._throughput(result, _bytes(self.pool, flat), len(flat))

        return alternate({"inlet": inlet, "floor": floor}, reps=reps, warmup=warmup)

    def seed(self, srv: Servers, count: int) -> None:
        """Store images for P3/P4 when P2 did not run (untimed)."""
        while len(srv.stored) < count:
            salt = f"{self.run_id}/seed/{srv.config.label}/{len(srv.stored)}"
            self._uploads(srv.api_url, srv.upload_path, salt)
            srv.stored.append(salt)

    # -- P3 ---------------------------------------------------------------------------------

    def p3(self, srv: Servers, *, reps: int, warmup: int) -> dict[str, list[Metrics]]:
        def inlet(index: int) -> Metrics:
            salt = srv.stored[index % len(srv.stored)]
            with self._profile("P3", srv.config, index, warmup):
                result, nbytes, images = self._uploads(srv.api_url, srv.upload_path, salt)
            if not all(self._duplicates(result)):
                raise RuntimeError("P3 sent an image that was not stored yet")
            return self._throughput(result, nbytes, images)

        def floor(index: int) -> Metrics:
            salt = srv.stored[index % len(srv.stored)]
            result, nbytes, images = self._uploads(srv.floor_url, "/uploads", salt)
            return self._throughput(result, nbytes, images)

        return alternate({"inlet": inlet, "floor": floor}, reps=reps, warmup=warmup)

    # -- P4 ---------------------------------------------------------------------------------

    def _client_ids(self, salt: str) -> list[list[str]]:
        """Per client, the ids of the photos that client uploaded in the round of `salt`."""
        refs = upload_refs(self.names, self.plan, salt)
        ids = [_ids(self.pool, [r for parts in uploads for r in parts]) for uploads in refs]
        return [mine * self.plan.get_passes for mine in ids]

    def _make_renditions(self, srv: Servers) -> None:
        """What the workers (not running here) do before anyone is served an image:
        its public rendition, without a location. Untimed."""
        from tasks.context import build_context
        from tasks.renditions import ensure_rendition

        ctx = build_context(self.deployment.settings)
        ids = {i for salt in srv.stored for mine in self._client_ids(salt) for i in mine}
        for image_id in sorted(ids):
            ensure_rendition(ctx, image_id, ctx.blobs.head(image_id))

    def p4(self, srv: Servers, *, reps: int, warmup: int) -> dict[str, list[Metrics]]:
        dep = self.deployment
        self._make_renditions(srv)

        def serve(result: load.Result) -> Metrics:
            return {
                "MB/s": result.received_bytes / MB / result.wall_s,
                "wall_s": result.wall_s,
                "MB": result.received_bytes / MB,
                **result.cpu_metrics(),
            }

        def inlet(index: int) -> Metrics:
            # Never fetched before: every GET is a cache miss.
            ids = self._client_ids(srv.stored[index % len(srv.stored)])
            clients = [[load.Request("GET", f"/v1/images/{i}") for i in mine] for mine in ids]
            with self._profile("P4", srv.config, index, warmup):
                return serve(self._load(srv.api_url, clients, 200))

        def inlet_hit(index: int) -> Metrics:
            # The same images again: nginx stores an image at its second request
            # (proxy_cache_min_uses 2), untimed here; the timed pass is all hits.
            ids = self._client_ids(srv.stored[index % len(srv.stored)])
            clients = [[load.Request("GET", f"/v1/images/{i}") for i in mine] for mine in ids]
            self._load(srv.api_url, clients, 200)
            return serve(self._load(srv.api_url, clients, 200))

        def floor(index: int) -> Metrics:
            ids = self._client_ids(srv.stored[index % len(srv.stored)])
            clients = [
                [load.Request("GET", dep.presigned("get_object", dep.object_key(i))) for i in mine]
                for mine in ids
            ]
            return serve(self._load(dep.settings.s3_endpoint, clients, 200))

        def revalidations(base: str, prefix: str) -> Metrics:
            ids = self._client_ids(srv.stored[0])
            clients = [
                [
                    load.Request("GET", f"{prefix}/{i}", headers={"If-None-Match": f'"{i}"'})
                    for k in range(self.plan.revalidations_per_client)
                    for i in (mine[k % len(mine)],)
                ]
                for mine in ids
            ]
            result = self._load(base, clients, 304)
            return {
                "304/s": result.requests / result.wall_s,
                "wall_s": result.wall_s,
                "requests": result.requests,
                **result.cpu_metrics(),
            }

        kept = alternate(
            {"inlet": inlet, "inlet_hit": inlet_hit, "floor": floor}, reps=reps, warmup=warmup
        )
        not_modified = alternate(
            {
                "inlet_304": lambda _: revalidations(srv.api_url, "/v1/images"),
                "floor_304": lambda _: revalidations(srv.floor_url, "/images"),
            },
            reps=reps,
            warmup=warmup,
        )
        return {**kept, **not_modified}

    def _profile(
        self, figure: str, config: ServerConfig, index: int, warmup: int
    ) -> contextlib.AbstractContextManager[None]:
        if self.profiler is None or index < warmup:
            return contextlib.nullcontext()
        return self.profiler.during(f"{figure}-{config.label}")


@dataclass
class ConfigResult:
    config: ServerConfig
    figures: dict[str, dict[str, list[Metrics]]] = field(default_factory=dict)


def run(
    backends: Backends,
    configs: Sequence[ServerConfig],
    selected: set[str],
    *,
    reps: int,
    warmup: int,
    plan: Plan,
    workdir: Path,
    run_id: str,
    profiler: Profiler | None = None,
    api_app: str = "api.wsgi:app",
) -> list[ConfigResult]:
    pool = photos.ensure_pool()
    backend_pids = {s.name: s.process.pid for s in backends.started if s.process is not None}
    results = []
    for config in configs:
        # A deployment per configuration: its images leave the S3 server's memory with it.
        with deployment(backends, "http") as dep:
            results.append(
                _run_config(
                    HttpBench(dep, pool, plan, workdir, run_id, profiler),
                    config,
                    selected,
                    reps=reps,
                    warmup=warmup,
                    backend_pids=backend_pids,
                    api_app=api_app,
                )
            )
    return results


def _run_config(
    bench: HttpBench,
    config: ServerConfig,
    selected: set[str],
    *,
    reps: int,
    warmup: int,
    backend_pids: Mapping[str, int],
    api_app: str,
) -> ConfigResult:
    dep = bench.deployment
    result = ConfigResult(config)
    # 8 clients against 2 x 3 upload slots would get 503s by design (admission, not
    # throughput): one slot per request thread, so requests wait for a thread instead.
    api, front = dep.proxied_api(
        config, app=api_app, extra={"MAX_UPLOADS_IN_FLIGHT": str(config.threads)}
    )
    floor_app = dep.floor_app(config)
    assert api.process is not None
    assert front.process is not None
    assert floor_app.process is not None
    if bench.profiler is not None:
        bench.profiler.target(api)
    bench.cpu_groups = {
        **backend_pids,
        "api": api.process.pid,
        "proxy": front.process.pid,
        "floor_app": floor_app.process.pid,
    }
    try:
        srv = Servers(config, front.url, floor_app.url, dep.new_link(front))
        if "P2" in selected:
            result.figures["P2"] = bench.p2(srv, reps=reps, warmup=warmup)
        if selected & {"P3", "P4"}:
            bench.seed(srv, warmup + reps)
        if "P3" in selected:
            result.figures["P3"] = bench.p3(srv, reps=reps, warmup=warmup)
        if "P4" in selected:
            result.figures["P4"] = bench.p4(srv, reps=reps, warmup=warmup)
    finally:
        dep.stop(floor_app)
        dep.stop(front)
        dep.stop(api)
    return result


def rows(primary: ConfigResult, plan: Plan) -> list[Row]:
    """The table rows of the configuration that ships (the first one measured)."""
    label = primary.config.label
    figures = primary.figures
    out: list[Row] = []
    if "P2" in figures:
        p2 = figures["P2"]
        for metric in ("MB/s", "images/s"):
            out.append(
                Row(
                    f"P2 ingest {metric}",
                    metric,
                    summary(p2["inlet"], metric),
                    summary(p2["floor"], metric),
                    "S3 PUT",
                    Target(min_ratio=0.8),
                    note=f"gunicorn {label}; {plan.clients} clients x {plan.uploads_per_client} "
                    f"requests x {plan.photos_per_upload} new photos (about 30 MB a request)"
                    if metric == "MB/s"
                    else "",
                )
            )
    if "P3" in figures:
        p3 = figures["P3"]
        out.append(
            Row(
                "P3 duplicates MB/s",
                "MB/s",
                summary(p3["inlet"], "MB/s"),
                summary(p3["floor"], "MB/s"),
                "parse+hash app",
                Target(min_ratio=0.9),
            )
        )
    if "P2" in figures and "P3" in figures:
        out.append(
            Row(
                "P2 API CPU per MB of new upload",
                "ms/MB",
                _cpu_per_mb(figures["P2"]["inlet"], "api"),
                _cpu_per_mb(figures["P3"]["floor"], "floor_app"),
                "parse+hash app",
                Target(max_ratio=1.3),
                note="gunicorn processes only; nginx's own CPU is in the split below",
            )
        )
    if "P4" in figures:
        p4 = figures["P4"]
        out.append(
            Row(
                "P4 serving MB/s, cache misses",
                "MB/s",
                summary(p4["inlet"], "MB/s"),
                summary(p4["floor"], "MB/s"),
                "S3 GET",
                Target(min_ratio=1.0),
                note="through nginx: the API decides, nginx streams from the store",
            )
        )
        out.append(
            Row(
                "P4 serving MB/s, cache hits",
                "MB/s",
                summary(p4["inlet_hit"], "MB/s"),
                summary(p4["floor"], "MB/s"),
                "S3 GET",
                note="reported apart, no target",
            )
        )
        out.append(
            Row(
                "P4 304 revalidations",
                "req/s",
                summary(p4["inlet_304"], "304/s"),
                summary(p4["floor_304"], "304/s"),
                "floor app 304",
                note="reported, no target",
            )
        )
    return out


def _cpu_per_mb(rounds: Sequence[Metrics], group: str) -> Summary:
    return Summary.of([1000 * r[f"cpu:{group}"] / r["MB"] for r in rounds])


def comparison(results: Sequence[ConfigResult]) -> list[dict[str, Any]]:
    """Medians and ratios per gunicorn configuration, for choosing one."""
    table = []
    for result in results:
        entry: dict[str, Any] = {"config": result.config.label}
        for figure, metric in (("P2", "MB/s"), ("P3", "MB/s"), ("P4", "MB/s"), ("P4", "304/s")):
            data = result.figures.get(figure)
            if not data:
                continue
            inlet_key, floor_key = (
                ("inlet_304", "floor_304") if metric == "304/s" else ("inlet", "floor")
            )
            inlet = Summary.of([r[metric] for r in data[inlet_key]])
            floor = Summary.of([r[metric] for r in data[floor_key]])
            entry[f"{figure} {metric}"] = {
                "inlet": inlet.median,
                "inlet_range": [inlet.low, inlet.high],
                "floor": floor.median,
                "ratio": inlet.median / floor.median if floor.median else None,
            }
        table.append(entry)
    return table


def render_comparison(table: Sequence[dict[str, Any]]) -> str:
    if len(table) < 2:
        return ""
    keys = [k for k in table[0] if k != "config"]
    lines = ["gunicorn configurations (Inlet median / ratio to floor):"]
    for entry in table:
        cells = []
        for key in keys:
            cell = entry.get(key)
            if cell:
                cells.append(f"{key} {cell['inlet']:.1f} ({cell['ratio']:.2f}x)")
        lines.append(f"  {entry['config']:<12} " + " | ".join(cells))
    return "\n".join(lines)


def cpu_breakdown(result: ConfigResult) -> dict[str, dict[str, float]]:
    """Median CPU milliseconds per MB (per request for 304s) of each process group."""
    out: dict[str, dict[str, float]] = {}
    for figure, data in result.figures.items():
        for side, rounds in data.items():
            per_unit: dict[str, list[float]] = {}
            for r in rounds:
                unit = r.get("MB") or r.get("requests") or 1.0
                for key, value in r.items():
                    if key.startswith("cpu:"):
                        per_unit.setdefault(key[4:], []).append(1000 * value / unit)
            out[f"{figure} {side}"] = {
                k: round(Summary.of(v).median, 3) for k, v in per_unit.items() if max(v) > 0.01
            }
    return out


def render_cpu(breakdown: Mapping[str, Mapping[str, float]]) -> str:
    lines = ["CPU ms per MB moved (per request for 304s), median, by process (/sys: kernel):"]
    for name, groups in breakdown.items():
        # Groups that idled through the round (heartbeats only) are left out.
        ranked = sorted(((k, v) for k, v in groups.items() if v >= 0.005), key=lambda kv: -kv[1])
        cells = ", ".join(f"{k} {v:.2f}" for k, v in ranked if not k.endswith("/sys"))
        kernel = ", ".join(f"{k} {v:.2f}" for k, v in ranked if k.endswith("/sys"))
        total = sum(v for k, v in groups.items() if not k.endswith("/sys"))
        lines.append(f"  {name:<16} total {total:.2f}: {cells} ({kernel})")
    return "\n".join(lines)
