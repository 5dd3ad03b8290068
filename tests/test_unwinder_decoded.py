"""The prologue/epilogue unwinder (iss/debugger/frames.py PrologueUnwinder) reads the one
decoded form (iss.isa.decoder.decode_insn), not disassembly text: unit tests over
hand-encoded words (RISC-V / XpulpV2 / CORE-V encodings), and backtraces through a
hand-written function (no CFI) whose prologue is followed by a hardware loop, in both
flavours; the debugger decodes the original word of a site the simulator patched."""
from __future__ import annotations

import io
import re

import pytest
from elftools.elf.elffile import ELFFile

from fwbuild import build_c

from iss.debugger.frames import PrologueUnwinder
from iss.debugger.shell import Shell, run_script
from iss.isa.decoder import decode_insn

# RV32I / RV32C
ADDI_SP_M16 = 0xFF010113          # addi sp, sp, -16
ADDI_SP_16 = 0x01010113           # addi sp, sp, 16
SW_RA_12 = 0x00112623             # sw ra, 12(sp)
SW_S0_8 = 0x00812423              # sw s0, 8(sp)
ADDI_S0_SP_16 = 0x01010413        # addi s0, sp, 16
LW_RA_12 = 0x00C12083             # lw ra, 12(sp)
LW_S0_8 = 0x00812403              # lw s0, 8(sp)
RET = 0x00008067                  # jalr x0, 0(ra)
JALR_X0_S1 = 0x00048067           # jalr x0, 0(s1)  (jr s1)
JAL_RA_8 = 0x008000EF             # jal ra, +8
NOP = 0x00000013                  # addi x0, x0, 0
ADD_A0 = 0x00B50533               # add a0, a0, a1
SLLI_A0 = 0x00251513              # slli a0, a0, 2
MV_SP_S0 = 0x00040113             # addi sp, s0, 0  (mv sp, s0)
LW_A5_0_A0 = 0x00052783           # lw a5, 0(a0)
BEQ_A0_A1 = 0x00B50463            # beq a0, a1, +8
C_ADDI16SP_M32 = 0x713D           # c.addi16sp sp, -32
C_ADDI16SP_32 = 0x6105            # c.addi16sp sp, 32
C_SWSP_RA_28 = 0xCE06             # c.swsp ra, 28(sp)
C_SWSP_S0_24 = 0xCC22             # c.swsp s0, 24(sp)
C_ADDI4SPN_S0_32 = 0x1000         # c.addi4spn s0, sp, 32
C_LWSP_RA_28 = 0x40F2             # c.lwsp ra, 28(sp)
C_LWSP_S0_24 = 0x4462             # c.lwsp s0, 24(sp)
C_JR_RA = 0x8082                  # c.jr ra (ret)
C_J = 0xA001                      # c.j .
C_JAL = 0x2001                    # c.jal .
C_JALR_A5 = 0x9782                # c.jalr a5
C_BEQZ = 0xC101                   # c.beqz a0, .
# XpulpV2
LP_SETUPI = 0x0033507B            # lp.setupi x0, 3, +12
P_BEQIMM = 0x00052463             # p.beqimm a0, 0, +8
# CORE-V
CV_SETUPI = 0x0032462B            # cv.setupi 0, 3, +16
CV_BEQIMM = 0x0005640B            # cv.beqimm a0, 0, +8

BASE = 0x1000


def test_encodings():
    """The hand-encoded words are what their comments say."""
    expect = {ADDI_SP_M16: "addi", SW_RA_12: "sw", LW_RA_12: "lw", RET: "jalr",
              C_ADDI16SP_M32: "c.addi16sp", C_SWSP_RA_28: "c.swsp", C_SWSP_S0_24: "c.swsp",
              C_ADDI4SPN_S0_32: "c.addi4spn", C_LWSP_RA_28: "c.lwsp", C_LWSP_S0_24: "c.lwsp",
              C_JR_RA: "c.jr", C_J: "c.j", C_JAL: "c.jal", C_JALR_A5: "c.jalr",
              C_BEQZ: "c.beqz", BEQ_A0_A1: "beq"}
    for word, mnemonic in expect.items():
        assert decode_insn(word, "corev").mnemonic == mnemonic, hex(word)
    d = decode_insn(C_ADDI16SP_M32, "corev")
    assert (d.rd, d.rs1, d.imm, d.length) == (2, 2, -32, 2)
    d = decode_insn(C_SWSP_S0_24, "corev")
    assert (d.rs1, d.rs2, d.imm) == (2, 8, 24)
    d = decode_insn(C_ADDI4SPN_S0_32, "corev")
    assert (d.rd, d.rs1, d.imm) == (8, 2, 32)
    d = decode_insn(C_LWSP_S0_24, "corev")
    assert (d.rd, d.rs1, d.imm) == (8, 2, 24)
    assert decode_insn(LP_SETUPI, "xpulpv2").mnemonic == "lp.setupi"
    assert decode_insn(P_BEQIMM, "xpulpv2").mnemonic == "p.beqimm"
    assert decode_insn(CV_SETUPI, "corev").mnemonic == "cv.setupi"
    assert decode_insn(CV_BEQIMM, "corev").mnemonic == "cv.beqimm"


def _unwinder(words, flavour="corev", stack=None):
    """A PrologueUnwinder over `words` laid out from BASE (a halfword where the low bits
    are not 11), one function covering them, `stack` = {address: word}."""
    code, a = {}, BASE
    for w in words:
        code[a] = w
        a += 4 if w & 3 == 3 else 2
    end = a

    def decoded(pc):
        w = code.get(pc)
        if w is None:
            return 2, None
        return (4 if w & 3 == 3 else 2), decode_insn(w, flavour)

    def function_at(pc):
        return ("f", pc - BASE) if BASE <= pc < end else None

    stack = stack or {}
    unwinder = PrologueUnwinder(decoded, stack.get, function_at,
                                lambda a: 0x100 <= a < 0x10000)
    return unwinder, sorted(code)


def test_prologue_frame_and_save_slots():
    u, at = _unwinder([ADDI_SP_M16, SW_RA_12, SW_S0_8, ADDI_S0_SP_16, ADD_A0, RET])
    st = u.analyze(BASE, at[4])
    assert (st["frame"], st["ra"], st["s0"], st["fp"]) == (16, 12, 8, 16)
    assert (st["ra_frame"], st["s0_frame"]) == (16, 16)
    st = u.analyze(BASE, at[2])           # after the adjust and the ra save only
    assert (st["frame"], st["ra"], st["s0"]) == (16, 12, None)
    assert u.analyze(BASE, BASE) == {"frame": 0, "ra": None, "s0": None, "fp": None}


def test_prologue_compressed():
    u, at = _unwinder([C_ADDI16SP_M32, C_SWSP_RA_28, C_SWSP_S0_24, C_ADDI4SPN_S0_32, ADD_A0,
                       C_JR_RA])
    st = u.analyze(BASE, at[4])
    assert (st["frame"], st["ra"], st["s0"], st["fp"]) == (32, 28, 24, 32)


def test_prologue_first_save_wins_and_positive_adjust_ignored():
    u, at = _unwinder([ADDI_SP_M16, SW_RA_12, ADDI_SP_M16, 0x00112223, ADDI_SP_16, ADD_A0])
    st = u.analyze(BASE, at[5])          # second sw ra, 4(sp) ignored; +16 not counted
    assert (st["frame"], st["ra"], st["ra_frame"]) == (32, 12, 16)


@pytest.mark.parametrize("flavour, stopper", [
    ("corev", BEQ_A0_A1), ("corev", C_BEQZ), ("corev", C_J), ("corev", RET),
    ("corev", JALR_X0_S1), ("corev", CV_SETUPI), ("corev", CV_BEQIMM),
    ("xpulpv2", LP_SETUPI), ("xpulpv2", P_BEQIMM), ("xpulpv2", BEQ_A0_A1)])
def test_prologue_scan_stops_at_control_flow(flavour, stopper):
    """A conditional branch (base or custom), a jump that is not a call and any
    hardware-loop instruction end the straight-line prologue: what follows (here a
    balanced stack adjustment, whose negative half would count) is not part of it."""
    u, at = _unwinder([ADDI_SP_M16, SW_RA_12, stopper, ADDI_SP_M16, SW_S0_8, ADDI_SP_16,
                       ADD_A0], flavour)
    st = u.analyze(BASE, at[-1])
    assert (st["frame"], st["ra"], st["s0"]) == (16, 12, None)


@pytest.mark.parametrize("call", [JAL_RA_8, C_JAL, C_JALR_A5])
def test_prologue_scan_continues_over_calls(call):
    u, at = _unwinder([ADDI_SP_M16, call, SW_RA_12, ADD_A0])
    st = u.analyze(BASE, at[-1])
    assert (st["frame"], st["ra"]) == (16, 12)


def test_custom_words_of_the_other_flavour_are_not_stoppers():
    """p.beqimm is not a CORE-V instruction (a reserved branch funct3 there): in a corev
    program it decodes as nothing, is skipped, and the scan goes on."""
    assert decode_insn(P_BEQIMM, "corev") is None
    u, at = _unwinder([ADDI_SP_M16, P_BEQIMM, SW_RA_12, ADD_A0], "corev")
    assert u.analyze(BASE, at[-1])["ra"] == 12


def test_epilogue_recognition():
    u, at = _unwinder([LW_RA_12, LW_S0_8, ADD_A0, SLLI_A0, LW_A5_0_A0, ADDI_SP_16, RET])
    assert u.epilogue(at[0]) == (16, 12, 8)
    assert u.epilogue(at[2]) == (16, None, None)
    assert u.epilogue(at[-1]) == (0, None, None)
    u, at = _unwinder([C_LWSP_RA_28, C_LWSP_S0_24, C_ADDI16SP_32, C_JR_RA])
    assert u.epilogue(at[0]) == (32, 28, 24)


def test_epilogue_tail_jump_and_rejections():
    u, at = _unwinder([LW_RA_12, ADDI_SP_16, JALR_X0_S1])
    assert u.epilogue(at[0]) == (16, 12, None)      # tail call after the epilogue
    assert u.epilogue(at[2]) is None                # a bare jump: not an epilogue
    for bad in (MV_SP_S0, BEQ_A0_A1, JAL_RA_8, 0x0000A083):   # last: lw ra, 0(ra)
        u, at = _unwinder([ADD_A0, bad, LW_RA_12, ADDI_SP_16, RET])
        assert u.epilogue(at[0]) is None, hex(bad)


def test_unwind_reads_the_saved_slots():
    sp = 0x8000
    stack = {sp + 12: 0x2222, sp + 8: 0x7777}
    u, at = _unwinder([ADDI_SP_M16, SW_RA_12, SW_S0_8, ADDI_S0_SP_16, ADD_A0, LW_RA_12,
                       LW_S0_8, ADDI_SP_16, RET], stack=stack)
    # in the body (not an epilogue: the body's add is followed by the restores and ret,
    # so it is recognised as one, with the same answer)
    assert u.unwind(at[4], sp, sp + 16, 0x9999, True) == (0x2222, sp + 16, 0x7777, {8: sp + 8})
    # in an outer frame the epilogue is not looked at: prologue analysis
    assert u.unwind(at[4], sp, sp + 16, None, False) == (0x2222, sp + 16, 0x7777, {8: sp + 8})
    # after the restores: ra is the register, sp + 16 the caller's sp
    assert u.unwind(at[7], sp, 0x7777, 0x3333, True) == (0x3333, sp + 16, 0x7777, {})


# ------------------------------------------------------------------ a real backtrace

# hw_sum(n): a hand-written function (no CFI) with a frame, then a hardware loop of 3
# iterations whose body makes a balanced 16-byte stack adjustment and calls leaf_c(i).
# Loop set-up as a .word (no assembler knows the XpulpV2 / CORE-V loop instructions):
# XpulpV2 lp.setupi x0, 3, END with END the last body instruction (offset 24 -> uimm5 12);
# CORE-V cv.setupi 0, 3, END with END the first after the body (offset 28 -> uimm5 7).
LOOP_WORD = {"xpulpv2": 0x0000507B | 12 << 15 | 3 << 20,
             "corev": 0x0000462B | 7 << 15 | 3 << 20}

HWLOOP_C = """\
volatile int result;

__attribute__((noinline)) int leaf_c(int i)
{
    return i * 2;              /* LINE_LEAF */
}

int hw_sum(int n);
__asm__(
    "  .text\\n"
    "  .globl hw_sum\\n"
    "  .type hw_sum, @function\\n"
    "  .option push\\n"
    "  .option norvc\\n"
    "  .option norelax\\n"
    "hw_sum:\\n"
    "  addi sp, sp, -16\\n"
    "  sw ra, 12(sp)\\n"
    "  sw s0, 8(sp)\\n"
    "  sw s1, 4(sp)\\n"
    "  addi s0, sp, 16\\n"
    "  li s1, 0\\n"
    "hw_loop_setup:\\n"
    "  .word LOOPWORD\\n"
    "  addi sp, sp, -16\\n"
    "  sw s1, 0(sp)\\n"
    "  lw a0, 0(sp)\\n"
    "  addi sp, sp, 16\\n"
    "hw_call:\\n"
    "  jal ra, leaf_c\\n"
    "  addi s1, s1, 1\\n"
    "  mv a0, s1\\n"
    "hw_branch:\\n"
    "  bne a0, zero, 1f\\n"
    "1:\\n"
    "  lw s1, 4(sp)\\n"
    "hw_epilogue:\\n"
    "  lw s0, 8(sp)\\n"
    "  lw ra, 12(sp)\\n"
    "  addi sp, sp, 16\\n"
    "  ret\\n"
    "  .size hw_sum, .-hw_sum\\n"
    "  .option pop\\n");

int main(void)
{
    result = hw_sum(3);        /* LINE_MAIN_CALL */
    return 0;
}
"""


def _line(marker: str) -> int:
    return next(n for n, text in enumerate(HWLOOP_C.splitlines(), 1) if marker in text)


@pytest.fixture(scope="module", params=["xpulpv2", "corev"])
def hwloop_prog(request):
    isa = request.param
    source = HWLOOP_C.replace("LOOPWORD", f"0x{LOOP_WORD[isa]:08x}")
    elf = build_c("unwinder_decoded", f"hwloop_{isa}", source, extra_args=["-O0"])
    with open(elf, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        symbols = {s.name: s["st_value"] for s in symtab.iter_symbols()}
    return isa, elf, symbols


def _frames(out: str) -> list[str]:
    return [line for line in out.splitlines() if re.match(r"#\d+ ", line)]


def test_backtrace_through_hwloop_function(hwloop_prog):
    """From leaf_c (CFI) through hw_sum (prologue analysis, stopped at the loop set-up:
    the loop body's stack adjustment is not counted) to main."""
    isa, elf, sym = hwloop_prog
    out = run_script(elf, ["break leaf_c", "run", "bt", "continue", "bt", "finish"],
                     isa=isa, cores=1)
    frames = _frames(out)
    assert len(frames) == 6, out
    ret = sym["hw_call"] + 4
    for first in (0, 3):
        assert frames[first].startswith("#0  leaf_c (i="), out
        assert frames[first + 1].startswith(f"#1  0x{ret:08x} in hw_sum ()"), out
        assert re.match(rf"#2  0x[0-9a-f]+ in main \(\) at hwloop_{isa}\.c:{_line('LINE_MAIN_CALL')}",
                        frames[first + 2]), out
    assert "leaf_c (i=0)" in frames[0] and "leaf_c (i=1)" in frames[3], out
    assert "Run till exit from #0  leaf_c (i=1)" in out
    assert f"0x{ret:08x} in hw_sum ()" in out.split("Run till exit")[1], out


def test_backtrace_inside_the_hwloop_function(hwloop_prog):
    """Innermost frame in hw_sum: at the call in the loop body (prologue analysis) and in
    its epilogue (epilogue recognition, after s1 was restored)."""
    isa, elf, sym = hwloop_prog
    main_call = rf"#1  0x[0-9a-f]+ in main \(\) at hwloop_{isa}\.c:{_line('LINE_MAIN_CALL')}"
    for label in ("hw_call", "hw_epilogue"):
        out = run_script(elf, [f"break *0x{sym[label]:x}", "run", "bt"], isa=isa, cores=1)
        frames = _frames(out)
        assert frames[0].startswith(f"#0  0x{sym[label]:08x} in hw_sum ()"), out
        assert re.match(main_call, frames[1]), out
        assert len(frames) == 2, out


def test_decoded_form_sees_the_original_word(hwloop_prog):
    """The debugger's decoded form is the program's instruction, not what the simulator
    left in memory: `bne a0, zero, +4` (a branch to the next instruction) is patched with
    a trapping word, the loop set-up is read as the flavour's instruction, and `nexti`
    over the call in the loop body is a call."""
    isa, elf, sym = hwloop_prog
    shell = Shell(elf, isa=isa, out=io.StringIO(), cores=1)
    shell.run_lines([f"break *0x{sym['hw_call']:x}", "run"])
    sim = shell.target.sim
    patched = int.from_bytes(sim.memory.read(sym["hw_branch"], 4), "little")
    assert patched != sim.custom.original_word(sym["hw_branch"])
    length, d = shell._decoded(sym["hw_branch"])
    assert length == 4 and (d.mnemonic, d.rs1, d.rs2, d.imm) == ("bne", 10, 0, 4)
    length, d = shell._decoded(sym["hw_loop_setup"])
    assert length == 4 and d is not None and d.mnemonic == ("lp.setupi" if isa == "xpulpv2"
                                                             else "cv.setupi")
    assert (d.imm2, d.imm) == (3, 24 if isa == "xpulpv2" else 28)
    assert shell.is_call(sym["hw_call"]) == (True, 4)
    assert shell.is_call(sym["hw_call"] + 4) == (False, 4)
    assert shell.is_call(sym["hw_branch"]) == (False, 4)
