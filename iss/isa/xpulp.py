"""XpulpV2 (RI5CY / PULP binutils ``p.*``, ``pv.*``, ``lp.*``) encodings.

All 16 binutils classes of PULP_EXT_GROUP_BASE (reference section 2).
Alias choices (identical MATCH): the imm bit-manip/clip/addN forms print
with the plain binutils name (``p.extract``, ``p.clip``, ``p.addn``, never the
``...i`` aliases); ``p.mul*n`` / ``p.mac*n`` with Is3 == 0 print as the short
aliases ``p.muls``/``p.mulhhs``/``p.mulu``/``p.mulhhu`` and
``p.macs``/``p.machhs``/``p.macu``/``p.machhu`` (PARTMAC / MULRN_HI), with
Is3 > 0 as the N form.  ``p.lX rD, imm(rs1)`` / ``p.sX`` with an immediate
offset are the base ``lX``/``sX`` (not custom, decode() returns None).
Hardware-loop index L = instruction bit 7 (RTL), printed ``x0``/``x1``.
"""
from .spec import (Spec, alu, simd_family, KIND_LOAD, KIND_STORE, KIND_HWLOOP, KIND_BRANCH_IMM,
                   KIND_ELW, MEM_REGREG, MEM_POSTINC_IMM, MEM_POSTINC_REG, BR_EQ, BR_NE,
                   HW_STARTI, HW_ENDI, HW_COUNT, HW_COUNTI, HW_SETUP, HW_SETUPI,
                   MASK_I, MASK_R, MASK_R1, MASK_IS, MASK_SCI)

OP_LOAD, OP_CUSTOM0, OP_STORE, OP_CUSTOM1, OP_OP, OP_V, OP_CUSTOM2, OP_BRANCH, OP_CUSTOM3 = (
    0x03, 0x0B, 0x23, 0x2B, 0x33, 0x57, 0x5B, 0x63, 0x7B)


def _postmod():
    t = []
    # name, funct3 (imm post-inc), funct7 (reg-reg forms), size, signed
    for name, f3, f7, size, sgn in (('lb', 0, 0x00, 1, True), ('lbu', 4, 0x20, 1, False),
                                    ('lh', 1, 0x08, 2, True), ('lhu', 5, 0x28, 2, False),
                                    ('lw', 2, 0x10, 4, True)):
        mn = 'p.' + name
        t.append(Spec(mn, OP_CUSTOM0 | f3 << 12, MASK_I, KIND_LOAD, 0, 'rd, i12(rs1!)', size, sgn, MEM_POSTINC_IMM))
        t.append(Spec(mn, OP_LOAD | 7 << 12 | f7 << 25, MASK_R, KIND_LOAD, 0, 'rd, rs2(rs1)', size, sgn, MEM_REGREG))
        t.append(Spec(mn, OP_CUSTOM0 | 7 << 12 | f7 << 25, MASK_R, KIND_LOAD, 0, 'rd, rs2(rs1!)', size, sgn,
                      MEM_POSTINC_REG))
    for name, f3, size in (('sb', 0, 1), ('sh', 1, 2), ('sw', 2, 4)):
        mn = 'p.' + name
        t.append(Spec(mn, OP_CUSTOM1 | f3 << 12, MASK_I, KIND_STORE, 0, 'rs2, s12(rs1!)', size, False, MEM_POSTINC_IMM))
        t.append(Spec(mn, OP_STORE | (f3 + 4) << 12, MASK_R, KIND_STORE, 0, 'rs2, rs3(rs1)', size, False, MEM_REGREG))
        t.append(Spec(mn, OP_CUSTOM1 | (f3 + 4) << 12, MASK_R, KIND_STORE, 0, 'rs2, rs3(rs1!)', size, False,
                      MEM_POSTINC_REG))
    return t


def _hwloop():
    m = 0x000FF07F
    return [
        Spec('lp.starti', OP_CUSTOM3 | 0 << 12, m, KIND_HWLOOP, HW_STARTI, 'Lx, lpo12h'),
        Spec('lp.endi', OP_CUSTOM3 | 1 << 12, m, KIND_HWLOOP, HW_ENDI, 'Lx, lpo12h'),
        Spec('lp.count', OP_CUSTOM3 | 2 << 12, 0xFFF0707F, KIND_HWLOOP, HW_COUNT, 'Lx, rs1'),
        Spec('lp.counti', OP_CUSTOM3 | 3 << 12, m, KIND_HWLOOP, HW_COUNTI, 'Lx, cnt12'),
        Spec('lp.setup', OP_CUSTOM3 | 4 << 12, MASK_I, KIND_HWLOOP, HW_SETUP, 'Lx, rs1, lpo12h'),
        Spec('lp.setupi', OP_CUSTOM3 | 5 << 12, MASK_I, KIND_HWLOOP, HW_SETUPI, 'Lx, cnt12, lpo5h'),
    ]


def _scalar():
    P = lambda f7, f3: OP_OP | f3 << 12 | f7 << 25  # noqa: E731
    t = [alu('p.abs', P(0x02, 0), 'abs', 'rd, rs1', MASK_R1),
         alu('p.slet', P(0x02, 2), 'slet'), alu('p.sletu', P(0x02, 3), 'sletu'),
         alu('p.min', P(0x02, 4), 'min'), alu('p.minu', P(0x02, 5), 'minu'),
         alu('p.max', P(0x02, 6), 'max'), alu('p.maxu', P(0x02, 7), 'maxu'),
         alu('p.ror', P(0x04, 5), 'ror'),
         alu('p.mac', P(0x21, 0), 'mac'), alu('p.msu', P(0x21, 1), 'msu'),
         alu('p.clip', P(0x0A, 1), 'clip', 'rd, rs1, is2'), alu('p.clipu', P(0x0A, 2), 'clipu', 'rd, rs1, is2'),
         alu('p.clipr', P(0x0A, 5), 'clipr'), alu('p.clipur', P(0x0A, 6), 'clipur')]
    for f3, name in enumerate(('ff1', 'fl1', 'clb', 'cnt', 'exths', 'exthz', 'extbs', 'extbz')):
        t.append(alu('p.' + name, P(0x08, f3), name, 'rd, rs1', MASK_R1))
    for f3, name in ((0, 'extract'), (1, 'extractu'), (2, 'insert'), (3, 'bclr'), (4, 'bset')):
        t.append(alu('p.' + name, P(0x60, f3), name, 'rd, rs1, is3, is2', MASK_IS))
        t.append(alu('p.' + name + 'r', P(0x40, f3), name + 'r'))
    # add/sub with normalisation (custom-2): bit31 = unsigned, bit30 = register variant
    for op, f3n, f3rn in (('add', 2, 6), ('sub', 3, 7)):
        for u in (0, 1):
            for r, f3 in (('', f3n), ('r', f3rn)):
                name = f"{op}{'u' if u else ''}{r}n"
                base = OP_CUSTOM2 | f3 << 12 | u << 31
                t.append(alu('p.' + name, base, name, 'rd, rs1, rs2, is3', MASK_IS))
                t.append(alu('p.' + name + 'r', base | 1 << 30, name + 'r'))
    # 16x16 mul/mac (custom-2): funct3 0 mulN, 4 mulRN, 1 macN, 5 macRN; bit31 signed, bit30 hh
    for kind, f3n, f3rn in (('mul', 0, 4), ('mac', 1, 5)):
        for s in (1, 0):
            for hh in (0, 1):
                for r, f3 in (('', f3n), ('r', f3rn)):
                    short = f"{kind}{'hh' if hh else ''}{'s' if s else 'u'}"
                    name = f'{short}{r}n'
                    alias0 = None if r else ('p.' + short, 'rd, rs1, rs2')
                    t.append(alu('p.' + name, OP_CUSTOM2 | f3 << 12 | s << 31 | hh << 30, name,
                                 'rd, rs1, rs2, is3', MASK_IS, alias0=alias0))
    t.append(Spec('p.beqimm', OP_BRANCH | 2 << 12, MASK_I, KIND_BRANCH_IMM, BR_EQ, 'rs1, bimm5, btgt'))
    t.append(Spec('p.bneimm', OP_BRANCH | 3 << 12, MASK_I, KIND_BRANCH_IMM, BR_NE, 'rs1, bimm5, btgt'))
    t.append(Spec('p.elw', OP_LOAD | 6 << 12, MASK_I, KIND_ELW, 0, 'rd, i12(rs1)', 4, True))
    return t


# SIMD: name, semantic op, funct6 = bits[31:26], .sci immediate signedness
SIMD_V2 = (
    ('add', 'v.add', 0b000000, 's'), ('sub', 'v.sub', 0b000010, 's'),
    ('avg', 'v.avg', 0b000100, 's'), ('avgu', 'v.avgu', 0b000110, 'u'),
    ('min', 'v.min', 0b001000, 's'), ('minu', 'v.minu', 0b001010, 'u'),
    ('max', 'v.max', 0b001100, 's'), ('maxu', 'v.maxu', 0b001110, 'u'),
    ('srl', 'v.srl', 0b010000, 'u'), ('sra', 'v.sra', 0b010010, 'u'), ('sll', 'v.sll', 0b010100, 'u'),
    ('or', 'v.or', 0b010110, 's'), ('xor', 'v.xor', 0b011000, 's'), ('and', 'v.and', 0b011010, 's'),
    ('dotup', 'v.dotup', 0b100000, 'u'), ('dotusp', 'v.dotusp', 0b100010, 's'),
    ('dotsp', 'v.dotsp', 0b100110, 's'), ('sdotup', 'v.sdotup', 0b101000, 'u'),
    ('sdotusp', 'v.sdotusp', 0b101010, 's'), ('sdotsp', 'v.sdotsp', 0b101110, 's'),
    ('cmpeq', 'v.cmpeq', 0b000001, 's'), ('cmpne', 'v.cmpne', 0b000011, 's'),
    ('cmpgt', 'v.cmpgt', 0b000101, 's'), ('cmpge', 'v.cmpge', 0b000111, 's'),
    ('cmplt', 'v.cmplt', 0b001001, 's'), ('cmple', 'v.cmple', 0b001011, 's'),
    ('cmpgtu', 'v.cmpgtu', 0b001101, 'u'), ('cmpgeu', 'v.cmpgeu', 0b001111, 'u'),
    ('cmpltu', 'v.cmpltu', 0b010001, 'u'), ('cmpleu', 'v.cmpleu', 0b010011, 'u'),
)


def _vect():
    V = lambda f6, f3, b25=0: OP_V | f3 << 12 | f6 << 26 | b25 << 25  # noqa: E731
    t = []
    for name, sem, f6, sci in SIMD_V2:
        t += simd_family('pv.', OP_V, name, sem, f6, sci)
    t += [alu('pv.abs.h', V(0b011100, 0), 'v.abs', 'rd, rs1', MASK_R1),
          alu('pv.abs.b', V(0b011100, 1), 'v.abs', 'rd, rs1', MASK_R1, width=8)]
    for name, f6 in (('extract', 0b011110), ('extractu', 0b100100), ('insert', 0b101100)):
        t.append(alu(f'pv.{name}.h', V(f6, 6), 'v.' + name, 'rd, rs1, uimm6', MASK_SCI))
        t.append(alu(f'pv.{name}.b', V(f6, 7), 'v.' + name, 'rd, rs1, uimm6', MASK_SCI, width=8))
    for n, f3 in ((1, 2), (2, 4), (3, 6)):
        t.append(alu(f'pv.add.h.div{1 << n}', V(0b011101, f3), 'v.adddiv', consts=(('imm2', n),)))
        t.append(alu(f'pv.sub.h.div{1 << n}', V(0b011001, f3), 'v.subdiv', consts=(('imm2', n),)))
    # VECT_SHUFFLEPACK
    t += [alu('pv.shuffle.h', V(0b110000, 0), 'v.shuffle'),
          alu('pv.shuffle.b', V(0b110000, 1), 'v.shuffle', width=8),
          alu('pv.shuffle.sci.h', V(0b110000, 6), 'v.shuffle.sci.h', 'rd, rs1, uimm6', MASK_SCI),
          alu('pv.shuffle2.h', V(0b110010, 0), 'v.shuffle2'),
          alu('pv.shuffle2.b', V(0b110010, 1), 'v.shuffle2', width=8),
          alu('pv.pack', V(0b110100, 0), 'v.pack'),
          alu('pv.pack.h', V(0b110100, 0, 1), 'v.pack.h'),
          alu('pv.packhi.b', V(0b110110, 1), 'v.packhi.b', width=8),
          alu('pv.packlo.b', V(0b111000, 1), 'v.packlo.b', width=8)]
    for k, f6 in enumerate((0b110000, 0b111010, 0b111100, 0b111110)):
        t.append(alu(f'pv.shufflei{k}.sci.b', V(f6, 7), 'v.shufflei.sci.b', 'rd, rs1, uimm6', MASK_SCI,
                     width=8, consts=(('imm2', k),)))
    return t


SPECS = tuple(_postmod() + _hwloop() + _scalar() + _vect())
