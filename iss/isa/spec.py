"""Declarative instruction descriptions: the base RV32IMC table (iss/isa/rv32.py) and both
custom flavours (iss/isa/xpulp.py, iss/isa/corev.py).

One ``Spec`` = encoding (match/mask) + decode data (kind, op, operand slots)
+ assembly syntax (operand template) + what the timing model needs (latency class,
registers read and written).  Operand templates are strings such as
``"rd, i12(rs1!)"``: every identifier that is a key of ``TOKENS`` is an
operand; the token says which bits it comes from, which ``Decoded`` slot it
fills and how it is printed.  The registers an instruction reads are its register
operands other than ``rd`` (plus ``rd`` for the ops that accumulate into it, see
``reads_rd``); it writes ``rd`` when ``rd`` is an operand of a kind that writes.
"""
import re
from dataclasses import dataclass, field

from . import fields as F

# ---- kinds / memory modes / branch + hwloop op ids (engine-facing constants)
KIND_ALU, KIND_LOAD, KIND_STORE, KIND_BRANCH_IMM, KIND_HWLOOP, KIND_ELW = range(6)
# base RV32IMC kinds (KIND_LOAD / KIND_STORE serve the base loads and stores, MEM_NONE)
(KIND_OP, KIND_OP_IMM, KIND_LUI, KIND_AUIPC, KIND_JAL, KIND_JALR, KIND_BRANCH, KIND_ZICSR,
 KIND_PRIV, KIND_FENCE) = range(6, 16)
# base ALU operations (the op of KIND_OP / KIND_OP_IMM; b = rs2 or the immediate)
(OP_ADD, OP_SUB, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_SRA, OP_OR, OP_AND,
 OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_DIV, OP_DIVU, OP_REM, OP_REMU) = range(18)
# latency classes: which rule of the timing model (iss/timing.py, iss/latency.py) applies
LAT_SINGLE, LAT_LOAD, LAT_STORE, LAT_BRANCH, LAT_JUMP, LAT_JALR, LAT_MULH, LAT_DIV, \
    LAT_CSR, LAT_ELW, LAT_SYSTEM = range(11)
_KIND_LATENCY = {KIND_ALU: LAT_SINGLE, KIND_LOAD: LAT_LOAD, KIND_STORE: LAT_STORE,
                 KIND_BRANCH_IMM: LAT_BRANCH, KIND_HWLOOP: LAT_SINGLE, KIND_ELW: LAT_ELW,
                 KIND_OP: LAT_SINGLE, KIND_OP_IMM: LAT_SINGLE, KIND_LUI: LAT_SINGLE,
                 KIND_AUIPC: LAT_SINGLE, KIND_JAL: LAT_JUMP, KIND_JALR: LAT_JALR,
                 KIND_BRANCH: LAT_BRANCH, KIND_ZICSR: LAT_CSR, KIND_PRIV: LAT_SYSTEM,
                 KIND_FENCE: LAT_SINGLE}
_WRITES_RD = frozenset((KIND_ALU, KIND_LOAD, KIND_ELW, KIND_OP, KIND_OP_IMM, KIND_LUI,
                        KIND_AUIPC, KIND_JAL, KIND_JALR, KIND_ZICSR))
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
    # base RV32I
    'u20': ('imm', F.imm_u, 'upper'),
    'jtgt': ('imm', F.imm_j, 'target'),
    'shamt': ('imm', F.rs2, 'int'),
    'csr': ('imm', F.uimm12, 'int'),
    'zimm': ('rs1', F.rs1, 'int'),
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
    latency: int = -1              # LAT_* class; by default the kind's
    reads_rd: bool = False         # also reads rd (accumulates into it)
    printer: object = None         # (word, pc, symbolize) -> (mnemonic, operands): aliases
    tokens: tuple = field(init=False, default=())
    reads: tuple = field(init=False, default=())      # Decoded slots of the registers read
    writes_rd: bool = field(init=False, default=False)

    def __post_init__(self):
        assert self.match & ~self.mask == 0, self.mnemonic
        toks = tuple(_TOKEN_RE.findall(self.syntax))
        object.__setattr__(self, 'tokens', toks)
        if self.latency < 0:
            object.__setattr__(self, 'latency', _KIND_LATENCY[self.kind])
        regs = [t for t in toks if TOKENS[t][2] == 'reg']
        object.__setattr__(self, 'reads', tuple(t for t in regs if t != 'rd')
                           + (('rd',) if self.reads_rd else ()))
        object.__setattr__(self, 'writes_rd', 'rd' in regs and self.kind in _WRITES_RD)

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
        if kind == 'upper':
            return f'{(v >> 12) & 0xFFFFF:#x}'
        return str(v)
    return _TOKEN_RE.sub(rep, syntax)


def fmt_target(addr, symbolize=None):
    addr &= 0xFFFFFFFF
    sym = symbolize(addr) if symbolize else None
    return f'{addr:#x} <{sym}>' if sym else f'{addr:#x}'


# ---- SIMD family generator -------------------------------------------------
# funct3 -> (suffix, lane width, mode)
from .semantics import MODE_VV, MODE_SC, MODE_SCI, op_id, reads_rd  # noqa: E402

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
                            'rd, rs1, ' + ('simm6' if sci == 's' else 'uimm6'), reads_rd=reads_rd(sem)))
        else:
            out.append(Spec(prefix + name + suffix, match, MASK_R, KIND_ALU, op_id(sem, width, mode),
                            'rd, rs1, rs2', reads_rd=reads_rd(sem)))
    return out


def alu(mn, match, sem, syntax='rd, rs1, rs2', mask=MASK_R, width=16, consts=(), alias0=None):
    return Spec(mn, match, mask, KIND_ALU, op_id(sem, width), syntax, consts=consts, alias0=alias0,
                reads_rd=reads_rd(sem))
