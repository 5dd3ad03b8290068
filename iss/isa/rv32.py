"""Base RV32IMC (+Zicsr, fence, ecall/ebreak/mret/wfi) disassembly.

Output follows llvm-objdump: 32-bit instructions with its default aliases
(li, mv, nop, ret, j, jr, beqz, csrr, ...), compressed instructions with
their ``c.`` mnemonic as ``llvm-objdump -M no-aliases`` prints them.
Immediates are decimal (``llvm-objdump --no-print-imm-hex``) except the upper
immediates of lui / auipc / c.lui, in hex as GNU objdump prints them
(``lui a1, 0x10000``; llvm-objdump 15+ prints every immediate in hex by default).
Every entry = encoding (match/mask) + assembly text in one place.
"""
from . import fields as F
from .spec import ABI, fmt_target

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
BASE32 = [
    (0x37, 0x7F, lambda w, pc, s: ('lui', f'{R(F.rd(w))}, {F.bits(w, 31, 12):#x}')),
    (0x17, 0x7F, lambda w, pc, s: ('auipc', f'{R(F.rd(w))}, {F.bits(w, 31, 12):#x}')),
    (0x6F, 0x7F, _jal),
    (0x67, _MI, _jalr),
    (0x0073, _MF, _fixed('ecall')), (0x00100073, _MF, _fixed('ebreak')),
    (0x30200073, _MF, _fixed('mret')), (0x10500073, _MF, _fixed('wfi')),
    (0xC0001073, _MF, _fixed('unimp')),
    (0x100F, _MI, _fixed('fence.i')), (0x000F, _MI, _fence),
]
BASE32 += [(0x63 | f3 << 12, _MI, _branch(mn))
           for f3, mn in ((0, 'beq'), (1, 'bne'), (4, 'blt'), (5, 'bge'), (6, 'bltu'), (7, 'bgeu'))]
BASE32 += [(0x03 | f3 << 12, _MI, _load(mn)) for f3, mn in ((0, 'lb'), (1, 'lh'), (2, 'lw'), (4, 'lbu'), (5, 'lhu'))]
BASE32 += [(0x23 | f3 << 12, _MI, _store(mn)) for f3, mn in ((0, 'sb'), (1, 'sh'), (2, 'sw'))]
BASE32 += [(0x13 | f3 << 12, _MI, _opimm(mn))
           for f3, mn in ((0, 'addi'), (2, 'slti'), (3, 'sltiu'), (4, 'xori'), (6, 'ori'), (7, 'andi'))]
BASE32 += [(0x13 | f3 << 12 | f7 << 25, _MR, _shift(mn))
           for f3, f7, mn in ((1, 0, 'slli'), (5, 0, 'srli'), (5, 0x20, 'srai'))]
BASE32 += [(0x33 | f3 << 12 | f7 << 25, _MR, _op(mn)) for f7, names in (
    (0x00, ('add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and')),
    (0x01, ('mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu')))
    for f3, mn in enumerate(names)]
BASE32 += [(0x33 | 0 << 12 | 0x20 << 25, _MR, _op('sub')), (0x33 | 5 << 12 | 0x20 << 25, _MR, _op('sra'))]
BASE32 += [(0x73 | f3 << 12, _MI, _csr(mn, f3 >= 4))
           for f3, mn in ((1, 'csrrw'), (2, 'csrrs'), (3, 'csrrc'), (5, 'csrrwi'), (6, 'csrrsi'), (7, 'csrrci'))]
BASE32.sort(key=lambda e: -bin(e[1]).count('1'))


def disasm32(w, pc=0, symbolize=None):
    """(mnemonic, operands) of a base RV32IM/Zicsr word, or None."""
    for match, mask, fmt in BASE32:
        if w & mask == match:
            return fmt(w, pc, symbolize)
    return None


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


rdp, rs1p, crd, crs2 = F.c_rd_p, F.c_rs1_p, F.c_rd, F.c_rs2

# (match, mask, formatter(h, pc, sym) -> (mnemonic, operands) or None when reserved)
RVC = [
    (0x0000, 0xE003, lambda h, pc, s: ('c.addi4spn', f'{R(rdp(h))}, sp, {_c4spn(h)}') if _c4spn(h) else None),
    (0x4000, 0xE003, lambda h, pc, s: ('c.lw', f'{R(rdp(h))}, {_clw(h)}({R(rs1p(h))})')),
    (0xC000, 0xE003, lambda h, pc, s: ('c.sw', f'{R(rdp(h))}, {_clw(h)}({R(rs1p(h))})')),
    (0x0001, 0xFFFF, lambda h, pc, s: ('c.nop', '')),
    (0x0001, 0xE003, lambda h, pc, s: ('c.addi', f'{R(crd(h))}, {_ci(h)}')),
    (0x2001, 0xE003, lambda h, pc, s: ('c.jal', fmt_target(pc + _cj(h), s))),
    (0x4001, 0xE003, lambda h, pc, s: ('c.li', f'{R(crd(h))}, {_ci(h)}')),
    (0x6101, 0xEF83, lambda h, pc, s: ('c.addi16sp', f'sp, {_c16sp(h)}') if _c16sp(h) else None),
    (0x6001, 0xE003, lambda h, pc, s: ('c.lui', f'{R(crd(h))}, {_ci(h) & 0xFFFFF:#x}') if _ci(h) else None),
    (0x8001, 0xEC03, lambda h, pc, s: ('c.srli', f'{R(rs1p(h))}, {_shamt(h)}')),
    (0x8401, 0xEC03, lambda h, pc, s: ('c.srai', f'{R(rs1p(h))}, {_shamt(h)}')),
    (0x8801, 0xEC03, lambda h, pc, s: ('c.andi', f'{R(rs1p(h))}, {_ci(h)}')),
    (0x8C01, 0xFC63, lambda h, pc, s: ('c.sub', f'{R(rs1p(h))}, {R(rdp(h))}')),
    (0x8C21, 0xFC63, lambda h, pc, s: ('c.xor', f'{R(rs1p(h))}, {R(rdp(h))}')),
    (0x8C41, 0xFC63, lambda h, pc, s: ('c.or', f'{R(rs1p(h))}, {R(rdp(h))}')),
    (0x8C61, 0xFC63, lambda h, pc, s: ('c.and', f'{R(rs1p(h))}, {R(rdp(h))}')),
    (0xA001, 0xE003, lambda h, pc, s: ('c.j', fmt_target(pc + _cj(h), s))),
    (0xC001, 0xE003, lambda h, pc, s: ('c.beqz', f'{R(rs1p(h))}, {fmt_target(pc + _cb(h), s)}')),
    (0xE001, 0xE003, lambda h, pc, s: ('c.bnez', f'{R(rs1p(h))}, {fmt_target(pc + _cb(h), s)}')),
    (0x0002, 0xE003, lambda h, pc, s: ('c.slli', f'{R(crd(h))}, {_shamt(h)}')),
    (0x4002, 0xE003, lambda h, pc, s: ('c.lwsp', f'{R(crd(h))}, {B(h, 12, 12) << 5 | B(h, 6, 4) << 2 | B(h, 3, 2) << 6}(sp)')
     if crd(h) else None),
    (0x8002, 0xF07F, lambda h, pc, s: ('c.jr', R(crd(h))) if crd(h) else None),
    (0x8002, 0xF003, lambda h, pc, s: ('c.mv', f'{R(crd(h))}, {R(crs2(h))}')),
    (0x9002, 0xFFFF, lambda h, pc, s: ('c.ebreak', '')),
    (0x9002, 0xF07F, lambda h, pc, s: ('c.jalr', R(crd(h)))),
    (0x9002, 0xF003, lambda h, pc, s: ('c.add', f'{R(crd(h))}, {R(crs2(h))}')),
    (0xC002, 0xE003, lambda h, pc, s: ('c.swsp', f'{R(crs2(h))}, {B(h, 12, 9) << 2 | B(h, 8, 7) << 6}(sp)')),
]


def disasm16(h, pc=0, symbolize=None):
    """(mnemonic, operands) of a compressed halfword, or None (illegal/reserved)."""
    for match, mask, fmt in RVC:
        if h & mask == match:
            return fmt(h, pc, symbolize)
    return None
