#!/usr/bin/env python3
"""Wall time of simulating one depth-wise layer on the DW accelerator plugin.

usage: python tools/bench_dw.py [--repeat 5] [--json PATH|-]

For each depth-wise layer of MobileNetV2 (224x224 input; padding 1, stride as in the
network) the plugin is driven through its registers (ACQUIRE, job registers, TRIGGER) and
its end-of-job callback runs the numba kernel on the L1 buffer. The platform is the default
one with L1 enlarged to 2 MiB, because several of these layers do not fit the paper's
512 kB (the paper tiles or sizes its layers to fit; timing does not depend on it).
Reports per layer: simulated cycles (docs/dw.md formula), MAC/cycle, wall milliseconds of
the trigger-to-event path (best of --repeat, after one warm-up that loads the numba cache)
and simulated MAC per wall second. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
try:
    import iss  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from iss.jsonout import write_json  # noqa: E402
from iss.memory import SharedMemory  # noqa: E402
from iss.platform import MemorySpec, load_platform  # noqa: E402
from iss_plugins.dw_accel import DwAccel  # noqa: E402

L1 = 0x10000000
# (input H = W, channels, stride) of MobileNetV2's 17 depth-wise layers
MOBILENET_V2 = [(112, 32, 1), (112, 96, 2), (56, 144, 1), (56, 144, 2), (28, 192, 1),
                (28, 192, 1), (28, 192, 2), (14, 384, 1), (14, 384, 1), (14, 384, 1),
                (14, 384, 1), (14, 576, 1), (14, 576, 1), (14, 576, 2), (7, 960, 1),
                (7, 960, 1), (7, 960, 1)]


class BenchSim:
    """The services the plugin uses: platform, memory, harts, schedule, raise_event."""

    def __init__(self):
        p = load_platform()
        mems = tuple(MemorySpec("l1", L1, 0x200000) if m.name == "l1" else m for m in p.memories)
        self.platform = dataclasses.replace(p, memories=mems)
        self.memory = SharedMemory(self.platform)
        self.harts = [SimpleNamespace(core_id=i, index=i, t=0, now=lambda: 0) for i in range(8)]
        self.pending = []
        self.events = []

    def schedule(self, at, callback):
        self.pending.append(callback)

    def raise_event(self, line, mask, at):
        self.events.append((line, at))


def run_layer(sim, dw, h, c, s):
    rng = np.random.default_rng(h + c + s)
    ho = (h - 1) // s + 1
    x_addr, w_addr = L1, L1 + h * h * c
    b_addr, o_addr = w_addr + 9 * c, w_addr + 13 * c
    sim.memory.write(x_addr, rng.integers(-128, 128, h * h * c, dtype=np.int8).tobytes())
    sim.memory.write(w_addr, rng.integers(-128, 128, 9 * c, dtype=np.int8).tobytes())
    sim.memory.write(b_addr, rng.integers(-4096, 4096, c, dtype=np.int32).tobytes())
    hart = sim.harts[0]
    t0 = time.perf_counter()
    assert dw.read(hart, 0x04, 4) == 0
    for reg, v in ((0x18, x_addr), (0x1C, w_addr), (0x20, b_addr), (0x24, o_addr), (0x28, h),
                   (0x2C, h), (0x30, c), (0x34, s), (0x38, 0x01010101), (0x3C, 8), (0x40, 1)):
        dw.write(hart, reg, 4, v)
    dw.write(hart, 0x00, 4, 0)
    sim.pending.pop()()                          # the end of the job: the kernel runs here
    wall = time.perf_counter() - t0
    dw.busy_until = -1                           # the bench does not advance time
    sim.service("hwpe_port").free_at = 0
    return ho, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args()
    sim = BenchSim()
    dw = DwAccel(sim, "dw", 0x10201000, 0x400, {})
    run_layer(sim, dw, 8, 16, 1)                 # warm-up: load (or compile) the numba kernel
    rows = []
    for h, c, s in MOBILENET_V2:
        best, cycles_before = None, dw.counts["stream_cycles"]
        for _ in range(args.repeat):
            ho, wall = run_layer(sim, dw, h, c, s)
            best = wall if best is None else min(best, wall)
        cycles = (dw.counts["stream_cycles"] - cycles_before) // args.repeat   # the job's cycles
        macs = 9 * ho * ho * c
        rows.append({"layer": f"{h}x{h}x{c} s{s}", "cycles": cycles, "macs": macs,
                     "mac_per_cycle": round(macs / cycles, 2), "wall_ms": round(best * 1e3, 3),
                     "sim_mmac_per_s": round(macs / best / 1e6, 1)})
    total_macs, total_cycles = sum(r["macs"] for r in rows), sum(r["cycles"] for r in rows)
    total_wall = sum(r["wall_ms"] for r in rows) / 1e3
    summary = {"layers": len(rows), "macs": total_macs, "cycles": total_cycles,
               "mac_per_cycle": round(total_macs / total_cycles, 2),
               "mean_layer_mac_per_cycle": round(np.mean([r["mac_per_cycle"] for r in rows]), 2),
               "wall_ms": round(total_wall * 1e3, 2)}
    result = {"rows": rows, "mobilenet_v2": summary}
    if args.json:
        write_json(result, args.json)
        if args.json == "-":          # stdout carries only the JSON
            return 0
    print(f"{'layer':<18}{'cycles':>9}{'MAC/cycle':>11}{'wall ms':>10}{'sim MMAC/s':>12}")
    for r in rows:
        print(f"{r['layer']:<18}{r['cycles']:>9}{r['mac_per_cycle']:>11}{r['wall_ms']:>10}"
              f"{r['sim_mmac_per_s']:>12}")
    print(f"MobileNetV2, 17 DW layers: {total_cycles} cycles, {summary['mac_per_cycle']} MAC/cycle "
          f"(mean over layers {summary['mean_layer_mac_per_cycle']}), {summary['wall_ms']} ms wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
