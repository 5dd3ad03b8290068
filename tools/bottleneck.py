#!/usr/bin/env python3
"""Run the MobileNetV2 bottleneck block in the paper's five mappings and compare with it.

usage: python tools/bottleneck.py [--mapping M ...] [--no-energy] [--timing fast|accurate]
                                  [--json PATH|-]

Builds firmware/bottleneck/bottleneck.c once per mapping (data header from
experiments/paper/bottleneck.py, cached in firmware/build/bottleneck/), runs each on the
simulator with a 3-crossbar IMA, checks every layer bit-exact against the numpy golden model,
and prints per mapping the per-layer cycles, the time at the platform clock, the speed-up and
the energy ratio vs `cores`, next to the paper's (Sec. V). Exit status 1 if a check fails.
Details: docs/bottleneck.md.
"""
from __future__ import annotations

import argparse
import sys
import time

try:
    from iss.jsonout import write_json
    from iss_experiments.paper import bottleneck as bn
except ModuleNotFoundError as e:  # iss_experiments is experiments/, mapped by the install
    if e.name not in ("iss", "iss_experiments"):
        raise
    sys.exit(f"{e}: install the checkout first: python -m pip install -e '.[test]' (README)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mapping", action="append", choices=bn.MAPPINGS,
                    help="run only these mappings (default: all five; `cores` is the reference)")
    ap.add_argument("--no-energy", action="store_true", help="skip the two energy runs per mapping")
    ap.add_argument("--timing", choices=("fast", "accurate"), default="fast")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = ap.parse_args(argv)
    mappings = args.mapping or list(bn.MAPPINGS)
    if "cores" not in mappings:
        mappings.insert(0, "cores")           # the speed-ups need the reference
    log = sys.stderr if args.json == "-" else sys.stdout

    bn.write_platform()                       # for `iss run --platform` (docs/bottleneck.md)
    results, t0 = {}, time.perf_counter()
    for i, m in enumerate(mappings, 1):
        print(f"[{i}/{len(mappings)}] {m} ...", file=sys.stderr, flush=True)
        results[m] = bn.run(m, timing=args.timing, energy=not args.no_energy)
    wall = time.perf_counter() - t0

    ref = results["cores"]
    clock = ref.stats["clock_hz"]
    d = bn.device_counts()
    b = bn.make_block()
    print(f"Bottleneck {bn.H}x{bn.W}x{bn.C} -> {bn.CH} -> {bn.C}, int8 HWC, seed {bn.SEED}; "
          f"ranges R1={b.r1} S2={b.s2} R2={b.r2} R3={b.r3}", file=log)
    print(f"depth-wise weights {100 * d['dw_fraction']:.1f} % of the block (paper ~4 %), "
          f"cjob8 +{100 * d['cjob8_extra_devices']:.0f} % devices (paper +25 %), cjob16 "
          f"+{100 * d['cjob16_extra_devices']:.0f} % (paper +54 %)\n", file=log)
    head = (f"{'mapping':11s} {'cycles':>9s} {'us':>8s} {'speed-up':>8s} {'paper':>6s} "
            f"{'uJ':>7s} {'E ratio':>7s} {'paper':>6s}  ok  layers (cycles)")
    print(head, file=log)
    failed = 0
    for m, r in results.items():
        failed += not r.ok
        e = r.energy.get("total")
        uj = f"{e:7.2f}" if e else f"{'-':>7s}"
        eratio = f"{ref.energy['total'] / e:7.2f}" if e else f"{'-':>7s}"
        layers = ", ".join(f"{k} {v}" for k, v in r.layers.items())
        print(f"{m:11s} {r.total:9d} {r.total / clock * 1e6:8.1f} {ref.total / r.total:8.2f} "
              f"{bn.PAPER_SPEEDUP[m]:6.2f} {uj} {eratio} "
              f"{bn.PAPER_ENERGY_RATIO[m]:6.2f}  {'yes' if r.ok else 'NO '} {layers}", file=log)
    macs = bn.N * bn.C * bn.CH
    pw = [ref.layers[k] for k in ("expand", "project")]
    print(f"\ncores: pointwise {macs / pw[0]:.1f} / {macs / pw[1]:.1f} MAC/cycle on 8 cores "
          f"(PULP-NN: up to 15.5); simulated {ref.stats['mips']:.1f} MIPS; wall {wall:.1f} s",
          file=log)

    if args.json:
        doc = {"dims": {"H": bn.H, "W": bn.W, "C": bn.C, "CH": bn.CH}, "devices": d,
               "ranges": {"r1": b.r1, "s2": b.s2, "r2": b.r2, "r3": b.r3},
               "clock_hz": clock, "wall_seconds": wall,
               "mappings": {m: {"cycles": r.total, "layers": r.layers, "ok": r.ok,
                                "speedup": ref.total / r.total,
                                "paper_speedup": bn.PAPER_SPEEDUP[m],
                                "energy_uj": r.energy or None,
                                "energy_ratio": (ref.energy["total"] / r.energy["total"]
                                                 if r.energy else None),
                                "paper_energy_ratio": bn.PAPER_ENERGY_RATIO[m],
                                "mips": r.stats.get("mips")}
                            for m, r in results.items()}}
        write_json(doc, args.json, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
