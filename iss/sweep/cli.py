"""`iss sweep SPEC.toml`: run every point of a sweep spec, write the result rows, show a summary."""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import EXIT_INTERRUPTED, IssError

HELP = """\
Run a design-space sweep: one independent simulation per point of SPEC.toml (a grid and/or
explicit points over platform and plugin parameters, --cores, ISA, timing, firmware...),
collecting metrics from the stats JSON. Points run on Dask: a LocalCluster of worker processes
by default, or an existing cluster (--scheduler). Rows go to a CSV as they finish (and a
Parquet file at the end); finished points are cached, so a re-run only runs what is missing.
Exit status: 0 all points ok, 1 some failed or timed out, 2 bad spec, 130 interrupted."""


def add_parser(sub) -> None:
    import argparse
    p = sub.add_parser("sweep", help="design-space sweep on Dask (a grid of simulations)",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC.toml")
    p.add_argument("-o", "--output", metavar="RESULTS.csv",
                   help="result rows (default: SPEC's name .csv in the current directory); "
                        "the Parquet file goes next to it")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="submit to this existing Dask cluster (workers need this package)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the LocalCluster (default: the machine's cores)")
    p.add_argument("--serial", action="store_true", help="no Dask: run the points one by one "
                   "in this process (debugging)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="host seconds a point may simulate before it is recorded as timed out "
                        "(default: the spec's, else none)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="per-point result cache (default: .iss-sweep-cache next to the output)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--list", action="store_true", help="print the points and exit")
    p.add_argument("--quiet", action="store_true", help="no summary table")
    p.set_defaults(handler=main)


def main(args) -> int:
    from rich.console import Console
    from .cache import Cache
    from .engine import run_sweep
    from .results import Results, summary_table
    from .spec import load_spec
    if args.workers is not None and args.workers < 1:
        raise IssError("--workers must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise IssError("--timeout must be positive")
    output = Path(args.output or f"{Path(args.spec).stem}.csv")
    cache_dir = Path(args.cache_dir) if args.cache_dir else output.parent / ".iss-sweep-cache"
    spec = load_spec(args.spec, build_dir=cache_dir / "firmware")
    if args.list:
        for point in spec.points:
            print(point.index, point.firmware.label,
                  " ".join(f"{k}={v}" for k, v in point.params.items()))
        return 0
    results = Results(output, spec.parameters, spec.metrics)
    try:
        outcome = run_sweep(spec, results, Cache(None if args.no_cache else cache_dir),
                            scheduler=args.scheduler, workers=args.workers, serial=args.serial,
                            timeout=args.timeout)
    finally:
        written = results.close()
    if not args.quiet and results.rows:
        console = Console()
        if not console.is_terminal:         # a file or pipe: room for the columns
            console = Console(width=max(console.width, 200))
        console.print(summary_table(results, f"sweep {spec.name}"))
    ok = sum(r["status"] == "ok" for r in results.rows)
    counts = {s: sum(r["status"] == s for r in results.rows) for s in ("failed", "timeout", "lost")}
    rate = outcome.ran / outcome.wall_seconds * 60 if outcome.wall_seconds > 0 else 0.0
    print(f"iss sweep: {len(results.rows)} of {outcome.total} points: {ok} ok"
          f"{''.join(f', {n} {s}' for s, n in counts.items() if n or s == 'failed')}; "
          f"{outcome.cached} from the cache, {outcome.ran} run"
          f"{f' {outcome.where}' if outcome.ran else ''} in {outcome.wall_seconds:.1f} s"
          f"{f' ({rate:.1f} points/min)' if outcome.ran else ''}", file=sys.stderr)
    print(f"iss sweep: results in {', '.join(map(str, written))}", file=sys.stderr)
    if outcome.interrupted:
        print("iss sweep: interrupted; run the same command again to finish (finished points "
              "are cached)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0 if ok == outcome.total else 1


def add_plot_arguments(plot) -> None:
    """`iss plot RESULTS.csv --metric M --x P [--hue P] [--where P=V]... [--average P]...`."""
    g = plot.add_argument_group("sweep results (RESULTS.csv or .parquet of `iss sweep`)")
    g.add_argument("--metric", metavar="METRIC", help="the metric column to draw")
    g.add_argument("--x", metavar="PARAM", help="the parameter on the x axis")
    g.add_argument("--hue", metavar="PARAM", help="one line per value of this parameter")
    g.add_argument("--where", metavar="PARAM=VALUE", action="append", default=[],
                   help="only the rows with this value (repeatable; part of the PNG's name). "
                        "Every swept parameter other than --x and --hue must be fixed this "
                        "way or averaged with --average")
    g.add_argument("--average", metavar="PARAM", action="append", default=[],
                   help="average over this parameter, e.g. a noise seed (repeatable): the "
                        "mean, with the standard deviation as error bars")


def is_sweep_plot(args) -> bool:
    return bool(args.metric or args.x or str(args.stats).endswith((".csv", ".parquet")))


def plot_main(args) -> int:
    from .plot import plot_sweep
    if not (args.metric and args.x):
        raise IssError("plotting sweep results needs --metric METRIC and --x PARAM")
    print(plot_sweep(args.stats, args.metric, args.x, args.hue, args.where, args.output,
                     args.average))
    return 0
