"""Semantic core: hand-derived expected values (reference sections 2-3),
run through decode() + alu_execute() for BOTH flavours."""
import re

import pytest

from iss.isa import decoder, fields
from iss.isa.decoder import decode
from iss.isa.semantics import alu_execute

CV_RENAME = {'cv.slet': 'cv.sle', 'cv.sletu': 'cv.sleu', 'cv.add.h.div2': 'cv.add.div2',
             'cv.add.h.div4': 'cv.add.div4', 'cv.add.h.div8': 'cv.add.div8', 'cv.sub.h.div2': 'cv.sub.div2',
             'cv.sub.h.div4': 'cv.sub.div4', 'cv.sub.h.div8': 'cv.sub.div8'}
M = 0xFFFFFFFF


def _spec(flavour, mn):
    if flavour == 'corev':
        mn = re.sub(r'^pv?\.', 'cv.', mn)
        mn = CV_RENAME.get(mn, mn)
    specs = [s for s in decoder.SPECS[flavour] if s.mnemonic == mn]
    assert specs, (flavour, mn)
    return specs[0]


def run(flavour, mn, a=0, b=0, d=0, is2=0, is3=0, imm6=0):
    s = _spec(flavour, mn)
    w = s.match | 5 << 7 | 6 << 15
    if 'rs2' in s.tokens:
        w |= 7 << 20
    if 'is2' in s.tokens:
        w |= is2 << 20
    if 'is3' in s.tokens:
        w |= is3 << 25
    if 'simm6' in s.tokens or 'uimm6' in s.tokens:
        w |= fields.encode_imm6(imm6)
    dec = decode(w, flavour)
    assert dec is not None and dec.kind == decoder.KIND_ALU and dec.op == s.op
    assert (dec.rd, dec.rs1) == (5, 6)
    return alu_execute(dec.op, a & M, b & M, d & M, dec.imm, dec.imm2)


# (mnemonic (XpulpV2 name), kwargs, expected)
CASES = [
    ('p.abs', dict(a=-5), 5), ('p.abs', dict(a=0x80000000), 0x80000000), ('p.abs', dict(a=7), 7),
    ('p.slet', dict(a=-1, b=1), 1), ('p.sletu', dict(a=-1, b=1), 0), ('p.slet', dict(a=3, b=3), 1),
    ('p.slet', dict(a=4, b=3), 0),
    ('p.min', dict(a=-1, b=1), M), ('p.minu', dict(a=-1, b=1), 1),
    ('p.max', dict(a=-1, b=1), 1), ('p.maxu', dict(a=-1, b=1), M),
    ('p.ff1', dict(a=0x28), 3), ('p.ff1', dict(a=0), 32), ('p.fl1', dict(a=0x28), 5), ('p.fl1', dict(a=0), 32),
    ('p.fl1', dict(a=0x80000000), 31),
    # p.clb follows the RTL (clrsb, 0 -> 0)
    ('p.clb', dict(a=1), 30), ('p.clb', dict(a=0x80000000), 0), ('p.clb', dict(a=0), 0),
    ('p.clb', dict(a=M), 31), ('p.clb', dict(a=0xFFFFFFFE), 30), ('p.clb', dict(a=0x7FFFFFFF), 0),
    ('p.cnt', dict(a=0xF0F0000F), 12), ('p.cnt', dict(a=M), 32),
    ('p.ror', dict(a=0x12345678, b=8), 0x78123456), ('p.ror', dict(a=0x12345678, b=40), 0x78123456),
    ('p.ror', dict(a=0x12345678, b=0), 0x12345678),
    ('p.exths', dict(a=0x00018000), 0xFFFF8000), ('p.exthz', dict(a=0xFFFF8000), 0x8000),
    ('p.extbs', dict(a=0x1F0), 0xFFFFFFF0), ('p.extbz', dict(a=0x1F0), 0xF0),
    # bit manipulation: Is3+1 bits at Is2, truncated at bit 31
    ('p.extract', dict(a=0xF80, is3=7, is2=4), 0xFFFFFFF8), ('p.extractu', dict(a=0xF80, is3=7, is2=4), 0xF8),
    ('p.extract', dict(a=0x80000000, is3=7, is2=28), 0xFFFFFFF8),
    ('p.extractu', dict(a=0x80000000, is3=7, is2=28), 8),
    ('p.extract', dict(a=0x12345678, is3=31, is2=0), 0x12345678),
    ('p.insert', dict(d=M, a=5, is3=2, is2=4), 0xFFFFFFDF),
    ('p.insert', dict(d=0, a=0xF, is3=3, is2=30), 0xC0000000),
    ('p.bclr', dict(a=M, is3=3, is2=8), 0xFFFFF0FF), ('p.bset', dict(a=0, is3=0, is2=31), 0x80000000),
    ('p.bset', dict(a=0, is3=31, is2=0), M), ('p.bclr', dict(a=M, is3=31, is2=4), 0xF),
    ('p.extractr', dict(a=0xF80, b=(7 << 5) | 4), 0xFFFFFFF8),
    ('p.extractur', dict(a=0xF80, b=0xFFFFFC00 | (7 << 5) | 4), 0xF8),
    ('p.insertr', dict(d=M, a=5, b=(2 << 5) | 4), 0xFFFFFFDF),
    ('p.bclrr', dict(a=M, b=(3 << 5) | 8), 0xFFFFF0FF), ('p.bsetr', dict(a=0, b=(31 << 5)), M),
    # clip: Is2=0 -> [-1, 0]
    ('p.clip', dict(a=200, is2=8), 127), ('p.clip', dict(a=-200, is2=8), 0xFFFFFF80),
    ('p.clip', dict(a=5, is2=8), 5), ('p.clip', dict(a=5, is2=0), 0), ('p.clip', dict(a=-5, is2=0), M),
    ('p.clipu', dict(a=-5, is2=8), 0), ('p.clipu', dict(a=300, is2=8), 127), ('p.clipu', dict(a=9, is2=0), 0),
    ('p.clipr', dict(a=100, b=50), 50), ('p.clipr', dict(a=-100, b=50), 0xFFFFFFCD),
    ('p.clipr', dict(a=-7, b=50), 0xFFFFFFF9),
    ('p.clipur', dict(a=-100, b=50), 0), ('p.clipur', dict(a=100, b=50), 50),
    # add/sub with normalisation and rounding (rounding only when Is3 > 0)
    ('p.addn', dict(a=10, b=-3, is3=1), 3), ('p.addn', dict(a=-10, b=1, is3=2), 0xFFFFFFFD),
    ('p.addun', dict(a=-10, b=1, is3=2), 0x3FFFFFFD),
    ('p.addrn', dict(a=5, b=0, is3=1), 3), ('p.addrn', dict(a=-5, b=0, is3=1), 0xFFFFFFFE),
    ('p.addrn', dict(a=5, b=1, is3=0), 6),
    ('p.addurn', dict(a=5, b=0, is3=2), 1), ('p.addurn', dict(a=M, b=0, is3=4), 0),
    ('p.subn', dict(a=1, b=10, is3=1), 0xFFFFFFFB), ('p.subun', dict(a=1, b=10, is3=1), 0x7FFFFFFB),
    ('p.subrn', dict(a=10, b=1, is3=1), 5), ('p.suburn', dict(a=10, b=3, is3=2), 2),
    # register forms read rD: rD = (rD +/- rs1 [+rnd]) >> rs2[4:0]
    ('p.addnr', dict(d=100, a=28, b=2), 32), ('p.addnr', dict(d=100, a=28, b=0xFFFFFFE2), 32),
    ('p.subnr', dict(d=1, a=10, b=1), 0xFFFFFFFB), ('p.addrnr', dict(d=5, a=0, b=1), 3),
    ('p.suburnr', dict(d=10, a=3, b=2), 2), ('p.addunr', dict(d=-10, a=1, b=2), 0x3FFFFFFD),
    ('p.subunr', dict(d=1, a=10, b=1), 0x7FFFFFFB), ('p.addurnr', dict(d=5, a=0, b=2), 1),
    ('p.subrnr', dict(d=-5, a=0, b=1), 0xFFFFFFFE),
    # 16x16 mul / mac
    ('p.mulsn', dict(a=0xFFFF, b=2), 0xFFFFFFFE), ('p.mulun', dict(a=0xFFFF, b=2), 0x1FFFE),
    ('p.mulhhsn', dict(a=0xFFFF0000, b=0x30000), 0xFFFFFFFD), ('p.mulhhun', dict(a=0xFFFF0000, b=0x30000), 0x2FFFD),
    ('p.mulsn', dict(a=7, b=3, is3=1), 10), ('p.mulsrn', dict(a=7, b=3, is3=1), 11),
    ('p.mulsrn', dict(a=0xFFF9, b=3, is3=1), 0xFFFFFFF6), ('p.mulsn', dict(a=0xFFF9, b=3, is3=1), 0xFFFFFFF5),
    ('p.mulurn', dict(a=7, b=3, is3=0), 21), ('p.mulsn', dict(a=0xABCD0007, b=0x12340003), 21),
    ('p.mulhhurn', dict(a=0x30000, b=0x50000, is3=1), 8), ('p.mulhhsrn', dict(a=0xFFFD0000, b=0x50000, is3=2),
                                                            0xFFFFFFFC),
    ('p.macsn', dict(d=100, a=0xFFFF, b=2), 98), ('p.machhsn', dict(d=0, a=0xFFFF0000, b=0x20000, is3=1), M),
    ('p.macurn', dict(d=1, a=3, b=3, is3=2), 3), ('p.macun', dict(d=M, a=1, b=1), 0),
    ('p.machhurn', dict(d=0, a=0x30000, b=0x50000, is3=1), 8),
    ('p.macsrn', dict(d=-100, a=10, b=0xFFFF, is3=3), 0xFFFFFFF2),
    ('p.machhun', dict(d=2, a=0x20000, b=0x30000, is3=3), 1),
    ('p.mac', dict(d=1, a=0x10000, b=0x10000), 1), ('p.mac', dict(d=10, a=3, b=M), 7),
    ('p.mac', dict(d=0, a=M, b=M), 1), ('p.msu', dict(d=10, a=3, b=4), 0xFFFFFFFE),
    # SIMD arithmetic
    ('pv.add.h', dict(a=0x7FFF0001, b=0x00010002), 0x80000003),
    ('pv.add.b', dict(a=0x01FF7F80, b=0x01010101), 0x02008081),
    ('pv.add.sc.h', dict(a=0x00010002, b=0x12340005), 0x00060007),
    ('pv.add.sci.h', dict(a=0x00010002, imm6=-1), 0x00000001),
    ('pv.add.sci.b', dict(a=0x05050505, imm6=-3), 0x02020202),
    ('pv.sub.b', dict(a=0, b=0x01020304), 0xFFFEFDFC), ('pv.sub.sc.b', dict(a=0x00010203, b=0xAAAAAA01), 0xFF000102),
    ('pv.sub.sci.h', dict(a=0x00050005, imm6=31), 0xFFE6FFE6),
    # avg: truncate to the element, then shift
    ('pv.avg.h', dict(a=0x7FFF0004, b=0x00010002), 0xC0000003),
    ('pv.avgu.h', dict(a=0x7FFF0004, b=0x00010002), 0x40000003),
    ('pv.avg.b', dict(a=0xFF000000, b=0xFF000000), 0xFF000000),
    ('pv.avgu.b', dict(a=0xFF000000, b=0xFF000000), 0x7F000000),
    ('pv.avgu.sci.h', dict(a=0x00010001, imm6=63), 0x00200020),   # unsigned imm: 63
    ('pv.avg.sci.h', dict(a=0x00010001, imm6=63), 0x00000000),    # signed imm: -1
    ('pv.min.h', dict(a=0xFFFF0001, b=0x00010000), 0xFFFF0000), ('pv.minu.h', dict(a=0xFFFF0001, b=0x00010000),
                                                                  0x00010000),
    ('pv.max.b', dict(a=0x80017F00, b=0x00FF0001), 0x00017F01), ('pv.maxu.b', dict(a=0x80017F00, b=0x00FF0001),
                                                                  0x80FF7F01),
    ('pv.min.sci.b', dict(a=0x00FF7F80, imm6=-2), 0xFEFEFE80), ('pv.minu.sci.h', dict(a=0x00030009, imm6=5),
                                                                 0x00030005),
    ('pv.max.sc.h', dict(a=0x00010009, b=0xFFFF0004), 0x00040009),
    ('pv.maxu.sci.b', dict(a=0x01020304, imm6=63), 0x3F3F3F3F),
    # shifts use 4 (.h) / 3 (.b) bits of the shift element
    ('pv.srl.h', dict(a=0x80008000, b=0x00110004), 0x40000800),
    ('pv.sra.h', dict(a=0x80008000, b=0x00110004), 0xC000F800),
    ('pv.sll.b', dict(a=0x01010101, b=0x09070100), 0x02800201),
    ('pv.sll.h', dict(a=0x00010001, b=0x0010000F), 0x00018000),
    ('pv.sra.sci.b', dict(a=0x80808080, imm6=1), 0xC0C0C0C0),
    ('pv.srl.sc.h', dict(a=0x80008000, b=0xFFFF0003), 0x10001000),
    ('pv.srl.sc.b', dict(a=0x80808080, b=0x00000009), 0x40404040),
    ('pv.or.h', dict(a=0x0F0F0000, b=0x00F0000F), 0x0FFF000F), ('pv.xor.b', dict(a=0xFF00FF00, b=0x0F0F0F0F),
                                                                 0xF00FF00F),
    ('pv.and.sci.h', dict(a=0x1234ABCD, imm6=-16), 0x1230ABC0), ('pv.or.sci.b', dict(a=0, imm6=1), 0x01010101),
    ('pv.and.sc.b', dict(a=0xFFFFFFFF, b=0x0000003C), 0x3C3C3C3C),
    ('pv.abs.h', dict(a=0x8000FFFF), 0x80000001), ('pv.abs.b', dict(a=0x80FF7F01), 0x80017F01),
    # dot products (sdot* read rD)
    ('pv.dotup.h', dict(a=0xFFFF0002, b=0x00020003), 0x20004),
    ('pv.dotusp.h', dict(a=0xFFFF0002, b=0xFFFF0003), 0xFFFF0007),
    ('pv.dotsp.h', dict(a=0xFFFF0002, b=0xFFFF0003), 7),
    ('pv.dotsp.b', dict(a=0x01FF02FE, b=0x01010101), 0), ('pv.dotsp.b', dict(a=0x80808080, b=0x80808080), 0x10000),
    ('pv.sdotsp.h', dict(d=100, a=0x00020003, b=0x00040005), 123),
    ('pv.sdotup.b', dict(d=M, a=0x01010101, b=0x01010101), 3),
    ('pv.sdotusp.b', dict(d=0, a=0xFF000000, b=0xFF000000), 0xFFFFFF01),
    ('pv.dotsp.sci.h', dict(a=0x00020003, imm6=-1), 0xFFFFFFFB),
    ('pv.dotup.sci.b', dict(a=0x01020304, imm6=2), 20),
    ('pv.dotsp.sc.b', dict(a=0x01020304, b=0x000000FF), 0xFFFFFFF6),
    ('pv.sdotsp.sci.b', dict(d=5, a=0x01010101, imm6=-32), 0xFFFFFF85),
    ('pv.sdotusp.sc.h', dict(d=1, a=0xFFFF0001, b=0x0000FFFF), 0xFFFF0001),
    # compares
    ('pv.cmpeq.h', dict(a=0x00050006, b=0x00050007), 0xFFFF0000),
    ('pv.cmpne.b', dict(a=0x01020304, b=0x01000300), 0x00FF00FF),
    ('pv.cmpgt.h', dict(a=0xFFFF0001, b=0), 0x0000FFFF), ('pv.cmpgtu.h', dict(a=0xFFFF0001, b=0), M),
    ('pv.cmpge.b', dict(a=0x80000102, b=0x00000101), 0x00FFFFFF),
    ('pv.cmplt.sci.h', dict(a=0xFFFE0000, imm6=-1), 0xFFFF0000),
    ('pv.cmple.b', dict(a=0x05050505, b=0x04050605), 0x00FFFFFF),
    ('pv.cmpltu.sci.b', dict(a=0x40003F3E, imm6=63), 0x00FF00FF),
    ('pv.cmpleu.h', dict(a=0xFFFF0001, b=0x00010001), 0x0000FFFF),
    ('pv.cmpgeu.b', dict(a=0x00FF0001, b=0x01FE0000), 0x00FFFFFF),
    ('pv.cmpeq.sc.b', dict(a=0x07010701, b=0xFFFFFF07), 0xFF00FF00),
    # extract / insert (.b index = imm[1:0])
    ('pv.extract.h', dict(a=0x80017FFF, imm6=1), 0xFFFF8001), ('pv.extract.h', dict(a=0x80017FFF, imm6=0), 0x7FFF),
    ('pv.extract.b', dict(a=0x80FF7F01, imm6=3), 0xFFFFFF80), ('pv.extract.b', dict(a=0x80FF7F01, imm6=2), M),
    ('pv.extractu.b', dict(a=0x80FF7F01, imm6=2), 0xFF), ('pv.extractu.h', dict(a=0x80017FFF, imm6=1), 0x8001),
    ('pv.insert.h', dict(d=0x11112222, a=0xABCD1234, imm6=1), 0x12342222),
    ('pv.insert.b', dict(d=0x11223344, a=0xAA, imm6=2), 0x11AA3344),
    # shuffles / packs
    ('pv.shuffle.h', dict(a=0x11112222, b=0x00000001), 0x22221111),
    ('pv.shuffle.b', dict(a=0x44332211, b=0x00010203), 0x11223344),
    ('pv.shuffle.b', dict(a=0x44332211, b=0xFC050A0F), 0x11223344),
    ('pv.shuffle.sci.h', dict(a=0x11112222, imm6=1), 0x22221111),
    ('pv.shuffle.sci.h', dict(a=0x11112222, imm6=2), 0x11112222),
    ('pv.shufflei0.sci.b', dict(a=0x44332211, imm6=0x39), 0x11443322),
    ('pv.shufflei1.sci.b', dict(a=0x44332211, imm6=0x39), 0x22443322),
    ('pv.shufflei2.sci.b', dict(a=0x44332211, imm6=0), 0x33111111),
    ('pv.shufflei3.sci.b', dict(a=0x44332211, imm6=0), 0x44111111),
    ('pv.shuffle2.h', dict(d=0xDDDDCCCC, a=0xAAAABBBB, b=0x00030000), 0xAAAACCCC),
    ('pv.shuffle2.b', dict(d=0x44332211, a=0x88776655, b=0x04000703), 0x55118844),
    ('pv.pack', dict(a=0x11112222, b=0x33334444), 0x22224444),
    ('pv.pack.h', dict(a=0x11112222, b=0x33334444), 0x11113333),
    ('pv.packhi.b', dict(d=0xAAAABBBB, a=0x12, b=0x34), 0x1234BBBB),
    ('pv.packlo.b', dict(d=0xAAAABBBB, a=0x12, b=0x34), 0xAAAA1234),
    ('pv.add.h.div2', dict(a=0x00040006, b=0x00020002), 0x00030004),
    ('pv.add.h.div4', dict(a=0xFFF80008, b=0), 0xFFFE0002),
    ('pv.sub.h.div8', dict(a=0x00000040, b=0x00080000), 0xFFFF0008),
]


@pytest.mark.parametrize('flavour', ['xpulpv2', 'corev'])
@pytest.mark.parametrize('case', CASES, ids=[f'{c[0]}-{i}' for i, c in enumerate(CASES)])
def test_semantics(flavour, case):
    mn, kw, expected = case
    assert run(flavour, mn, **kw) == expected


COREV_ONLY = [
    ('cv.bitrev', dict(a=0xC64A5933, is2=4, is3=0), 0x0CC9A526),
    ('cv.bitrev', dict(a=0xC64A5933, is2=4, is3=1), 0x0CC65A19),
    ('cv.bitrev', dict(a=0xC64A5933, is2=4, is3=2), 0x216B244B),
    ('cv.cplxconj', dict(a=0x00050003), 0xFFFB0003),
    ('cv.cplxmul.r', dict(d=0xABCD0000, a=0x00004000, b=0x00004000), 0xABCD2000),
    ('cv.cplxmul.i', dict(d=0x0000ABCD, a=0x00004000, b=0x40000000), 0x2000ABCD),
    ('cv.cplxmul.i.div2', dict(d=0x0000ABCD, a=0x00004000, b=0x40000000), 0x1000ABCD),
    ('cv.subrotmj', dict(a=0x00050003, b=0x00020001), 0xFFFE0003),
]


@pytest.mark.parametrize('case', COREV_ONLY, ids=[c[0] for c in COREV_ONLY])
def test_corev_only_semantics(case):
    mn, kw, expected = case
    assert run('corev', mn, **kw) == expected


def test_result_is_uint32_and_accepts_numpy_types():
    import numpy as np
    d = decode(0x00000057 | 5 << 7 | 6 << 15 | 7 << 20, 'xpulpv2')      # pv.add.h
    r = alu_execute(d.op, np.uint32(0xFFFFFFFF), np.uint32(0x00010001), np.uint32(0), d.imm, d.imm2)
    assert int(r) == 0
    r = alu_execute(d.op, -1, 0x00010001, 0, 0, 0)     # negative python int is masked
    assert int(r) == 0
