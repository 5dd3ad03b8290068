"""Machine-mode synchronous trap delivery (issue 20 item 1).

With mtvec set, ecall (mcause 11), ebreak (3), illegal instructions including
unknown words (2; mtval = the instruction) enter the handler at mtvec's BASE with
mepc, mcause, mtval and mstatus (MPIE = MIE, MIE = 0, MPP = 3) written; mret returns.
The faulting instruction does not retire; entry costs what a taken jump costs.
With mtvec at its reset value (0) the run still ends with exit 3 and the one-line
fault report; debugger breakpoints still stop.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from unicorn.riscv_const import (UC_RISCV_REG_MCAUSE, UC_RISCV_REG_MEPC, UC_RISCV_REG_MSTATUS,
                                 UC_RISCV_REG_MTVAL)

from iss import hooks
from iss.simulator import Simulator

REPO = Path(__file__).resolve().parent.parent
FAULT_LINE = re.compile(r"^iss: hart 0 fault at 0x([0-9a-f]{8})( <[^>]+>)?: (.+)$")
SITES = ("site_ecall", "site_ebreak", "site_cebreak", "site_cunimp", "site_unknown")

# The handler checks mcause/mepc/mtval/mstatus against what main expects for each trap
# (s2 cause, s3 mepc, s4 mtval, s5 MPIE), counts traps in s0 and ORs one error bit per
# failed check into s1; main prints both and exits with (traps ^ 5) | errors.
TRAPS_S = r"""# Machine-mode trap delivery: ecall, ebreak (32-bit and compressed), illegal
# instructions (16-bit c.unimp and an unknown 32-bit word). The handler checks
# mcause/mepc/mtval/mstatus against expectations main sets up before each trap
# (s2 cause, s3 mepc, s4 mtval, s5 expected MPIE), counts the traps in s0, ORs
# one error bit per failed check into s1, skips the faulting instruction and mrets.
    .text
    .globl main
main:
    addi  sp, sp, -16
    sw    ra, 12(sp)
    la    t0, trap_handler
    csrw  mtvec, t0
    li    s0, 0
    li    s1, 0

    csrsi mstatus, 8            # MIE = 1: entry saves it in MPIE and clears MIE
    li    s2, 11
    la    s3, site_ecall
    li    s4, 0
    li    s5, 1
site_ecall:
    ecall
    csrr  t0, mstatus           # mret put MPIE back into MIE
    andi  t0, t0, 8
    bnez  t0, 1f
    ori   s1, s1, 0x20
1:
    csrci mstatus, 8            # MIE = 0 from here
    li    s2, 3
    la    s3, site_ebreak
    la    s4, site_ebreak       # mtval = the breakpoint's address
    li    s5, 0
    .option push
    .option norvc
site_ebreak:
    ebreak
    .option pop
    la    s3, site_cebreak
    la    s4, site_cebreak
site_cebreak:
    c.ebreak
    csrr  t0, mstatus           # MIE stays 0 (MPIE was 0)
    andi  t0, t0, 8
    beqz  t0, 1f
    ori   s1, s1, 0x40
1:
    li    s2, 2
    la    s3, site_cunimp
    li    s4, 0                 # mtval = the instruction: the 16-bit parcel 0x0000
site_cunimp:
    .half 0
    la    s3, site_unknown
    li    s4, 0x00000077        # an unknown 32-bit word (reserved major opcode)
site_unknown:
    .word 0x00000077
    la    a0, fmt
    mv    a1, s0
    mv    a2, s1
    call  printf
    li    a0, 5                 # exit status: 0 when 5 traps were taken and all checks passed
    xor   a0, a0, s0
    or    a0, a0, s1
    lw    ra, 12(sp)
    addi  sp, sp, 16
    ret

    .balign 256                 # CV32E40P: mtvec BASE is 256-byte aligned
trap_handler:
    csrr  t0, mcause
    beq   t0, s2, 1f
    ori   s1, s1, 0x01
1:  csrr  t0, mepc
    beq   t0, s3, 1f
    ori   s1, s1, 0x02
1:  csrr  t0, mtval
    beq   t0, s4, 1f
    ori   s1, s1, 0x04
1:  csrr  t0, mstatus
    srli  t1, t0, 3             # MIE must be 0 in the handler
    andi  t1, t1, 1
    beqz  t1, 1f
    ori   s1, s1, 0x08
1:  srli  t1, t0, 7             # MPIE = MIE before the trap
    andi  t1, t1, 1
    beq   t1, s5, 1f
    ori   s1, s1, 0x10
1:  srli  t1, t0, 11            # MPP = 3 (machine mode)
    andi  t1, t1, 3
    li    t2, 3
    beq   t1, t2, 1f
    ori   s1, s1, 0x80
1:  addi  s0, s0, 1
    csrr  t0, mepc              # skip the faulting instruction (2 or 4 bytes)
    lhu   t1, 0(t0)
    andi  t1, t1, 3
    addi  t0, t0, 2
    bne   t1, t2, 1f
    addi  t0, t0, 2
1:  csrw  mepc, t0
    mret

    .section .rodata
fmt:
    .string "traps %d errors 0x%x\n"
"""


def iss(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "iss.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)


def build(tmp: Path, name: str, source: str, isa: str = "rv32imc") -> Path:
    src = tmp / f"{name}.S"
    src.write_text(source)
    out = tmp / f"{name}-{isa}.elf"
    r = iss("cc", "--isa", isa, "-o", out, src)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def traps_elf(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("traps")
    return {isa: build(tmp, "traps", TRAPS_S, isa) for isa in ("rv32imc", "corev")}


@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("isa", ["rv32imc", "corev"])
def test_handler_sees_hand_derived_state(traps_elf, isa, cores):
    r = iss("run", "--cores", cores, traps_elf[isa])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "traps 5 errors 0x0\n"


def test_state_after_the_last_trap(traps_elf):
    out = io.StringIO()
    sim = Simulator(traps_elf["rv32imc"], output=out, cores=1)
    result = sim.run()
    assert result.stop.reason == "exit" and result.stop.exit_status == 0
    hart, sy = sim.harts[0], sim.image.symbols
    assert hart.traps == 5
    uc = hart.uc
    assert uc.reg_read(UC_RISCV_REG_MCAUSE) == 2
    assert uc.reg_read(UC_RISCV_REG_MTVAL) == 0x77
    assert uc.reg_read(UC_RISCV_REG_MEPC) == sy["site_unknown"] + 4    # the handler advanced it
    assert uc.reg_read(UC_RISCV_REG_MSTATUS) & 0x8 == 0                 # MIE stayed 0


def test_counting_exact_across_traps(traps_elf):
    """Single steps: the faulting instruction does not retire (from the step stopped on it,
    the next one runs the handler's first instruction), entry costs 2 cycles, a
    fresh run stopped at N agrees with N single steps, and the total is the full run's."""
    elf = traps_elf["rv32imc"]
    trap_entry_cycles = 2        # what a taken jump costs: 1 + 1 jump stall (README, Traps)
    full = Simulator(elf, output=io.StringIO(), cores=1).run()
    total = full.stats["instructions"]
    sim = Simulator(elf, output=io.StringIO(), cores=1)
    sy, hart = sim.image.symbols, sim.harts[0]
    handler = sy["trap_handler"]
    csrr = int(hooks.static_cycles(hart.ctx, handler, handler + 4))
    pcs, seen = {}, []
    prev = None
    for n in range(1, total + 1):
        r = sim.run(max_instructions=n)
        if n == total:
            assert r.stop.reason == "exit"
            break
        assert r.stop.reason == "limit" and r.stats["instructions"] == n
        pc, cycles = r.stats["harts"][0]["pc"], r.stats["cycles"]
        pcs[n] = pc
        if prev is not None and prev[0] in {sy[s] for s in SITES}:
            seen.append(prev[0])
            assert pc == handler + 4
            assert cycles - prev[1] == trap_entry_cycles + csrr
        elif pc == handler:        # the limit fell on the trap entry: the handler has not run
            seen.append(None)
        prev = (pc, cycles)
    assert len(seen) == 5
    assert r.stats["instructions"] == total and r.stats["cycles"] == full.stats["cycles"]
    for n in sorted({*range(40, 60), *range(140, 180), 1, total - 1}):
        fresh = Simulator(elf, output=io.StringIO(), cores=1).run(max_instructions=n)
        assert fresh.stats["instructions"] == n
        assert fresh.stats["harts"][0]["pc"] == pcs[n]


NO_HANDLER = {
    "ecall": ("ecall", "ecall without handler"),
    "ebreak": ("ebreak", "ebreak without handler"),
    "illegal": (".word 0x00000077", "illegal instruction"),
}


@pytest.mark.parametrize("kind", sorted(NO_HANDLER))
def test_mtvec_unset_still_faults(tmp_path, kind):
    insn, message = NO_HANDLER[kind]
    elf = build(tmp_path, kind, f"    .globl main\nmain:\n    nop\nsite:\n    {insn}\n    li a0, 0\n    ret\n")
    r = iss("run", elf)
    assert r.returncode == 3
    line = r.stderr.splitlines()[0]
    m = FAULT_LINE.match(line)
    assert m and m.group(3).startswith(message), line
    assert int(m.group(1), 16) == Simulator(elf).image.symbols["site"]


def test_debugger_breakpoints_still_stop(traps_elf, tmp_path):
    """A breakpoint in the handler stops there; a breakpoint on an ebreak owns it: the
    ebreak stops the debugger (SIGTRAP) as without a handler instead of trapping; with
    no breakpoints the traps are delivered under the debugger too."""
    elf = traps_elf["rv32imc"]
    sy = Simulator(elf).image.symbols
    script = tmp_path / "cmds.gdb"
    script.write_text(f"break *0x{sy['site_ebreak']:x}\nbreak *0x{sy['trap_handler']:x}\nrun\n"
                      "p/x $pc\ncontinue\np/x $pc\ncontinue\np/x $pc\n")
    r = iss("debug", elf, "-x", script, "--batch")
    assert r.returncode == 0, r.stderr
    pcs = re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", r.stdout, re.M)
    assert [int(p, 16) for p in pcs] == [sy["trap_handler"], sy["site_ebreak"], sy["site_ebreak"]]
    assert "Program received signal SIGTRAP" in r.stdout
    assert "ebreak without handler" in r.stdout
    script.write_text("run\n")
    r = iss("debug", elf, "-x", script, "--batch")
    assert r.returncode == 0, r.stderr
    assert "traps 5 errors 0x0" in r.stdout and "exited normally" in r.stdout


def test_vectored_mode_exceptions_go_to_base(tmp_path):
    """mtvec.MODE = 1 (vectored): synchronous exceptions still enter at BASE."""
    source = r"""
    .globl main
main:
    la    t0, handler
    ori   t0, t0, 1
    csrw  mtvec, t0
    li    a0, 7
site:
    ecall
    ret
    .balign 256
handler:
    csrr  t0, mcause
    addi  a0, t0, -11          # 0 when mcause is 11
    csrr  t0, mepc
    addi  t0, t0, 4
    csrw  mepc, t0
    mret
"""
    r = iss("run", build(tmp_path, "vectored", source))
    assert r.returncode == 0, r.stderr


def test_handler_whose_first_instruction_traps_ends_the_run(tmp_path):
    """On the core a trap at mtvec's first instruction re-enters forever without retiring
    anything; the simulator ends the run there (exit 3) instead of hanging."""
    source = r"""
    .globl main
main:
    la    t0, handler
    csrw  mtvec, t0
site:
    ecall
    ret
    .balign 256
handler:
    .word 0x00000077
"""
    elf = build(tmp_path, "loop", source)
    r = iss("run", elf)
    assert r.returncode == 3
    m = FAULT_LINE.match(r.stderr.splitlines()[0])
    assert m and int(m.group(1), 16) == Simulator(elf).image.symbols["handler"]
    assert m.group(3).startswith("illegal instruction at the trap handler's first instruction")
