#!/usr/bin/env python3
"""XpulpV2 vs plain RV32IMC on the same int8 matmul, simulated, in one process.

usage: python tools/bench_xpulp.py [--json PATH]

Builds firmware/apps/bench_matmul_xpulp twice (iss cc --isa corev: cv.sdotsp.b, post-increment
loads, hardware loops; --isa rv32imc: the same algorithm in plain C), runs both with
`Simulator(...).run()` and the plain build also on raw Unicorn (tools/bench_rv32.py's setup),
and prints instructions, seconds and simulated MIPS of each. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

from iss.simulator import Simulator  # noqa: E402
from iss.toolchain import build_app  # noqa: E402

APP = "bench_matmul_xpulp"


def simulate(elf: Path) -> dict:
    sim = Simulator(elf, output=io.StringIO())
    t0 = time.perf_counter()
    result = sim.run()
    seconds = time.perf_counter() - t0
    n = result.stats["instructions"]
    return {"instructions": n, "seconds": seconds, "mips": n / seconds / 1e6,
            "exit_code": result.exit_code, "code_hooks": len(sim.custom.ranges),
            "custom_sites": sim.custom.count}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    out = REPO / "firmware" / "build"
    rows = {}
    elfs = {isa: build_app(APP, out / isa, isa=isa) for isa in ("corev", "rv32imc")}
    for isa, elf in elfs.items():
        rows[f"iss-{isa}"] = simulate(elf)
    from bench_rv32 import measure_raw
    raw = measure_raw(elfs["rv32imc"], virtual_tlb=True)
    n = rows["iss-rv32imc"]["instructions"]   # raw Unicorn counts nothing: same code path
    rows["raw-unicorn-rv32imc"] = {"instructions": n, "seconds": raw["seconds"],
                                   "mips": n / raw["seconds"] / 1e6}
    print(f"{'run':22s} {'instructions':>14s} {'seconds':>9s} {'MIPS':>8s}")
    for name, r in rows.items():
        print(f"{name:22s} {r['instructions']:14,d} {r['seconds']:9.3f} {r['mips']:8.1f}")
    ratio = rows["iss-rv32imc"]["instructions"] / rows["iss-corev"]["instructions"]
    print(f"instruction-count ratio plain / XpulpV2: {ratio:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "instruction_ratio": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
