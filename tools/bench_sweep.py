#!/usr/bin/env python3
"""Sweep throughput (points per minute) with 1 and 2 local Dask workers, and the per-point
overhead of going through Dask against running the same point directly.

    python tools/bench_sweep.py [--app ima_pointwise] [--points 20]

The points are the IMA roofline grid (bus width x execution x clock) on the given app, run
without the result cache. Measured:
  direct, in-process   Simulator(...).run() of each point in this process (warm: no start-up)
  serial sweep         `iss sweep --serial`: the same plus the sweep's per-point work (temp
                       files, result rows)
  iss run (process)    `iss run` as a new process per point, what a shell loop would do
  Dask, N workers      `iss sweep` on a LocalCluster of N processes: end to end (cluster start
                       included) and steady state (on a started, warmed-up cluster)
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iss.simulator import Simulator  # noqa: E402
from iss.sweep.cache import Cache  # noqa: E402
from iss.sweep.engine import run_sweep  # noqa: E402
from iss.sweep.results import Results  # noqa: E402
from iss.sweep.spec import load_spec  # noqa: E402

GRID = """
[sweep]
name = "bench"
firmware = "{app}"
metrics = ["cycles", "peripherals.ima.busy_cycles"]
[grid]
peripheral.ima.bus_bits = [32, 64, 128, 256, 512]
peripheral.ima.execution = ["sequential", "pipelined"]
clock_hz = [250_000_000, 500_000_000]
"""


def sweep(spec, tmp: Path, tag: str, **kw):
    results = Results(tmp / f"{tag}.csv", spec.parameters, spec.metrics, parquet=False)
    t0 = time.perf_counter()
    outcome = run_sweep(spec, results, Cache(None), progress=False, **kw)
    wall = time.perf_counter() - t0
    results.close()
    assert outcome.failed == 0, [r["error"] for r in results.rows if r["status"] != "ok"]
    return wall


def empty_tasks(address: str, count: int) -> float:
    """Seconds for `count` no-op tasks submitted and awaited one after the other."""
    from distributed import Client
    with Client(address) as client:
        client.submit(int, 0, pure=False).result()
        t0 = time.perf_counter()
        for i in range(count):
            client.submit(int, i, pure=False).result()
        return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--app", default="ima_pointwise")
    ap.add_argument("--points", type=int, default=20, help="points per measurement (<= 20)")
    ap.add_argument("--process-runs", type=int, default=3, help="`iss run` processes timed")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement (the "
                    "fastest counts: the machine may be busy with other work)")
    args = ap.parse_args()
    from distributed import LocalCluster
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec_path = tmp / "bench.toml"
        spec_path.write_text(GRID.format(app=args.app))
        spec = load_spec(spec_path, build_dir=tmp / "fw")
        spec.points = spec.points[:args.points]
        n = len(spec.points)
        rows = {}

        files = []
        for p in spec.points:
            f = tmp / f"p{p.index}.toml"
            f.write_text(p.platform_text)
            files.append(f)

        def best(how, count, measure):      # the least disturbed of --repeat runs
            rows[how] = (min(measure() for _ in range(args.repeat)), count)

        def direct_runs():
            t0 = time.perf_counter()
            for p, f in zip(spec.points, files, strict=True):
                Simulator(str(p.firmware.path), str(f), output=io.StringIO()).run()
            return time.perf_counter() - t0

        direct_runs()                       # warm-up: numba hooks loaded in this process
        best("direct, in-process", n, direct_runs)
        best("serial sweep (--serial)", n, lambda: sweep(spec, tmp, "serial", serial=True))
        k = min(args.process_runs, n)

        def process_runs():
            t0 = time.perf_counter()
            for p, f in zip(spec.points[:k], files, strict=False):
                subprocess.run([sys.executable, "-m", "iss.cli", "run", str(p.firmware.path),
                                "--platform", str(f), "--quiet"], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return time.perf_counter() - t0
        best("`iss run`, one process per point", k, process_runs)

        for workers in (1, 2):
            name = f"Dask {workers} worker{'s' * (workers > 1)}"
            best(f"{name}, end to end", n, lambda workers=workers: sweep(spec, tmp, "cold", workers=workers))
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            try:
                warm = load_spec(spec_path, build_dir=tmp / "fw")
                warm.points = warm.points[-workers:]          # load the simulator in each worker
                sweep(warm, tmp, "warm", scheduler=cluster.scheduler_address)
                best(f"{name}, steady state", n,
                     lambda cluster=cluster: sweep(spec, tmp, "steady", scheduler=cluster.scheduler_address))
                if workers == 1:
                    best("Dask round trip of an empty task", 50,
                         lambda cluster=cluster: empty_tasks(cluster.scheduler_address, 50))
            finally:
                cluster.close()

    direct = rows["direct, in-process"][0] / rows["direct, in-process"][1]
    print(f"{args.app}: {n} points on {os.cpu_count()} cores")
    print(f"{'how':40} {'points':>6} {'wall s':>8} {'s/point':>8} {'points/min':>10} {'overhead/point':>15}")
    for how, (wall, count) in rows.items():
        per = wall / count
        if how.startswith("Dask round trip"):
            print(f"{how:40} {count:>6} {wall:8.2f} {per:8.4f}")
            continue
        print(f"{how:40} {count:>6} {wall:8.2f} {per:8.3f} {60 / per:10.1f} "
              f"{(per - direct) * 1e3:12.0f} ms")
    one = rows["Dask 1 worker, steady state"]
    two = rows["Dask 2 workers, steady state"]
    print(f"2 vs 1 workers (steady state): {one[0] / two[0]:.2f}x the throughput")
    print(f"per-point overhead of Dask (1 worker, steady) vs direct in-process: "
          f"{(one[0] / one[1] - direct) * 1e3:.0f} ms; vs `iss run` processes: "
          f"{(one[0] / one[1] - rows['`iss run`, one process per point'][0] / k) * 1e3:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
