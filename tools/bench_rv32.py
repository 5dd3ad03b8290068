#!/usr/bin/env python3
"""Speed of the simulator on plain RV32IMC code, against raw Unicorn on the same ELF.

usage: python tools/bench_rv32.py [--app bench_compute] [--out DIR] [--json PATH|-]
                                  [--skip-default-tlb] [--skip-startup]

Measures, in one process, on firmware/apps/<app> built with --isa rv32imc:
  raw-virtual-tlb  Unicorn RV32 alone: memories mapped with uc_mem_map_ptr, MMIO pages
                   with uc_mmio_map, UC_TLB_VIRTUAL + iss.hooks.tlb_fill_hook (the same
                   policy as the simulator), no block/code hooks; runs to the EOC store.
  raw-default-tlb  the same with Unicorn's default (CPU) TLB mode and no TLB hook:
                   stores to pages that hold code take the slow path (why iss changed it).
  iss              iss.simulator.Simulator(...).run() with exact instruction counting.
Raw Unicorn counts nothing: its instruction count is taken from the iss run (same code
path, same EOC store). Then the start-up time of `iss run hello.elf` in a subprocess,
cold (numba cache files *.nbi/*.nbc under iss/ deleted first) and warm (second run).

Nothing is asserted: numbers are printed (and written as JSON with --json).
"""
from __future__ import annotations

import argparse
import ctypes
import io
import platform as host_platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
try:
    import iss  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(REPO))

import unicorn
from unicorn import Uc, UcError
from unicorn import unicorn_const as UC
from unicorn.unicorn_py3.unicorn import uc_hook_h, uclib

from iss import hooks, toolchain
from iss.bus import PAGE
from iss.elf import load_elf
from iss.memory import SharedMemory
from iss.platform import load_platform
from iss.jsonout import write_json
from iss.simulator import Simulator

EOC_OFFSET = 0xA0          # soc_ctrl CORESTATUS
EOC_BIT = 1 << 31


# ------------------------------------------------------------------ raw Unicorn

class RawRun:
    """One ELF on a bare Unicorn RV32 engine, the simulator's memory map, no counting."""

    def __init__(self, elf_path: Path, virtual_tlb: bool):
        self.platform = load_platform(None)
        self.image = load_elf(elf_path)
        self.memory = SharedMemory(self.platform)      # page flags + numpy buffers
        self.memory.load(self.image)
        self.uc = Uc(UC.UC_ARCH_RISCV, UC.UC_MODE_RISCV32)
        self._keep = []                                # ctypes callbacks must stay alive
        if virtual_tlb:
            self.uc.ctl_set_tlb_mode(UC.UC_TLB_VIRTUAL)
            handle = uc_hook_h()
            status = uclib.uc_hook_add(self.uc._uch, ctypes.byref(handle), UC.UC_HOOK_TLB_FILL,
                                       ctypes.c_void_p(hooks.tlb_fill_hook.address),
                                       ctypes.c_void_p(self.memory.page_flags.ctypes.data), 1, 0)
            if status != UC.UC_ERR_OK:
                raise UcError(status)
        for spec in self.platform.memories:
            self.uc.mem_map_ptr(spec.base, spec.size, UC.UC_PROT_ALL,
                                self.memory.buffers[spec.name].ctypes.data)
        self.output = bytearray()
        self.exit_status = None
        pages = {}
        for p in self.platform.peripherals:
            pages.setdefault(p.base & ~(PAGE - 1), p)
        for page, p in pages.items():
            self.uc.mmio_map(page, PAGE, self._read, None, self._writer(page, p.plugin), None)

    def _read(self, uc, offset, size, user_data):
        return 0

    def _writer(self, page, plugin):
        def write(uc, offset, size, value, user_data):
            if plugin == "stdout":
                self.output.append(value & 0xFF)
            elif plugin == "soc_ctrl" and offset == EOC_OFFSET and value & EOC_BIT:
                self.exit_status = value & 0x7FFFFFFF
                uc.emu_stop()
        return write

    def run(self) -> float:
        t0 = time.perf_counter()
        self.uc.emu_start(self.image.entry, 0)
        return time.perf_counter() - t0


def measure_raw(elf: Path, virtual_tlb: bool) -> dict:
    raw = RawRun(elf, virtual_tlb)
    seconds = raw.run()
    return {"seconds": seconds, "exit_status": raw.exit_status,
            "output": raw.output.decode(errors="replace")}


def measure_iss(elf: Path) -> dict:
    out = io.StringIO()
    sim = Simulator(elf, output=out)
    result = sim.run()
    return {"seconds": result.stats["wall_seconds"], "instructions": result.stats["instructions"],
            "exit_status": result.exit_code, "stop_reason": result.stop.reason,
            "output": out.getvalue()}


# ------------------------------------------------------------------ start-up

def iss_command() -> list[str]:
    exe = shutil.which("iss")
    return [exe] if exe else [sys.executable, "-m", "iss.cli"]


def delete_numba_cache() -> int:
    pkg = Path(hooks.__file__).resolve().parent
    n = 0
    for pattern in ("*.nbi", "*.nbc"):
        for f in pkg.rglob(pattern):
            f.unlink()
            n += 1
    return n


def measure_startup(elf: Path) -> dict:
    cmd = [*iss_command(), "run", str(elf), "--quiet"]
    deleted = delete_numba_cache()
    res = {"command": " ".join(cmd), "cache_files_deleted": deleted}
    for label in ("cold", "warm", "warm2"):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        res[f"{label}_seconds"] = time.perf_counter() - t0
        res[f"{label}_exit_code"] = r.returncode
    return res


# ------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--app", default="bench_compute")
    ap.add_argument("--out", type=Path, default=toolchain.firmware_dir() / "build" / "rv32imc",
                    help="build directory (default: firmware/build/rv32imc)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON ('-' for stdout)")
    ap.add_argument("--skip-default-tlb", action="store_true")
    ap.add_argument("--skip-startup", action="store_true")
    args = ap.parse_args(argv)

    elf = toolchain.build_app(args.app, args.out, isa="rv32imc")
    hello = toolchain.build_app("hello", args.out, isa="rv32imc")
    log = sys.stderr if args.json == "-" else sys.stdout

    results = {"schema": "iss-bench-rv32/1", "app": args.app, "elf": str(elf),
               "python": sys.version.split()[0], "unicorn": unicorn.__version__,
               "machine": host_platform.machine(), "runs": {}}

    # iss first: it also JIT-compiles/loads the numba hooks used by the raw runs
    runs = results["runs"]
    runs["iss"] = measure_iss(elf)
    instructions = runs["iss"]["instructions"]
    runs["raw-virtual-tlb"] = measure_raw(elf, virtual_tlb=True)
    if not args.skip_default_tlb:
        runs["raw-default-tlb"] = measure_raw(elf, virtual_tlb=False)
    for _name, r in runs.items():
        r["instructions"] = instructions
        r["mips"] = instructions / r["seconds"] / 1e6
        if r["output"] != runs["iss"]["output"] or r["exit_status"] != runs["iss"]["exit_status"]:
            r["warning"] = "output or exit status differs from the iss run"
    base = runs["raw-virtual-tlb"]["seconds"]
    for r in runs.values():
        r["time_vs_raw_virtual_tlb"] = r["seconds"] / base

    print(f"app {args.app} ({elf}), rv32imc, {instructions:,} instructions; "
          f"Unicorn {unicorn.__version__}, Python {results['python']}, {results['machine']}", file=log)
    print(f"firmware output: {runs['iss']['output'].strip()!r}", file=log)
    print(f"{'run':<18}{'instructions':>14}{'seconds':>10}{'MIPS':>9}{'time/raw':>10}", file=log)
    for name in ("raw-virtual-tlb", "raw-default-tlb", "iss"):
        if name in runs:
            r = runs[name]
            print(f"{name:<18}{r['instructions']:>14,}{r['seconds']:>10.3f}{r['mips']:>9.1f}"
                  f"{r['time_vs_raw_virtual_tlb']:>10.2f}{'  ' + r['warning'] if 'warning' in r else ''}",
                  file=log)
    results["iss_over_raw"] = runs["iss"]["seconds"] / base

    if not args.skip_startup:
        st = measure_startup(hello)
        results["startup"] = st
        print(f"start-up: {st['command']}", file=log)
        print(f"  cold (deleted {st['cache_files_deleted']} numba cache files): "
              f"{st['cold_seconds']:.2f} s (exit {st['cold_exit_code']})", file=log)
        print(f"  warm: {st['warm_seconds']:.2f} s, {st['warm2_seconds']:.2f} s "
              f"(exit {st['warm_exit_code']})", file=log)

    for r in runs.values():
        r.pop("output", None)
    if args.json:
        write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
