"""CORE-V v2 encodings checked against LLVM (clang 22 via ziglang):
every cv.* instruction of the LLVM XCV extensions is assembled with several
operand values; each word must decode to the spec's op/operands and
disassemble back to the source text.  XCVhwlp (not in LLVM) is checked with
hand-computed words from the reference table (section 4.2)."""
import random
import subprocess
import sys

import pytest

from iss.isa import decoder, corev
from iss.isa.decoder import decode, disassemble
from iss.isa.spec import ABI, TOKENS, _TOKEN_RE

MCPU = 'generic_rv32+m+c+xcvalu+xcvmac+xcvmem+xcvbi+xcvbitmanip+xcvelw+xcvsimd'

# LLVM operand ranges narrower than the encoding field
RANGES = {'cv.bitrev': {'is3': (0, 3)}}


def _range(spec, tok):
    special = RANGES.get(spec.mnemonic, {}).get(tok)
    if special:
        return special
    if '.sci.' in spec.mnemonic and tok == 'uimm6' and spec.mnemonic.split('.')[1] in ('srl', 'sra', 'sll'):
        return (0, 15) if spec.mnemonic.endswith('.h') else (0, 7)
    if spec.mnemonic.startswith(('cv.extract', 'cv.insert')) and tok == 'uimm6':
        return (0, 1) if spec.mnemonic.endswith('.h') else (0, 3)
    return {'i12': (-2048, 2047), 's12': (-2048, 2047), 'is2': (0, 31), 'is3': (0, 31), 'simm6': (-32, 31),
            'uimm6': (0, 63), 'bimm5': (-16, 15), 'btgt': (-2048, 2047)}[tok]


def _gen_lines():
    rng = random.Random(42)
    lines = []      # (source text, expected disassembly with pc placeholder, spec, values)
    for spec in corev.SPECS:
        if spec.kind == decoder.KIND_HWLOOP:
            continue
        for k in range(3):
            vals = {}
            for tok in spec.tokens:
                if TOKENS[tok][2] == 'reg':
                    vals[tok] = rng.randrange(1, 32) if k else rng.choice((0, 1, 31))
                else:
                    lo, hi = _range(spec, tok)
                    v = rng.randint(lo, hi) if k else (lo, hi)[rng.randrange(2)]
                    if tok == 'btgt':
                        v *= 2
                    if spec.alias0 and tok == 'is3' and k == 0:
                        v = 0
                    vals[tok] = v
            mn, syntax = spec.mnemonic, spec.syntax
            if spec.alias0 and vals.get('is3') == 0:
                mn, syntax = spec.alias0
            src = mn + ' ' + _TOKEN_RE.sub(lambda m, vals=vals: ABI[vals[m.group(1)]] if TOKENS[m.group(1)][2] == 'reg'
                                           else str(vals[m.group(1)]), syntax)
            lines.append((src, mn, syntax, spec, vals))
    return lines


LINES = _gen_lines()


@pytest.fixture(scope='module')
def assembled(tmp_path_factory):
    pytest.importorskip('elftools')
    try:
        import ziglang  # noqa: F401
    except ImportError:
        pytest.skip('ziglang not installed')
    from elftools.elf.elffile import ELFFile
    d = tmp_path_factory.mktemp('cv')
    (d / 'x.s').write_text('.option norelax\n' + '\n'.join(l[0] for l in LINES) + '\n')
    r = subprocess.run([sys.executable, '-m', 'ziglang', 'cc', '-target', 'riscv32-freestanding-none',
                        f'-mcpu={MCPU}', '-c', str(d / 'x.s'), '-o', str(d / 'x.o')],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(d / 'x.o', 'rb') as f:
        return ELFFile(f).get_section_by_name('.text').data()


def test_every_llvm_corev_instruction(assembled):
    code = assembled
    assert len(code) == 4 * len(LINES)
    for i, (src, mn, syntax, spec, vals) in enumerate(LINES):
        pc = 4 * i
        w = int.from_bytes(code[pc:pc + 4], 'little')
        d = decode(w, 'corev')
        assert d is not None, (src, hex(w))
        assert d.op == spec.op and d.kind == spec.kind, src
        for tok, v in vals.items():
            assert getattr(d, TOKENS[tok][0]) == v, (src, tok)
        for slot, v in spec.consts:
            assert getattr(d, slot) == v
        exp_ops = _TOKEN_RE.sub(lambda m, pc=pc, vals=vals: ABI[vals[m.group(1)]] if TOKENS[m.group(1)][2] == 'reg'
                                else (f'{(pc + vals[m.group(1)]) & 0xFFFFFFFF:#x}' if m.group(1) == 'btgt'
                                      else str(vals[m.group(1)])), syntax)
        assert disassemble(code[pc:pc + 4], pc, 'corev') == (4, mn, exp_ops), src
        # not an XpulpV2 custom instruction with the same meaning
        dv2 = decode(w, 'xpulpv2')
        assert dv2 is None or dv2.mnemonic.split('.', 1)[1] != mn.split('.', 1)[1] or dv2.op != d.op \
            or w & 0x7F not in (0x57,)


def test_llvm_spellings(assembled):
    mns = {l[1] for l in LINES}
    assert {'cv.sle', 'cv.sleu', 'cv.muls', 'cv.mulsn', 'cv.elw', 'cv.beqimm', 'cv.bitrev',
            'cv.cplxmul.r.div8', 'cv.shufflei3.sci.b', 'cv.packhi.b'} <= mns
    assert 'cv.slet' not in mns


def _b(w):
    return w.to_bytes(4, 'little')


def test_corev_memory_forms():
    # cv.lw a0, (a1), 4 ; cv.lw a0, (a1), a2 ; cv.lw a0, a2(a1) ; cv.sw a0, (a1), 4
    assert disassemble(_b(0x0045A50B), 0, 'corev')[1:] == ('cv.lw', 'a0, (a1), 4')
    d = decode(0x0045A50B, 'corev')
    assert (d.kind, d.mem_mode, d.mem_size, d.imm, d.rd, d.rs1) == (decoder.KIND_LOAD, decoder.MEM_POSTINC_IMM,
                                                                    4, 4, 10, 11)
    w = 0x0400302B | 10 << 7 | 11 << 15 | 12 << 20
    assert disassemble(_b(w), 0, 'corev')[1:] == ('cv.lw', 'a0, (a1), a2')
    assert decode(w, 'corev').mem_mode == decoder.MEM_POSTINC_REG
    w = 0x0C00302B | 10 << 7 | 11 << 15 | 12 << 20
    assert disassemble(_b(w), 0, 'corev')[1:] == ('cv.lw', 'a0, a2(a1)')
    assert decode(w, 'corev').mem_mode == decoder.MEM_REGREG
    w = 0x0000202B | 4 << 7 | 11 << 15 | 10 << 20
    assert disassemble(_b(w), 0, 'corev')[1:] == ('cv.sw', 'a0, (a1), 4')
    w = 0x2C00302B | 12 << 7 | 11 << 15 | 10 << 20       # cv.sw a0, a2(a1): rs3 = a2
    d = decode(w, 'corev')
    assert (d.kind, d.rs2, d.rs3, d.rs1, d.mem_mode) == (decoder.KIND_STORE, 10, 12, 11, decoder.MEM_REGREG)


HWLP = [  # (word, mnemonic, op, L, rs1, imm, imm2, text at pc=0x100)
    (0x0000402B | 1 << 7 | 5 << 20, 'cv.starti', decoder.HW_STARTI, 1, 0, 20, 0, '1, 0x114'),
    (0x0000412B | 10 << 15, 'cv.start', decoder.HW_START, 0, 10, 0, 0, '0, a0'),
    (0x0000422B | 0xFFF << 20, 'cv.endi', decoder.HW_ENDI, 0, 0, 0x3FFC, 0, '0, 0x40fc'),
    (0x0000432B | 1 << 7 | 11 << 15, 'cv.end', decoder.HW_END, 1, 11, 0, 0, '1, a1'),
    (0x0000442B | 1 << 7 | 300 << 20, 'cv.counti', decoder.HW_COUNTI, 1, 0, 0, 300, '1, 300'),
    (0x0000452B | 12 << 15, 'cv.count', decoder.HW_COUNT, 0, 12, 0, 0, '0, a2'),
    (0x0000462B | 3 << 15 | 40 << 20, 'cv.setupi', decoder.HW_SETUPI, 0, 0, 12, 40, '0, 40, 0x10c'),
    (0x0000472B | 1 << 7 | 13 << 15 | 4 << 20, 'cv.setup', decoder.HW_SETUP, 1, 13, 16, 0, '1, a3, 0x110'),
]


@pytest.mark.parametrize('case', HWLP, ids=[c[1] for c in HWLP])
def test_corev_hwloops(case):
    w, mn, op, L, rs1, imm, imm2, text = case
    d = decode(w, 'corev')
    assert (d.mnemonic, d.kind, d.op, d.rd, d.rs1, d.imm, d.imm2) == (mn, decoder.KIND_HWLOOP, op, L, rs1, imm, imm2)
    assert disassemble(_b(w), 0x100, 'corev')[1:] == (mn, text)


def test_corev_hwloop_unused_fields_must_be_zero():
    assert decode(0x0000412B | 10 << 15 | 1 << 20, 'corev') is None    # cv.start with imm bits set
    assert decode(0x0000402B | 1 << 15, 'corev') is None               # cv.starti with rs1 bits set
    assert decode(0x0000482B, 'corev') is None                         # funct4 = 8: unused
    assert decoder.HWLOOP_END_INCLUSIVE['corev'] is False


def test_corev_branch_imm():
    # cv.beqimm a0, 3, +16 ; cv.bneimm a1, -1, -4
    w = 0x0000600B | 10 << 15 | 3 << 20 | (16 >> 1 & 0xF) << 8
    d = decode(w, 'corev')
    assert (d.kind, d.op, d.rs1, d.imm, d.imm2) == (decoder.KIND_BRANCH_IMM, decoder.BR_EQ, 10, 16, 3)
    assert disassemble(_b(w), 0x40, 'corev', lambda a: 'loop' if a == 0x50 else None)[1:] == \
        ('cv.beqimm', 'a0, 3, 0x50 <loop>')
    off = -4 & 0x1FFF
    w = 0x0000700B | 11 << 15 | 0x1F << 20 | 1 << 31 | 0x3F << 25 | ((off >> 1) & 0xF) << 8 | 1 << 7
    d = decode(w, 'corev')
    assert (d.op, d.imm, d.imm2) == (decoder.BR_NE, -4, -1)
