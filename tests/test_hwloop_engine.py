"""The hardware-loop engine (iss/hwloop_engine.py) changes nothing but speed.

Every firmware with hardware loops runs with the engine on and off (Simulator
xpulp_engine=True/False, `iss run --xpulp-engine on|off`); the two runs must agree on
the firmware's output, the exit code, instructions and cycles (cluster and per hart),
per-hart stalls and events, the stop (reason, PC, message) and every hart's registers.
Also stopped by --max-instructions at a seeded set of limits, many of which land in
loops the engine runs (it must hand the last iterations back so the stop is exact).
"""
from __future__ import annotations

import io
import random

import pytest
import test_xpulp_engine as xe

from iss.hart_state import CTX_GPR
from iss.hwloop_engine import B_NATIVE, CTX_HWLOOP_RUN
from iss.simulator import Simulator

APPS = ["xpulp_selftest", "kernels_selftest", "bench_matmul_xpulp", "matmul_parallel"]
ISA_TESTS = ["timing_hwloop"]
SEED = 15
LIMITS = 20


MODES = ("interpret", "compiled")     # the engine's two ways to run a body


def fingerprint(elf, engine, cores=1, max_instructions=None, isa="auto"):
    """engine: None (off), "interpret" (never compiled) or "compiled" (every body
    compiled before the run, iss/loop_compiler.py)."""
    out = io.StringIO()
    sim = Simulator(elf, output=out, cores=cores, isa=isa, xpulp_engine=engine is not None,
                    compile_loops=engine == "compiled")
    if engine == "compiled":
        sim.custom.engine.compile_all()
        engine = sim.custom.engine
        assert all(engine.bodies[:len(engine.loops), B_NATIVE] > 0), "a body was not compiled"
    result = sim.run(max_instructions=max_instructions)
    stats = {k: v for k, v in result.stats.items() if k not in ("wall_seconds", "mips", "energy")}
    stats["energy"] = result.stats.get("energy")
    registers = [[hart.reg(i) for i in range(32)] + [hart.pc] for hart in sim.harts]
    # the engine needs the register file's address (iss.regfile.locate_gpr), else it stays off
    ran = (sum(int(hart.ctx[CTX_HWLOOP_RUN]) for hart in sim.harts)
           if all(hart.ctx[CTX_GPR] != 0 for hart in sim.harts) else None)
    stop = (result.stop.reason, result.stop.pc, result.stop.message)
    return {"stdout": out.getvalue(), "exit": result.exit_code, "stats": stats,
            "registers": registers, "stop": stop}, ran


def assert_same(elf, cores, max_instructions=None, isa="auto", need_engine=False):
    """The engine off, interpreting and compiled agree; returns (instructions, iterations
    the engine ran)."""
    off, ran_off = fingerprint(elf, None, cores, max_instructions, isa)
    assert not ran_off
    runs = []
    for mode in MODES:
        on, ran_on = fingerprint(elf, mode, cores, max_instructions, isa)
        if need_engine and ran_on is not None:
            assert ran_on > 0, "the engine ran no iteration"
        for key in off:
            assert on[key] == off[key], \
                f"{key} differs ({mode}, limit {max_instructions}, {cores} cores)"
        runs.append(ran_on)
    if None not in runs:            # (None: a hart without the register file's address)
        assert runs[0] == runs[1], "the compiled bodies ran other iterations than the interpreter"
    return off["stats"]["instructions"], runs[0]


@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("name", APPS + ISA_TESTS)
def test_full_runs_identical(firmware_elf, name, cores):
    elf = firmware_elf(name)
    assert_same(elf, cores, need_engine=name != "matmul_parallel" or cores == 8)


@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("name", APPS + ISA_TESTS)
def test_instruction_limits_identical(firmware_elf, name, cores):
    """A seeded sweep of --max-instructions stops; most land inside engine-run loops."""
    elf = firmware_elf(name)
    total, _ = fingerprint(elf, None, cores)
    total = total["stats"]["instructions"]
    rng = random.Random(f"{SEED}-{name}-{cores}")
    count = LIMITS if total < 5_000_000 else LIMITS // 4     # the long benchmark: fewer
    limits = sorted({rng.randrange(1, total) for _ in range(count)})
    for limit in limits:
        assert_same(elf, cores, max_instructions=limit)


@pytest.mark.parametrize("flavour", xe.FLAVOURS)
def test_isa_hwloop_blocks_identical(tmp_path, flavour):
    """The hardware-loop cases of the ISA tests (nested, shared ends, RVC bodies, custom
    instructions last, post-increment loads), both encodings, every limit in the run."""
    blocks = xe.hwloop_blocks(flavour)
    elf = xe.build(tmp_path, f"hwloop_{flavour}", xe.delta_program([b[0] for b in blocks]), flavour)
    total, ran = assert_same(elf, 1, isa=flavour, need_engine=True)
    rng = random.Random(f"{SEED}-{flavour}")
    for limit in sorted({rng.randrange(1, total) for _ in range(LIMITS)}):
        assert_same(elf, 1, max_instructions=limit, isa=flavour)


def test_iteration_stopped_by_a_peripheral_is_undone_and_run_once(tmp_path):
    """An iteration that reaches a peripheral after a store is undone (the store, then the
    registers) and left to the normal path: each iteration increments a counter in memory,
    so one run twice would show. Iteration 5 of 8 loads from a peripheral (SoC control
    CORESTATUS, reads 0); the engine runs iterations 1-4 and 6 (the first and the last are
    the normal path's, and the 5th is rolled back)."""
    body = """
    la a1, counter
    la a6, table
    .word {setupi:#010x}
    cv.lw t1, (a6), 4
    lw t0, 0(a1)
    addi t0, t0, 1
    sw t0, 0(a1)
    lw a4, 0(t1)
    add a2, a2, a4
    lw a3, 0(a1)""".format(setupi=xe.cv_lp("setupi", 0, value=8, offset=4 + 6 * 4))
    data = """
    .data
    .balign 4
values: .word 1, 2, 4, 8, 16, 32, 64, 128
table: .word values, values+4, values+8, values+12, values+16, 0x1A1040C0, values+24, values+28
counter: .word 0
"""
    elf = xe.build(tmp_path, "rollback", xe.delta_program([body]) + data, "corev")
    for cores in (1, 8):
        _, ran = assert_same(elf, cores, isa="corev")
        sim = Simulator(elf, output=io.StringIO(), cores=cores, isa="corev")
        assert sim.run().stop.reason == "exit"
        deltas, regs = xe.read_block_results(sim, 1)
        assert regs[0]["a3"] == 8, "the counter: each iteration once"
        assert regs[0]["a2"] == 255 - 32, "the peripheral reads 0 in iteration 5"
        assert deltas[0] == 2 + 2 + 1 + 8 * 6 + 1
        if ran is not None:                 # main runs on core 0 only
            assert ran == 5


def test_switch_in_help():
    import subprocess
    import sys
    text = subprocess.run([sys.executable, "-c", "from iss.cli import main; main()", "run",
                           "--help"], capture_output=True, text=True).stdout
    assert "--xpulp-engine" in text
