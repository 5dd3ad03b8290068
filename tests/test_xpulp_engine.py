"""XpulpV2 / CORE-V custom instructions executed through the real engine.

Every check runs a tiny piece of firmware through `iss.simulator.Simulator`
(load-time scan, NOP patching, the native code hook, slow paths) and compares
the architectural result with a HAND-DERIVED constant (derivation in the
comment next to it, semantics from the PULP binutils opcode table, the RI5CY RTL
and the CV32E40P v2 manual).  Nothing here is computed by the simulator's own semantic tables.

Both flavours run the same checks: the XpulpV2 flavour gets the instructions as
`.word` encodings built from the MATCH values of the reference (section 2) with
the register/immediate fields filled in; the CORE-V flavour gets LLVM `cv.*`
syntax assembled by clang.

To keep the suite fast, all pure-semantics checks of one flavour are batched
into ONE program that is built and run once (module fixture).  Each check
compares its result with the expected constant and, on mismatch, appends
(check id, actual value) to a failure log in memory; `main` returns the number
of failures.  The per-family tests below read the log and report every failing
check of their family with the instruction, the expected and the actual value.

Operand convention: rD = a0 (x10), rs1 = a1 (x11), rs2 = a2 (x12);
memory checks use a3 (x13) as base, a4 (x14) as offset register; t1-t6 belong
to the checking macro.
"""
from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from iss import toolchain
from iss.simulator import Simulator

X = {"zero": 0, "ra": 1, "sp": 2, "gp": 3, "tp": 4, "t0": 5, "t1": 6, "t2": 7, "s0": 8, "s1": 9,
     "a0": 10, "a1": 11, "a2": 12, "a3": 13, "a4": 14, "a5": 15, "a6": 16, "a7": 17}
RD, RS1, RS2, BASE, OFF = 10, 11, 12, 13, 14
GARBAGE = 0x5EED5EED          # old rD for instructions that must not read rD

FLAVOURS = ("xpulpv2", "corev")
BUILD_ISA = {"xpulpv2": "rv32imc", "corev": "corev"}   # runtime without cv.* for xpulpv2 runs


# ----------------------------------------------------------------------------------------
# XpulpV2 encodings: MATCH values copied from PULP binutils riscv-opc.h (all fields zero)
# ----------------------------------------------------------------------------------------
XP_MATCH = {
    # ALU (opcode 0x33)
    "abs": 0x04000033, "slet": 0x04002033, "sletu": 0x04003033,
    "min": 0x04004033, "minu": 0x04005033, "max": 0x04006033, "maxu": 0x04007033,
    "ff1": 0x10000033, "fl1": 0x10001033, "clb": 0x10002033, "cnt": 0x10003033,
    "exths": 0x10004033, "exthz": 0x10005033, "extbs": 0x10006033, "extbz": 0x10007033,
    "ror": 0x08005033,
    "extract": 0xC0000033, "extractu": 0xC0001033, "insert": 0xC0002033,
    "bclr": 0xC0003033, "bset": 0xC0004033,
    "extractr": 0x80000033, "extractur": 0x80001033, "insertr": 0x80002033,
    "bclrr": 0x80003033, "bsetr": 0x80004033,
    "clip": 0x14001033, "clipu": 0x14002033, "clipr": 0x14005033, "clipur": 0x14006033,
    "mac": 0x42000033, "msu": 0x42001033,
    # custom-2 (0x5B): add/sub with normalisation, 16x16 mul/mac
    "addn": 0x0000205B, "addun": 0x8000205B, "addrn": 0x0000605B, "addurn": 0x8000605B,
    "subn": 0x0000305B, "subun": 0x8000305B, "subrn": 0x0000705B, "suburn": 0x8000705B,
    "addnr": 0x4000205B, "addunr": 0xC000205B, "addrnr": 0x4000605B, "addurnr": 0xC000605B,
    "subnr": 0x4000305B, "subunr": 0xC000305B, "subrnr": 0x4000705B, "suburnr": 0xC000705B,
    "mulsn": 0x8000005B, "mulhhsn": 0xC000005B, "mulsrn": 0x8000405B, "mulhhsrn": 0xC000405B,
    "mulun": 0x0000005B, "mulhhun": 0x4000005B, "mulurn": 0x0000405B, "mulhhurn": 0x4000405B,
    "macsn": 0x8000105B, "machhsn": 0xC000105B, "macsrn": 0x8000505B, "machhsrn": 0xC000505B,
    "macun": 0x0000105B, "machhun": 0x4000105B, "macurn": 0x0000505B, "machhurn": 0x4000505B,
}
# pv.* (opcode 0x57): bits[31:24] of the MATCH; funct3 selects .h/.b/.sc/.sci
XP_SIMD_TOP = {
    "add": 0x00, "sub": 0x08, "avg": 0x10, "avgu": 0x18, "min": 0x20, "minu": 0x28,
    "max": 0x30, "maxu": 0x38, "srl": 0x40, "sra": 0x48, "sll": 0x50, "or": 0x58,
    "xor": 0x60, "and": 0x68, "abs": 0x70,
    "dotup": 0x80, "dotusp": 0x88, "dotsp": 0x98, "sdotup": 0xA0, "sdotusp": 0xA8, "sdotsp": 0xB8,
    "cmpeq": 0x04, "cmpne": 0x0C, "cmpgt": 0x14, "cmpge": 0x1C, "cmplt": 0x24, "cmple": 0x2C,
    "cmpgtu": 0x34, "cmpgeu": 0x3C, "cmpltu": 0x44, "cmpleu": 0x4C,
}
XP_SIMD_F3 = {".h": 0, ".b": 1, ".sc.h": 4, ".sc.b": 5, ".sci.h": 6, ".sci.b": 7}
XP_SIMD_OTHER = {     # full MATCH values of section 2
    "extract.h": 0x78006057, "extract.b": 0x78007057, "extractu.h": 0x90006057,
    "extractu.b": 0x90007057, "insert.h": 0xB0006057, "insert.b": 0xB0007057,
    "shuffle.h": 0xC0000057, "shuffle.b": 0xC0001057, "shuffle.sci.h": 0xC0006057,
    "shufflei0.sci.b": 0xC0007057, "shufflei1.sci.b": 0xE8007057,
    "shufflei2.sci.b": 0xF0007057, "shufflei3.sci.b": 0xF8007057,
    "shuffle2.h": 0xC8000057, "shuffle2.b": 0xC8001057,
    "pack": 0xD0000057, "pack.h": 0xD2000057, "packhi.b": 0xD8001057, "packlo.b": 0xE0001057,
}


def r_type(match, rd=RD, rs1=RS1, rs2=RS2):
    return match | rd << 7 | rs1 << 15 | rs2 << 20


def i6(match, imm, rd=RD, rs1=RS1):
    """imm6 of .sci / extract / shuffle: imm[0] -> bit 25, imm[5:1] -> bits 24:20."""
    imm &= 63
    return match | (imm & 1) << 25 | (imm >> 1) << 20 | rd << 7 | rs1 << 15


def i_type(match, rd, rs1, imm):
    return match | rd << 7 | rs1 << 15 | (imm & 0xFFF) << 20


def s_type(match, rs2, rs1, imm):
    imm &= 0xFFF
    return match | (imm >> 5) << 25 | rs2 << 20 | rs1 << 15 | (imm & 31) << 7


def b_type(match, rs1, imm5, offset):
    o = offset & 0x1FFF
    return (match | ((o >> 12) & 1) << 31 | ((o >> 5) & 63) << 25 | (imm5 & 31) << 20
            | rs1 << 15 | ((o >> 1) & 15) << 8 | ((o >> 11) & 1) << 7)


def xp_simd_match(name):
    if name in XP_SIMD_OTHER:
        return XP_SIMD_OTHER[name]
    op, _, mode = name.partition(".")
    return XP_SIMD_TOP[op] << 24 | XP_SIMD_F3["." + mode] << 12 | 0x57


# ----------------------------------------------------------------------------------------
# Check descriptions
# ----------------------------------------------------------------------------------------
# operand forms: R (rd, rs1, rs2), R1 (rd, rs1), BIT (rd, rs1, Is3, Is2), I5 (rd, rs1, Is2 in
# the rs2 field), N (rd, rs1, rs2, Is3), I6 (rd, rs1, imm6)
SCALAR_FORM = {
    **dict.fromkeys(("abs", "ff1", "fl1", "clb", "cnt", "exths", "exthz", "extbs", "extbz"), "R1"),
    **dict.fromkeys(("extract", "extractu", "insert", "bclr", "bset"), "BIT"),
    **dict.fromkeys(("clip", "clipu"), "I5"),
}
CV_NAME = {"slet": "sle", "sletu": "sleu"}


@dataclass
class Op:
    """One custom ALU instruction with operands a1/a2 (and a0 as old rD)."""
    name: str                # scalar key of XP_MATCH or SIMD name ("v:add.sci.h")
    regs: dict               # register name -> value before the instruction
    expected: int
    imm: int = 0             # Is2 / imm6 / SIMD index
    imm2: int = 0            # Is3

    def form(self):
        if self.name.startswith("v:"):
            n = self.name[2:]
            if n.startswith("abs"):
                return "R1"
            if ".sci" in n or n.split(".")[0] in ("extract", "extractu", "insert"):
                return "I6"
            return "R"
        if self.name in SCALAR_FORM:
            return SCALAR_FORM[self.name]
        if self.name.endswith("n") and self.name.startswith(("add", "sub", "mul", "mac")):
            return "N"
        return "R"

    def xpulpv2(self):
        f = self.form()
        if self.name.startswith("v:"):
            m = xp_simd_match(self.name[2:])
        else:
            m = XP_MATCH[self.name]
        if f == "R":
            return f".word {r_type(m):#010x}"
        if f == "R1":
            return f".word {m | RD << 7 | RS1 << 15:#010x}"
        if f == "BIT":
            return f".word {m | self.imm2 << 25 | self.imm << 20 | RD << 7 | RS1 << 15:#010x}"
        if f == "I5":
            return f".word {m | self.imm << 20 | RD << 7 | RS1 << 15:#010x}"
        if f == "N":
            return f".word {r_type(m) | self.imm2 << 25:#010x}"
        return f".word {i6(m, self.imm):#010x}"

    def corev(self):
        f = self.form()
        mn = "cv." + (self.name[2:] if self.name.startswith("v:") else CV_NAME.get(self.name, self.name))
        return {"R": f"{mn} a0, a1, a2", "R1": f"{mn} a0, a1",
                "BIT": f"{mn} a0, a1, {self.imm2}, {self.imm}", "I5": f"{mn} a0, a1, {self.imm}",
                "N": f"{mn} a0, a1, a2, {self.imm2}", "I6": f"{mn} a0, a1, {self.imm}"}[f]

    def text(self, flavour):
        return self.xpulpv2() if flavour == "xpulpv2" else self.corev()

    def describe(self):
        regs = ", ".join(f"{r}={v & 0xFFFFFFFF:#x}" for r, v in self.regs.items())
        imms = f" Is2/imm={self.imm} Is3={self.imm2}" if self.form() in ("BIT", "I5", "N", "I6") else ""
        return f"{self.name}{imms} ({regs})"


def op(name, expected, a1=0, a2=0, a0=GARBAGE, imm=0, imm2=0):
    return Op(name, {"a0": a0, "a1": a1, "a2": a2}, expected, imm, imm2)


# ---- scalar ALU -------------------------------------------------------------------------
ALU = [
    op("abs", 5, a1=-5),
    op("abs", 0x80000000, a1=0x80000000),            # |INT_MIN| wraps
    op("abs", 7, a1=7),
    op("slet", 1, a1=-1, a2=1),                       # -1 <= 1
    op("slet", 0, a1=1, a2=-1),
    op("slet", 1, a1=5, a2=5),
    op("sletu", 0, a1=-1, a2=1),                      # 0xffffffff <= 1 is false
    op("sletu", 1, a1=1, a2=-1),
    op("sletu", 1, a1=5, a2=5),
    op("min", 0xFFFFFFFD, a1=-3, a2=2),
    op("min", 0x80000000, a1=0x80000000, a2=0x7FFFFFFF),
    op("minu", 2, a1=-3, a2=2),
    op("max", 2, a1=-3, a2=2),
    op("maxu", 0xFFFFFFFD, a1=-3, a2=2),
    op("ff1", 20, a1=0x00100000),
    op("ff1", 0, a1=0x80000001),
    op("ff1", 32, a1=0),                              # no bit set -> 32
    op("fl1", 20, a1=0x00100000),
    op("fl1", 31, a1=0x80000001),
    op("fl1", 0, a1=1),
    op("fl1", 32, a1=0),
    op("clb", 30, a1=1),                              # 31 leading zeros - 1 (clrsb)
    op("clb", 0, a1=0x80000000),
    op("clb", 0, a1=0x7FFFFFFF),
    op("clb", 30, a1=0xFFFFFFFE),
    op("clb", 31, a1=0xFFFFFFFF),
    op("clb", 7, a1=0x00FF0000),                      # 8 leading zeros - 1
    op("clb", 0, a1=0),                               # special case 0 -> 0
    op("cnt", 0, a1=0),
    op("cnt", 32, a1=0xFFFFFFFF),
    op("cnt", 13, a1=0x12345678),                     # 1+1+2+1+2+2+3+1
    op("ror", 0x78123456, a1=0x12345678, a2=8),
    op("ror", 0x81234567, a1=0x12345678, a2=36),      # rs2[4:0] = 4
    op("ror", 0x12345678, a1=0x12345678, a2=0),
    op("exths", 0xFFFF8765, a1=0x12348765),
    op("exths", 0x00007FFF, a1=0xFFFF7FFF),
    op("exthz", 0x00008765, a1=0x12348765),
    op("extbs", 0xFFFFFFF0, a1=0x123456F0),
    op("extbs", 0x0000007F, a1=0xFFFFFF7F),
    op("extbz", 0x000000F0, a1=0x123456F0),
]

# ---- bit manipulation: width Is3+1, lsb Is2, truncated at bit 31 --------------------------
V = 0xF0F0A5C3
BITMANIP = [
    op("extract", 0xFFFFFFA5, a1=V, imm2=7, imm=8),     # bits[15:8] = 0xa5, sign bit 1
    op("extractu", 0x000000A5, a1=V, imm2=7, imm=8),
    op("extract", 0x00000003, a1=V, imm2=3, imm=0),     # bits[3:0] = 0x3
    op("extract", 0xFFFFFFF0, a1=V, imm2=15, imm=24),   # 24+15 > 31: bits[31:24] = 0xf0, sign = bit 31
    op("extractu", 0x000000F0, a1=V, imm2=15, imm=24),
    op("extract", 0xFFFFFFFF, a1=V, imm2=31, imm=31),   # only bit 31 (=1): sext(1 bit) = -1
    op("extractu", 0x00000001, a1=V, imm2=31, imm=31),
    op("extract", V, a1=V, imm2=31, imm=0),             # whole word
    op("extractr", 0xFFFFFFA5, a1=V, a2=7 << 5 | 8),    # Is3 = rs2[9:5], Is2 = rs2[4:0]
    op("extractr", 0xFFFFFFA5, a1=V, a2=0xFFFFFC00 | 7 << 5 | 8),   # rs2[31:10] ignored
    op("extractur", 0x000000F0, a1=V, a2=15 << 5 | 24),
    # insert: rD = (rD & ~mask) | ((rs1 << Is2) & mask), mask = (2^(Is3+1)-1) << Is2 (32 bits)
    op("insert", 0xFFFF12FF, a0=0xFFFFFFFF, a1=0x12, imm2=7, imm=8),
    op("insert", 0xFF000000, a0=0, a1=0xFFFFFFFF, imm2=15, imm=24),  # mask truncated: 0xff000000
    op("insert", 0x12345618, a0=0x12345678, a1=0xABCDEF01, imm2=3, imm=4),  # nibble 1 <- 0x1
    op("insertr", 0x12345618, a0=0x12345678, a1=0xABCDEF01, a2=3 << 5 | 4),
    op("bclr", 0xFFFFFF0F, a1=0xFFFFFFFF, imm2=3, imm=4),
    op("bclr", 0x0000FFFF, a1=0xFFFFFFFF, imm2=31, imm=16),   # mask 0xffffffff<<16 truncated
    op("bset", 0x000000F0, a1=0, imm2=3, imm=4),
    op("bset", 0xF0000000, a1=0, imm2=7, imm=28),             # mask 0xff<<28 truncated
    op("bclrr", 0xFFFFFF0F, a1=0xFFFFFFFF, a2=3 << 5 | 4),
    op("bsetr", 0xF0000000, a1=0, a2=7 << 5 | 28),
]

# ---- clip ------------------------------------------------------------------------------
CLIP = [
    op("clip", 127, a1=200, imm=8),                   # [-128, 127]
    op("clip", 0xFFFFFF80, a1=-200, imm=8),
    op("clip", 5, a1=5, imm=8),
    op("clip", 0, a1=5, imm=0),                       # Is2 = 0: [-1, 0]
    op("clip", 0xFFFFFFFF, a1=-5, imm=0),
    op("clip", 0x3FFFFFFF, a1=0x7FFFFFFF, imm=31),    # [-2^30, 2^30-1]
    op("clipu", 127, a1=200, imm=8),                  # [0, 127]
    op("clipu", 0, a1=-200, imm=8),
    op("clipu", 5, a1=5, imm=8),
    op("clipu", 0, a1=5, imm=0),                      # Is2 = 0: [0, 0]
    op("clipu", 0, a1=-5, imm=0),
    op("clipr", 127, a1=200, a2=127),                 # [-(rs2+1), rs2]
    op("clipr", 0xFFFFFF80, a1=-200, a2=127),
    op("clipr", 50, a1=50, a2=127),
    op("clipur", 127, a1=200, a2=127),                # [0, rs2]
    op("clipur", 0, a1=-200, a2=127),
    op("clipur", 50, a1=50, a2=127),
]

# ---- add/sub with normalisation and rounding ---------------------------------------------
ADDSUB = [
    op("addn", 5, a1=7, a2=4, imm2=1),                # 11 >>> 1
    op("addrn", 6, a1=7, a2=4, imm2=1),               # (11 + 1) >>> 1
    op("addrn", 11, a1=7, a2=4, imm2=0),              # Is3 = 0: no rounding
    op("addn", 0xFFFFFFFD, a1=-7, a2=-4, imm2=2),     # -11 >>> 2 = -3
    op("addun", 0x3FFFFFFD, a1=-7, a2=-4, imm2=2),    # 0xfffffff5 >> 2
    op("addrn", 0xFFFFFFFD, a1=-7, a2=-4, imm2=2),    # (-11 + 2) >>> 2 = -3
    op("addurn", 0x3FFFFFFD, a1=-7, a2=-4, imm2=2),   # 0xfffffff7 >> 2
    op("addn", 0xC0000000, a1=0x7FFFFFFF, a2=1, imm2=1),   # 32-bit wrap then >>>
    op("addun", 0x40000000, a1=0x7FFFFFFF, a2=1, imm2=1),
    op("subn", 0xFFFFFFFE, a1=7, a2=10, imm2=1),      # -3 >>> 1 = -2
    op("subun", 0x7FFFFFFE, a1=7, a2=10, imm2=1),     # 0xfffffffd >> 1
    op("subrn", 0xFFFFFFFF, a1=7, a2=10, imm2=1),     # (-3 + 1) >>> 1 = -1
    op("suburn", 0x7FFFFFFF, a1=7, a2=10, imm2=1),    # 0xfffffffe >> 1
    op("subn", 10, a1=100, a2=16, imm2=3),            # 84 >> 3 = 10
    op("subrn", 11, a1=100, a2=16, imm2=3),           # 88 >> 3 = 11
    # register forms: rD = (rD +/- rs1 [+ round]) >> rs2[4:0]  (read rD)
    op("addnr", 5, a0=7, a1=4, a2=1),
    op("addnr", 5, a0=7, a1=4, a2=0xFFFFFFE1),        # only rs2[4:0] = 1
    op("addrnr", 6, a0=7, a1=4, a2=1),
    op("addunr", 0x3FFFFFFD, a0=-7, a1=-4, a2=2),
    op("addurnr", 0x3FFFFFFD, a0=-7, a1=-4, a2=2),
    op("addnr", 0xFFFFFFFD, a0=-7, a1=-4, a2=2),
    op("subnr", 0xFFFFFFFE, a0=7, a1=10, a2=1),       # (7 - 10) >>> 1
    op("subunr", 0x7FFFFFFE, a0=7, a1=10, a2=1),
    op("subrnr", 0xFFFFFFFF, a0=7, a1=10, a2=1),
    op("suburnr", 0x7FFFFFFF, a0=7, a1=10, a2=1),
    op("subrnr", 11, a0=100, a1=16, a2=3),
    op("addrnr", 11, a0=7, a1=4, a2=0),                # shift 0: no rounding
]

# ---- p.mac / p.msu and 16x16 mul/mac with N / RN ----------------------------------------
A1, A2 = 0x7FFFFFFE, 0x80000005   # lo halves: -2 (0xfffe) and 5; hi halves: 0x7fff and 0x8000
MULMAC = [
    op("mac", 79, a0=100, a1=7, a2=-3),               # 100 + (-21)
    op("mac", 0, a0=0, a1=0x10000, a2=0x10000),       # 2^32 wraps
    op("mac", 0x23456785, a0=5, a1=0x12345678, a2=0x10),
    op("msu", 121, a0=100, a1=7, a2=-3),              # 100 - (-21)
    op("msu", 0xFFFFFFF1, a0=0, a1=3, a2=5),          # -15
    op("mulsn", 0xFFFFFFF6, a1=A1, a2=A2, imm2=0),    # (-2)*5 = -10
    op("mulun", 0x0004FFF6, a1=A1, a2=A2, imm2=0),    # 0xfffe*5 = 327670
    op("mulhhsn", 0xC0008000, a1=A1, a2=A2, imm2=0),  # 32767*(-32768) = -0x3fff8000
    op("mulhhun", 0x3FFF8000, a1=A1, a2=A2, imm2=0),  # 0x7fff*0x8000
    op("mulsn", 0xFFFFFFFD, a1=A1, a2=A2, imm2=2),    # -10 >>> 2 = -3
    op("mulsrn", 0xFFFFFFFE, a1=A1, a2=A2, imm2=2),   # (-10 + 2) >>> 2 = -2
    op("mulsrn", 0xFFFFFFF6, a1=A1, a2=A2, imm2=0),   # Is3 = 0: no rounding
    op("mulun", 0x00009FFE, a1=A1, a2=A2, imm2=3),    # 327670 >> 3 = 40958
    op("mulurn", 0x00009FFF, a1=A1, a2=A2, imm2=3),   # 327674 >> 3 = 40959
    op("mulhhsn", 0xFFFFC000, a1=A1, a2=A2, imm2=16), # -1073709056 >>> 16 = -16384 (floor -16383.5)
    op("mulhhsrn", 0xFFFFC001, a1=A1, a2=A2, imm2=16),  # (+32768) -> -16383
    op("mulhhun", 0x00003FFF, a1=A1, a2=A2, imm2=16),
    op("mulhhurn", 0x00004000, a1=A1, a2=A2, imm2=16),  # 0x3fff8000 + 0x8000 = 0x40000000
    op("macsn", 0x000003DE, a0=1000, a1=A1, a2=A2, imm2=0),     # 1000 - 10 = 990
    op("macun", 0x000503DE, a0=1000, a1=A1, a2=A2, imm2=0),     # 1000 + 327670
    op("machhsn", 0xC00083E8, a0=1000, a1=A1, a2=A2, imm2=0),   # 0xc0008000 + 1000
    op("machhun", 0x3FFF83E8, a0=1000, a1=A1, a2=A2, imm2=0),
    op("macsn", 0x0000007B, a0=1000, a1=A1, a2=A2, imm2=3),     # 990 >>> 3 = 123
    op("macsrn", 0x0000007C, a0=1000, a1=A1, a2=A2, imm2=3),    # 994 >>> 3 = 124
    op("macun", 0x0000503D, a0=1000, a1=A1, a2=A2, imm2=4),     # 328670 >> 4 = 20541
    op("macurn", 0x0000503E, a0=1000, a1=A1, a2=A2, imm2=4),    # 328678 >> 4 = 20542
    op("machhsn", 0xFFFFC000, a0=1000, a1=A1, a2=A2, imm2=16),  # -1073708056 >>> 16 = -16384
    op("machhsrn", 0xFFFFC001, a0=1000, a1=A1, a2=A2, imm2=16), # -1073675288 >>> 16 = -16383
    op("machhun", 0x00003FFF, a0=1000, a1=A1, a2=A2, imm2=16),
    op("machhurn", 0x00004000, a0=1000, a1=A1, a2=A2, imm2=16), # 0x400003e8 >> 16
    op("macun", 0x00003FFF, a0=0xFFFF0000, a1=A1, a2=A2, imm2=4),  # sum wraps to 0x3fff6 first
    op("macsrn", 0x000003DE, a0=1000, a1=A1, a2=A2, imm2=0),    # Is3 = 0: no rounding, 990
    op("machhurn", 0x3FFF83E8, a0=1000, a1=A1, a2=A2, imm2=0),  # Is3 = 0: no rounding
    op("mulhhsrn", 0xC0008000, a1=A1, a2=A2, imm2=0),           # Is3 = 0: no rounding
]

# ---- SIMD -------------------------------------------------------------------------------
H1, H2 = 0xFFF00005, 0x0003FFFE      # halves: a1 = (-16 | 0xfff0, 5), a2 = (3, -2 | 0xfffe)
B1, B2 = 0x807FFE05, 0x010103FD      # bytes hi..lo: a1 = (0x80, 0x7f, 0xfe, 0x05), a2 = (1, 1, 3, 0xfd)


def v(name, expected, a1, a2=0, a0=GARBAGE, imm=0):
    return op("v:" + name, expected, a1=a1, a2=a2, a0=a0, imm=imm)


SIMD_ARITH = [
    # .h vector-vector
    v("add.h", 0xFFF30003, H1, H2),       # -16+3 = -13, 5-2 = 3
    v("sub.h", 0xFFED0007, H1, H2),       # -19, 7
    v("avg.h", 0xFFF90001, H1, H2),       # -13 >>> 1 = -7, 3 >>> 1 = 1
    v("avgu.h", 0x7FF90001, H1, H2),      # 0xfff3 >> 1, (0x10003 & 0xffff) >> 1
    v("min.h", 0xFFF0FFFE, H1, H2),
    v("minu.h", 0x00030005, H1, H2),
    v("max.h", 0x00030005, H1, H2),
    v("maxu.h", 0xFFF0FFFE, H1, H2),
    v("srl.h", 0x1FFE0000, H1, H2),       # shifts 3 and 0xfffe & 15 = 14
    v("sra.h", 0xFFFE0000, H1, H2),
    v("sll.h", 0xFF804000, H1, H2),
    v("or.h", 0xFFF3FFFF, H1, H2),
    v("xor.h", 0xFFF3FFFB, H1, H2),
    v("and.h", 0x00000004, H1, H2),
    v("abs.h", 0x00100005, H1),
    v("abs.h", 0x80000001, 0x8000FFFF),   # |-32768| wraps, |-1| = 1
    # .sc.h: op2 = rs2.h[0] = 0xfffe (-2) replicated
    v("add.sc.h", 0xFFEE0003, H1, H2),
    v("sub.sc.h", 0xFFF20007, H1, H2),
    v("avg.sc.h", 0xFFF70001, H1, H2),    # -18 >>> 1 = -9
    v("avgu.sc.h", 0x7FF70001, H1, H2),   # 0x1ffee & 0xffff = 0xffee >> 1
    v("min.sc.h", 0xFFF0FFFE, H1, H2),
    v("minu.sc.h", 0xFFF00005, H1, H2),
    v("max.sc.h", 0xFFFE0005, H1, H2),
    v("maxu.sc.h", 0xFFFEFFFE, H1, H2),
    v("srl.sc.h", 0x00030000, H1, H2),    # shift 14
    v("sra.sc.h", 0xFFFF0000, H1, H2),
    v("sll.sc.h", 0x00004000, H1, H2),
    v("or.sc.h", 0xFFFEFFFF, H1, H2),
    v("xor.sc.h", 0x000EFFFB, H1, H2),
    v("and.sc.h", 0xFFF00004, H1, H2),
    # .sci.h: signed ops sign-extend imm6 (-2 -> 0xfffe), unsigned ops zero-extend (0b111110 -> 62)
    v("add.sci.h", 0xFFEE0003, H1, imm=-2),
    v("add.sci.h", 0x000F0024, H1, imm=31),
    v("sub.sci.h", 0xFFF20007, H1, imm=-2),
    v("avg.sci.h", 0xFFF70001, H1, imm=-2),
    v("avgu.sci.h", 0x00170021, H1, imm=62),   # (0xfff0+62)&0xffff = 0x2e >> 1; (5+62) >> 1 = 33
    v("min.sci.h", 0xFFF0FFFE, H1, imm=-2),
    v("min.sci.h", 0xFFE0FFE0, H1, imm=-32),
    v("minu.sci.h", 0x003E0005, H1, imm=62),
    v("max.sci.h", 0xFFFE0005, H1, imm=-2),
    v("maxu.sci.h", 0xFFF0003E, H1, imm=62),
    v("srl.sci.h", 0x1FFE0000, H1, imm=3),
    v("sra.sci.h", 0xFFFE0000, H1, imm=3),
    v("sll.sci.h", 0xFF800028, H1, imm=3),
    v("or.sci.h", 0xFFFEFFFF, H1, imm=-2),
    v("xor.sci.h", 0x000EFFFB, H1, imm=-2),
    v("and.sci.h", 0xFFF00004, H1, imm=-2),
    # .b vector-vector
    v("add.b", 0x81800102, B1, B2),       # -127, 128 -> 0x80, 1, 2
    v("sub.b", 0x7F7EFB08, B1, B2),       # -129 -> 0x7f, 126, -5, 8
    v("avg.b", 0xC0C00001, B1, B2),       # sums 0x81, 0x80, 0x01, 0x02 (truncated) >>> 1
    v("avgu.b", 0x40400001, B1, B2),
    v("min.b", 0x8001FEFD, B1, B2),
    v("minu.b", 0x01010305, B1, B2),
    v("max.b", 0x017F0305, B1, B2),
    v("maxu.b", 0x807FFEFD, B1, B2),
    v("srl.b", 0x403F1F00, B1, B2),       # shifts 1, 1, 3, 0xfd & 7 = 5
    v("sra.b", 0xC03FFF00, B1, B2),
    v("sll.b", 0x00FEF0A0, B1, B2),
    v("or.b", 0x817FFFFD, B1, B2),
    v("xor.b", 0x817EFDF8, B1, B2),
    v("and.b", 0x00010205, B1, B2),
    v("abs.b", 0x807F0205, B1),           # |-128| wraps to 0x80
    # .sc.b: op2 = rs2.b[0] = 0xfd (-3) replicated
    v("add.sc.b", 0x7D7CFB02, B1, B2),
    v("sub.sc.b", 0x83820108, B1, B2),
    v("avgu.sc.b", 0x3E3E7D01, B1, B2),
    v("min.sc.b", 0x80FDFDFD, B1, B2),
    v("maxu.sc.b", 0xFDFDFEFD, B1, B2),
    v("sra.sc.b", 0xFC03FF00, B1, B2),    # shift 0xfd & 7 = 5
    # .sci.b: -3 (0b111101) signed = 0xfd, unsigned = 61
    v("add.sci.b", 0x7D7CFB02, B1, imm=-3),
    v("min.sci.b", 0x80FDFDFD, B1, imm=-3),
    v("maxu.sci.b", 0x807FFE3D, B1, imm=61),
    v("minu.sci.b", 0x3D3D3D05, B1, imm=61),
    v("avgu.sci.b", 0x5E5E1D21, B1, imm=61),
    v("sll.sci.b", 0x00FCF814, B1, imm=2),
    v("srl.sci.b", 0x01000100, B1, imm=7),
    v("or.sci.b", 0xE0FFFEE5, B1, imm=-32),    # | 0xe0
    v("and.sci.b", 0x001F1E05, B1, imm=31),
    v("xor.sci.b", 0x7F8001FA, B1, imm=-1),    # ~a1
]

C1, C2 = 0x807FFE05, 0x017FFD06      # bytes: (-128, 127, -2, 5) vs (1, 127, -3, 6)
SIMD_CMP = [
    v("cmpeq.h", 0x0000FFFF, H1, 0x00030005),     # (-16 vs 3, 5 vs 5)
    v("cmpne.h", 0xFFFF0000, H1, 0x00030005),
    v("cmpgt.h", 0x00000000, H1, 0x00030005),
    v("cmpge.h", 0x0000FFFF, H1, 0x00030005),
    v("cmplt.h", 0xFFFF0000, H1, 0x00030005),
    v("cmple.h", 0xFFFFFFFF, H1, 0x00030005),
    v("cmpgtu.h", 0xFFFF0000, H1, 0x00030005),    # 0xfff0 > 3
    v("cmpgeu.h", 0xFFFFFFFF, H1, 0x00030005),
    v("cmpltu.h", 0x00000000, H1, 0x00030005),
    v("cmpleu.h", 0x0000FFFF, H1, 0x00030005),
    v("cmpeq.b", 0x00FF0000, C1, C2),
    v("cmpne.b", 0xFF00FFFF, C1, C2),
    v("cmpgt.b", 0x0000FF00, C1, C2),
    v("cmpge.b", 0x00FFFF00, C1, C2),
    v("cmplt.b", 0xFF0000FF, C1, C2),
    v("cmple.b", 0xFFFF00FF, C1, C2),
    v("cmpgtu.b", 0xFF00FF00, C1, C2),
    v("cmpgeu.b", 0xFFFFFF00, C1, C2),
    v("cmpltu.b", 0x000000FF, C1, C2),
    v("cmpleu.b", 0x00FF00FF, C1, C2),
    v("cmpne.sc.h", 0xFFFF0000, H1, 0x77770005),  # op2 = 5
    v("cmplt.sc.b", 0xFF00FFFF, C1, C2),          # op2 = 6
    v("cmpgtu.sc.b", 0xFFFFFF00, C1, C2),
    v("cmpeq.sci.h", 0x0000FFFF, H1, imm=5),
    v("cmpgt.sci.h", 0xFFFFFFFF, H1, imm=-20),
    v("cmpltu.sci.h", 0x0000FFFF, H1, imm=44),
    v("cmpge.sci.b", 0x00FFFFFF, C1, imm=-2),
    v("cmpleu.sci.b", 0x000000FF, C1, imm=62),
]

SIMD_DOT = [
    # .h: a1 = (0xfff0 / -16, 5), a2 = (3, 0xfffe / -2)
    v("dotup.h", 0x0007FFC6, H1, H2),         # 65520*3 + 5*65534 = 524230
    v("dotusp.h", 0x0002FFC6, H1, H2),        # 65520*3 + 5*(-2) = 196550
    v("dotsp.h", 0xFFFFFFC6, H1, H2),         # -48 - 10 = -58
    v("sdotup.h", 0x000803AE, H1, H2, a0=1000),
    v("sdotusp.h", 0x000303AE, H1, H2, a0=1000),
    v("sdotsp.h", 0x000003AE, H1, H2, a0=1000),   # 942
    # .b: a1 = (0x80, 0x7f, 0xfe, 0x05), a2 = 0x010203fd = (1, 2, 3, 0xfd / -3)
    v("dotup.b", 0x00000969, B1, 0x010203FD),     # 128 + 254 + 762 + 1265 = 2409
    v("dotusp.b", 0x00000469, B1, 0x010203FD),    # 128 + 254 + 762 - 15 = 1129
    v("dotsp.b", 0x00000069, B1, 0x010203FD),     # -128 + 254 - 6 - 15 = 105
    v("sdotup.b", 0x80000968, B1, 0x010203FD, a0=0x7FFFFFFF),   # wraps
    v("sdotusp.b", 0x00000081, B1, 0x010203FD, a0=-1000),      # 129
    v("sdotsp.b", 0x000000CD, B1, 0x010203FD, a0=100),         # 205
    # .sc: op2 = rs2 element 0 replicated
    v("dotsp.sc.h", 0x00000016, H1, 0x1234FFFE),  # (-16 + 5) * -2 = 22
    v("dotup.sc.h", 0xFFF30016, H1, 0x1234FFFE),  # 65525 * 65534 = 0xfff50000 - 0x1ffea
    v("dotusp.sc.h", 0xFFFE0016, H1, 0x1234FFFE), # 65525 * -2 = -131050 = -0x1ffea
    v("sdotsp.sc.b", 0x0000000E, B1, 0xAAAAAA02, a0=10),   # (-128+127-2+5)*2 + 10
    # .sci
    v("dotsp.sci.h", 0x00000021, H1, imm=-3),     # (-11) * -3
    v("dotup.sci.b", 0x00007A7A, B1, imm=61),     # 514 * 61 = 31354
    v("dotusp.sci.b", 0xFFFFFDFE, B1, imm=-1),    # -514
    v("sdotup.sci.h", 0x003EFD4C, H1, imm=63, a0=1),      # 65525 * 63 + 1 = 4128076
    v("sdotusp.sci.b", 0xFFFFBFC0, B1, imm=-32, a0=0),    # 514 * -32 = -16448
    v("sdotsp.sci.h", 0xFFFFFFA8, H1, imm=7, a0=-11),     # -77 - 11 = -88
]

SIMD_EXTRACT_INSERT = [
    v("extract.h", 0xFFFF8001, 0x80017FFE, imm=1),
    v("extract.h", 0x00007FFE, 0x80017FFE, imm=0),
    v("extractu.h", 0x00008001, 0x80017FFE, imm=1),
    v("extract.b", 0xFFFFFFFE, B1, imm=1),
    v("extract.b", 0xFFFFFF80, B1, imm=3),
    v("extract.b", 0x0000007F, B1, imm=2),
    v("extractu.b", 0x000000FE, B1, imm=1),
    v("extractu.b", 0x00000080, B1, imm=3),
    v("insert.h", 0x56782222, 0xABCD5678, a0=0x11112222, imm=1),   # rD.h[1] = rs1.h[0]
    v("insert.h", 0x11115678, 0xABCD5678, a0=0x11112222, imm=0),
    v("insert.b", 0x11AB3344, 0x123456AB, a0=0x11223344, imm=2),   # only rs1.b[0] is used
    v("insert.b", 0x112233AB, 0x123456AB, a0=0x11223344, imm=0),
]

SIMD_SHUFFLE_PACK = [
    v("shuffle.h", 0xBBBBAAAA, 0xAAAABBBB, 0x00000001),   # hi <- h[rs2[16]=0], lo <- h[rs2[0]=1]
    v("shuffle.h", 0xAAAAAAAA, 0xAAAABBBB, 0x00010001),
    v("shuffle.h", 0xBBBBBBBB, 0xAAAABBBB, 0x00020002),   # only selector bit 0 counts
    v("shuffle.b", 0x11223344, 0x44332211, 0x00010203),
    v("shuffle.b", 0x44332211, 0x44332211, 0x07060504),   # selector & 3
    v("shuffle.sci.h", 0xBBBBAAAA, 0xAAAABBBB, imm=1),    # hi <- h[imm[1]], lo <- h[imm[0]]
    v("shuffle.sci.h", 0xAAAABBBB, 0xAAAABBBB, imm=2),
    v("shuffle.sci.h", 0xAAAAAAAA, 0xAAAABBBB, imm=3),
    # shufflei{k}: [31:24] = byte k, [23:16] = byte imm[5:4]=2, [15:8] = imm[3:2]=1, [7:0] = imm[1:0]=3
    v("shufflei0.sci.b", 0x11332244, 0x44332211, imm=0b100111),
    v("shufflei1.sci.b", 0x22332244, 0x44332211, imm=0b100111),
    v("shufflei2.sci.b", 0x33332244, 0x44332211, imm=0b100111),
    v("shufflei3.sci.b", 0x44332244, 0x44332211, imm=0b100111),
    # shuffle2: selector bit 1 (.h) / bit 2 (.b) picks rs1 (1) or old rD (0)
    v("shuffle2.h", 0xAAAADDDD, 0xAAAABBBB, 0x00030000, a0=0xCCCCDDDD),
    v("shuffle2.h", 0xCCCCBBBB, 0xAAAABBBB, 0x00010002, a0=0xCCCCDDDD),
    v("shuffle2.b", 0x44552233, 0x44332211, 0x07000506, a0=0x88776655),
    v("shuffle2.b", 0x88776611, 0x44332211, 0x03020104, a0=0x88776655),
    v("pack", 0x22224444, 0x11112222, 0x33334444),        # {rs1[15:0], rs2[15:0]}
    v("pack.h", 0x11113333, 0x11112222, 0x33334444),      # {rs1[31:16], rs2[31:16]}
    v("packhi.b", 0xEEFFCCDD, 0x123456EE, 0xABCDEFFF, a0=0xAABBCCDD),   # only rs1/rs2 [7:0]
    v("packlo.b", 0xAABBEEFF, 0x123456EE, 0xABCDEFFF, a0=0xAABBCCDD),
]

OP_FAMILIES = {
    "alu": ALU, "bitmanip": BITMANIP, "clip": CLIP, "addsub_norm": ADDSUB, "mul_mac": MULMAC,
    "simd_arith": SIMD_ARITH, "simd_cmp": SIMD_CMP, "simd_dot": SIMD_DOT,
    "simd_extract_insert": SIMD_EXTRACT_INSERT, "simd_shuffle_pack": SIMD_SHUFFLE_PACK,
}


# ----------------------------------------------------------------------------------------
# Program generation
# ----------------------------------------------------------------------------------------
PRELUDE = """
    .macro EXPECT id, reg, val
    li      t6, \\val
    beq     \\reg, t6, .Lok\\@
    mv      t5, \\reg
    li      t4, \\id
    la      t3, fail_log
    lw      t2, 0(t3)
    addi    t2, t2, 1
    sw      t2, 0(t3)
    li      t1, 255
    bgeu    t2, t1, .Lok\\@
    slli    t2, t2, 3
    add     t3, t3, t2
    sw      t4, 0(t3)
    sw      t5, 4(t3)
.Lok\\@:
    .endm

    .macro EXPECT_ADDR id, reg, sym
    la      t6, \\sym
    beq     \\reg, t6, .Lok\\@
    mv      t5, \\reg
    li      t4, \\id
    la      t3, fail_log
    lw      t2, 0(t3)
    addi    t2, t2, 1
    sw      t2, 0(t3)
    li      t1, 255
    bgeu    t2, t1, .Lok\\@
    slli    t2, t2, 3
    add     t3, t3, t2
    sw      t4, 0(t3)
    sw      t5, 4(t3)
.Lok\\@:
    .endm

    .bss
    .balign 8
    .globl fail_log
fail_log:
    .space 8 * 256
    .balign 16
sbuf:
    .space 64

    .data
    .balign 16
    # bytes 0..7: f1 82 13 94 25 a6 37 b8, then 8 more for reg-reg offsets
buf:
    .byte 0xf1, 0x82, 0x13, 0x94, 0x25, 0xa6, 0x37, 0xb8
    .byte 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77
words:
    .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10

    .text
    .globl main
    .type main, @function
main:
    addi    sp, sp, -16
    sw      ra, 12(sp)
"""

EPILOGUE = """
    la      t3, fail_log
    lw      a0, 0(t3)
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
    .size main, . - main
"""


@dataclass
class Program:
    flavour: str
    body: list = field(default_factory=list)
    checks: list = field(default_factory=list)     # id -> (family, description, expected)

    def new_check(self, family, description, expected):
        self.checks.append((family, description, expected))
        return len(self.checks)              # ids start at 1

    def emit(self, *lines):
        self.body.extend(lines)

    def expect(self, family, description, reg, expected):
        cid = self.new_check(family, description, f"{expected & 0xFFFFFFFF:#010x}")
        self.emit(f"    EXPECT {cid}, {reg}, {expected & 0xFFFFFFFF:#x}")

    def expect_addr(self, family, description, reg, sym):
        cid = self.new_check(family, description, sym)
        self.emit(f"    EXPECT_ADDR {cid}, {reg}, {sym}")

    def source(self):
        return PRELUDE + "\n".join(self.body) + EPILOGUE


def li(reg, value):
    return f"    li {reg}, {value & 0xFFFFFFFF:#x}"


def add_op_checks(prog: Program, family: str, ops: list[Op]) -> None:
    for o in ops:
        prog.emit(*(li(r, val) for r, val in o.regs.items()))
        prog.emit(f"    {o.text(prog.flavour)}")
        prog.expect(family, o.describe() + f" [{o.text(prog.flavour)}]", "a0", o.expected)


# ---- post-increment / register-offset loads and stores ------------------------------------
# buf bytes: 0:f1 1:82 2:13 3:94 4:25 5:a6 6:37 7:b8 8:00 ...
LOADS = [
    # (size, signed, mode, base offset, imm or offset-register value, value, new base offset)
    ("lb", "imm", 0, 3, 0xFFFFFFF1, 3),        # sext(0xf1); base += 3
    ("lbu", "imm", 1, -1, 0x00000082, 0),
    ("lh", "imm", 2, 2, 0xFFFF9413, 4),        # bytes 13 94
    ("lhu", "imm", 4, -4, 0x0000A625, 0),
    ("lw", "imm", 4, 4, 0xB837A625, 8),
    ("lb", "reg", 1, 5, 0xFFFFFF82, 6),        # base += rs2
    ("lbu", "reg", 7, -7, 0x000000B8, 0),
    ("lh", "reg", 6, -6, 0xFFFFB837, 0),
    ("lhu", "reg", 0, 2, 0x000082F1, 2),
    ("lw", "reg", 0, 0x100, 0x941382F1, 0x100),
    ("lb", "regreg", 0, 3, 0xFFFFFF94, 0),     # address = base + rs2, base unchanged
    ("lbu", "regreg", 0, 5, 0x000000A6, 0),
    ("lh", "regreg", 0, 4, 0xFFFFA625, 0),
    ("lhu", "regreg", 8, -2, 0x0000B837, 8),
    ("lw", "regreg", 8, -8, 0x941382F1, 8),
    ("lw", "imm", 1, 4, 0x25941382, 5),        # misaligned word: bytes 82 13 94 25
    ("lh", "reg", 3, 1, 0x00002594, 4),        # misaligned half: bytes 94 25 (positive)
]
XP_LOAD_F3 = {"lb": 0, "lh": 1, "lw": 2, "lbu": 4, "lhu": 5}
XP_LOAD_RR = {"lb": 0x00, "lbu": 0x40, "lh": 0x10, "lhu": 0x50, "lw": 0x20}   # bits[31:24]

STORES = [
    # (op, mode, base offset, imm or rs3 value, value, expected word0, word1, new base offset)
    ("sb", "imm", 0, 1, 0x123456AB, 0x000000AB, 0x00000000, 1),
    ("sh", "imm", 2, -2, 0x1234CDEF, 0xCDEF0000, 0x00000000, 0),
    ("sw", "imm", 4, 8, 0xDEADBEEF, 0x00000000, 0xDEADBEEF, 12),
    ("sb", "reg", 3, -3, 0x0000005A, 0x5A000000, 0x00000000, 0),
    ("sh", "reg", 4, 6, 0xFFFF8001, 0x00000000, 0x00008001, 10),
    ("sw", "reg", 0, 0x40, 0x01020304, 0x01020304, 0x00000000, 0x40),
    ("sb", "regreg", 8, -7, 0x00000077, 0x00007700, 0x00000000, 8),   # address sbuf + 1
    ("sh", "regreg", 0, 6, 0x1234BEEF, 0x00000000, 0xBEEF0000, 0),    # address sbuf + 6
    ("sw", "regreg", 16, -16, 0xCAFEF00D, 0xCAFEF00D, 0x00000000, 16),
]
XP_STORE_F3 = {"sb": 0, "sh": 1, "sw": 2}


def load_text(flavour, name, mode, rd, base, off_imm):
    if flavour == "corev":
        if mode == "imm":
            return f"cv.{name} {rd}, ({base}), {off_imm}"
        if mode == "reg":
            return f"cv.{name} {rd}, ({base}), a4"
        return f"cv.{name} {rd}, a4({base})"
    if mode == "imm":
        return f".word {i_type(0x0B | XP_LOAD_F3[name] << 12, X[rd], X[base], off_imm):#010x}"
    if mode == "reg":
        return f".word {r_type(XP_LOAD_RR[name] << 24 | 0x700B, X[rd], X[base], OFF):#010x}"
    return f".word {r_type(XP_LOAD_RR[name] << 24 | 0x7003, X[rd], X[base], OFF):#010x}"


def store_text(flavour, name, mode, value_reg, base, off_imm):
    if flavour == "corev":
        if mode == "imm":
            return f"cv.{name} {value_reg}, ({base}), {off_imm}"
        if mode == "reg":
            return f"cv.{name} {value_reg}, ({base}), a4"
        return f"cv.{name} {value_reg}, a4({base})"
    f3 = XP_STORE_F3[name]
    if mode == "imm":
        return f".word {s_type(0x2B | f3 << 12, X[value_reg], X[base], off_imm):#010x}"
    opcode = 0x2B if mode == "reg" else 0x23            # rs3 in bits[11:7]
    return f".word {opcode | (4 + f3) << 12 | X['a4'] << 7 | X[base] << 15 | X[value_reg] << 20:#010x}"


def add_memory_checks(prog: Program) -> None:
    fam = "load"
    for name, mode, boff, off, value, new in LOADS:
        text = load_text(prog.flavour, name, mode, "a0", "a3", off)
        desc = f"{name} {mode} base=buf+{boff} off={off} [{text}]"
        prog.emit(f"    la a3, buf+{boff}", li("a4", off), li("a0", GARBAGE), f"    {text}")
        prog.expect(fam, desc + " value", "a0", value)
        prog.expect_addr(fam, desc + " base", "a3", f"buf+{new}")
    # rD == rs2 on a register post-increment: the increment uses the old rs2
    text = load_text(prog.flavour, "lw", "reg", "a4", "a3", 0)
    prog.emit("    la a3, buf", li("a4", 4), f"    {text}")
    prog.expect(fam, f"rD == rs2 [{text}] value", "a4", 0x941382F1)
    prog.expect_addr(fam, f"rD == rs2 [{text}] base += old rs2", "a3", "buf+4")
    if prog.flavour == "corev":
        # rD == rs1: the loaded data has priority over the incremented address (CV32E40P v2)
        for name, mode, off, value in (("lw", "imm", 4, 0x941382F1), ("lbu", "reg", 5, 0xF1),
                                       ("lh", "imm", -2, 0xFFFF82F1)):
            text = load_text(prog.flavour, name, mode, "a3", "a3", off)
            prog.emit("    la a3, buf", li("a4", off), f"    {text}")
            prog.expect(fam, f"rD == rs1 [{text}]: loaded data wins", "a3", value)
    fam = "store"
    for name, mode, boff, off, value, w0, w1, new in STORES:
        text = store_text(prog.flavour, name, mode, "a1", "a3", off)
        desc = f"{name} {mode} base=sbuf+{boff} off={off} value={value:#x} [{text}]"
        prog.emit("    la t0, sbuf", "    sw zero, 0(t0)", "    sw zero, 4(t0)", "    sw zero, 8(t0)",
                  "    sw zero, 12(t0)", f"    la a3, sbuf+{boff}", li("a4", off), li("a1", value),
                  f"    {text}", "    la t0, sbuf", "    lw a0, 0(t0)")
        prog.expect(fam, desc + " word0", "a0", w0)
        prog.emit("    lw a0, 4(t0)")
        prog.expect(fam, desc + " word1", "a0", w1)
        prog.emit("    lw a0, 8(t0)")
        prog.expect(fam, desc + " word2 untouched", "a0", 0)
        prog.expect_addr(fam, desc + " base", "a3", f"sbuf+{new}")
    # the stored value register is the base register: the old base is stored
    text = store_text(prog.flavour, "sw", "imm", "a3", "a3", 4)
    prog.emit("    la a3, sbuf", f"    {text}", "    la t0, sbuf", "    lw a0, 0(t0)")
    prog.expect_addr(fam, f"rs2 == rs1 [{text}] stores the old base", "a0", "sbuf")
    prog.expect_addr(fam, f"rs2 == rs1 [{text}] base", "a3", "sbuf+4")


def add_branch_checks(prog: Program) -> None:
    fam = "branch_imm"
    # (op, rs1 value, imm5, taken)
    cases = [("beqimm", -5, -5, True), ("beqimm", -5, 5, False), ("bneimm", -5, -5, False),
             ("bneimm", 7, -5, True), ("beqimm", -16, -16, True), ("beqimm", 15, 15, True),
             ("beqimm", 0xFFFFFFF0, -16, True), ("bneimm", 16, -16, True), ("beqimm", 31, -1, False)]
    for name, value, imm, taken in cases:
        if prog.flavour == "corev":
            branch = f"cv.{name} a1, {imm}, .Lbr{len(prog.checks)}"
        else:   # p.beqimm 0x00002063 / p.bneimm 0x00003063; skip the 4-byte li: offset 8
            branch = f".word {b_type(0x2063 if name == 'beqimm' else 0x3063, RS1, imm, 8):#010x}"
        prog.emit("    .option push", "    .option norvc", li("a1", value), "    li a0, 0",
                  f"    {branch}", "    li a0, 1", f".Lbr{len(prog.checks)}:", "    .option pop")
        prog.expect(fam, f"{name} rs1={value & 0xFFFFFFFF:#x} imm={imm} ({'taken' if taken else 'not taken'})"
                    f" [{branch}]", "a0", 0 if taken else 1)
    # backward branch: count down with bneimm a1, 0, <loop>  (offset -8)
    if prog.flavour == "corev":
        back = f"cv.bneimm a1, 0, .Lback{len(prog.checks)}"
    else:
        back = f".word {b_type(0x3063, RS1, 0, -8):#010x}"
    prog.emit("    .option push", "    .option norvc", "    li a1, 3", "    li a0, 0",
              f".Lback{len(prog.checks)}:", "    addi a0, a0, 1", "    addi a1, a1, -1",
              f"    {back}", "    .option pop")
    prog.expect(fam, f"backward bneimm loop of 3 [{back}]", "a0", 3)


def build(tmp_dir, name, source, flavour):
    src = tmp_dir / f"{name}.S"
    src.write_text(source)
    return toolchain.compile_firmware([src], tmp_dir / f"{name}.elf", isa=BUILD_ISA[flavour])


def run_elf(elf, flavour, output=None, max_instructions=1_000_000):
    sim = Simulator(elf, isa=flavour, output=output if output is not None else io.StringIO(), cores=1)
    return sim, sim.run(max_instructions=max_instructions)


def read_fail_log(sim):
    base = sim.image.symbols["fail_log"]
    raw = sim.memory.read(base, 8 * 256)
    count = int.from_bytes(raw[:4], "little")
    entries = []
    for k in range(1, min(count, 254) + 1):
        cid = int.from_bytes(raw[8 * k:8 * k + 4], "little")
        actual = int.from_bytes(raw[8 * k + 4:8 * k + 8], "little")
        entries.append((cid, actual))
    return count, entries


@pytest.fixture(scope="module", params=FLAVOURS)
def semantics_run(request, tmp_path_factory):
    """Build and run the all-families program of one flavour once."""
    flavour = request.param
    prog = Program(flavour)
    for family, ops in OP_FAMILIES.items():
        add_op_checks(prog, family, ops)
    add_memory_checks(prog)
    add_branch_checks(prog)
    tmp = tmp_path_factory.mktemp(f"sem_{flavour}")
    elf = build(tmp, "semantics", prog.source(), flavour)
    sim, result = run_elf(elf, flavour)
    return prog, sim, result


FAMILIES = [*OP_FAMILIES, "load", "store", "branch_imm"]


@pytest.mark.parametrize("family", FAMILIES)
def test_family(semantics_run, family):
    prog, sim, result = semantics_run
    assert result.stop.reason == "exit", sim.describe_stop(result.stop)
    count, entries = read_fail_log(sim)
    assert result.exit_code == count
    failures = []
    for cid, actual in entries:
        fam, desc, expected = prog.checks[cid - 1]
        if fam == family:
            failures.append(f"#{cid} {desc}: expected {expected}, got {actual:#010x}")
    assert not failures, f"{prog.flavour}: {len(failures)} failing check(s):\n" + "\n".join(failures)
    assert any(c[0] == family for c in prog.checks)


# ----------------------------------------------------------------------------------------
# Hardware loops: exact instruction counts (minstret deltas) and results
# ----------------------------------------------------------------------------------------
def xp_lp(kind, loop, value=0, rs1=0, offset=0):
    """lp.* words (PULP binutils HWLOOP class): offsets are (target - pc) >> 1."""
    if kind == "starti":
        return 0x0000007B | loop << 7 | (offset >> 1) << 20
    if kind == "endi":
        return 0x0000107B | loop << 7 | (offset >> 1) << 20
    if kind == "count":
        return 0x0000207B | loop << 7 | rs1 << 15
    if kind == "counti":
        return 0x0000307B | loop << 7 | value << 20
    if kind == "setup":
        return 0x0000407B | loop << 7 | rs1 << 15 | (offset >> 1) << 20
    if kind == "setupi":
        return 0x0000507B | loop << 7 | value << 20 | (offset >> 1) << 15
    raise ValueError(kind)


def cv_lp(kind, loop, value=0, rs1=0, offset=0):
    """cv.* hardware loop words (CV32E40P corev_hw_loop.rst): offsets are (target - pc) >> 2."""
    base = {"starti": 0x402B, "start": 0x412B, "endi": 0x422B, "end": 0x432B, "counti": 0x442B,
            "count": 0x452B, "setupi": 0x462B, "setup": 0x472B}[kind] | loop << 7
    if kind in ("starti", "endi"):
        return base | (offset >> 2) << 20
    if kind in ("start", "end", "count"):
        return base | rs1 << 15
    if kind == "counti":
        return base | value << 20
    if kind == "setupi":
        return base | value << 20 | (offset >> 2) << 15
    return base | rs1 << 15 | (offset >> 2) << 20


def delta_program(blocks):
    """main runs each block between two minstret reads and stores delta - 1 (the closing
    csrr is not counted) into deltas[i]; registers a2.. are saved into regs[i][..]."""
    body = ["    .option push", "    .option norvc", "    .option norelax"]
    for i, block in enumerate(blocks):
        body += ["    li a2, 0", "    li a3, 0", "    li a4, 0", "    li a6, 0", "    li a7, 0",
                 "    csrr t5, minstret", block, "    csrr t6, minstret", "    sub t6, t6, t5",
                 "    addi t6, t6, -1", f"    la t4, deltas+{4 * i}", "    sw t6, 0(t4)",
                 f"    la t4, regs+{24 * i}", "    sw a1, 0(t4)", "    sw a2, 4(t4)", "    sw a3, 8(t4)",
                 "    sw a4, 12(t4)", "    sw a6, 16(t4)", "    sw a7, 20(t4)"]
    body += ["    .option pop"]
    return (PRELUDE + "\n".join(body) + EPILOGUE
            + f"\n    .bss\n    .balign 4\n    .globl deltas\ndeltas: .space {4 * len(blocks)}\n"
            + f"    .globl regs\nregs: .space {24 * len(blocks)}\n")


def read_block_results(sim, n):
    d = sim.memory.read(sim.image.symbols["deltas"], 4 * n)
    r = sim.memory.read(sim.image.symbols["regs"], 24 * n)
    deltas = [int.from_bytes(d[4 * i:4 * i + 4], "little") for i in range(n)]
    regs = [{name: int.from_bytes(r[24 * i + 4 * k:24 * i + 4 * k + 4], "little")
             for k, name in enumerate(("a1", "a2", "a3", "a4", "a6", "a7"))} for i in range(n)]
    return deltas, regs


def hwloop_blocks(flavour):
    """(block source, expected minstret delta, expected {register: value}) per block."""
    blocks = []
    a5 = X["a5"]
    if flavour == "xpulpv2":
        # 1. lp.setupi x0, 10, body of 3 (inclusive end = 3rd body instruction, offset 12)
        #    with a post-increment load in the body: sum of words 1..10
        blocks.append((f"""
    la a1, words
    .word {xp_lp('setupi', 0, value=10, offset=12):#010x}
    .word {i_type(0x200B, X['a4'], X['a1'], 4):#010x}     # p.lw a4, 4(a1!)
    add a2, a2, a4
    addi a3, a3, 1""",
                       2 + 1 + 10 * 3,      # la (auipc + addi) + setupi + 10 x 3
                       {"a2": 55, "a3": 10}))
        # 2. nested, loop 1 by starti/endi/counti (outer x3), loop 0 by lp.setup a5=4 (inner)
        #    PC0 starti(+12 -> outer), PC0+4 endi (outer end = PC0+24, inclusive), PC0+8 counti
        #    outer body: PC0+12 setup (inner end = +8 -> PC0+20), PC0+16 addi a2, PC0+20 addi a3,
        #    PC0+24 addi a4
        blocks.append((f"""
    li a5, 4
    .word {xp_lp('starti', 1, offset=12):#010x}
    .word {xp_lp('endi', 1, offset=20):#010x}
    .word {xp_lp('counti', 1, value=3):#010x}
    .word {xp_lp('setup', 0, rs1=a5, offset=8):#010x}
    addi a2, a2, 1
    addi a3, a3, 1
    addi a4, a4, 1""",
                       1 + 3 + 3 * (1 + 4 * 2 + 1),    # li + 3 setup + 3 x (setup + 8 + 1) = 34
                       {"a2": 12, "a3": 12, "a4": 3}))
        # 3. both loops end on the same instruction: loop 0 first, then loop 1
        #    PC0 setupi x1, 2, end +20 ; PC0+4 setupi x0, 3, end +16 ; body PC0+8..PC0+20
        blocks.append((f"""
    .word {xp_lp('setupi', 1, value=2, offset=20):#010x}
    .word {xp_lp('setupi', 0, value=3, offset=16):#010x}
    addi a2, a2, 1
    addi a3, a3, 1
    addi a4, a4, 1
    addi a6, a6, 1""",
                       1 + 2 * (1 + 3 * 4),           # 27
                       {"a2": 6, "a3": 6, "a4": 6, "a6": 6}))
        # 4. RVC body: inclusive end on a compressed instruction (lp.setupi 0, 7, end +8):
        #    PC0+4 addi (4 bytes), PC0+8 c.addi (2 bytes, last body instruction)
        blocks.append((f"""
    .word {xp_lp('setupi', 0, value=7, offset=8):#010x}
    addi a2, a2, 2
    .option push
    .option rvc
    c.addi a3, 1
    .option pop""",
                       1 + 7 * 2, {"a2": 14, "a3": 7}))
        # 5. the last body instruction is a custom instruction (p.max), the next one too (p.abs)
        blocks.append((f"""
    li a1, -7
    .word {xp_lp('setupi', 0, value=5, offset=12):#010x}
    addi a2, a2, 1
    addi a3, a3, 1
    .word {r_type(XP_MATCH['max'], X['a4'], X['a4'], X['a2']):#010x}   # p.max a4, a4, a2 (end)
    .word {XP_MATCH['abs'] | X['a6'] << 7 | X['a1'] << 15:#010x}       # p.abs a6, a1
    addi a7, a7, 1""",
                       1 + 1 + 5 * 3 + 2, {"a2": 5, "a3": 5, "a4": 5, "a6": 7, "a7": 1}))
    else:
        # 1. cv.setupi 0, 10, exclusive end +16 (body +4, +8, +12)
        blocks.append((f"""
    la a1, words
    .word {cv_lp('setupi', 0, value=10, offset=16):#010x}
    cv.lw a4, (a1), 4
    add a2, a2, a4
    addi a3, a3, 1""",
                       2 + 1 + 10 * 3, {"a2": 55, "a3": 10}))
        # 2. nested: loop 1 by starti/endi/counti (x3), loop 0 by cv.setup a5=4
        #    PC0 starti (+12), PC0+4 endi (outer end PC0+36 -> +32), PC0+8 counti,
        #    PC0+12 setup (inner end = +16 -> PC0+28), body PC0+16..24, PC0+28, PC0+32
        blocks.append((f"""
    li a5, 4
    .word {cv_lp('starti', 1, offset=12):#010x}
    .word {cv_lp('endi', 1, offset=32):#010x}
    .word {cv_lp('counti', 1, value=3):#010x}
    .word {cv_lp('setup', 0, rs1=a5, offset=16):#010x}
    addi a2, a2, 1
    addi a3, a3, 1
    addi a6, a6, 1
    addi a4, a4, 1
    addi a7, a7, 1""",
                       1 + 3 + 3 * (1 + 4 * 3 + 2),    # 49
                       {"a2": 12, "a3": 12, "a6": 12, "a4": 3, "a7": 3}))
        # 3. body with SIMD dot products and post-increment loads (typical kernel):
        #    a2 += dotsp(words[i], 0x00020001) for i < 4: words as halves (0, i+1) -> (i+1)*1
        blocks.append((f"""
    la a1, words
    li a5, 0x00020001
    .word {cv_lp('setupi', 0, value=4, offset=16):#010x}
    cv.lw a4, (a1), 4
    cv.sdotsp.h a2, a4, a5
    addi a3, a3, 1""",
                       2 + 2 + 1 + 4 * 3, {"a2": 10, "a3": 4}))
        # 4. count 1: the body runs once, no back-edge
        blocks.append((f"""
    .word {cv_lp('setupi', 0, value=1, offset=16):#010x}
    addi a2, a2, 1
    addi a3, a3, 1
    addi a4, a4, 1""",
                       1 + 3, {"a2": 1, "a3": 1, "a4": 1}))
        # 5. a custom instruction ends the body (cv.max) and one sits at the exit address (cv.abs)
        blocks.append((f"""
    li a1, -7
    .word {cv_lp('setupi', 0, value=5, offset=16):#010x}
    addi a2, a2, 1
    addi a3, a3, 1
    cv.max a4, a4, a2
    cv.abs a6, a1
    addi a7, a7, 1""",
                       1 + 1 + 5 * 3 + 2, {"a2": 5, "a3": 5, "a4": 5, "a6": 7, "a7": 1}))
    return blocks


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_hwloop_exact_counts(tmp_path, flavour):
    blocks = hwloop_blocks(flavour)
    elf = build(tmp_path, "hwl", delta_program([b for b, _, _ in blocks]), flavour)
    sim, result = run_elf(elf, flavour)
    assert result.stop.reason == "exit", sim.describe_stop(result.stop)
    deltas, regs = read_block_results(sim, len(blocks))
    problems = []
    for i, (_src, count, want) in enumerate(blocks):
        if deltas[i] != count:
            problems.append(f"block {i}: {deltas[i]} instructions, expected {count}")
        for reg, value in want.items():
            if regs[i][reg] != value:
                problems.append(f"block {i}: {reg} = {regs[i][reg]:#x}, expected {value:#x}")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------------------
# CSRs: hardware-loop registers, instret
# ----------------------------------------------------------------------------------------
def csr_program(flavour):
    prog = Program(flavour)
    fam = "csr"
    e = prog.emit
    e("    .option push", "    .option norvc", "    .option norelax")
    # minstret / instret deltas: csrr(1) + 3 nops -> 4
    e("    csrr t0, minstret", "    nop", "    nop", "    nop", "    csrr a0, minstret", "    sub a0, a0, t0")
    prog.expect(fam, "minstret delta over csrr + 3 nops", "a0", 4)
    e("    csrr t0, instret", "    nop", "    csrr a0, instret", "    sub a0, a0, t0")
    prog.expect(fam, "instret delta over csrr + nop", "a0", 2)
    abs_text = op("abs", 0).text(flavour)
    e("    li a1, -9", "    csrr t0, minstret", f"    {abs_text}", "    csrr a2, minstret",
      "    sub a2, a2, t0")
    prog.expect(fam, "minstret delta over csrr + one custom instruction", "a2", 2)
    prog.expect(fam, "custom instruction between csrr", "a0", 9)
    for name, value, taken in (("beqimm", 5, True), ("beqimm", 6, False), ("bneimm", 6, True)):
        if flavour == "corev":
            br = f"cv.{name} a1, 5, .Lcnt{len(prog.checks)}"
        else:
            br = f".word {b_type(0x2063 if name == 'beqimm' else 0x3063, RS1, 5, 8):#010x}"
        e(f"    li a1, {value}", "    csrr t0, minstret", f"    {br}", "    nop",
          f".Lcnt{len(prog.checks)}:", "    csrr a0, minstret", "    sub a0, a0, t0")
        # csrr + branch (+ the skipped nop when not taken)
        prog.expect(fam, f"minstret delta over {name} ({'taken' if taken else 'not taken'})",
                    "a0", 2 if taken else 3)
    e("    csrr a0, minstreth")
    prog.expect(fam, "minstreth = 0", "a0", 0)
    e("    csrr a0, instreth")
    prog.expect(fam, "instreth = 0", "a0", 0)
    e("    csrr a0, minstret", "    csrr a1, instret", "    sub a0, a1, a0")
    prog.expect(fam, "instret - minstret of consecutive reads", "a0", 1)
    # loop registers visible in the CSRs after a loop (count back to 0)
    base = 0x7C0 if flavour == "xpulpv2" else 0xCC0
    if flavour == "xpulpv2":
        setup = xp_lp("setupi", 0, value=3, offset=12)          # inclusive end = setup + 12
        end_sym = ".Lcsr_setup+12"
        setup1 = xp_lp("setupi", 1, value=2, offset=8)
        end1_sym = ".Lcsr_setup1+8"
    else:
        setup = cv_lp("setupi", 0, value=3, offset=16)          # exclusive end = setup + 16
        end_sym = ".Lcsr_setup+16"
        setup1 = cv_lp("setupi", 1, value=2, offset=16)
        end1_sym = ".Lcsr_setup1+16"
    e(".Lcsr_setup:", f"    .word {setup:#010x}", "    nop", "    nop", "    nop")
    e(f"    csrr a0, {base:#x}")
    prog.expect_addr(fam, f"lpstart0 (CSR {base:#x}) after setupi", "a0", ".Lcsr_setup+4")
    e(f"    csrr a0, {base + 1:#x}")
    prog.expect_addr(fam, f"lpend0 (CSR {base + 1:#x}) after setupi", "a0", end_sym)
    e(f"    csrr a0, {base + 2:#x}")
    prog.expect(fam, f"lpcount0 (CSR {base + 2:#x}) after the loop", "a0", 0)
    e(".Lcsr_setup1:", f"    .word {setup1:#010x}", "    nop", "    nop", "    nop")
    e(f"    csrr a0, {base + 4:#x}")
    prog.expect_addr(fam, f"lpstart1 (CSR {base + 4:#x}) after setupi", "a0", ".Lcsr_setup1+4")
    e(f"    csrr a0, {base + 5:#x}")
    prog.expect_addr(fam, f"lpend1 (CSR {base + 5:#x}) after setupi", "a0", end1_sym)
    e(f"    csrr a0, {base + 6:#x}")
    prog.expect(fam, f"lpcount1 (CSR {base + 6:#x}) after the loop", "a0", 0)
    # read-only accesses that do not write on CORE-V: csrrs/csrrc with x0, csrrsi/csrrci with 0
    e(f"    csrrs a0, {base + 2:#x}, zero", f"    csrrci a1, {base:#x}, 0", "    sub a1, a1, a0")
    prog.expect_addr(fam, "csrrci with uimm 0 reads lpstart0", "a1", ".Lcsr_setup+4")
    if flavour == "xpulpv2":
        # RI5CY: the loop CSRs are read/write (count stays 0: no loop activated)
        for offset, value in ((0, 0x1C000100), (1, 0x1C000200), (4, 0x1C000300), (5, 0x1C000400)):
            e(li("t0", value), f"    csrw {base + offset:#x}, t0", f"    csrr a0, {base + offset:#x}")
            prog.expect(fam, f"csrw/csrr {base + offset:#x}", "a0", value)
        e("    li t0, 3", f"    csrrs a0, {base:#x}, t0")
        prog.expect(fam, "csrrs returns the old lpstart0", "a0", 0x1C000100)
        e(f"    csrr a0, {base:#x}")
        prog.expect(fam, "csrrs set bits 0,1 of lpstart0", "a0", 0x1C000103)
        e("    li t0, 1", f"    csrrc a0, {base:#x}, t0", f"    csrr a0, {base:#x}")
        prog.expect(fam, "csrrc cleared bit 0 of lpstart0", "a0", 0x1C000102)
        e(f"    csrrwi a0, {base + 2:#x}, 0")
        prog.expect(fam, "csrrwi returns the old lpcount0", "a0", 0)
        e("    li t0, 0", f"    csrw {base + 6:#x}, t0", f"    csrr a0, {base + 6:#x}")
        prog.expect(fam, "lpcount1 written 0", "a0", 0)
    e("    .option pop")
    return prog


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_csr_reads_and_writes(tmp_path, flavour):
    prog = csr_program(flavour)
    elf = build(tmp_path, "csr", prog.source(), flavour)
    sim, result = run_elf(elf, flavour)
    assert result.stop.reason == "exit", sim.describe_stop(result.stop)
    count, entries = read_fail_log(sim)
    failures = [f"#{cid} {prog.checks[cid - 1][1]}: expected {prog.checks[cid - 1][2]}, got {actual:#010x}"
                for cid, actual in entries]
    assert count == 0, "\n".join(failures)


CV_LOOP_CSRS = (0xCC0, 0xCC1, 0xCC2, 0xCC4, 0xCC5, 0xCC6)


def csr_write_program():
    lines = ["    .text"]
    for csr in CV_LOOP_CSRS:
        lines += [f"    .globl write_{csr:x}", f"write_{csr:x}:", "    li t0, 0x100",
                  f"    csrw {csr:#x}, t0", "    li a0, 0", "    ret"]
    lines += ["    .globl main", "main:", "    csrw 0xcc2, zero", "    li a0, 0", "    ret"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def csr_write_elf(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("csrw")
    return build(tmp, "csrw", csr_write_program(), "corev")


@pytest.mark.parametrize("csr", CV_LOOP_CSRS)
def test_corev_loop_csr_write_faults(csr_write_elf, csr):
    """CV32E40P v2: the loop CSRs are read-only; a csrw stops the run as a fault."""
    sim = Simulator(csr_write_elf, isa="corev", output=io.StringIO(), cores=1)
    sim.harts[0].pc = sim.image.symbols[f"write_{csr:x}"]
    result = sim.run(max_instructions=1000)
    assert result.stop.reason == "fault"
    assert result.stop.pc == sim.image.symbols[f"write_{csr:x}"] + 4
    line = sim.describe_stop(result.stop)
    assert "\n" not in line and f"{csr:03x}" in line.lower()


def test_corev_loop_csr_write_exit_code_3(csr_write_elf):
    """The CLI reports the fault with exit code 3 and one line on stderr (main: csrw 0xcc2, zero)."""
    proc = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(csr_write_elf), "--isa", "corev",
                           "--quiet"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "cc2" in lines[0].lower(), proc.stderr


# ----------------------------------------------------------------------------------------
# Slow paths: p.elw / cv.elw from RAM, custom loads/stores to peripherals
# ----------------------------------------------------------------------------------------
def elw_text(flavour, rd, rs1, imm):
    if flavour == "corev":
        return f"cv.elw {rd}, {imm}({rs1})"
    return f".word {i_type(0x6003, X[rd], X[rs1], imm):#010x}"       # p.elw


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_elw_from_ram_is_a_load(tmp_path, flavour):
    prog = Program(flavour)
    prog.emit("    la a3, buf", li("a0", GARBAGE), f"    {elw_text(flavour, 'a0', 'a3', 4)}")
    prog.expect("elw", "elw 4(buf) = bytes 25 a6 37 b8", "a0", 0xB837A625)
    prog.expect_addr("elw", "elw leaves the base register alone", "a3", "buf")
    prog.emit("    la a3, buf+12", f"    {elw_text(flavour, 'a3', 'a3', -8)}")
    prog.expect("elw", "elw rd == rs1, negative offset: -8(buf+12)", "a3", 0xB837A625)
    prog.emit("    la a3, buf", "    csrr t0, minstret", f"    {elw_text(flavour, 'a0', 'a3', 0)}",
              "    csrr a1, minstret", "    sub a1, a1, t0")
    prog.expect("elw", "minstret delta over csrr + elw", "a1", 2)
    prog.emit("    li a1, 77", "    addi a0, a1, 1")         # execution continues normally
    prog.expect("elw", "execution continues after elw", "a0", 78)
    elf = build(tmp_path, "elw", prog.source(), flavour)
    sim, result = run_elf(elf, flavour)
    assert result.stop.reason == "exit", sim.describe_stop(result.stop)
    count, entries = read_fail_log(sim)
    assert count == 0, [(prog.checks[c - 1][1], hex(a)) for c, a in entries]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_custom_store_to_stdout_prints(tmp_path, flavour):
    """Post-increment / reg-reg stores to the stdout peripheral (MMIO: Python slow path)."""
    prog = Program(flavour)
    e = prog.emit
    e("    li a3, 0x1A10F000", "    li a4, 0")
    # 'O' with p.sw post-increment imm 0 (stays on core 0's channel), 'K' with p.sb reg-reg,
    # '\n' with p.sw reg post-increment by 0
    e(li("a1", ord("O")), f"    {store_text(flavour, 'sw', 'imm', 'a1', 'a3', 0)}")
    prog.expect("mmio", "base after p.sw post-inc 0", "a3", 0x1A10F000)
    e(li("a1", ord("K")), f"    {store_text(flavour, 'sb', 'regreg', 'a1', 'a3', 0)}")
    e(li("a1", ord("\n")), "    csrr t0, minstret", f"    {store_text(flavour, 'sw', 'reg', 'a1', 'a3', 0)}",
      "    csrr a2, minstret", "    sub a2, a2, t0")
    prog.expect("mmio", "minstret delta over csrr + MMIO custom store", "a2", 2)
    e(li("a1", ord("!")), f"    {store_text(flavour, 'sw', 'imm', 'a1', 'a3', -16)}")
    prog.expect("mmio", "base after p.sw post-increment by -16 from stdout", "a3", 0x1A10EFF0)
    e(li("a1", ord("\n")), "    sw a1, 16(a3)")
    # a custom load from a peripheral (SoC control CORESTATUS read-only copy: 0 before exit)
    e("    li a3, 0x1A1040C0", li("a0", GARBAGE), f"    {load_text(flavour, 'lw', 'imm', 'a0', 'a3', 4)}")
    prog.expect("mmio", "p.lw post-inc from SoC control reads CORESTATUS 0", "a0", 0)
    prog.expect("mmio", "base after p.lw post-inc from a peripheral", "a3", 0x1A1040C4)
    elf = build(tmp_path, "mmio", prog.source(), flavour)
    out = io.StringIO()
    sim, result = run_elf(elf, flavour, output=out)
    assert result.stop.reason == "exit", sim.describe_stop(result.stop)
    count, entries = read_fail_log(sim)
    assert count == 0, [(prog.checks[c - 1][1], hex(a)) for c, a in entries]
    assert out.getvalue() == "OK\n!\n"
    assert result.stats["peripherals"]["stdout"]["characters"] == 5


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_custom_load_from_unmapped_address_faults(tmp_path, flavour):
    """A post-increment load from an unmapped address is a fault (one line), not a crash."""
    src = PRELUDE + f"""
    li a3, 0x00000100
    {load_text(flavour, 'lw', 'imm', 'a0', 'a3', 4)}
""" + EPILOGUE
    elf = build(tmp_path, "unmapped", src, flavour)
    sim, result = run_elf(elf, flavour)
    assert result.stop.reason == "fault"
    line = sim.describe_stop(result.stop)
    assert "\n" not in line and "0x00000100" in line
    assert sim.harts[0].reg(BASE) == 0x100          # no write-back of a faulting access


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_hwloop_set_up_dynamically(tmp_path, flavour):
    """Loops whose end is not known at load time (count first, register start/end forms):
    the engine must hook the loop end when the loop is programmed."""
    if flavour == "xpulpv2":
        # PC0 counti x0, 4 (end unknown yet); PC0+4 starti (+12 -> PC0+16); PC0+8 endi (+12 ->
        # PC0+20, inclusive); PC0+12 nop; body PC0+16, PC0+20
        block = f"""
    .word {xp_lp('counti', 0, value=4):#010x}
    .word {xp_lp('starti', 0, offset=12):#010x}
    .word {xp_lp('endi', 0, offset=12):#010x}
    nop
    addi a2, a2, 1
    addi a3, a3, 1"""
        count = 4 + 4 * 2
    else:
        # register forms: cv.start / cv.end from registers, cv.count from a register
        block = f"""
    la t0, 1f
    la t1, 2f
    li t2, 5
    .word {cv_lp('start', 0, rs1=X['t0']):#010x}
    .word {cv_lp('end', 0, rs1=X['t1']):#010x}
    .word {cv_lp('count', 0, rs1=X['t2']):#010x}
1:  addi a2, a2, 1
    addi a3, a3, 1
    addi a4, a4, 1
2:"""
        count = 2 + 2 + 1 + 3 + 5 * 3
    elf = build(tmp_path, "dyn", delta_program([block]), flavour)
    sim, result = run_elf(elf, flavour)
    assert result.stop.reason == "exit", sim.describe_stop(result.stop)
    deltas, regs = read_block_results(sim, 1)
    reps = 4 if flavour == "xpulpv2" else 5
    assert regs[0]["a2"] == reps and regs[0]["a3"] == reps
    assert deltas[0] == count


# ----------------------------------------------------------------------------------------
# --max-instructions inside a hardware loop: exact stop, and resuming changes nothing
# ----------------------------------------------------------------------------------------
def limit_loop_source(flavour):
    if flavour == "xpulpv2":
        setup = xp_lp("setupi", 0, value=4, offset=12)     # inclusive end: 3rd body instruction
    else:
        setup = cv_lp("setupi", 0, value=4, offset=16)     # exclusive end: after 3 instructions
    return f"""
    .text
    .globl main
    .type main, @function
main:
    .option norvc
    csrr t0, minstret
    la t1, entry_count
    sw t0, 0(t1)
    li a2, 0
    li a3, 0
    li a4, 0
    .word {setup:#010x}
    addi a2, a2, 1
    addi a3, a3, 1
    addi a4, a4, 1
    csrr a0, minstret
    sub a0, a0, t0          # csrr + la (2) + sw + 3 li + setupi + 4 * 3 = 20
    ret
    .bss
    .balign 4
    .globl entry_count
entry_count: .space 4
"""


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_limit_inside_hardware_loop(tmp_path, flavour):
    """Stopping with max_instructions = n anywhere in a loop (incl. exactly at a back-edge)
    must stop after exactly n retired instructions; continuing the run must then give the
    same result and total count as an uninterrupted run."""
    elf = build(tmp_path, "limloop", limit_loop_source(flavour), flavour)
    sim, result = run_elf(elf, flavour)
    assert result.stop.reason == "exit" and result.exit_code == 20
    total = sim.harts[0].instret
    entry = int.from_bytes(sim.memory.read(sim.image.symbols["entry_count"], 4), "little")
    problems = []
    # n = entry + 8 + k: csrr, la (2), sw, 3 li, setupi, then k body instructions
    for n in range(entry + 8, entry + 8 + 4 * 3 + 2):
        s, r = run_elf(elf, flavour, max_instructions=n)
        h = s.harts[0]
        k = n - entry - 8                 # body instructions retired so far
        want = (min((k + 2) // 3, 4), min((k + 1) // 3, 4), min(k // 3, 4))   # a2, a3, a4
        got = (h.reg(12), h.reg(13), h.reg(14))
        if r.stop.reason != "limit" or h.instret != n or got != want:
            problems.append(f"limit {n} (body instruction {k}): {r.stop.reason}, instret {h.instret}, "
                            f"pc {h.pc:#x}, a2/a3/a4 = {got}, expected {want}")
        r2 = s.run(max_instructions=10_000_000)
        if r2.exit_code != 20 or h.instret != total:
            problems.append(f"resumed after limit {n}: minstret delta {r2.exit_code} (expected 20), "
                            f"total {h.instret} (expected {total})")
    assert not problems, "\n".join(problems)
