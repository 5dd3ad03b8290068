"""Base RV32IMC disassembly against llvm-objdump (32-bit: default aliases;
compressed: -M no-aliases), sources assembled with clang (ziglang)."""
import shutil
import subprocess
import sys

import pytest

from iss.isa.decoder import disassemble

BASE = ['lui a0, 0x12345', 'auipc a1, 0x1', 'jal ra, f', 'jal zero, f', 'jal a0, f', 'jalr zero, 0(ra)', 'jalr ra, 0(a0)', 'jalr zero, 0(a1)', 'jalr a0, 4(a1)', 'beq a0, a1, f', 'bne a0, zero, f', 'beq a0, zero, f', 'blt a0, a1, f', 'bge zero, a1, f', 'blt zero, a1, f', 'bltu a0, a1, f', 'bgeu a0, a1, f', 'bge a0, zero, f', 'blt a0, zero, f', 'lb a0, -4(a1)', 'lh a0, 4(a1)', 'lw a0, 4(sp)', 'lbu a0, 4(a1)', 'lhu a0, 4(a1)', 'sb a0, -1(a1)', 'sh a0, 2(a1)', 'sw a0, 2047(a1)', 'addi a0, zero, 5', 'addi a0, a1, 0', 'addi zero, zero, 0', 'addi a0, a1, -3', 'slti a0, a1, 3', 'sltiu a0, a1, 1', 'sltiu a0, a1, 3', 'xori a0, a1, -1', 'xori a0, a1, 3', 'ori a0, a1, 3', 'andi a0, a1, 3', 'slli a0, a1, 3', 'srli a0, a1, 3', 'srai a0, a1, 3', 'add a0, a1, a2', 'sub a0, a1, a2', 'sub a0, zero, a2', 'sll a0, a1, a2', 'slt a0, a1, a2', 'slt a0, a1, zero', 'slt a0, zero, a1', 'sltu a0, a1, a2', 'sltu a0, zero, a2', 'xor a0, a1, a2', 'srl a0, a1, a2', 'sra a0, a1, a2', 'or a0, a1, a2', 'and a0, a1, a2', 'mul a0, a1, a2', 'mulh a0, a1, a2', 'mulhsu a0, a1, a2', 'mulhu a0, a1, a2', 'div a0, a1, a2', 'divu a0, a1, a2', 'rem a0, a1, a2', 'remu a0, a1, a2', 'fence', 'fence rw, rw', 'fence.i', 'ecall', 'ebreak', 'mret', 'wfi', 'csrrw a0, mstatus, a1', 'csrrw zero, mstatus, a1', 'csrrs a0, mhartid, zero', 'csrrs zero, mie, a1', 'csrrc zero, mie, a1', 'csrrs a0, mie, a1', 'csrrc a0, mie, a1', 'csrrwi a0, mtvec, 5', 'csrrwi zero, mtvec, 5', 'csrrsi zero, mstatus, 8', 'csrrci zero, mstatus, 8', 'csrrsi a0, mstatus, 8', 'csrrci a0, mstatus, 8', 'csrrs a0, 0x7c0, zero', 'csrrw zero, 0xcc0, a0', 'csrrs a0, cycle, zero', 'csrrs a0, instret, zero', 'csrrs a0, cycleh, zero', 'csrrs a0, mcycle, zero', 'csrrs a0, 0xf14, zero', 'csrrs a0, mepc, zero', 'csrrs a0, mcause, zero', 'csrrw zero, mscratch, a0', 'unimp', 'lui a0, 0xfffff', '']
RVC = ['c.addi4spn a0, sp, 8', 'c.lw a0, 4(a1)', 'c.sw a0, 4(a1)', 'c.nop', 'c.addi a0, -3', 'c.jal f', 'c.li a0, -5', 'c.addi16sp sp, -32', 'c.lui a0, 1', 'c.lui a0, 0xfffff', 'c.srli a0, 3', 'c.srai a0, 3', 'c.andi a0, -2', 'c.sub a0, a1', 'c.xor a0, a1', 'c.or a0, a1', 'c.and a0, a1', 'c.j f', 'c.beqz a0, f', 'c.bnez a0, f', 'c.slli a0, 3', 'c.lwsp a0, 4(sp)', 'c.jr ra', 'c.mv a0, a1', 'c.ebreak', 'c.jalr a0', 'c.add a0, a1', 'c.swsp a0, 8(sp)', '']


def _assemble(tmp_path, lines, mcpu):
    pytest.importorskip('ziglang')
    from elftools.elf.elffile import ELFFile
    (tmp_path / 'x.s').write_text('f:\n' + '\n'.join(lines) + '\n')
    r = subprocess.run([sys.executable, '-m', 'ziglang', 'cc', '-target', 'riscv32-freestanding-none',
                        f'-mcpu={mcpu}', '-mno-relax', '-c', str(tmp_path / 'x.s'), '-o', str(tmp_path / 'x.o')],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / 'x.o', 'rb') as f:
        return ELFFile(f).get_section_by_name('.text').data()


def _objdump(path, extra):
    # decimal immediates whatever the version (llvm-objdump 15+ defaults to hex); the
    # upper immediates of lui / auipc / c.lui then go to hex, as GNU objdump prints them
    out = subprocess.run(['llvm-objdump', '-d', '--no-print-imm-hex', *extra, str(path)],
                         capture_output=True, text=True).stdout
    res = []
    for line in out.splitlines():
        parts = line.split('\t')
        if line.startswith('  ') and len(parts) >= 2 and ':' in parts[0]:
            mnemonic, operands = parts[1].strip(), parts[2].strip() if len(parts) > 2 else ''
            if mnemonic in ('lui', 'auipc', 'c.lui'):
                rd, imm = operands.split(', ')
                operands = f'{rd}, {int(imm):#x}'
            res.append((mnemonic, operands))
    return res


@pytest.mark.skipif(shutil.which('llvm-objdump') is None, reason='llvm-objdump not available')
@pytest.mark.parametrize('lines,mcpu,extra', [(BASE, 'generic_rv32+m', []),
                                              (RVC, 'generic_rv32+m+c', ['-M', 'no-aliases'])])
def test_against_llvm_objdump(tmp_path, lines, mcpu, extra):
    code = _assemble(tmp_path, [l for l in lines if l], mcpu)
    ref = _objdump(tmp_path / 'x.o', extra)
    pc, i = 0, 0
    sym = lambda a: 'f' if a == 0 else None  # noqa: E731
    while pc < len(code):
        n, mn, ops = disassemble(code[pc:], pc, 'xpulpv2', sym)
        assert (mn, ops) == ref[i], hex(pc)
        pc += n
        i += 1
    assert i == len(ref) == len([l for l in lines if l])


def test_upper_immediates_in_hex():
    # lui a1, 0x10000 = imm[31:12] 0x10000 | rd 11 << 7 | opcode 0x37 (RISC-V spec, U-type)
    assert disassemble((0x10000 << 12 | 11 << 7 | 0x37).to_bytes(4, 'little'), 0, 'corev') \
        == (4, 'lui', 'a1, 0x10000')
    assert disassemble((0x1 << 12 | 11 << 7 | 0x17).to_bytes(4, 'little'), 0, 'corev') \
        == (4, 'auipc', 'a1, 0x1')
    # c.lui a0, 0xfffff: funct3 011, imm[17] = 1 (bit 12), rd = 10, imm[16:12] = 11111, op 01
    assert disassemble((0b011 << 13 | 1 << 12 | 10 << 7 | 0b11111 << 2 | 1).to_bytes(2, 'little'),
                       0, 'corev') == (2, 'c.lui', 'a0, 0xfffff')
    # everything else stays decimal: addi a0, a1, -3 / lw a0, 16(a1)
    assert disassemble(bytes.fromhex('1385d5ff'), 0, 'corev')[1:] == ('addi', 'a0, a1, -3')
    assert disassemble(bytes.fromhex('03a50501'), 0, 'corev')[1:] == ('lw', 'a0, 16(a1)')


def test_literals():
    assert disassemble(bytes.fromhex('13050500'), 0, 'corev')[1:] == ('mv', 'a0, a0')
    assert disassemble(bytes.fromhex('67800000'), 0, 'corev')[1:] == ('ret', '')
    assert disassemble(bytes.fromhex('0545'), 0, 'corev') == (2, 'c.li', 'a0, 1')
    assert disassemble(bytes.fromhex('0000'), 0, 'corev') == (2, '<unknown>', '')
    assert disassemble(bytes.fromhex('6f00c000'), 0x100, 'corev', lambda a: 'g+0x4' if a == 0x10c else None) \
        == (4, 'j', '0x10c <g+0x4>')
