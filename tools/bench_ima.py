#!/usr/bin/env python3
"""Cost of simulating the IMA: wall time per simulated 256x256 MVM job, and the share of a
firmware run spent in the accelerator's kernels for a layer-sized job sequence.

usage: python tools/bench_ima.py [--jobs 784] [--repeat 3] [--json PATH|-]

1. Kernels alone (plugins/ima_kernels.py on an L1-sized buffer): `--jobs` full 256x256
   jobs (256 input bytes, 256 outputs) in one call, ideal and with the PCM noise model
   (incl. drawing the read-noise normals); best of --repeat; wall time per job.
2. A firmware run: a 28x28x256 -> 28x28x256 pointwise layer (784 jobs of 256x256: 51 M
   MACs), weights in the ELF image (.ima_weights), input filled by core 0, one trigger,
   the core sleeps until event 14. Reports the run's wall time, the time inside the IMA
   kernels (stats `kernel_seconds`) and its fraction, simulated cycles and the IMA's
   simulated throughput; the outputs are checked against numpy.
Nothing is asserted beyond the output check.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
try:
    import iss  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(REPO))

from iss import toolchain  # noqa: E402
from iss.elf import load_elf  # noqa: E402
from iss.jsonout import write_json  # noqa: E402
from iss.simulator import Simulator  # noqa: E402
from iss_plugins.ima_image import pack_words  # noqa: E402
from iss_plugins.ima_kernels import SCALE, run_ideal, run_noisy  # noqa: E402

H = W = 28
C = 256
ADC = 16


def bench_kernels(jobs: int, repeat: int) -> dict:
    rng = np.random.default_rng(0)
    mem = rng.integers(-128, 128, 0x80000).astype(np.int8)
    src = np.arange(jobs, dtype=np.int64) * C
    dst = src + 0x40000 - (src // 0x40000) * 0x40000
    w = rng.integers(-7, 8, (C, C)).astype(np.int16)
    weff, var = w + 0.1 * rng.standard_normal((C, C)), np.full((C, C), 0.01)
    err = np.zeros(6)
    # one tile of C rows at offset 0; the output stage of a plain trigger (shift 0, [-128, 127])
    tiles = (np.zeros(1, np.int64), np.full(1, C, np.int64), np.array([0, C], np.int64))
    plain = (0, 128, 127)
    out = {}
    for name in ("ideal", "noisy"):
        best = None
        for _ in range(repeat + 1):                 # the first call loads the numba cache
            t0 = time.perf_counter()
            if name == "ideal":
                run_ideal(mem, src, dst, *tiles, 1, 0, w, ADC, ADC, *plain)
            else:
                normals = rng.standard_normal((jobs, C))
                run_noisy(mem, src, dst, *tiles, 1, 0, w, weff, var, normals, ADC, ADC, *plain,
                          err)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        out[name] = {"jobs": jobs, "wall_seconds": best, "us_per_job": best / jobs * 1e6,
                     "gmac_per_s": jobs * C * C / best / 1e9}
    return out


FIRMWARE = r"""
#include <stdint.h>
#include <pulp.h>
#include <ima.h>
#define H %(H)d
#define W %(W)d
#define C %(C)d
IMA_IMAGE_SECTION const IMA_IMAGE_T(C, C) weights = {
    IMA_IMAGE_MAGIC, 0, 0, 0, C, C, {%(words)s}};
L1_BSS int8_t x[H][W][C];
L1_BSS int8_t y[H][W][C];
int main(void)
{
    uint32_t s = 1;
    for (int i = 0; i < H * W * C; i++) {
        s = s * 1103515245u + 12345u;
        ((int8_t *)x)[i] = (int8_t)(s >> 16);
    }
    ima_job_t job;
    ima_job_conv_hwc(&job, (uint32_t)x, (uint32_t)y, H, W, C, C, 1, 1, 0, 0, %(adc)d, %(adc)d);
    return ima_run(0, &job) != 0;
}
"""


def bench_firmware(repeat: int) -> dict:
    rng = np.random.default_rng(1)
    w = rng.integers(-7, 8, (C, C))
    words = ", ".join(f"0x{v:08x}u" for v in pack_words(w).ravel())
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "layer.c"
        src.write_text(FIRMWARE % {"H": H, "W": W, "C": C, "words": words, "adc": ADC})
        elf = toolchain.compile_firmware([src], Path(tmp) / "layer.elf")
        best = None
        for _ in range(repeat):
            sim = Simulator(elf, output=io.StringIO())
            stats = sim.run().stats
            if stats["exit_code"] != 0:
                raise SystemExit(f"layer firmware: {stats['message']}")
            if best is None or stats["wall_seconds"] < best[1]["wall_seconds"]:
                best = sim, stats
        sim, stats = best
        sym = load_elf(elf).symbols
    x = np.frombuffer(sim.memory.read(sym["x"], H * W * C), np.int8).reshape(-1, C)
    y = np.frombuffer(sim.memory.read(sym["y"], H * W * C), np.int8).reshape(-1, C)
    a = np.clip(x.astype(np.int64) @ w, -SCALE * ADC, SCALE * ADC)
    num, den = 127 * a, SCALE * 2 * ADC
    expect = np.sign(num) * np.minimum((2 * np.abs(num) + den) // (2 * den), 127)
    if not (y == expect).all():
        raise SystemExit("layer firmware: outputs differ from numpy")
    ima = stats["peripherals"]["ima"]
    busy_s = ima["busy_cycles"] / stats["clock_hz"]
    return {"jobs": ima["mvms"], "wall_seconds": stats["wall_seconds"],
            "kernel_seconds": ima["kernel_seconds"],
            "kernel_fraction": ima["kernel_seconds"] / stats["wall_seconds"],
            "instructions": stats["instructions"], "cycles": stats["cycles"],
            "ima_busy_cycles": ima["busy_cycles"],
            "ima_simulated_gops": 2 * C * C * ima["mvms"] / busy_s / 1e9}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=H * W)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args()
    result = {"kernels": bench_kernels(args.jobs, args.repeat),
              "firmware_layer": bench_firmware(args.repeat)}
    report = sys.stderr if args.json == "-" else sys.stdout
    for name, k in result["kernels"].items():
        print(f"kernel {name:5}: {k['jobs']} jobs of 256x256 in {k['wall_seconds'] * 1e3:.2f} ms"
              f" = {k['us_per_job']:.2f} us/job ({k['gmac_per_s']:.1f} GMAC/s)", file=report)
    f = result["firmware_layer"]
    print(f"firmware layer: {f['jobs']} jobs, {f['instructions']:,} instructions, "
          f"{f['cycles']:,} cycles; wall {f['wall_seconds']:.3f} s, IMA kernels "
          f"{f['kernel_seconds'] * 1e3:.1f} ms = {100 * f['kernel_fraction']:.1f} % of the run; "
          f"IMA {f['ima_busy_cycles']:,} cycles = {f['ima_simulated_gops']:.0f} GOPS simulated",
          file=report)
    if args.json:
        write_json(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
