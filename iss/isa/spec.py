"""Declarative instruction descriptions shared by both custom flavours.

One ``Spec`` = encoding (match/mask) + decode data (kind, op, operand slots)
+ assembly syntax (operand template).  Operand templates are strings such as
``"rd, i12(rs1!)"``: every identifier that is a key of ``TOKENS`` is an
operand; the token says which bits it comes from, which ``Decoded`` slot it
fills and how it is printed.
"""
import re
from dataclasses import dataclass, field

from . import fields as F

# ---- kinds / memory modes / branch + hwloop op ids (engine-facing constants)
KIND_ALU, KIND_LOAD, KIND_STORE, KIND_BRANCH_IMM, KIND_HWLOOP, KIND_ELW = range(6)
MEM_NONE, MEM_REGREG, MEM_POSTINC_IMM, MEM_POSTINC_REG = range(4)
BR_EQ, BR_NE = 0, 1
(HW_STARTI, HW_ENDI, HW_COUNT, HW_COUNTI, HW_SETUP, HW_SETUPI, HW_START, HW_END) = range(8)

ABI = ('zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 '
       's2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6').split()

# token -> (Decoded slot, extractor(word), printer kind)
TOKENS = {
    'rd': ('rd', F.rd, 'reg'),
    'rs1': ('rs1', F.rs1, 'reg'),
    'rs2': ('rs2', F.rs2, 'reg'),
    'rs3': ('rs3', F.rs3, 'reg'),
    'i12': ('imm', F.imm_i, 'int'),
    's12': ('imm', F.imm_s, 'int'),
    'is2': ('imm', F.is2, 'int'),
    'is3': ('imm2', F.is3, 'int'),
    'simm6': ('imm', F.simm6, 'int'),
    'uimm6': ('imm', F.uimm6, 'int'),
    'bimm5': ('imm2', F.simm5_rs2, 'int'),
    'btgt': ('imm', F.imm_b, 'target'),
    'L': ('rd', lambda w: F.bits(w, 7, 7), 'int'),        # hwloop index (bit 7, as the RTL)
    'Lx': ('rd', lambda w: F.bits(w, 7, 7), 'xreg'),      # same, printed x0/x1 (GAS syntax)
    'cnt12': ('imm2', F.uimm12, 'int'),
    'lpo12h': ('imm', lambda w: F.uimm12(w) << 1, 'target'),
    'lpo12w': ('imm', lambda w: F.uimm12(w) << 2, 'target'),
    'lpo5h': ('imm', lambda w: F.uimm5_rs1(w) << 1, 'target'),
    'lpo5w': ('imm', lambda w: F.uimm5_rs1(w) << 2, 'target'),
}
_TOKEN_RE = re.compile(r'\b(' + '|'.join(sorted(TOKENS, key=len, reverse=True)) + r')\b')

MASK_I = 0x0000707F        # opcode + funct3
MASK_R = 0xFE00707F        # + funct7
MASK_R1 = 0xFFF0707F       # + funct7 + rs2 == 0
MASK_IS = 0xC000707F       # + bits[31:30] (Is3/Is2 fields free)
MASK_SCI = 0xFC00707F      # + bits[31:26] (bit 25 = imm6[0])


@dataclass(frozen=True)
class Spec:
    mnemonic: str
    match: int
    mask: int
    kind: int
    op: int
    syntax: str
    mem_size: int = 0
    mem_signed: bool = False
    mem_mode: int = MEM_NONE
    consts: tuple = ()             # ((slot, value), ...) fixed decoded values
    alias0: tuple = None           # (mnemonic, syntax) used when Is3 == 0
    tokens: tuple = field(init=False, default=())

    def __post_init__(self):
        assert self.match & ~self.mask == 0, self.mnemonic
        toks = tuple(_TOKEN_RE.findall(self.syntax))
        object.__setattr__(self, 'tokens', toks)

    def matches(self, w):
        return (w & self.mask) == self.match


def fmt_operands(syntax, values, pc, symbolize=None):
    """Render an operand template; values maps token -> raw decoded value."""
    def rep(m):
        tok = m.group(1)
        kind = TOKENS[tok][2]
        v = values[tok]
        if kind == 'reg':
            return ABI[v]
        if kind == 'xreg':
            return f'x{v}'
        if kind == 'target':
            return fmt_target(pc + v, symbolize)
        return str(v)
    return _TOKEN_RE.sub(rep, syntax)


def fmt_target(addr, symbolize=None):
    addr &= 0xFFFFFFFF
    sym = symbolize(addr) if symbolize else None
    return f'{addr:#x} <{sym}>' if sym else f'{addr:#x}'


# ---- SIMD family generator -------------------------------------------------
# funct3 -> (suffix, lane width, mode)
from .semantics import MODE_VV, MODE_SC, MODE_SCI, op_id  # noqa: E402

SIMD_MODES = ((0, '.h', 16, MODE_VV), (1, '.b', 8, MODE_VV), (4, '.sc.h', 16, MODE_SC),
              (5, '.sc.b', 8, MODE_SC), (6, '.sci.h', 16, MODE_SCI), (7, '.sci.b', 8, MODE_SCI))


def simd_family(prefix, opcode, name, sem, funct6, sci):
    """The six variants <prefix><name>{.h,.b,.sc.h,.sc.b,.sci.h,.sci.b}.
    sci = 's' (immediate sign-extended) or 'u' (zero-extended)."""
    out = []
    for f3, suffix, width, mode in SIMD_MODES:
        match = opcode | (f3 << 12) | (funct6 << 26)
        if mode == MODE_SCI:
            out.append(Spec(prefix + name + suffix, match, MASK_SCI, KIND_ALU, op_id(sem, width, mode),
                            'rd, rs1, ' + ('simm6' if sci == 's' else 'uimm6')))
        else:
            out.append(Spec(prefix + name + suffix, match, MASK_R, KIND_ALU, op_id(sem, width, mode),
                            'rd, rs1, rs2'))
    return out


def alu(mn, match, sem, syntax='rd, rs1, rs2', mask=MASK_R, width=16, consts=(), alias0=None):
    return Spec(mn, match, mask, KIND_ALU, op_id(sem, width), syntax, consts=consts, alias0=alias0)
