#!/usr/bin/env python3
"""Cost of debugging when nothing is hit: a plain run vs a run under the debugger with a
breakpoint that is hit once, at the end (on `exit`), on the same firmware, in one process.

usage: python tools/bench_debug.py [--app bench_compute] [--isa rv32imc|corev]
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from iss.debugger.target import DebugTarget  # noqa: E402
from iss.simulator import Simulator  # noqa: E402
from iss.toolchain import build_app  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="bench_compute")
    parser.add_argument("--isa", default="rv32imc", choices=("rv32imc", "corev"))
    args = parser.parse_args()
    elf = build_app(args.app, REPO / "firmware" / "build" / args.isa, isa=args.isa)

    sim = Simulator(elf, output=io.StringIO())
    t0 = time.perf_counter()
    plain = sim.run()
    plain_s = time.perf_counter() - t0

    target = DebugTarget(elf, output=io.StringIO())
    target.add_breakpoint(target.resolve("exit"))
    t0 = time.perf_counter()
    event = target.cont()
    debug_s = time.perf_counter() - t0
    n = plain.stats["instructions"]
    print(f"{args.app} ({args.isa}): {n:,} instructions")
    print(f"plain run                      {plain_s:7.3f} s  {n / plain_s / 1e6:8.1f} MIPS")
    print(f"debugger, breakpoint at exit   {debug_s:7.3f} s  {target.hart.instret / debug_s / 1e6:8.1f} MIPS"
          f"  (stopped: {event.reason})")
    print(f"speed ratio debug/plain: {plain_s / debug_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
