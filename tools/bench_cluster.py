#!/usr/bin/env python3
"""Cost of simulating the cluster: the same parallel kernel on 8 harts vs on 1 hart.

usage: python tools/bench_cluster.py [--app bench_parallel] [--isa rv32imc|corev]
                                    [--repeat 3] [--json PATH|-]

Builds firmware/apps/<app> (default: bench_parallel, plain RV32IMC, which shows the
cluster's own cost; `--app matmul_parallel --isa corev` measures an XpulpV2 kernel, whose
cost is dominated by the custom-instruction hooks) and runs it in one process with the
same counting and timing model on 1 core and on 8 cores, in the fast and in the accurate
timing mode.
Reports, per run: instructions (all harts), wall seconds, aggregate simulated MIPS,
cluster cycles, and the ratio of the 8-core MIPS to the 1-core MIPS (issue target for
the fast mode: >= 0.5, i.e. the cluster costs at most 2x per simulated instruction).
--hook-cost adds what write times would cost the fast mode (docs/cluster.md, "Cores polling
shared memory"): the 8-core fast run again with an empty native L1 store hook, and with
empty load and store hooks, as ratios to the plain run.
Best of --repeat runs. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
try:
    import iss  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(REPO))

from iss import toolchain  # noqa: E402
from iss.jsonout import write_json  # noqa: E402
from iss.simulator import Simulator  # noqa: E402


def measure(elf: Path, cores: int, timing: str, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        sim = Simulator(elf, output=io.StringIO(), cores=cores, timing=timing)
        stats = sim.run().stats
        if stats["stop_reason"] != "exit" or stats["exit_code"] != 0:
            raise SystemExit(f"{elf.name} on {cores} cores ({timing}): {stats['message']}")
        if best is None or stats["wall_seconds"] < best["wall_seconds"]:
            best = stats
    return {"cores": cores, "timing": timing, "instructions": best["instructions"],
            "wall_seconds": best["wall_seconds"], "mips": best["mips"], "cycles": best["cycles"]}


def hook_cost(elf: Path, repeat: int) -> dict:
    """Wall time of the 8-core fast run with empty native L1 access hooks / without."""
    from numba import cfunc, types
    from unicorn import unicorn_const as UC

    @cfunc(types.void(types.uintp, types.int32, types.uint64, types.int32, types.int64,
                      types.voidptr))
    def empty(uc, access, address, size, value, user_data):
        pass

    def best(kind: int) -> float:
        times = []
        for _ in range(repeat):
            sim = Simulator(elf, output=io.StringIO(), cores=8)
            l1 = sim.platform.memory_named("l1")
            for hart in sim.harts:
                if kind:
                    hart._native_hook(kind, empty, hart.ctx.ctypes.data, l1.base, l1.end - 1)
            times.append(sim.run().stats["wall_seconds"])
        return min(times)

    plain = best(0)
    return {"plain_seconds": plain,
            "store_hook_ratio": best(UC.UC_HOOK_MEM_WRITE) / plain,
            "load_store_hook_ratio": best(UC.UC_HOOK_MEM_WRITE | UC.UC_HOOK_MEM_READ) / plain}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="bench_parallel")
    parser.add_argument("--isa", default="rv32imc", choices=("corev", "rv32imc"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    parser.add_argument("--hook-cost", action="store_true",
                        help="also measure empty L1 access hooks in the fast mode")
    args = parser.parse_args()
    elf = toolchain.build_app(args.app, REPO / "firmware" / "build" / args.isa, isa=args.isa)
    rows = []
    for timing in ("fast", "accurate"):
        one = measure(elf, 1, timing, args.repeat)
        eight = measure(elf, 8, timing, args.repeat)
        eight["ratio_vs_1_core"] = eight["mips"] / one["mips"]
        eight["speedup_cycles"] = one["cycles"] / eight["cycles"]
        rows += [one, eight]
    print(f"app {args.app} ({args.isa}): aggregate simulated MIPS of the cluster vs one hart (best of {args.repeat})")
    print(f"{'timing':<9}{'cores':>6}{'instructions':>14}{'seconds':>9}{'MIPS':>8}"
          f"{'cycles':>12}{'MIPS ratio':>12}{'cycle speed-up':>16}")
    for r in rows:
        ratio = f"{r['ratio_vs_1_core']:.2f}" if "ratio_vs_1_core" in r else ""
        speedup = f"{r['speedup_cycles']:.2f}x" if "speedup_cycles" in r else ""
        print(f"{r['timing']:<9}{r['cores']:>6}{r['instructions']:>14,}{r['wall_seconds']:>9.3f}"
              f"{r['mips']:>8.1f}{r['cycles']:>12,}{ratio:>12}{speedup:>16}")
    doc = {"app": args.app, "isa": args.isa, "runs": rows}
    if args.hook_cost:
        cost = doc["hook_cost"] = hook_cost(elf, args.repeat)
        print(f"fast mode, 8 cores, empty native hooks on L1: stores only "
              f"{cost['store_hook_ratio']:.1f}x the wall time, loads and stores "
              f"{cost['load_store_hook_ratio']:.1f}x")
    if args.json:
        write_json(doc, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
