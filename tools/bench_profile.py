#!/usr/bin/env python3
"""Cost of `--profile` and `--trace`, and of having them in the code at all.

usage: python tools/bench_profile.py [--repeat 5] [--baseline REV] [--json PATH|-]

1. In one process, on each benchmark firmware: a plain run, a run with the profile on
   (iss/profile.py: native attribution of dynamic cycles + the end-of-run tables), and a
   run with the timeline tracer on. Issue target: --profile costs <= 15 %.
2. `--baseline REV` (e.g. HEAD, the committed code without this work): the plain run of
   this tree against the plain run of REV checked out in a temporary git worktree, each in
   its own process, alternating, best of --repeat (target: tracing/profiling off costs
   nothing measurable).
Times are best-of-N host CPU seconds of `Simulator.run` (plus, for --profile and --trace,
building the profile / the trace document; Python start-up and ELF loading are not
included): CPU time, not wall time, so that other processes on the machine disturb the
comparison less. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# (app, isa, cores): plain RV32IMC on one core, the 8-core cluster, an XpulpV2 kernel
BENCHES = (("bench_compute", "rv32imc", 1), ("bench_parallel", "rv32imc", 8),
           ("matmul_parallel", "corev", 8), ("bench_matmul_xpulp", "corev", 1))

CHILD = """
import io, json, sys, time
sys.path.insert(0, sys.argv[1])
from iss.simulator import Simulator
sim = Simulator(sys.argv[2], output=io.StringIO(), cores=int(sys.argv[3]))
t0 = time.process_time()
r = sim.run()
print(json.dumps({"cpu": time.process_time() - t0, "instructions": r.stats["instructions"],
                  "cycles": r.stats["cycles"]}))
"""


def _run(elf, cores, mode):
    from iss.simulator import Simulator
    sim = Simulator(elf, output=io.StringIO(), cores=cores)
    if mode == "profile":
        from iss.profile import collect, enable
        enable(sim)
    elif mode == "trace":
        from iss.trace import Tracer
        tracer = Tracer(sim)
    t0 = time.process_time()
    stats = sim.run().stats
    if mode == "profile":
        stats["profile"] = collect(sim)
    elif mode == "trace":
        tracer.finish()
        json.dumps(tracer.document())
    wall = time.process_time() - t0
    if stats["stop_reason"] != "exit" or stats["exit_code"] != 0:
        raise SystemExit(f"{elf.name}: {stats['message']}")
    return wall, stats


def in_process(repeat: int) -> list[dict]:
    from iss import toolchain
    rows = []
    for app, isa, cores in BENCHES:
        elf = toolchain.build_app(app, REPO / "firmware" / "build" / isa, isa=isa)
        best = {}
        for _ in range(repeat):
            for mode in ("plain", "profile", "trace"):      # interleaved: same machine load
                wall, stats = _run(elf, cores, mode)
                best[mode] = min(best.get(mode, wall), wall)
        row = {"app": app, "isa": isa, "cores": cores, "instructions": stats["instructions"],
               "plain_s": best["plain"], "profile_s": best["profile"], "trace_s": best["trace"],
               "profile_overhead": best["profile"] / best["plain"] - 1,
               "trace_overhead": best["trace"] / best["plain"] - 1}
        rows.append(row)
        print(f"{app:20s} {isa:8s} {cores} cores {stats['instructions']:>12,} instr: plain "
              f"{best['plain']:.3f} s, --profile {best['profile']:.3f} s "
              f"({100 * row['profile_overhead']:+.1f} %), --trace {best['trace']:.3f} s "
              f"({100 * row['trace_overhead']:+.1f} %)", flush=True)
    return rows


def against(rev: str, repeat: int) -> list[dict]:
    from iss import toolchain
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base), rev],
                       check=True, capture_output=True)
        try:
            for app, isa, cores in BENCHES:
                elf = toolchain.build_app(app, REPO / "firmware" / "build" / isa, isa=isa)
                for tree in (base, REPO):        # warm-up: numba compiles each tree once
                    _child(tree, elf, cores)
                best = {}
                for _ in range(repeat):
                    for name, tree in (("baseline", base), ("this tree", REPO)):
                        best[name] = min(best.get(name, 1e9), _child(tree, elf, cores)["cpu"])
                row = {"app": app, "cores": cores, "baseline_rev": rev,
                       "baseline_s": best["baseline"], "this_tree_s": best["this tree"],
                       "change": best["this tree"] / best["baseline"] - 1}
                rows.append(row)
                print(f"{app:20s} {cores} cores: {rev} {best['baseline']:.3f} s, this tree "
                      f"{best['this tree']:.3f} s ({100 * row['change']:+.1f} %)", flush=True)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)],
                           capture_output=True)
    return rows


def _child(tree: Path, elf: Path, cores: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(elf), str(cores)],
                         check=True, capture_output=True, text=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", metavar="REV", help="also compare plain runs with REV")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    result = {"in_process": in_process(args.repeat)}
    if args.baseline:
        result["baseline"] = against(args.baseline, args.repeat)
    if args.json:
        from iss.jsonout import write_json
        write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
