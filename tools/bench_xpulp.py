#!/usr/bin/env python3
"""XpulpV2 vs plain RV32IMC on the same int8 matmul, simulated, in one process.

usage: python tools/bench_xpulp.py [--json PATH|-] [--skip-probes]

Builds firmware/apps/bench_matmul_xpulp twice (iss cc --isa corev: cv.sdotsp.b, post-increment
loads, hardware loops; --isa rv32imc: the same algorithm in plain C), runs the XpulpV2 build
with each code-hook layout (`--code-hooks auto|span|split`, iss/custom_code.py), the plain build
with the simulator and on raw Unicorn (tools/bench_rv32.py's setup), and prints instructions,
seconds and simulated MIPS of each; the XpulpV2 build also as the process's first run (its hot
loop body compiled during the run, iss/loop_compiler.py; later runs find it compiled), with
the hardware-loop engine interpreting only (`--xpulp-engine interpret`) and off
(`--xpulp-engine off`), best of 3 runs each, same counts asserted, and the ratios to off.

Then the 8-core kernels (matmul_parallel, the paper's bottleneck in its `cores` mapping): MIPS
with the loop engine on, interpreting and off.

Then plain C (firmware/apps/bench_compute): built the default way (CORE-V) with its custom
instructions translated (iss/shadow.py, the default) and not, and built --isa rv32imc:
simulated cycles per wall second and their ratios (interleaved, best of 3 each).

Then "where the time goes" (unless --skip-probes): small generated loops that isolate
  - Unicorn's own cost of one hooked instruction (the same loop with an empty code hook:
    the limit of any hook-based design, docs/unicorn-notes.md),
  - what our hook adds for a cv.sdotsp.b and a cv.lw with post-increment,
  - a hardware-loop back-edge,
and the MIPS ceiling they imply for the benchmark's inner loop. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

from numba import cfunc, types

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import iss.custom_code as custom_code  # noqa: E402
from iss.jsonout import write_json  # noqa: E402
from iss.simulator import Simulator  # noqa: E402
from iss.toolchain import build_app, compile_firmware  # noqa: E402

APP = "bench_matmul_xpulp"
PROBE_ITERATIONS = 1_000_000
PROBE_BODY = 12                     # custom instructions per probe loop body


def simulate(elf: Path, code_hooks: str = "auto", engine: bool = True, repeat: int = 1,
             translate: bool = True, compile_loops: bool = True) -> dict:
    """Best of `repeat` runs (the machine is noisy)."""
    seconds = float("inf")
    for _ in range(repeat):
        sim = Simulator(elf, output=io.StringIO(), code_hooks=code_hooks, xpulp_engine=engine,
                        translate=translate, compile_loops=compile_loops)
        t0 = time.perf_counter()
        result = sim.run()
        seconds = min(seconds, time.perf_counter() - t0)
    n = result.stats["instructions"]
    return {"instructions": n, "seconds": seconds, "mips": n / seconds / 1e6,
            "cycles": result.stats["cycles"], "mcycles_per_second": result.stats["cycles"] / seconds / 1e6,
            "exit_code": result.exit_code,
            "code_hooks": len(sim.custom.ranges), "custom_sites": sim.custom.count}


PLAIN_C_APP = "bench_compute"      # int32 matmul + CRC-32 in plain C, no custom code by hand


ENGINE_MODES = (("on", True, True), ("interpreted", True, False), ("off", False, False))


def cluster_kernels(out: Path) -> dict:
    """The 8-core XpulpV2 kernels: matmul_parallel and the paper's bottleneck in its `cores`
    mapping (experiments/paper/bottleneck.py), MIPS with the loop engine on (hot bodies
    compiled), interpreting and off, interleaved, best of 3 each, counts asserted equal."""
    from iss_experiments.paper import bottleneck as bn
    kernels = {"matmul_parallel": (build_app("matmul_parallel", out / "corev", isa="corev"), None),
               "bottleneck-cores": (bn.build("cores"), bn.platform())}
    report = {}
    for name, (elf, platform) in kernels.items():
        rows = {}
        for _ in range(3):
            for mode, engine, compiled in ENGINE_MODES:
                sim = Simulator(elf, platform=platform, output=io.StringIO(), cores=8,
                                xpulp_engine=engine, compile_loops=compiled)
                t0 = time.perf_counter()
                result = sim.run()
                seconds = time.perf_counter() - t0
                if mode not in rows or seconds < rows[mode]["seconds"]:
                    rows[mode] = {"instructions": result.stats["instructions"],
                                  "cycles": result.stats["cycles"], "seconds": seconds,
                                  "mips": result.stats["instructions"] / seconds / 1e6}
        assert len({(r["instructions"], r["cycles"]) for r in rows.values()}) == 1, rows
        report[name] = {"rows": rows, "on_vs_off": rows["on"]["mips"] / rows["off"]["mips"]}
    return report


def plain_c(out: Path) -> dict:
    """The same plain C built the default way (CORE-V: the compiler emits post-increment
    loads/stores, beqimm, extends...) and as RV32IMC, simulated cycles per wall second;
    the CORE-V build with its custom instructions translated (default, iss/shadow.py) and
    not. Runs interleaved, best of 3 each, counts asserted equal."""
    elfs = {isa: build_app(PLAIN_C_APP, out / isa, isa=isa) for isa in ("corev", "rv32imc")}
    rows = {}
    for _ in range(3):
        for name, elf, translate in (("corev-translated", elfs["corev"], True),
                                     ("corev-not-translated", elfs["corev"], False),
                                     ("rv32imc", elfs["rv32imc"], True)):
            r = simulate(elf, translate=translate)
            if name not in rows or r["seconds"] < rows[name]["seconds"]:
                rows[name] = r
    assert rows["corev-translated"]["cycles"] == rows["corev-not-translated"]["cycles"]
    plain = rows["rv32imc"]
    ratios = {name + " / rv32imc, cycles per second": r["mcycles_per_second"] / plain["mcycles_per_second"]
              for name, r in rows.items() if name != "rv32imc"}
    ratios["translated / not translated, wall time"] = (rows["corev-not-translated"]["seconds"]
                                                        / rows["corev-translated"]["seconds"])
    ratios["rv32imc / corev-translated, wall time for the same program"] = (
        plain["seconds"] / rows["corev-translated"]["seconds"])
    return {"rows": rows, "ratios": ratios}


# ------------------------------------------------------------------ probes
# words from LLVM's encoder (firmware/build of the benchmark, `iss disasm`)
SDOTSP = ".word 0xa8969efb"         # cv.sdotsp.b t4, a3, s1
LW_POSTINC = ".word 0x0005268b"     # cv.lw a3, (a0), 0  (post-increment by 0: stays in bounds)
SETUP_T0 = ".word 0x0000472b | (5 << 15) | (((.Lend - .Lsetup) >> 2) << 20)"  # cv.setup 0, t0, .Lend


def _probe_source(body: str, hwloop: bool) -> str:
    lines = "\n".join(f"    {body}" for _ in range(PROBE_BODY))
    loop = (f".Lsetup: {SETUP_T0}\n{lines}\n.Lend:\n" if hwloop else
            f"1:\n{lines}\n    addi t0, t0, -1\n    bnez t0, 1b\n")
    return (".option norvc\n.text\n.globl main\nmain:\n"
            f"    li t0, {PROBE_ITERATIONS}\n    la a0, probe_data\n{loop}"
            "    li a0, 0\n    ret\n.section .l1_data, \"aw\", @progbits\nprobe_data: .space 16\n")


PROBES = {   # name: (loop body instruction, hardware loop?)
    "branch-loop-sdotsp": (SDOTSP, False),
    "branch-loop-lw": (LW_POSTINC, False),
    "hw-loop-sdotsp": (SDOTSP, True),
}


@cfunc(types.void(types.uintp, types.uint64, types.uint32, types.voidptr))
def _empty_hook(uc, address, size, user_data):
    return


def _time_probe(elf: Path, empty_hook: bool = False) -> float:
    """Best of three runs, ns per loop iteration."""
    real = custom_code.code_hook
    custom_code.code_hook = _empty_hook if empty_hook else real   # measurement only
    try:
        best = float("inf")
        for _ in range(3):
            sim = Simulator(elf, output=io.StringIO(), cores=1)
            t0 = time.perf_counter()
            sim.run()
            best = min(best, time.perf_counter() - t0)
    finally:
        custom_code.code_hook = real
    return best / PROBE_ITERATIONS * 1e9


def probes(out: Path) -> dict:
    """Each probe loop has PROBE_BODY custom instructions, all behind the one code hook;
    the branch loops add addi + bnez (also in the hook's range)."""
    out.mkdir(parents=True, exist_ok=True)
    elfs = {}
    for name, (body, hwloop) in PROBES.items():
        src = out / f"probe_{name}.S"
        src.write_text(_probe_source(body, hwloop))
        elfs[name] = compile_firmware([src], out / f"probe_{name}.elf", isa="corev")
    ns = {name: _time_probe(elf) for name, elf in elfs.items()}
    empty = _time_probe(elfs["branch-loop-sdotsp"], empty_hook=True)
    per_hooked = empty / (PROBE_BODY + 2)
    return {
        "unicorn_ns_per_hooked_instruction": per_hooked,
        "hook_ns_per_sdotsp": (ns["branch-loop-sdotsp"] - empty) / PROBE_BODY,
        "hook_ns_per_lw_postinc": (ns["branch-loop-lw"] - empty) / PROBE_BODY,
        "back_edge_ns": ns["hw-loop-sdotsp"] - ns["branch-loop-sdotsp"] + 2 * per_hooked,
        "loop_ns": {**ns, "branch-loop-sdotsp-empty-hook": empty},
    }


def ceiling(p: dict, loads: int = 6, dots: int = 8) -> dict:
    """The benchmark's inner loop (loads x cv.lw, dots x cv.sdotsp.b, one back-edge) at the
    measured costs, and with a hook that does nothing (Unicorn's limit)."""
    n = loads + dots
    with_hook = (n * p["unicorn_ns_per_hooked_instruction"] + loads * p["hook_ns_per_lw_postinc"]
                 + dots * p["hook_ns_per_sdotsp"] + p["back_edge_ns"])
    limit = n * p["unicorn_ns_per_hooked_instruction"] + p["back_edge_ns"]
    return {"inner_loop_ns": with_hook, "inner_loop_mips": n / with_hook * 1e3,
            "unicorn_limit_mips": n / limit * 1e3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write the numbers as JSON ('-': stdout)")
    parser.add_argument("--skip-probes", action="store_true", help="only the benchmark rows")
    args = parser.parse_args()
    out = REPO / "firmware" / "build"
    elfs = {isa: build_app(APP, out / isa, isa=isa) for isa in ("corev", "rv32imc")}
    # the first run of this process: the hot loop body is compiled during it (~30 ms,
    # iss/loop_compiler.py); later runs find it compiled
    first = simulate(elfs["corev"], "auto", True)
    # the hardware-loop engine (iss/hwloop_engine.py): on (default: hot bodies compiled),
    # interpreting only, and off
    engine_on = simulate(elfs["corev"], "auto", True, repeat=3)
    interpreted = simulate(elfs["corev"], "auto", True, repeat=3, compile_loops=False)
    engine_off = simulate(elfs["corev"], "auto", False, repeat=3)
    for other in (first, interpreted, engine_off):
        assert (engine_on["instructions"], engine_on["cycles"]) == (other["instructions"],
                                                                    other["cycles"])
    rows = {"iss-corev-auto": engine_on,                          # the default
            "iss-corev-first-run": first,
            "iss-corev-interpreted": interpreted,
            "iss-corev-engine-off": engine_off,
            "iss-corev-span": simulate(elfs["corev"], "span"),
            "iss-corev-split": simulate(elfs["corev"], "split"),
            "iss-rv32imc": simulate(elfs["rv32imc"])}
    from bench_rv32 import measure_raw
    raw = measure_raw(elfs["rv32imc"], virtual_tlb=True)
    n = rows["iss-rv32imc"]["instructions"]   # raw Unicorn counts nothing: same code path
    rows["raw-unicorn-rv32imc"] = {"instructions": n, "seconds": raw["seconds"],
                                   "mips": n / raw["seconds"] / 1e6}
    report = {"rows": rows,
              "instruction_ratio": n / rows["iss-corev-auto"]["instructions"],
              "engine_speedup": engine_on["mips"] / engine_off["mips"],
              "first_run_speedup": first["mips"] / engine_off["mips"],
              "interpreted_speedup": interpreted["mips"] / engine_off["mips"]}
    report["plain_c"] = plain_c(out)
    report["cluster"] = cluster_kernels(out)
    if not args.skip_probes:
        report["probes"] = probes(out / "probes")
        report["ceiling"] = ceiling(report["probes"])
    text = sys.stderr if args.json == "-" else sys.stdout
    print(f"{'run':22s} {'instructions':>14s} {'seconds':>9s} {'MIPS':>8s}", file=text)
    for name, r in rows.items():
        print(f"{name:22s} {r['instructions']:14,d} {r['seconds']:9.3f} {r['mips']:8.1f}", file=text)
    print(f"instruction-count ratio plain / XpulpV2: {report['instruction_ratio']:.2f}x", file=text)
    print(f"hardware-loop engine on / off (same run, best of 3 each): "
          f"{report['engine_speedup']:.2f}x; first run of the process (compiling) / off: "
          f"{report['first_run_speedup']:.2f}x; interpreted / off: "
          f"{report['interpreted_speedup']:.2f}x", file=text)
    print(f"plain C ({PLAIN_C_APP}), simulated Mcycles per second (best of 3):", file=text)
    for name, r in report["plain_c"]["rows"].items():
        print(f"  {name:30s} {r['cycles']:13,d} cycles {r['mcycles_per_second']:8.1f}", file=text)
    for name, value in report["plain_c"]["ratios"].items():
        print(f"  {name}: {value:.2f}", file=text)
    print("8 cores, MIPS with the loop engine on / interpreting / off (best of 3):", file=text)
    for name, r in report["cluster"].items():
        mips = " / ".join(f"{r['rows'][mode]['mips']:.1f}" for mode, _, _ in ENGINE_MODES)
        print(f"  {name:18s} {r['rows']['on']['instructions']:13,d} instructions  {mips}"
              f"  (on / off {r['on_vs_off']:.2f}x)", file=text)
    if "probes" in report:
        p, c = report["probes"], report["ceiling"]
        print("where the time goes (ns):", file=text)
        print(f"  Unicorn, per hooked instruction (empty hook): {p['unicorn_ns_per_hooked_instruction']:6.1f}",
              file=text)
        print(f"  our hook, cv.sdotsp.b:                        {p['hook_ns_per_sdotsp']:6.1f}", file=text)
        print(f"  our hook, cv.lw post-increment:               {p['hook_ns_per_lw_postinc']:6.1f}", file=text)
        print(f"  hardware-loop back-edge:                      {p['back_edge_ns']:6.1f}", file=text)
        print(f"inner loop (6 cv.lw + 8 cv.sdotsp.b + back-edge): {c['inner_loop_ns']:.0f} ns = "
              f"{c['inner_loop_mips']:.1f} MIPS; with an empty hook (Unicorn's limit): "
              f"{c['unicorn_limit_mips']:.1f} MIPS", file=text)
    if args.json:
        write_json(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
