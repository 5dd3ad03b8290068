"""CORE-V CV32E40P v2 (``cv.*``, XCV*) encodings, LLVM assembly syntax.

Reference section 6.3 (+ XCVhwlp from section 4.2, not in LLVM: syntax
``cv.setupi L, count, target`` with L printed as 0/1, offsets printed as
target addresses).  ``cv.mul{s,hhs,u,hhu}n`` with Is3 == 0 print as the LLVM
aliases ``cv.muls`` etc.; ``cv.sle/cv.sleu`` are printed with the current
LLVM spelling (clang 22 accepts both ``cv.sle`` and the old ``cv.slet``).
"""
from .spec import (Spec, alu, simd_family, KIND_LOAD, KIND_STORE, KIND_HWLOOP, KIND_BRANCH_IMM,
                   KIND_ELW, MEM_REGREG, MEM_POSTINC_IMM, MEM_POSTINC_REG, BR_EQ, BR_NE,
                   HW_STARTI, HW_ENDI, HW_COUNT, HW_COUNTI, HW_SETUP, HW_SETUPI, HW_START, HW_END,
                   MASK_I, MASK_R, MASK_R1, MASK_IS, MASK_SCI)
from .xpulp import SIMD_V2

OP_CUSTOM0, OP_CUSTOM1, OP_CUSTOM2, OP_CUSTOM3 = 0x0B, 0x2B, 0x5B, 0x7B


def _a(f7):       # custom-1 funct3 = 011 "plane A"
    return OP_CUSTOM1 | 3 << 12 | f7 << 25


def _mem():
    t = []
    for name, f3, f7, size, sgn in (('lb', 0, 0b0000000, 1, True), ('lbu', 4, 0b0001000, 1, False),
                                    ('lh', 1, 0b0000001, 2, True), ('lhu', 5, 0b0001001, 2, False),
                                    ('lw', 2, 0b0000010, 4, True)):
        mn = 'cv.' + name
        t.append(Spec(mn, OP_CUSTOM0 | f3 << 12, MASK_I, KIND_LOAD, 0, 'rd, (rs1), i12', size, sgn, MEM_POSTINC_IMM))
        t.append(Spec(mn, _a(f7), MASK_R, KIND_LOAD, 0, 'rd, (rs1), rs2', size, sgn, MEM_POSTINC_REG))
        t.append(Spec(mn, _a(f7 | 0b100), MASK_R, KIND_LOAD, 0, 'rd, rs2(rs1)', size, sgn, MEM_REGREG))
    for name, f3, size in (('sb', 0, 1), ('sh', 1, 2), ('sw', 2, 4)):
        mn = 'cv.' + name
        t.append(Spec(mn, OP_CUSTOM1 | f3 << 12, MASK_I, KIND_STORE, 0, 'rs2, (rs1), s12', size, False,
                      MEM_POSTINC_IMM))
        t.append(Spec(mn, _a(0b0010000 | f3), MASK_R, KIND_STORE, 0, 'rs2, (rs1), rs3', size, False, MEM_POSTINC_REG))
        t.append(Spec(mn, _a(0b0010100 | f3), MASK_R, KIND_STORE, 0, 'rs2, rs3(rs1)', size, False, MEM_REGREG))
    t.append(Spec('cv.elw', OP_CUSTOM0 | 3 << 12, MASK_I, KIND_ELW, 0, 'rd, i12(rs1)', 4, True))
    t.append(Spec('cv.beqimm', OP_CUSTOM0 | 6 << 12, MASK_I, KIND_BRANCH_IMM, BR_EQ, 'rs1, bimm5, btgt'))
    t.append(Spec('cv.bneimm', OP_CUSTOM0 | 7 << 12, MASK_I, KIND_BRANCH_IMM, BR_NE, 'rs1, bimm5, btgt'))
    return t


def _hwloop():
    H = lambda f4: OP_CUSTOM1 | 4 << 12 | f4 << 8  # noqa: E731
    mi, mr, ms = 0x000FFF7F, 0xFFF07F7F, 0x00007F7F
    return [Spec('cv.starti', H(0), mi, KIND_HWLOOP, HW_STARTI, 'L, lpo12w'),
            Spec('cv.start', H(1), mr, KIND_HWLOOP, HW_START, 'L, rs1'),
            Spec('cv.endi', H(2), mi, KIND_HWLOOP, HW_ENDI, 'L, lpo12w'),
            Spec('cv.end', H(3), mr, KIND_HWLOOP, HW_END, 'L, rs1'),
            Spec('cv.counti', H(4), mi, KIND_HWLOOP, HW_COUNTI, 'L, cnt12'),
            Spec('cv.count', H(5), mr, KIND_HWLOOP, HW_COUNT, 'L, rs1'),
            Spec('cv.setupi', H(6), ms, KIND_HWLOOP, HW_SETUPI, 'L, cnt12, lpo5w'),
            Spec('cv.setup', H(7), ms, KIND_HWLOOP, HW_SETUP, 'L, rs1, lpo12w')]


def _scalar():
    t = []
    for f7, name in ((0b0011000, 'extractr'), (0b0011001, 'extractur'), (0b0011010, 'insertr'),
                     (0b0011100, 'bclrr'), (0b0011101, 'bsetr'), (0b0100000, 'ror'),
                     (0b0101001, 'slet'), (0b0101010, 'sletu'), (0b0101011, 'min'), (0b0101100, 'minu'),
                     (0b0101101, 'max'), (0b0101110, 'maxu'), (0b0111010, 'clipr'), (0b0111011, 'clipur'),
                     (0b1001000, 'mac'), (0b1001001, 'msu')):
        mn = {'slet': 'sle', 'sletu': 'sleu'}.get(name, name)
        t.append(alu('cv.' + mn, _a(f7), name))
    for f7, name in ((0b0100001, 'ff1'), (0b0100010, 'fl1'), (0b0100011, 'clb'), (0b0100100, 'cnt'),
                     (0b0101000, 'abs'), (0b0110000, 'exths'), (0b0110001, 'exthz'), (0b0110010, 'extbs'),
                     (0b0110011, 'extbz')):
        t.append(alu('cv.' + name, _a(f7), name, 'rd, rs1', MASK_R1))
    t.append(alu('cv.clip', _a(0b0111000), 'clip', 'rd, rs1, is2'))
    t.append(alu('cv.clipu', _a(0b0111001), 'clipu', 'rd, rs1, is2'))
    for i, name in enumerate(('addnr', 'addunr', 'addrnr', 'addurnr', 'subnr', 'subunr', 'subrnr', 'suburnr')):
        t.append(alu('cv.' + name, _a(0b1000000 | i), name))
    C2 = lambda f3, f2: OP_CUSTOM2 | f3 << 12 | f2 << 30  # noqa: E731
    for f3, names in ((0, ('extract', 'extractu', 'insert', None)), (1, ('bclr', 'bset', None, 'bitrev')),
                      (2, ('addn', 'addun', 'addrn', 'addurn')), (3, ('subn', 'subun', 'subrn', 'suburn')),
                      (4, ('mulsn', 'mulhhsn', 'mulsrn', 'mulhhsrn')), (5, ('mulun', 'mulhhun', 'mulurn', 'mulhhurn')),
                      (6, ('macsn', 'machhsn', 'macsrn', 'machhsrn')), (7, ('macun', 'machhun', 'macurn', 'machhurn'))):
        for f2, name in enumerate(names):
            if name is None:
                continue
            syntax = 'rd, rs1, is3, is2' if f3 < 2 else 'rd, rs1, rs2, is3'
            alias0 = ('cv.' + name[:-1], 'rd, rs1, rs2') if name.startswith('mul') and not name.endswith('rn') else None
            t.append(alu('cv.' + name, C2(f3, f2), name, syntax, MASK_IS, alias0=alias0))
    return t


# CORE-V moved the dot products (funct6 = bits[31:26])
_SIMD_CV_FUNCT = {'dotsp': 0b100100, 'sdotup': 0b100110, 'sdotusp': 0b101000, 'sdotsp': 0b101010}


def _simd():
    V = lambda f6, f3, b25=0: OP_CUSTOM3 | f3 << 12 | f6 << 26 | b25 << 25  # noqa: E731
    t = []
    for name, sem, f6, sci in SIMD_V2:
        t += simd_family('cv.', OP_CUSTOM3, name, sem, _SIMD_CV_FUNCT.get(name, f6), sci)
    t += [alu('cv.abs.h', V(0b011100, 0), 'v.abs', 'rd, rs1', MASK_R1),
          alu('cv.abs.b', V(0b011100, 1), 'v.abs', 'rd, rs1', MASK_R1, width=8)]
    for f3, (name, width) in enumerate((('extract.h', 16), ('extract.b', 8), ('extractu.h', 16),
                                        ('extractu.b', 8), ('insert.h', 16), ('insert.b', 8))):
        t.append(alu('cv.' + name, V(0b101110, f3), 'v.' + name[:-2], 'rd, rs1, uimm6', MASK_SCI, width=width))
    t += [alu('cv.shuffle.h', V(0b110000, 0), 'v.shuffle'),
          alu('cv.shuffle.b', V(0b110000, 1), 'v.shuffle', width=8),
          alu('cv.shuffle.sci.h', V(0b110000, 6), 'v.shuffle.sci.h', 'rd, rs1, uimm6', MASK_SCI),
          alu('cv.shuffle2.h', V(0b111000, 0), 'v.shuffle2'),
          alu('cv.shuffle2.b', V(0b111000, 1), 'v.shuffle2', width=8),
          alu('cv.pack', V(0b111100, 0), 'v.pack'),
          alu('cv.pack.h', V(0b111100, 0, 1), 'v.pack.h'),
          alu('cv.packhi.b', V(0b111110, 1, 1), 'v.packhi.b', width=8),
          alu('cv.packlo.b', V(0b111110, 1), 'v.packlo.b', width=8),
          alu('cv.cplxconj', V(0b010111, 0), 'v.cplxconj', 'rd, rs1', MASK_R1)]
    for k, f6 in enumerate((0b110000, 0b110010, 0b110100, 0b110110)):
        t.append(alu(f'cv.shufflei{k}.sci.b', V(f6, 7), 'v.shufflei.sci.b', 'rd, rs1, uimm6', MASK_SCI,
                     width=8, consts=(('imm2', k),)))
    for n, f3 in ((0, 0), (1, 2), (2, 4), (3, 6)):
        div = f'.div{1 << n}' if n else ''
        c = (('imm2', n),)
        t.append(alu('cv.cplxmul.r' + div, V(0b010101, f3), 'v.cplxmul.r', consts=c))
        t.append(alu('cv.cplxmul.i' + div, V(0b010101, f3, 1), 'v.cplxmul.i', consts=c))
        t.append(alu('cv.subrotmj' + div, V(0b011001, f3), 'v.subrotmj', consts=c))
        if n:
            t.append(alu('cv.add' + div, V(0b011011, f3), 'v.adddiv', consts=c))
            t.append(alu('cv.sub' + div, V(0b011101, f3), 'v.subdiv', consts=c))
    return t


SPECS = tuple(_mem() + _hwloop() + _scalar() + _simd())
