"""Base RV32IMC (+Zicsr, fence, ecall/ebreak/mret/wfi) disassembly.

Output follows llvm-objdump: 32-bit instructions with its default aliases
(li, mv, nop, ret, j, jr, beqz, csrr, ...), compressed instructions with
their ``c.`` mnemonic as ``llvm-objdump -M no-aliases`` prints them.
Immediates are decimal (``llvm-objdump --no-print-imm-hex``) except the upper
immediates of lui / auipc / c.lui, in hex as GNU objdump prints them
(``lui a1, 0x10000``; llvm-objdump 15+ prints every immediate in hex by default).
Every entry = encoding (match/mask) + decode and timing data (a Spec, iss/isa/spec.py) +
assembly text in one place; a compressed entry names the 32-bit instruction it expands
to (RISC-V Unprivileged ISA, chapter "C" Standard Extension), which gives its meaning.
"""
from . import encode as E
from . import fields as F
from .spec import (ABI, KIND_AUIPC, KIND_BRANCH, KIND_FENCE, KIND_JAL, KIND_JALR, KIND_LOAD,
                   KIND_LUI, KIND_OP, KIND_OP_IMM, KIND_PRIV, KIND_STORE, KIND_ZICSR, LAT_DIV,
                   LAT_MULH, OP_ADD, OP_AND, OP_DIV, OP_DIVU, OP_MUL, OP_MULH, OP_MULHSU,
                   OP_MULHU, OP_OR, OP_REM, OP_REMU, OP_SLL, OP_SLT, OP_SLTU, OP_SRA, OP_SRL,
                   OP_SUB, OP_XOR, Spec, fmt_target)

R = ABI.__getitem__

CSR_NAMES = {
    0x001: 'fflags', 0x002: 'frm', 0x003: 'fcsr',
    0xC00: 'cycle', 0xC01: 'time', 0xC02: 'instret', 0xC80: 'cycleh', 0xC81: 'timeh', 0xC82: 'instreth',
    0x300: 'mstatus', 0x301: 'misa', 0x302: 'medeleg', 0x303: 'mideleg', 0x304: 'mie', 0x305: 'mtvec',
    0x306: 'mcounteren', 0x310: 'mstatush', 0x340: 'mscratch', 0x341: 'mepc', 0x342: 'mcause', 0x343: 'mtval',
    0x344: 'mip', 0xB00: 'mcycle', 0xB02: 'minstret', 0xB80: 'mcycleh', 0xB82: 'minstreth',
    0xF11: 'mvendorid', 0xF12: 'marchid', 0xF13: 'mimpid', 0xF14: 'mhartid',
    0x7A0: 'tselect', 0x7A1: 'tdata1', 0x7A2: 'tdata2', 0x7A3: 'tdata3',
    0x7B0: 'dcsr', 0x7B1: 'dpc', 0x7B2: 'dscratch0', 0x7B3: 'dscratch1',
    0x320: 'mcountinhibit',
}
CSR_NAMES.update({0xB00 + i: f'mhpmcounter{i}' for i in range(3, 32)})
CSR_NAMES.update({0xB80 + i: f'mhpmcounter{i}h' for i in range(3, 32)})
CSR_NAMES.update({0x320 + i: f'mhpmevent{i}' for i in range(3, 32)})
CSR_NAMES.update({0xC00 + i: f'hpmcounter{i}' for i in range(3, 32)})
CSR_NAMES.update({0xC80 + i: f'hpmcounter{i}h' for i in range(3, 32)})
CSR_NAMES.update({0x3A0 + i: f'pmpcfg{i}' for i in range(4)})
CSR_NAMES.update({0x3B0 + i: f'pmpaddr{i}' for i in range(16)})
_RDCSR = {0xC00: 'rdcycle', 0xC01: 'rdtime', 0xC02: 'rdinstret', 0xC80: 'rdcycleh', 0xC81: 'rdtimeh',
          0xC82: 'rdinstreth'}


def csr_name(c):
    return CSR_NAMES.get(c, str(c))


def _fence_set(v):
    return ''.join(ch for ch, b in zip('iorw', (8, 4, 2, 1), strict=True) if v & b) or '0'


# ---------------------------------------------------------------- 32-bit
def _t(pc, off, sym):
    return fmt_target(pc + off, sym)


def _jal(w, pc, sym):
    rd, off = F.rd(w), F.imm_j(w)
    if rd == 0:
        return 'j', _t(pc, off, sym)
    if rd == 1:
        return 'jal', _t(pc, off, sym)
    return 'jal', f'{R(rd)}, {_t(pc, off, sym)}'


def _jalr(w, pc, sym):
    rd, rs1, imm = F.rd(w), F.rs1(w), F.imm_i(w)
    if imm == 0 and rd == 0:
        return ('ret', '') if rs1 == 1 else ('jr', R(rs1))
    if imm == 0 and rd == 1:
        return 'jalr', R(rs1)
    return 'jalr', f'{R(rd)}, {imm}({R(rs1)})'


_BR_ZERO = {'beq': ('beqz', None), 'bne': ('bnez', None), 'blt': ('bltz', 'bgtz'), 'bge': ('bgez', 'blez')}


def _branch(mn):
    def f(w, pc, sym):
        rs1, rs2, t = F.rs1(w), F.rs2(w), _t(pc, F.imm_b(w), sym)
        if mn in _BR_ZERO:
            z1, z2 = _BR_ZERO[mn]
            if rs2 == 0:
                return z1, f'{R(rs1)}, {t}'
            if rs1 == 0 and z2:
                return z2, f'{R(rs2)}, {t}'
        return mn, f'{R(rs1)}, {R(rs2)}, {t}'
    return f


def _load(mn):
    return lambda w, pc, sym: (mn, f'{R(F.rd(w))}, {F.imm_i(w)}({R(F.rs1(w))})')


def _store(mn):
    return lambda w, pc, sym: (mn, f'{R(F.rs2(w))}, {F.imm_s(w)}({R(F.rs1(w))})')


def _opimm(mn):
    def f(w, pc, sym):
        rd, rs1, imm = F.rd(w), F.rs1(w), F.imm_i(w)
        if mn == 'addi':
            if rd == 0 and rs1 == 0 and imm == 0:
                return 'nop', ''
            if rs1 == 0:
                return 'li', f'{R(rd)}, {imm}'
            if imm == 0:
                return 'mv', f'{R(rd)}, {R(rs1)}'
        if mn == 'sltiu' and imm == 1:
            return 'seqz', f'{R(rd)}, {R(rs1)}'
        if mn == 'xori' and imm == -1:
            return 'not', f'{R(rd)}, {R(rs1)}'
        return mn, f'{R(rd)}, {R(rs1)}, {imm}'
    return f


def _shift(mn):
    return lambda w, pc, sym: (mn, f'{R(F.rd(w))}, {R(F.rs1(w))}, {F.rs2(w)}')


def _op(mn):
    def f(w, pc, sym):
        rd, rs1, rs2 = F.rd(w), F.rs1(w), F.rs2(w)
        if mn == 'sub' and rs1 == 0:
            return 'neg', f'{R(rd)}, {R(rs2)}'
        if mn == 'slt' and rs2 == 0:
            return 'sltz', f'{R(rd)}, {R(rs1)}'
        if mn == 'slt' and rs1 == 0:
            return 'sgtz', f'{R(rd)}, {R(rs2)}'
        if mn == 'sltu' and rs1 == 0:
            return 'snez', f'{R(rd)}, {R(rs2)}'
        return mn, f'{R(rd)}, {R(rs1)}, {R(rs2)}'
    return f


def _csr(mn, imm):
    def f(w, pc, sym):
        rd, src, c = F.rd(w), F.rs1(w), F.uimm12(w)
        s = str(src) if imm else R(src)
        short = mn[:3] + mn[4:]          # csrrw -> csrw, csrrsi -> csrsi
        if mn == 'csrrs' and src == 0:
            if c in _RDCSR:
                return _RDCSR[c], R(rd)
            return 'csrr', f'{R(rd)}, {csr_name(c)}'
        if rd == 0:
            return short, f'{csr_name(c)}, {s}'
        return mn, f'{R(rd)}, {csr_name(c)}, {s}'
    return f


def _fence(w, pc, sym):
    pred, succ = F.bits(w, 27, 24), F.bits(w, 23, 20)
    if pred == 0xF and succ == 0xF:
        return 'fence', ''
    return 'fence', f'{_fence_set(pred)}, {_fence_set(succ)}'


def _fixed(mn):
    return lambda w, pc, sym: (mn, '')


_MI, _MR, _MF = 0x707F, 0xFE00707F, 0xFFFFFFFF


def _base32() -> list[Spec]:
    """One Spec per base instruction: encoding, decode, timing class, and its printer
    (llvm-objdump's aliases)."""
    t = [Spec('lui', 0x37, 0x7F, KIND_LUI, 0, 'rd, u20',
              printer=lambda w, pc, s: ('lui', f'{R(F.rd(w))}, {F.bits(w, 31, 12):#x}')),
         Spec('auipc', 0x17, 0x7F, KIND_AUIPC, 0, 'rd, u20',
              printer=lambda w, pc, s: ('auipc', f'{R(F.rd(w))}, {F.bits(w, 31, 12):#x}')),
         Spec('jal', 0x6F, 0x7F, KIND_JAL, 0, 'rd, jtgt', printer=_jal),
         Spec('jalr', 0x67, _MI, KIND_JALR, 0, 'rd, i12(rs1)', printer=_jalr),
         Spec('fence.i', 0x100F, _MI, KIND_FENCE, 1, '', printer=_fixed('fence.i')),
         Spec('fence', 0x000F, _MI, KIND_FENCE, 0, '', printer=_fence)]
    t += [Spec(mn, word, _MF, KIND_PRIV, word, '', printer=_fixed(mn))
          for mn, word in (('ecall', 0x0073), ('ebreak', 0x00100073), ('mret', 0x30200073),
                           ('wfi', 0x10500073), ('unimp', 0xC0001073))]
    t += [Spec(mn, 0x63 | f3 << 12, _MI, KIND_BRANCH, f3, 'rs1, rs2, btgt', printer=_branch(mn))
          for f3, mn in ((0, 'beq'), (1, 'bne'), (4, 'blt'), (5, 'bge'), (6, 'bltu'), (7, 'bgeu'))]
    t += [Spec(mn, 0x03 | f3 << 12, _MI, KIND_LOAD, 0, 'rd, i12(rs1)', 1 << (f3 & 3), f3 < 4,
               printer=_load(mn))
          for f3, mn in ((0, 'lb'), (1, 'lh'), (2, 'lw'), (4, 'lbu'), (5, 'lhu'))]
    t += [Spec(mn, 0x23 | f3 << 12, _MI, KIND_STORE, 0, 'rs2, s12(rs1)', 1 << f3, printer=_store(mn))
          for f3, mn in ((0, 'sb'), (1, 'sh'), (2, 'sw'))]
    t += [Spec(mn, 0x13 | f3 << 12, _MI, KIND_OP_IMM, op, 'rd, rs1, i12', printer=_opimm(mn))
          for f3, mn, op in ((0, 'addi', OP_ADD), (2, 'slti', OP_SLT), (3, 'sltiu', OP_SLTU),
                             (4, 'xori', OP_XOR), (6, 'ori', OP_OR), (7, 'andi', OP_AND))]
    t += [Spec(mn, 0x13 | f3 << 12 | f7 << 25, _MR, KIND_OP_IMM, op, 'rd, rs1, shamt', printer=_shift(mn))
          for f3, f7, mn, op in ((1, 0, 'slli', OP_SLL), (5, 0, 'srli', OP_SRL), (5, 0x20, 'srai', OP_SRA))]
    for f7, names in ((0x00, ('add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and')),
                      (0x01, ('mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu')),
                      (0x20, ('sub', None, None, None, None, 'sra', None, None))):
        for f3, mn in enumerate(names):
            if mn is not None:
                latency = LAT_MULH if mn.startswith('mulh') else LAT_DIV if f7 == 1 and f3 >= 4 else -1
                t.append(Spec(mn, 0x33 | f3 << 12 | f7 << 25, _MR, KIND_OP, _BASE_OPS[mn],
                              'rd, rs1, rs2', latency=latency, printer=_op(mn)))
    t += [Spec(mn, 0x73 | f3 << 12, _MI, KIND_ZICSR, f3, 'rd, csr, ' + ('zimm' if f3 >= 4 else 'rs1'),
               printer=_csr(mn, f3 >= 4))
          for f3, mn in ((1, 'csrrw'), (2, 'csrrs'), (3, 'csrrc'), (5, 'csrrwi'), (6, 'csrrsi'), (7, 'csrrci'))]
    t.sort(key=lambda spec: -bin(spec.mask).count('1'))
    return t


_BASE_OPS = {'add': OP_ADD, 'sub': OP_SUB, 'sll': OP_SLL, 'slt': OP_SLT, 'sltu': OP_SLTU,
             'xor': OP_XOR, 'srl': OP_SRL, 'sra': OP_SRA, 'or': OP_OR, 'and': OP_AND,
             'mul': OP_MUL, 'mulh': OP_MULH, 'mulhsu': OP_MULHSU, 'mulhu': OP_MULHU,
             'div': OP_DIV, 'divu': OP_DIVU, 'rem': OP_REM, 'remu': OP_REMU}
BASE32 = tuple(_base32())


def base_spec(w: int) -> Spec | None:
    """The Spec of a base RV32IM/Zicsr word, or None."""
    for spec in BASE32:
        if w & spec.mask == spec.match:
            return spec
    return None


def disasm32(w, pc=0, symbolize=None):
    """(mnemonic, operands) of a base RV32IM/Zicsr word, or None."""
    spec = base_spec(w)
    return spec.printer(w, pc, symbolize) if spec else None


# ---------------------------------------------------------------- 16-bit (RVC)
B = F.bits


def _ci(h): return F.sext(B(h, 12, 12) << 5 | B(h, 6, 2), 6)
def _cj(h): return F.sext(B(h, 12, 12) << 11 | B(h, 11, 11) << 4 | B(h, 10, 9) << 8 | B(h, 8, 8) << 10
                          | B(h, 7, 7) << 6 | B(h, 6, 6) << 7 | B(h, 5, 3) << 1 | B(h, 2, 2) << 5, 12)
def _cb(h): return F.sext(B(h, 12, 12) << 8 | B(h, 11, 10) << 3 | B(h, 6, 5) << 6 | B(h, 4, 3) << 1
                          | B(h, 2, 2) << 5, 9)
def _clw(h): return B(h, 12, 10) << 3 | B(h, 6, 6) << 2 | B(h, 5, 5) << 6
def _c4spn(h): return B(h, 12, 11) << 4 | B(h, 10, 7) << 6 | B(h, 6, 6) << 2 | B(h, 5, 5) << 3
def _c16sp(h): return F.sext(B(h, 12, 12) << 9 | B(h, 6, 6) << 4 | B(h, 5, 5) << 6 | B(h, 4, 3) << 7
                             | B(h, 2, 2) << 5, 10)
def _shamt(h): return B(h, 12, 12) << 5 | B(h, 6, 2)


def _clwsp(h): return B(h, 12, 12) << 5 | B(h, 6, 4) << 2 | B(h, 3, 2) << 6
def _cswsp(h): return B(h, 12, 9) << 2 | B(h, 8, 7) << 6


rdp, rs1p, crd, crs2 = F.c_rd_p, F.c_rs1_p, F.c_rd, F.c_rs2


def _op_p(funct7, funct3):      # c.sub / c.xor / c.or / c.and: rd' = rd' op rs2'
    return lambda h: E.r_type(funct7, funct3, rs1p(h), rs1p(h), rdp(h))


def _cshift(funct3, high, rd):  # c.srli / c.srai / c.slli: shamt[5] = 1 is reserved on RV32
    return lambda h: E.i_type(0x13, funct3, rd(h), rd(h), _shamt(h) | high) if _shamt(h) < 32 else None


# (match, mask, formatter(h, pc, sym) -> (mnemonic, operands) or None when reserved,
#  expansion(h) -> the equivalent 32-bit word or None when reserved)
RVC = [
    (0x0000, 0xE003, lambda h, pc, s: ('c.addi4spn', f'{R(rdp(h))}, sp, {_c4spn(h)}') if _c4spn(h) else None,
     lambda h: E.addi(rdp(h), 2, _c4spn(h)) if _c4spn(h) else None),
    (0x4000, 0xE003, lambda h, pc, s: ('c.lw', f'{R(rdp(h))}, {_clw(h)}({R(rs1p(h))})'),
     lambda h: E.i_type(0x03, 2, rdp(h), rs1p(h), _clw(h))),
    (0xC000, 0xE003, lambda h, pc, s: ('c.sw', f'{R(rdp(h))}, {_clw(h)}({R(rs1p(h))})'),
     lambda h: E.s_type(2, rs1p(h), rdp(h), _clw(h))),
    (0x0001, 0xFFFF, lambda h, pc, s: ('c.nop', ''), lambda h: E.addi(0, 0, 0)),
    (0x0001, 0xE003, lambda h, pc, s: ('c.addi', f'{R(crd(h))}, {_ci(h)}'),
     lambda h: E.addi(crd(h), crd(h), _ci(h))),
    (0x2001, 0xE003, lambda h, pc, s: ('c.jal', fmt_target(pc + _cj(h), s)), lambda h: E.jal(1, _cj(h))),
    (0x4001, 0xE003, lambda h, pc, s: ('c.li', f'{R(crd(h))}, {_ci(h)}'), lambda h: E.addi(crd(h), 0, _ci(h))),
    (0x6101, 0xEF83, lambda h, pc, s: ('c.addi16sp', f'sp, {_c16sp(h)}') if _c16sp(h) else None,
     lambda h: E.addi(2, 2, _c16sp(h)) if _c16sp(h) else None),
    (0x6001, 0xE003, lambda h, pc, s: ('c.lui', f'{R(crd(h))}, {_ci(h) & 0xFFFFF:#x}') if _ci(h) else None,
     lambda h: E.u_type(0x37, crd(h), _ci(h) << 12) if _ci(h) else None),
    (0x8001, 0xEC03, lambda h, pc, s: ('c.srli', f'{R(rs1p(h))}, {_shamt(h)}'), _cshift(5, 0, rs1p)),
    (0x8401, 0xEC03, lambda h, pc, s: ('c.srai', f'{R(rs1p(h))}, {_shamt(h)}'), _cshift(5, 0x400, rs1p)),
    (0x8801, 0xEC03, lambda h, pc, s: ('c.andi', f'{R(rs1p(h))}, {_ci(h)}'),
     lambda h: E.i_type(0x13, 7, rs1p(h), rs1p(h), _ci(h))),
    (0x8C01, 0xFC63, lambda h, pc, s: ('c.sub', f'{R(rs1p(h))}, {R(rdp(h))}'), _op_p(0x20, 0)),
    (0x8C21, 0xFC63, lambda h, pc, s: ('c.xor', f'{R(rs1p(h))}, {R(rdp(h))}'), _op_p(0, 4)),
    (0x8C41, 0xFC63, lambda h, pc, s: ('c.or', f'{R(rs1p(h))}, {R(rdp(h))}'), _op_p(0, 6)),
    (0x8C61, 0xFC63, lambda h, pc, s: ('c.and', f'{R(rs1p(h))}, {R(rdp(h))}'), _op_p(0, 7)),
    (0xA001, 0xE003, lambda h, pc, s: ('c.j', fmt_target(pc + _cj(h), s)), lambda h: E.jal(0, _cj(h))),
    (0xC001, 0xE003, lambda h, pc, s: ('c.beqz', f'{R(rs1p(h))}, {fmt_target(pc + _cb(h), s)}'),
     lambda h: E.b_type(0, rs1p(h), 0, _cb(h))),
    (0xE001, 0xE003, lambda h, pc, s: ('c.bnez', f'{R(rs1p(h))}, {fmt_target(pc + _cb(h), s)}'),
     lambda h: E.b_type(1, rs1p(h), 0, _cb(h))),
    (0x0002, 0xE003, lambda h, pc, s: ('c.slli', f'{R(crd(h))}, {_shamt(h)}'), _cshift(1, 0, crd)),
    (0x4002, 0xE003, lambda h, pc, s: ('c.lwsp', f'{R(crd(h))}, {_clwsp(h)}(sp)') if crd(h) else None,
     lambda h: E.i_type(0x03, 2, crd(h), 2, _clwsp(h)) if crd(h) else None),
    (0x8002, 0xF07F, lambda h, pc, s: ('c.jr', R(crd(h))) if crd(h) else None,
     lambda h: E.i_type(0x67, 0, 0, crd(h), 0) if crd(h) else None),
    (0x8002, 0xF003, lambda h, pc, s: ('c.mv', f'{R(crd(h))}, {R(crs2(h))}'),
     lambda h: E.r_type(0, 0, crd(h), 0, crs2(h))),
    (0x9002, 0xFFFF, lambda h, pc, s: ('c.ebreak', ''), lambda h: 0x00100073),
    (0x9002, 0xF07F, lambda h, pc, s: ('c.jalr', R(crd(h))), lambda h: E.i_type(0x67, 0, 1, crd(h), 0)),
    (0x9002, 0xF003, lambda h, pc, s: ('c.add', f'{R(crd(h))}, {R(crs2(h))}'),
     lambda h: E.r_type(0, 0, crd(h), crd(h), crs2(h))),
    (0xC002, 0xE003, lambda h, pc, s: ('c.swsp', f'{R(crs2(h))}, {_cswsp(h)}(sp)'),
     lambda h: E.s_type(2, 2, crs2(h), _cswsp(h))),
]


def _rvc_entry(h):
    return next((e for e in RVC if h & e[1] == e[0]), None)


def disasm16(h, pc=0, symbolize=None):
    """(mnemonic, operands) of a compressed halfword, or None (illegal/reserved)."""
    entry = _rvc_entry(h)
    return entry[2](h, pc, symbolize) if entry else None


def expand16(h) -> int | None:
    """The 32-bit instruction a compressed halfword stands for, None if illegal/reserved."""
    entry = _rvc_entry(h)
    return entry[3](h) if entry else None
