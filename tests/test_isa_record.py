"""One record per instruction (iss/isa/spec.py Spec): the decoder, the timing view, the
hardware-loop engine's micro-ops and the ALU dispatcher are all generated from the tables,
and every consumer reads the one decoded form (iss.isa.decoder.decode_insn).

Checked here: compressed instructions decode as the 32-bit instructions the RISC-V C
extension defines them to be (both assembled by LLVM), every table entry decodes to
itself with the registers its operands name, and an instruction added to the tables in
a test (a table entry + its semantics function) is decoded, disassembled, timed,
executed and taken by the loop engine without touching any other module."""
import random
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

from iss.isa import decoder, fields as F, rv32
from iss.isa.decoder import FLAVOURS, SPECS, decode_insn, disassemble
from iss.isa.semantics import OPS, build_alu_execute
from iss.isa.spec import (KIND_ALU, LAT_BRANCH, LAT_JALR, LAT_JUMP, LAT_LOAD, LAT_SINGLE,
                          LAT_STORE, MASK_R, Spec)

# (compressed, the 32-bit instruction it expands to: RISC-V Unprivileged ISA, chapter
# "C" Standard Extension, one line per instruction of RV32C); offsets are pc-relative
EXPANSIONS = [
    ('c.addi4spn a0, sp, 8', 'addi a0, sp, 8'), ('c.lw a0, 4(a1)', 'lw a0, 4(a1)'),
    ('c.sw a0, 4(a1)', 'sw a0, 4(a1)'), ('c.nop', 'addi zero, zero, 0'),
    ('c.addi a0, -3', 'addi a0, a0, -3'), ('c.jal 16', 'jal ra, 16'),
    ('c.li a0, -5', 'addi a0, zero, -5'), ('c.addi16sp sp, -32', 'addi sp, sp, -32'),
    ('c.lui a0, 1', 'lui a0, 1'), ('c.lui a0, 0xfffff', 'lui a0, 0xfffff'),
    ('c.srli a0, 3', 'srli a0, a0, 3'), ('c.srai a0, 3', 'srai a0, a0, 3'),
    ('c.andi a0, -2', 'andi a0, a0, -2'), ('c.sub a0, a1', 'sub a0, a0, a1'),
    ('c.xor a0, a1', 'xor a0, a0, a1'), ('c.or a0, a1', 'or a0, a0, a1'),
    ('c.and a0, a1', 'and a0, a0, a1'), ('c.j -8', 'jal zero, -8'),
    ('c.beqz a0, 12', 'beq a0, zero, 12'), ('c.bnez a0, -6', 'bne a0, zero, -6'),
    ('c.slli a0, 3', 'slli a0, a0, 3'), ('c.lwsp a0, 4(sp)', 'lw a0, 4(sp)'),
    ('c.jr ra', 'jalr zero, 0(ra)'), ('c.mv a0, a1', 'add a0, zero, a1'),
    ('c.ebreak', 'ebreak'), ('c.jalr a0', 'jalr ra, 0(a0)'), ('c.add a0, a1', 'add a0, a0, a1'),
    ('c.swsp a0, 8(sp)', 'sw a0, 8(sp)'),
]


def _assemble(tmp_path, lines, mcpu) -> bytes:
    pytest.importorskip('ziglang')
    from elftools.elf.elffile import ELFFile
    source, obj = tmp_path / f'{mcpu}.s', tmp_path / f'{mcpu}.o'
    source.write_text('\n'.join(lines) + '\n')
    r = subprocess.run([sys.executable, '-m', 'ziglang', 'cc', '-target', 'riscv32-freestanding-none',
                        f'-mcpu={mcpu}', '-mno-relax', '-c', str(source), '-o', str(obj)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(obj, 'rb') as f:
        return ELFFile(f).get_section_by_name('.text').data()


def test_compressed_instructions_decode_as_their_32_bit_equivalents(tmp_path):
    halves = np.frombuffer(_assemble(tmp_path, [c for c, _ in EXPANSIONS], 'generic_rv32+m+c'), np.uint16)
    words = np.frombuffer(_assemble(tmp_path, [w for _, w in EXPANSIONS], 'generic_rv32+m'), np.uint32)
    assert len(halves) == len(words) == len(EXPANSIONS)
    for (text, _), half, word in zip(EXPANSIONS, halves.tolist(), words.tolist(), strict=True):
        assert rv32.expand16(half) == word, text
        short, full = decode_insn(half, 'corev'), decode_insn(word, 'corev')
        assert (short.length, full.length, short.mnemonic) == (2, 4, text.split()[0]), text
        same = ('kind', 'op', 'rd', 'rs1', 'rs2', 'imm', 'reads', 'writes', 'latency', 'mem_size')
        assert [getattr(short, f) for f in same] == [getattr(full, f) for f in same], text


def test_reserved_compressed_encodings_decode_to_nothing():
    # RV32C reserved: c.addi4spn with nzuimm 0 (the all-zero halfword), c.lwsp rd = 0,
    # c.jr rs1 = 0, c.srli with shamt[5] = 1 (RV32 "NSE")
    for half in (0x0000, 0x4002, 0x8002, 0x9001 | 1 << 12):
        assert decode_insn(half, 'corev') is None, hex(half)


@pytest.mark.parametrize('flavour', FLAVOURS)
def test_every_table_entry_decodes_to_itself_with_its_operand_registers(flavour):
    """Generated vectors: each entry's fixed bits with seeded random free bits."""
    rng = random.Random(2201)
    for spec in (*SPECS[flavour], *rv32.BASE32):
        for _ in range(8):
            word = spec.match | (rng.getrandbits(32) & ~spec.mask & 0xFFFFFFFF)
            d = decode_insn(word, flavour)
            assert d is not None, spec.mnemonic
            found = decoder.find_spec(word, flavour) if d.custom else rv32.base_spec(word)
            assert found is spec or bin(found.mask).count('1') > bin(spec.mask).count('1'), \
                (spec.mnemonic, hex(word))
            if found is not spec:
                continue
            field = {'rd': F.rd(word), 'rs1': F.rs1(word), 'rs2': F.rs2(word), 'rs3': F.rs3(word)}
            assert d.reads == tuple(field[r] for r in spec.reads), spec.mnemonic
            assert d.writes == (F.rd(word) if 'rd' in spec.tokens and spec.writes_rd else 0)


def test_timing_classes_of_the_base_instructions():
    """Hand-encoded (RISC-V spec formats): what the timing model reads of each."""
    cases = {
        0x0085A503: (LAT_LOAD, (11,), 10),          # lw a0, 8(a1)
        0x00A5A423: (LAT_STORE, (11, 10), 0),       # sw a0, 8(a1)
        0x00B50463: (LAT_BRANCH, (10, 11), 0),      # beq a0, a1, 8
        0x008000EF: (LAT_JUMP, (), 1),              # jal ra, 8
        0x000580E7: (LAT_JALR, (11,), 1),           # jalr ra, 0(a1)
        0x00C58533: (LAT_SINGLE, (11, 12), 10),     # add a0, a1, a2
        0x12345537: (LAT_SINGLE, (), 10),           # lui a0, 0x12345
    }
    for word, (latency, reads, writes) in cases.items():
        d = decode_insn(word, 'xpulpv2')
        assert (d.latency, sorted(d.reads), d.writes, d.custom) == (latency, sorted(reads), writes, False), hex(word)


def test_an_op_that_accumulates_into_rd_reads_it():
    """The timing view's reads come from the semantics: an op reads rD when its result
    depends on it (CV32E40P: the third operand port, reg_d_ex_is_reg_c_id)."""
    regs = 12 << 20 | 11 << 15 | 10 << 7                  # rd a0, rs1 a1, rs2 a2
    mac = 0x2B | 3 << 12 | 0b1001000 << 25 | regs        # cv.mac (CORE-V custom-1, funct7 1001000)
    mul = 0x5B | 4 << 12 | regs                           # cv.mulsn (custom-2 funct3 100), Is3 = 0
    sdot = 0x7B | 1 << 12 | 0b101010 << 26 | regs        # cv.sdotsp.b (custom-3, funct6 101010)
    dot = 0x7B | 1 << 12 | 0b100100 << 26 | regs         # cv.dotsp.b (funct6 100100)
    for word, mnemonic, reads in ((mac, 'cv.mac', {10, 11, 12}), (mul, 'cv.muls', {11, 12}),
                                  (sdot, 'cv.sdotsp.b', {10, 11, 12}), (dot, 'cv.dotsp.b', {11, 12})):
        d = decode_insn(word, 'corev')
        assert (d.mnemonic, set(d.reads), d.writes) == (mnemonic, reads, 10)


# ---- an instruction added through the tables only ---------------------------------------
# cv.test.avg3 rd, rs1, rs2: rd = (rs1 + rs2 + rd) / 3 (unsigned), in a free corner of
# CORE-V's custom-3 space (funct3 011, funct7 1111111: no cv.* instruction there)
AVG3_MATCH = 0x7B | 3 << 12 | 0x7F << 25


@njit(cache=False, inline='always')
def s_avg3(a, b, d):                                   # 1. its semantics function
    return ((a + b + d) // 3) & 0xFFFFFFFF


def test_an_instruction_added_to_the_tables_only(monkeypatch):
    ops = [*OPS, ('avg3', s_avg3, 'a, b, d')]           # 2. its row of the op table
    avg3 = Spec('cv.test.avg3', AVG3_MATCH, MASK_R, KIND_ALU, len(OPS), 'rd, rs1, rs2',
                reads_rd=True)                          # 3. its table entry
    assert all(not s.matches(AVG3_MATCH) for s in SPECS['corev'])
    specs = (*SPECS['corev'], avg3)
    monkeypatch.setitem(decoder.SPECS, 'test', specs)
    monkeypatch.setitem(decoder._BUCKETS, 'test', decoder._build_buckets(specs))
    word = AVG3_MATCH | 12 << 20 | 11 << 15 | 10 << 7     # cv.test.avg3 a0, a1, a2

    d = decode_insn(word, 'test')                       # the generated decoder
    assert (d.mnemonic, d.kind, d.op, d.rd, d.rs1, d.rs2) == ('cv.test.avg3', KIND_ALU, len(OPS), 10, 11, 12)
    assert (d.reads, d.writes, d.latency) == ((11, 12, 10), 10, LAT_SINGLE)
    assert disassemble(word.to_bytes(4, 'little'), 0, 'test') == (4, 'cv.test.avg3', 'a0, a1, a2')

    from iss.timing import classify                     # the timing view
    insn = classify(word, 'test')
    assert (insn.reads, insn.writes, insn.load, insn.jump) == ((11, 12, 10), 10, False, False)

    _, execute = build_alu_execute(ops, {})             # the generated dispatcher
    assert execute(d.op, 7, 8, 9, d.imm, d.imm2) == 8
    assert execute(d.op, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0) == 0xFFFFFFFF
    assert execute(OPS.index(next(o for o in OPS if o[0] == 'max')), 3, 9, 0, 0, 0) == 9

    from iss.hwloop_engine import K_CALU, _micro_op    # the loop engine's micro-op
    assert _micro_op(d, 0)[:5] == (K_CALU, len(OPS), 10, 11, 12)

