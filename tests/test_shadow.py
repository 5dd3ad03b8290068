"""Translated custom instructions (iss/shadow.py) change nothing but speed.

Every shipped app and ISA test runs to its end with the translated copy of its code and
with the original code only (`translate=False`, the custom instructions trapped or behind
the code hook as before): the same stop, exit status, output, statistics (instructions,
cycles, per-hart stalls and events) and registers, on 1 and 8 cores; and on one core also
when an instruction limit stops the run at many points (inside translated sequences too).
(With several cores running, a global instruction limit falls where the harts' turns
have brought each: the turns end at block starts, which the copy places a little
differently, so only the total is the same there.)
firmware/isa_tests/translate_forms.S checks every translated form against values worked
out by hand.
"""
from __future__ import annotations

import io
import random

import pytest

from iss import toolchain
from iss.simulator import Simulator

FIRMWARE = toolchain.firmware_dir()
APPS = sorted(p.name for p in (FIRMWARE / "apps").iterdir() if p.is_dir())
ISA_TESTS = sorted(p.stem for p in (FIRMWARE / "isa_tests").glob("*.S"))
HOST_TIME = ("wall_seconds", "mips", "kernel_seconds")     # host time, not simulated


def _simulated(value):
    """The stats without what measures the host."""
    if isinstance(value, dict):
        return {k: _simulated(v) for k, v in value.items() if k not in HOST_TIME}
    if isinstance(value, list):
        return [_simulated(v) for v in value]
    return value


def _run(elf, translate: bool, cores: int, limit: int | None = None):
    out = io.StringIO()
    sim = Simulator(elf, output=out, cores=cores, translate=translate)
    result = sim.run(max_instructions=limit)
    stats = _simulated(result.stats)
    registers = [[h.reg(i) for i in range(32)] for h in sim.harts]
    where = sim.describe_stop(result.stop) if result.stop.reason != "exit" else ""
    return (result.stop.reason, result.stop.pc, result.stop.message, result.exit_code, where,
            out.getvalue(), registers, stats), sim


def _assert_same(elf, cores: int, limit: int | None = None) -> Simulator:
    original, _ = _run(elf, False, cores, limit)
    translated, sim = _run(elf, True, cores, limit)
    names = ("stop", "pc", "message", "exit code", "report", "output", "registers", "stats")
    for name, a, b in zip(names, original, translated, strict=True):
        assert a == b, f"{elf.name}: {name} differs with the translated code"
    return sim


@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("name", APPS + ISA_TESTS)
def test_translation_changes_nothing(firmware_elf, name, cores):
    # every firmware ends well within the limit, but flag_pingpong on one core waits forever
    # for its partner (a limit stop on one core is exact too)
    _assert_same(firmware_elf(name), cores, 20_000_000 if cores == 1 else None)


@pytest.mark.parametrize("name", ["translate_forms", "xpulp_selftest", "kernels_selftest",
                                  "bench_compute", "dma_copy"])
def test_instruction_limits_stop_exactly(firmware_elf, name):
    """A seeded sweep of --max-instructions limits (every instruction boundary of the
    first few hundred, then random ones): the same state as without translation."""
    elf = firmware_elf(name)
    total = _run(elf, False, 1)[0][7]["instructions"]
    rng = random.Random(name)
    limits = sorted({*range(1, min(total, 300), 7), *(rng.randrange(1, total) for _ in range(12))})
    for limit in limits:
        _assert_same(elf, 1, limit)


def test_translated_forms_compute_what_the_manual_says(firmware_elf):
    (_, _, _, exit_code, *_), sim = _run(firmware_elf("translate_forms"), True, 1)
    assert sim.custom.translation == "on"
    assert exit_code == 0, f"check {exit_code} of translate_forms.S failed"


def test_the_hot_loop_of_plain_c_leaves_no_custom_instruction_behind(firmware_elf):
    """bench_compute (plain C, built the default CORE-V way): every custom instruction
    it executes more than a few times runs translated."""
    sim = Simulator(firmware_elf("bench_compute"), output=io.StringIO(), cores=1)
    sim.run(max_instructions=20_000_000)
    counts = sim.timing.execution_counts(sim.harts[0].executed)
    left = {hex(pc): int(counts[(pc - sim.custom.base) >> 1]) for pc in sim.custom.originals}
    assert sim.custom.translated
    assert max(left.values(), default=0) <= 10, left


def test_fault_inside_a_translated_instruction_reports_the_original(tmp_path):
    source = tmp_path / "fault.S"
    source.write_text("    .globl main\nmain:\n    li a1, 0x40000000\n"
                      "    cv.lw a2, (a1), 4\n    li a0, 0\n    ret\n")
    elf = toolchain.compile_firmware([source], tmp_path / "fault.elf")
    (reason, pc, message, _, report, *_), sim = _run(elf, True, 1)
    assert sim.custom.translation == "on" and pc in sim.custom.translated
    assert reason == "fault" and "0x40000000" in message
    assert f"0x{pc:08x}" in report and "cv.lw" in report
    _assert_same(elf, 1)


def test_run_to_leaves_the_translation(firmware_elf):
    """run_to's breakpoint is in the original code: the harts leave the copy first."""
    elf = firmware_elf("translate_forms")
    sim = Simulator(elf, output=io.StringIO(), cores=1)
    sim.run(max_instructions=150)
    stop = sim.run_to("leaf")
    assert stop.reason == "breakpoint" and stop.pc == sim.image.symbols["leaf"]
    assert sim.custom.translation == "off" and not sim.custom.translated
    assert sim.run().exit_code == 0


def test_cli_switch(firmware_elf, tmp_path):
    import json
    import subprocess
    import sys
    elf = firmware_elf("translate_forms")
    stats = {}
    for mode in ("on", "off"):
        out = tmp_path / f"{mode}.json"
        r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--translate", mode,
                            "--json", str(out)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        stats[mode] = _simulated(json.loads(out.read_text()))
    assert stats["on"] == stats["off"]
