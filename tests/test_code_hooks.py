"""How custom instructions are hooked changes speed only, never results.

The layouts (`--code-hooks auto|span|split`, iss/hook_layout.py) and the two ways a hook
jumps (the direct redirect found by iss.regfile.redirect_layout, or uc_reg_write(PC))
must give the same output, exit code, instruction and cycle counts and stall breakdown
on firmware that uses custom instructions, hardware loops (nested, counts 1..N), taken
immediate branches and emulated CSRs. The reference for each firmware is its own
self-check (exit 0) plus agreement between all four configurations.

A peripheral register access is timed at the accessing instruction in every layout:
inside MMIO callbacks the PC is restored from QEMU's own record (iss.regfile.io_pc_layout;
Unicorn alone synchronises it only at hooked instructions), so the 8-core runs agree
exactly too.
"""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

import iss.custom_code as custom_code
from iss.regfile import redirect_layout
from iss.simulator import Simulator

FIRMWARE = [("xpulp_selftest", 1), ("kernels_selftest", 1), ("matmul_parallel", 8), ("cluster_barrier", 8),
            ("timing_hwloop", 1), ("count_loop", 1)]


def _run(elf, cores, layout, redirect=True, monkeypatch=None):
    """(exit code, output, instructions, cycles, per-hart (instructions, cycles, stalls),
    number of code hooks)"""
    if not redirect:
        monkeypatch.setattr(custom_code, "redirect_layout", lambda: None)
    out = io.StringIO()
    sim = Simulator(elf, output=out, cores=cores, code_hooks=layout)
    result = sim.run()
    if not redirect:
        monkeypatch.undo()
    s = result.stats
    per_hart = [(h["instructions"], h["cycles"], h["stalls"]) for h in s["harts"]]
    return (result.exit_code, out.getvalue(), s["instructions"], s["cycles"], per_hart,
            len(sim.custom.ranges))


@pytest.mark.parametrize("name,cores", FIRMWARE)
def test_layouts_and_jumps_agree(firmware_elf, monkeypatch, name, cores):
    elf = firmware_elf(name)
    runs = {(layout, redirect): _run(elf, cores, layout, redirect, monkeypatch)
            for layout in ("span", "split") for redirect in (True, False)}
    runs[("auto", True)] = _run(elf, cores, "auto")
    reference = runs[("split", False)]       # the layout and jump of the previous releases
    assert reference[0] == 0, f"{name} fails its own self-check"
    for key, run in runs.items():
        assert run[:5] == reference[:5], f"{name}: {key} differs from split + uc_reg_write"
    assert runs[("span", True)][5] == 1      # span: exactly one code hook (inline dispatch)


@pytest.mark.parametrize("name,cores,isa,layout", [
    ("bench_matmul_xpulp", 1, "corev", "span"),   # cv.lw/cv.sdotsp.b loops in one function
    ("bench_parallel", 8, "corev", "split"),      # hot loops: plain RV32 between the runs
])
@pytest.mark.parametrize("host_slice_seconds", [0.0, 1e6])
def test_auto_layout_choice(firmware_elf, monkeypatch, name, cores, isa, layout,
                            host_slice_seconds):
    """auto keeps the span for an XpulpV2 kernel and splits it for a program whose hot
    loops are ordinary instructions inside the span, decided from the execution counts
    at exactly AUTO_SAMPLE instructions: the same whether the host's slices are as
    short (0 s: 100,000 instructions) or as long (200 M) as the scheduler allows."""
    import iss.scheduler
    monkeypatch.setattr(iss.scheduler, "SLICE_SECONDS", host_slice_seconds)
    # the hook layouts of the original code (translated sites need no hook: iss/shadow.py)
    sim = Simulator(firmware_elf(name, isa), output=io.StringIO(), cores=cores, translate=False)
    assert sim.run().exit_code == 0
    assert sim.custom.layout == layout


def test_auto_rehook_mid_run_changes_nothing(firmware_elf):
    """bench_compute's hot loops have custom instructions outside the initial span: auto
    re-hooks a wider span after AUTO_SAMPLE instructions (hooks removed and added, sites
    re-patched, translations flushed), and the run goes on exactly as with split."""
    elf = firmware_elf("bench_compute")
    results = {}
    for layout in ("auto", "split"):
        sim = Simulator(elf, output=io.StringIO(), cores=1, code_hooks=layout, translate=False)
        stats = sim.run(max_instructions=12_000_000).stats
        results[layout] = (stats["instructions"], stats["cycles"], stats["harts"][0]["stalls"])
        if layout == "auto":
            assert sim.custom.layout == "wide span" and len(sim.custom.ranges) == 1
    assert results["auto"] == results["split"]


def test_breakpoint_survives_the_auto_rehook(firmware_elf):
    """A breakpoint set before auto re-hooks (bench_compute reaches printf only at its end,
    ~190 M instructions) still stops there."""
    from iss.debugger.target import DebugTarget
    target = DebugTarget(firmware_elf("bench_compute"), output=io.StringIO(), cores=1)
    printf = target.resolve("printf")
    target.add_breakpoint(printf)
    event = target.cont()
    assert (event.reason, event.pc) == ("breakpoint", printf)
    assert target.sim.custom.layout == "wide span"


def test_results_do_not_depend_on_locating_the_register_file(firmware_elf, monkeypatch):
    """iss.regfile.locate_gpr searches memory and may miss for some engine; that may cost
    speed (registers through the C API, jumps through uc_reg_write) but never timing:
    peripheral accesses are still timed at the accessing instruction."""
    elf = firmware_elf("matmul_parallel")
    reference = _run(elf, 8, "split", True, monkeypatch)
    monkeypatch.setattr(custom_code, "locate_gpr", lambda uc: None)
    assert _run(elf, 8, "split")[:5] == reference[:5]


def test_io_pc_layout_found_on_the_pinned_unicorn():
    """Exact PCs inside MMIO callbacks with the pinned Unicorn (2.1.4)."""
    from iss.regfile import io_pc_layout
    layout = io_pc_layout()
    assert layout is not None and layout.cpu_pointer_in_uc > 0 and layout.mem_io_pc_offset > 0


def test_io_pc_layout_tries_other_scratch_engines(monkeypatch):
    """Without the layout a register access would be timed at its block's start, and a run
    would depend on whether the probe succeeded in that process (seen: a DMA transfer 3
    cycles early in one of two identical runs). A probe that cannot tell the fields apart,
    or meets a surprise, is retried on another scratch engine, the failed ones kept alive
    so the next lies elsewhere in memory."""
    import iss.regfile as regfile
    real, calls = regfile._find_io_pc_layout, []

    def failing_first(tried):
        calls.append(len(tried))
        if len(calls) <= 4:
            tried.append(object())
            if len(calls) % 2:
                raise OSError("unreadable")
            return None
        return real(tried)
    monkeypatch.setattr(regfile, "_find_io_pc_layout", failing_first)
    assert regfile.io_pc_offsets() is not None      # in this process, to see the calls
    assert calls == [0, 1, 2, 3, 4]                 # each try sees the engines of the ones before


def test_a_probe_that_crashes_or_hangs_costs_a_retry_not_the_process(tmp_path, monkeypatch):
    """The probes write through guessed host addresses; a wrong guess once killed about one
    process in 150 (SIGSEGV). They run in forked children: a child that dies or hangs is
    replaced by another (after different ballast), and this process carries on."""
    import os
    import signal

    import iss.regfile as regfile
    monkeypatch.setattr(regfile, "PROBE_TIMEOUT_S", 2.0)
    marks = tmp_path / "tries"

    def flaky():
        marks.open("a").write("x")
        tries = len(marks.read_text())
        if tries == 1:
            os.kill(os.getpid(), signal.SIGSEGV)
        if tries == 2:
            while True:
                pass
        return regfile.io_pc_offsets()
    assert regfile.probe_in_child(flaky) == regfile.io_pc_offsets()
    assert len(marks.read_text()) == 3


def test_a_probe_that_never_succeeds_gives_none_and_a_warning(monkeypatch, caplog):
    import iss.regfile as regfile
    monkeypatch.setattr(regfile, "io_pc_offsets", lambda: None)
    regfile.io_pc_layout.cache_clear()
    try:
        assert regfile.io_pc_layout() is None
        assert "mem_io_pc" in caplog.text
    finally:
        regfile.io_pc_layout.cache_clear()
    assert regfile.probe_in_child(lambda: 1 // 0) is None     # every child died: C API paths


def test_redirect_layout_found_on_the_pinned_unicorn():
    """The fast in-hook jump is available with the Unicorn version pyproject pins (2.1.4);
    without it hardware-loop back-edges cost ~2x more (tools/bench_xpulp.py)."""
    layout = redirect_layout()
    assert layout is not None
    # env->pc follows gpr[32] and fpr[32] (8 bytes each) in CPURISCVState (Unicorn 2.1.4
    # qemu/target/riscv/cpu.h); icount_decr (u32) ends within the 16 bytes before env
    assert layout.pc_from_gpr == 32 * 4 + 32 * 8
    assert -16 <= layout.icount_from_gpr < 0


def test_cli_code_hooks_flag(firmware_elf):
    elf = firmware_elf("xpulp_selftest")
    for layout in ("span", "split"):
        r = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--quiet", "--code-hooks",
                            layout, str(elf)], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--code-hooks", "bogus", str(elf)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "invalid choice" in r.stderr and "Traceback" not in r.stderr


def test_register_file_found_through_the_last_path(monkeypatch):
    """After one search, the next engines' register files are found where the first was
    (two reads): the same addresses a full search finds, with no search."""
    from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, Uc
    from unicorn.riscv_const import UC_RISCV_REG_X5

    from iss import regfile
    engines = [Uc(UC_ARCH_RISCV, UC_MODE_RISCV32) for _ in range(4)]
    monkeypatch.setattr(regfile, "_gpr_path", None)
    searched = []
    for uc in engines:                        # a full search for each
        regfile._gpr_path = None
        searched.append(regfile.locate_gpr(uc))
    assert None not in searched and len(set(searched)) == len(engines)
    searches = []
    real_search = regfile._search
    monkeypatch.setattr(regfile, "_search", lambda *a: searches.append(1) or real_search(*a))
    assert [regfile.locate_gpr(uc) for uc in engines] == searched
    assert not searches, "the known path was not used"
    for uc, address in zip(engines, searched, strict=True):     # it is the register file
        uc.reg_write(UC_RISCV_REG_X5, 0x5A5A1234)
        with open("/proc/self/mem", "rb") as mem:
            mem.seek(address + 5 * 4)
            assert int.from_bytes(mem.read(4), "little") == 0x5A5A1234


def test_static_tables_and_translation_built_once_per_image(firmware_elf):
    """Simulators of one firmware share its timing tables and its translated code; another
    firmware gets its own."""
    elf, other = firmware_elf("bench_compute"), firmware_elf("hello")
    a, b, c = (Simulator(e, output=io.StringIO()) for e in (elf, elf, other))
    assert a.timing is b.timing and a.timing is not c.timing
    assert a.custom.shadow is not None and a.custom.shadow is b.custom.shadow
