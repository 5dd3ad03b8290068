"""XpulpV2 decode tests against the MATCH/MASK table of the PULP binutils
(pulp-platform/riscv-binutils-gdb, include/opcode/riscv-opc.h)."""
import random

import pytest

from iss.isa import decoder
from iss.isa.decoder import decode, find_spec, disassemble

# (mnemonic, operands, MATCH, MASK) -- reference section 2, all 16 classes
REF = [
    ('p.lb', 'rD, imm12(rs1)', 0x00000003, 0x0000707f),
    ('p.lb', 'rD, imm12(rs1!)', 0x0000000b, 0x0000707f),
    ('p.lb', 'rD, rs2(rs1)', 0x00007003, 0xfe00707f),
    ('p.lb', 'rD, rs2(rs1!)', 0x0000700b, 0xfe00707f),
    ('p.lbu', 'rD, imm12(rs1)', 0x00004003, 0x0000707f),
    ('p.lbu', 'rD, imm12(rs1!)', 0x0000400b, 0x0000707f),
    ('p.lbu', 'rD, rs2(rs1)', 0x40007003, 0xfe00707f),
    ('p.lbu', 'rD, rs2(rs1!)', 0x4000700b, 0xfe00707f),
    ('p.lh', 'rD, imm12(rs1)', 0x00001003, 0x0000707f),
    ('p.lh', 'rD, imm12(rs1!)', 0x0000100b, 0x0000707f),
    ('p.lh', 'rD, rs2(rs1)', 0x10007003, 0xfe00707f),
    ('p.lh', 'rD, rs2(rs1!)', 0x1000700b, 0xfe00707f),
    ('p.lhu', 'rD, imm12(rs1)', 0x00005003, 0x0000707f),
    ('p.lhu', 'rD, imm12(rs1!)', 0x0000500b, 0x0000707f),
    ('p.lhu', 'rD, rs2(rs1)', 0x50007003, 0xfe00707f),
    ('p.lhu', 'rD, rs2(rs1!)', 0x5000700b, 0xfe00707f),
    ('p.lw', 'rD, imm12(rs1)', 0x00002003, 0x0000707f),
    ('p.lw', 'rD, imm12(rs1!)', 0x0000200b, 0x0000707f),
    ('p.lw', 'rD, rs2(rs1)', 0x20007003, 0xfe00707f),
    ('p.lw', 'rD, rs2(rs1!)', 0x2000700b, 0xfe00707f),
    ('p.sb', 'rs2, imm12(rs1)', 0x00000023, 0x0000707f),
    ('p.sb', 'rs2, imm12(rs1!)', 0x0000002b, 0x0000707f),
    ('p.sb', 'rs2, rs3(rs1)', 0x00004023, 0xfe00707f),
    ('p.sb', 'rs2, rs3(rs1!)', 0x0000402b, 0xfe00707f),
    ('p.sh', 'rs2, imm12(rs1)', 0x00001023, 0x0000707f),
    ('p.sh', 'rs2, imm12(rs1!)', 0x0000102b, 0x0000707f),
    ('p.sh', 'rs2, rs3(rs1)', 0x00005023, 0xfe00707f),
    ('p.sh', 'rs2, rs3(rs1!)', 0x0000502b, 0xfe00707f),
    ('p.sw', 'rs2, imm12(rs1)', 0x00002023, 0x0000707f),
    ('p.sw', 'rs2, imm12(rs1!)', 0x0000202b, 0x0000707f),
    ('p.sw', 'rs2, rs3(rs1)', 0x00006023, 0xfe00707f),
    ('p.sw', 'rs2, rs3(rs1!)', 0x0000602b, 0xfe00707f),
    ('lp.starti', 'L, label(uimm12<<1)', 0x0000007b, 0x000ff07f),
    ('lp.endi', 'L, label(uimm12<<1)', 0x0000107b, 0x000ff07f),
    ('lp.count', 'L, rs1', 0x0000207b, 0xfff0707f),
    ('lp.counti', 'L, uimm12', 0x0000307b, 0x000ff07f),
    ('lp.setup', 'L, rs1, label(uimm12<<1)', 0x0000407b, 0x0000707f),
    ('lp.setupi', 'L, uimm12, label(uimm5<<1)', 0x0000507b, 0x0000707f),
    ('p.abs', 'rD, rs1', 0x04000033, 0xfff0707f),
    ('p.slet', 'rD, rs1, rs2', 0x04002033, 0xfe00707f),
    ('p.sletu', 'rD, rs1, rs2', 0x04003033, 0xfe00707f),
    ('p.min', 'rD, rs1, rs2', 0x04004033, 0xfe00707f),
    ('p.minu', 'rD, rs1, rs2', 0x04005033, 0xfe00707f),
    ('p.max', 'rD, rs1, rs2', 0x04006033, 0xfe00707f),
    ('p.maxu', 'rD, rs1, rs2', 0x04007033, 0xfe00707f),
    ('p.ff1', 'rD, rs1', 0x10000033, 0xfff0707f),
    ('p.fl1', 'rD, rs1', 0x10001033, 0xfff0707f),
    ('p.clb', 'rD, rs1', 0x10002033, 0xfff0707f),
    ('p.cnt', 'rD, rs1', 0x10003033, 0xfff0707f),
    ('p.ror', 'rD, rs1, rs2', 0x08005033, 0xfe00707f),
    ('p.exths', 'rD, rs1', 0x10004033, 0xfff0707f),
    ('p.exthz', 'rD, rs1', 0x10005033, 0xfff0707f),
    ('p.extbs', 'rD, rs1', 0x10006033, 0xfff0707f),
    ('p.extbz', 'rD, rs1', 0x10007033, 0xfff0707f),
    ('p.extract', 'rD, rs1, Is3, Is2', 0xc0000033, 0xc000707f),
    ('p.extracti', 'rD, rs1, Is3, Is2', 0xc0000033, 0xc000707f),
    ('p.extractr', 'rD, rs1, rs2', 0x80000033, 0xfe00707f),
    ('p.extractu', 'rD, rs1, Is3, Is2', 0xc0001033, 0xc000707f),
    ('p.extractui', 'rD, rs1, Is3, Is2', 0xc0001033, 0xc000707f),
    ('p.extractur', 'rD, rs1, rs2', 0x80001033, 0xfe00707f),
    ('p.insert', 'rD, rs1, Is3, Is2', 0xc0002033, 0xc000707f),
    ('p.inserti', 'rD, rs1, Is3, Is2', 0xc0002033, 0xc000707f),
    ('p.insertr', 'rD, rs1, rs2', 0x80002033, 0xfe00707f),
    ('p.bset', 'rD, rs1, Is3, Is2', 0xc0004033, 0xc000707f),
    ('p.bseti', 'rD, rs1, Is3, Is2', 0xc0004033, 0xc000707f),
    ('p.bsetr', 'rD, rs1, rs2', 0x80004033, 0xfe00707f),
    ('p.bclr', 'rD, rs1, Is3, Is2', 0xc0003033, 0xc000707f),
    ('p.bclri', 'rD, rs1, Is3, Is2', 0xc0003033, 0xc000707f),
    ('p.bclrr', 'rD, rs1, rs2', 0x80003033, 0xfe00707f),
    ('p.clip', 'rD, rs1, Is2', 0x14001033, 0xfe00707f),
    ('p.clipi', 'rD, rs1, Is2', 0x14001033, 0xfe00707f),
    ('p.clipr', 'rD, rs1, rs2', 0x14005033, 0xfe00707f),
    ('p.clipu', 'rD, rs1, Is2', 0x14002033, 0xfe00707f),
    ('p.clipui', 'rD, rs1, Is2', 0x14002033, 0xfe00707f),
    ('p.clipur', 'rD, rs1, rs2', 0x14006033, 0xfe00707f),
    ('p.addn', 'rD, rs1, rs2, Is3', 0x0000205b, 0xc000707f),
    ('p.addni', 'rD, rs1, rs2, Is3', 0x0000205b, 0xc000707f),
    ('p.addnr', 'rD, rs1, rs2', 0x4000205b, 0xfe00707f),
    ('p.addun', 'rD, rs1, rs2, Is3', 0x8000205b, 0xc000707f),
    ('p.adduni', 'rD, rs1, rs2, Is3', 0x8000205b, 0xc000707f),
    ('p.addunr', 'rD, rs1, rs2', 0xc000205b, 0xfe00707f),
    ('p.addrn', 'rD, rs1, rs2, Is3', 0x0000605b, 0xc000707f),
    ('p.addrni', 'rD, rs1, rs2, Is3', 0x0000605b, 0xc000707f),
    ('p.addrnr', 'rD, rs1, rs2', 0x4000605b, 0xfe00707f),
    ('p.addurn', 'rD, rs1, rs2, Is3', 0x8000605b, 0xc000707f),
    ('p.addurni', 'rD, rs1, rs2, Is3', 0x8000605b, 0xc000707f),
    ('p.addurnr', 'rD, rs1, rs2', 0xc000605b, 0xfe00707f),
    ('p.subn', 'rD, rs1, rs2, Is3', 0x0000305b, 0xc000707f),
    ('p.subni', 'rD, rs1, rs2, Is3', 0x0000305b, 0xc000707f),
    ('p.subnr', 'rD, rs1, rs2', 0x4000305b, 0xfe00707f),
    ('p.subun', 'rD, rs1, rs2, Is3', 0x8000305b, 0xc000707f),
    ('p.subuni', 'rD, rs1, rs2, Is3', 0x8000305b, 0xc000707f),
    ('p.subunr', 'rD, rs1, rs2', 0xc000305b, 0xfe00707f),
    ('p.subrn', 'rD, rs1, rs2, Is3', 0x0000705b, 0xc000707f),
    ('p.subrni', 'rD, rs1, rs2, Is3', 0x0000705b, 0xc000707f),
    ('p.subrnr', 'rD, rs1, rs2', 0x4000705b, 0xfe00707f),
    ('p.suburn', 'rD, rs1, rs2, Is3', 0x8000705b, 0xc000707f),
    ('p.suburni', 'rD, rs1, rs2, Is3', 0x8000705b, 0xc000707f),
    ('p.suburnr', 'rD, rs1, rs2', 0xc000705b, 0xfe00707f),
    ('p.macs', 'rD, rs1, rs2', 0x8000105b, 0xfe00707f),
    ('p.machhs', 'rD, rs1, rs2', 0xc000105b, 0xfe00707f),
    ('p.macu', 'rD, rs1, rs2', 0x0000105b, 0xfe00707f),
    ('p.machhu', 'rD, rs1, rs2', 0x4000105b, 0xfe00707f),
    ('p.mac', 'rD, rs1, rs2', 0x42000033, 0xfe00707f),
    ('p.msu', 'rD, rs1, rs2', 0x42001033, 0xfe00707f),
    ('p.macsn', 'rD, rs1, rs2, Is3', 0x8000105b, 0xc000707f),
    ('p.machhsn', 'rD, rs1, rs2, Is3', 0xc000105b, 0xc000707f),
    ('p.macsrn', 'rD, rs1, rs2, Is3', 0x8000505b, 0xc000707f),
    ('p.machhsrn', 'rD, rs1, rs2, Is3', 0xc000505b, 0xc000707f),
    ('p.macun', 'rD, rs1, rs2, Is3', 0x0000105b, 0xc000707f),
    ('p.machhun', 'rD, rs1, rs2, Is3', 0x4000105b, 0xc000707f),
    ('p.macurn', 'rD, rs1, rs2, Is3', 0x0000505b, 0xc000707f),
    ('p.machhurn', 'rD, rs1, rs2, Is3', 0x4000505b, 0xc000707f),
    ('p.muls', 'rD, rs1, rs2', 0x8000005b, 0xfe00707f),
    ('p.mulhhs', 'rD, rs1, rs2', 0xc000005b, 0xfe00707f),
    ('p.mulu', 'rD, rs1, rs2', 0x0000005b, 0xfe00707f),
    ('p.mulhhu', 'rD, rs1, rs2', 0x4000005b, 0xfe00707f),
    ('p.mulsn', 'rD, rs1, rs2, Is3', 0x8000005b, 0xc000707f),
    ('p.mulhhsn', 'rD, rs1, rs2, Is3', 0xc000005b, 0xc000707f),
    ('p.mulsrn', 'rD, rs1, rs2, Is3', 0x8000405b, 0xc000707f),
    ('p.mulhhsrn', 'rD, rs1, rs2, Is3', 0xc000405b, 0xc000707f),
    ('p.mulun', 'rD, rs1, rs2, Is3', 0x0000005b, 0xc000707f),
    ('p.mulhhun', 'rD, rs1, rs2, Is3', 0x4000005b, 0xc000707f),
    ('p.mulurn', 'rD, rs1, rs2, Is3', 0x0000405b, 0xc000707f),
    ('p.mulhhurn', 'rD, rs1, rs2, Is3', 0x4000405b, 0xc000707f),
    ('p.beqimm', 'rs1, simm5, label', 0x00002063, 0x0000707f),
    ('p.bneimm', 'rs1, simm5, label', 0x00003063, 0x0000707f),
    ('p.elw', 'rD, imm12(rs1)', 0x00006003, 0x0000707f),
    ('pv.add.h', 'rD, rs1, rs2', 0x00000057, 0xfe00707f),
    ('pv.add.sc.h', 'rD, rs1, rs2', 0x00004057, 0xfe00707f),
    ('pv.add.sci.h', 'rD, rs1, simm6', 0x00006057, 0xfc00707f),
    ('pv.add.b', 'rD, rs1, rs2', 0x00001057, 0xfe00707f),
    ('pv.add.sc.b', 'rD, rs1, rs2', 0x00005057, 0xfe00707f),
    ('pv.add.sci.b', 'rD, rs1, simm6', 0x00007057, 0xfc00707f),
    ('pv.sub.h', 'rD, rs1, rs2', 0x08000057, 0xfe00707f),
    ('pv.sub.sc.h', 'rD, rs1, rs2', 0x08004057, 0xfe00707f),
    ('pv.sub.sci.h', 'rD, rs1, simm6', 0x08006057, 0xfc00707f),
    ('pv.sub.b', 'rD, rs1, rs2', 0x08001057, 0xfe00707f),
    ('pv.sub.sc.b', 'rD, rs1, rs2', 0x08005057, 0xfe00707f),
    ('pv.sub.sci.b', 'rD, rs1, simm6', 0x08007057, 0xfc00707f),
    ('pv.avg.h', 'rD, rs1, rs2', 0x10000057, 0xfe00707f),
    ('pv.avg.sc.h', 'rD, rs1, rs2', 0x10004057, 0xfe00707f),
    ('pv.avg.sci.h', 'rD, rs1, simm6', 0x10006057, 0xfc00707f),
    ('pv.avg.b', 'rD, rs1, rs2', 0x10001057, 0xfe00707f),
    ('pv.avg.sc.b', 'rD, rs1, rs2', 0x10005057, 0xfe00707f),
    ('pv.avg.sci.b', 'rD, rs1, simm6', 0x10007057, 0xfc00707f),
    ('pv.avgu.h', 'rD, rs1, rs2', 0x18000057, 0xfe00707f),
    ('pv.avgu.sc.h', 'rD, rs1, rs2', 0x18004057, 0xfe00707f),
    ('pv.avgu.sci.h', 'rD, rs1, uimm6', 0x18006057, 0xfc00707f),
    ('pv.avgu.b', 'rD, rs1, rs2', 0x18001057, 0xfe00707f),
    ('pv.avgu.sc.b', 'rD, rs1, rs2', 0x18005057, 0xfe00707f),
    ('pv.avgu.sci.b', 'rD, rs1, uimm6', 0x18007057, 0xfc00707f),
    ('pv.min.h', 'rD, rs1, rs2', 0x20000057, 0xfe00707f),
    ('pv.min.sc.h', 'rD, rs1, rs2', 0x20004057, 0xfe00707f),
    ('pv.min.sci.h', 'rD, rs1, simm6', 0x20006057, 0xfc00707f),
    ('pv.min.b', 'rD, rs1, rs2', 0x20001057, 0xfe00707f),
    ('pv.min.sc.b', 'rD, rs1, rs2', 0x20005057, 0xfe00707f),
    ('pv.min.sci.b', 'rD, rs1, simm6', 0x20007057, 0xfc00707f),
    ('pv.minu.h', 'rD, rs1, rs2', 0x28000057, 0xfe00707f),
    ('pv.minu.sc.h', 'rD, rs1, rs2', 0x28004057, 0xfe00707f),
    ('pv.minu.sci.h', 'rD, rs1, uimm6', 0x28006057, 0xfc00707f),
    ('pv.minu.b', 'rD, rs1, rs2', 0x28001057, 0xfe00707f),
    ('pv.minu.sc.b', 'rD, rs1, rs2', 0x28005057, 0xfe00707f),
    ('pv.minu.sci.b', 'rD, rs1, uimm6', 0x28007057, 0xfc00707f),
    ('pv.max.h', 'rD, rs1, rs2', 0x30000057, 0xfe00707f),
    ('pv.max.sc.h', 'rD, rs1, rs2', 0x30004057, 0xfe00707f),
    ('pv.max.sci.h', 'rD, rs1, simm6', 0x30006057, 0xfc00707f),
    ('pv.max.b', 'rD, rs1, rs2', 0x30001057, 0xfe00707f),
    ('pv.max.sc.b', 'rD, rs1, rs2', 0x30005057, 0xfe00707f),
    ('pv.max.sci.b', 'rD, rs1, simm6', 0x30007057, 0xfc00707f),
    ('pv.maxu.h', 'rD, rs1, rs2', 0x38000057, 0xfe00707f),
    ('pv.maxu.sc.h', 'rD, rs1, rs2', 0x38004057, 0xfe00707f),
    ('pv.maxu.sci.h', 'rD, rs1, uimm6', 0x38006057, 0xfc00707f),
    ('pv.maxu.b', 'rD, rs1, rs2', 0x38001057, 0xfe00707f),
    ('pv.maxu.sc.b', 'rD, rs1, rs2', 0x38005057, 0xfe00707f),
    ('pv.maxu.sci.b', 'rD, rs1, uimm6', 0x38007057, 0xfc00707f),
    ('pv.srl.h', 'rD, rs1, rs2', 0x40000057, 0xfe00707f),
    ('pv.srl.sc.h', 'rD, rs1, rs2', 0x40004057, 0xfe00707f),
    ('pv.srl.sci.h', 'rD, rs1, uimm(0..31)', 0x40006057, 0xfc00707f),
    ('pv.srl.b', 'rD, rs1, rs2', 0x40001057, 0xfe00707f),
    ('pv.srl.sc.b', 'rD, rs1, rs2', 0x40005057, 0xfe00707f),
    ('pv.srl.sci.b', 'rD, rs1, uimm(0..31)', 0x40007057, 0xfc00707f),
    ('pv.sra.h', 'rD, rs1, rs2', 0x48000057, 0xfe00707f),
    ('pv.sra.sc.h', 'rD, rs1, rs2', 0x48004057, 0xfe00707f),
    ('pv.sra.sci.h', 'rD, rs1, uimm(0..31)', 0x48006057, 0xfc00707f),
    ('pv.sra.b', 'rD, rs1, rs2', 0x48001057, 0xfe00707f),
    ('pv.sra.sc.b', 'rD, rs1, rs2', 0x48005057, 0xfe00707f),
    ('pv.sra.sci.b', 'rD, rs1, uimm(0..31)', 0x48007057, 0xfc00707f),
    ('pv.sll.h', 'rD, rs1, rs2', 0x50000057, 0xfe00707f),
    ('pv.sll.sc.h', 'rD, rs1, rs2', 0x50004057, 0xfe00707f),
    ('pv.sll.sci.h', 'rD, rs1, uimm(0..31)', 0x50006057, 0xfc00707f),
    ('pv.sll.b', 'rD, rs1, rs2', 0x50001057, 0xfe00707f),
    ('pv.sll.sc.b', 'rD, rs1, rs2', 0x50005057, 0xfe00707f),
    ('pv.sll.sci.b', 'rD, rs1, uimm(0..31)', 0x50007057, 0xfc00707f),
    ('pv.or.h', 'rD, rs1, rs2', 0x58000057, 0xfe00707f),
    ('pv.or.sc.h', 'rD, rs1, rs2', 0x58004057, 0xfe00707f),
    ('pv.or.sci.h', 'rD, rs1, simm6', 0x58006057, 0xfc00707f),
    ('pv.or.b', 'rD, rs1, rs2', 0x58001057, 0xfe00707f),
    ('pv.or.sc.b', 'rD, rs1, rs2', 0x58005057, 0xfe00707f),
    ('pv.or.sci.b', 'rD, rs1, simm6', 0x58007057, 0xfc00707f),
    ('pv.xor.h', 'rD, rs1, rs2', 0x60000057, 0xfe00707f),
    ('pv.xor.sc.h', 'rD, rs1, rs2', 0x60004057, 0xfe00707f),
    ('pv.xor.sci.h', 'rD, rs1, simm6', 0x60006057, 0xfc00707f),
    ('pv.xor.b', 'rD, rs1, rs2', 0x60001057, 0xfe00707f),
    ('pv.xor.sc.b', 'rD, rs1, rs2', 0x60005057, 0xfe00707f),
    ('pv.xor.sci.b', 'rD, rs1, simm6', 0x60007057, 0xfc00707f),
    ('pv.and.h', 'rD, rs1, rs2', 0x68000057, 0xfe00707f),
    ('pv.and.sc.h', 'rD, rs1, rs2', 0x68004057, 0xfe00707f),
    ('pv.and.sci.h', 'rD, rs1, simm6', 0x68006057, 0xfc00707f),
    ('pv.and.b', 'rD, rs1, rs2', 0x68001057, 0xfe00707f),
    ('pv.and.sc.b', 'rD, rs1, rs2', 0x68005057, 0xfe00707f),
    ('pv.and.sci.b', 'rD, rs1, simm6', 0x68007057, 0xfc00707f),
    ('pv.abs.h', 'rD, rs1', 0x70000057, 0xfff0707f),
    ('pv.abs.b', 'rD, rs1', 0x70001057, 0xfff0707f),
    ('pv.extract.h', 'rD, rs1, uimm1', 0x78006057, 0xfc00707f),
    ('pv.extract.b', 'rD, rs1, uimm2', 0x78007057, 0xfc00707f),
    ('pv.extractu.h', 'rD, rs1, uimm1', 0x90006057, 0xfc00707f),
    ('pv.extractu.b', 'rD, rs1, uimm2', 0x90007057, 0xfc00707f),
    ('pv.insert.h', 'rD, rs1, uimm1', 0xb0006057, 0xfc00707f),
    ('pv.insert.b', 'rD, rs1, uimm2', 0xb0007057, 0xfc00707f),
    ('pv.dotsp.h', 'rD, rs1, rs2', 0x98000057, 0xfe00707f),
    ('pv.dotsp.sc.h', 'rD, rs1, rs2', 0x98004057, 0xfe00707f),
    ('pv.dotsp.sci.h', 'rD, rs1, simm6', 0x98006057, 0xfc00707f),
    ('pv.dotsp.b', 'rD, rs1, rs2', 0x98001057, 0xfe00707f),
    ('pv.dotsp.sc.b', 'rD, rs1, rs2', 0x98005057, 0xfe00707f),
    ('pv.dotsp.sci.b', 'rD, rs1, simm6', 0x98007057, 0xfc00707f),
    ('pv.dotup.h', 'rD, rs1, rs2', 0x80000057, 0xfe00707f),
    ('pv.dotup.sc.h', 'rD, rs1, rs2', 0x80004057, 0xfe00707f),
    ('pv.dotup.sci.h', 'rD, rs1, uimm6', 0x80006057, 0xfc00707f),
    ('pv.dotup.b', 'rD, rs1, rs2', 0x80001057, 0xfe00707f),
    ('pv.dotup.sc.b', 'rD, rs1, rs2', 0x80005057, 0xfe00707f),
    ('pv.dotup.sci.b', 'rD, rs1, uimm6', 0x80007057, 0xfc00707f),
    ('pv.dotusp.h', 'rD, rs1, rs2', 0x88000057, 0xfe00707f),
    ('pv.dotusp.sc.h', 'rD, rs1, rs2', 0x88004057, 0xfe00707f),
    ('pv.dotusp.sci.h', 'rD, rs1, simm6', 0x88006057, 0xfc00707f),
    ('pv.dotusp.b', 'rD, rs1, rs2', 0x88001057, 0xfe00707f),
    ('pv.dotusp.sc.b', 'rD, rs1, rs2', 0x88005057, 0xfe00707f),
    ('pv.dotusp.sci.b', 'rD, rs1, simm6', 0x88007057, 0xfc00707f),
    ('pv.sdotsp.h', 'rD, rs1, rs2', 0xb8000057, 0xfe00707f),
    ('pv.sdotsp.sc.h', 'rD, rs1, rs2', 0xb8004057, 0xfe00707f),
    ('pv.sdotsp.sci.h', 'rD, rs1, simm6', 0xb8006057, 0xfc00707f),
    ('pv.sdotsp.b', 'rD, rs1, rs2', 0xb8001057, 0xfe00707f),
    ('pv.sdotsp.sc.b', 'rD, rs1, rs2', 0xb8005057, 0xfe00707f),
    ('pv.sdotsp.sci.b', 'rD, rs1, simm6', 0xb8007057, 0xfc00707f),
    ('pv.sdotup.h', 'rD, rs1, rs2', 0xa0000057, 0xfe00707f),
    ('pv.sdotup.sc.h', 'rD, rs1, rs2', 0xa0004057, 0xfe00707f),
    ('pv.sdotup.sci.h', 'rD, rs1, uimm6', 0xa0006057, 0xfc00707f),
    ('pv.sdotup.b', 'rD, rs1, rs2', 0xa0001057, 0xfe00707f),
    ('pv.sdotup.sc.b', 'rD, rs1, rs2', 0xa0005057, 0xfe00707f),
    ('pv.sdotup.sci.b', 'rD, rs1, uimm6', 0xa0007057, 0xfc00707f),
    ('pv.sdotusp.h', 'rD, rs1, rs2', 0xa8000057, 0xfe00707f),
    ('pv.sdotusp.sc.h', 'rD, rs1, rs2', 0xa8004057, 0xfe00707f),
    ('pv.sdotusp.sci.h', 'rD, rs1, simm6', 0xa8006057, 0xfc00707f),
    ('pv.sdotusp.b', 'rD, rs1, rs2', 0xa8001057, 0xfe00707f),
    ('pv.sdotusp.sc.b', 'rD, rs1, rs2', 0xa8005057, 0xfe00707f),
    ('pv.sdotusp.sci.b', 'rD, rs1, simm6', 0xa8007057, 0xfc00707f),
    ('pv.cmpeq.h', 'rD, rs1, rs2', 0x04000057, 0xfe00707f),
    ('pv.cmpeq.sc.h', 'rD, rs1, rs2', 0x04004057, 0xfe00707f),
    ('pv.cmpeq.sci.h', 'rD, rs1, simm6', 0x04006057, 0xfc00707f),
    ('pv.cmpeq.b', 'rD, rs1, rs2', 0x04001057, 0xfe00707f),
    ('pv.cmpeq.sc.b', 'rD, rs1, rs2', 0x04005057, 0xfe00707f),
    ('pv.cmpeq.sci.b', 'rD, rs1, simm6', 0x04007057, 0xfc00707f),
    ('pv.cmpne.h', 'rD, rs1, rs2', 0x0c000057, 0xfe00707f),
    ('pv.cmpne.sc.h', 'rD, rs1, rs2', 0x0c004057, 0xfe00707f),
    ('pv.cmpne.sci.h', 'rD, rs1, simm6', 0x0c006057, 0xfc00707f),
    ('pv.cmpne.b', 'rD, rs1, rs2', 0x0c001057, 0xfe00707f),
    ('pv.cmpne.sc.b', 'rD, rs1, rs2', 0x0c005057, 0xfe00707f),
    ('pv.cmpne.sci.b', 'rD, rs1, simm6', 0x0c007057, 0xfc00707f),
    ('pv.cmpgt.h', 'rD, rs1, rs2', 0x14000057, 0xfe00707f),
    ('pv.cmpgt.sc.h', 'rD, rs1, rs2', 0x14004057, 0xfe00707f),
    ('pv.cmpgt.sci.h', 'rD, rs1, simm6', 0x14006057, 0xfc00707f),
    ('pv.cmpgt.b', 'rD, rs1, rs2', 0x14001057, 0xfe00707f),
    ('pv.cmpgt.sc.b', 'rD, rs1, rs2', 0x14005057, 0xfe00707f),
    ('pv.cmpgt.sci.b', 'rD, rs1, simm6', 0x14007057, 0xfc00707f),
    ('pv.cmpge.h', 'rD, rs1, rs2', 0x1c000057, 0xfe00707f),
    ('pv.cmpge.sc.h', 'rD, rs1, rs2', 0x1c004057, 0xfe00707f),
    ('pv.cmpge.sci.h', 'rD, rs1, simm6', 0x1c006057, 0xfc00707f),
    ('pv.cmpge.b', 'rD, rs1, rs2', 0x1c001057, 0xfe00707f),
    ('pv.cmpge.sc.b', 'rD, rs1, rs2', 0x1c005057, 0xfe00707f),
    ('pv.cmpge.sci.b', 'rD, rs1, simm6', 0x1c007057, 0xfc00707f),
    ('pv.cmplt.h', 'rD, rs1, rs2', 0x24000057, 0xfe00707f),
    ('pv.cmplt.sc.h', 'rD, rs1, rs2', 0x24004057, 0xfe00707f),
    ('pv.cmplt.sci.h', 'rD, rs1, simm6', 0x24006057, 0xfc00707f),
    ('pv.cmplt.b', 'rD, rs1, rs2', 0x24001057, 0xfe00707f),
    ('pv.cmplt.sc.b', 'rD, rs1, rs2', 0x24005057, 0xfe00707f),
    ('pv.cmplt.sci.b', 'rD, rs1, simm6', 0x24007057, 0xfc00707f),
    ('pv.cmple.h', 'rD, rs1, rs2', 0x2c000057, 0xfe00707f),
    ('pv.cmple.sc.h', 'rD, rs1, rs2', 0x2c004057, 0xfe00707f),
    ('pv.cmple.sci.h', 'rD, rs1, simm6', 0x2c006057, 0xfc00707f),
    ('pv.cmple.b', 'rD, rs1, rs2', 0x2c001057, 0xfe00707f),
    ('pv.cmple.sc.b', 'rD, rs1, rs2', 0x2c005057, 0xfe00707f),
    ('pv.cmple.sci.b', 'rD, rs1, simm6', 0x2c007057, 0xfc00707f),
    ('pv.cmpgtu.h', 'rD, rs1, rs2', 0x34000057, 0xfe00707f),
    ('pv.cmpgtu.sc.h', 'rD, rs1, rs2', 0x34004057, 0xfe00707f),
    ('pv.cmpgtu.sci.h', 'rD, rs1, uimm6', 0x34006057, 0xfc00707f),
    ('pv.cmpgtu.b', 'rD, rs1, rs2', 0x34001057, 0xfe00707f),
    ('pv.cmpgtu.sc.b', 'rD, rs1, rs2', 0x34005057, 0xfe00707f),
    ('pv.cmpgtu.sci.b', 'rD, rs1, uimm6', 0x34007057, 0xfc00707f),
    ('pv.cmpgeu.h', 'rD, rs1, rs2', 0x3c000057, 0xfe00707f),
    ('pv.cmpgeu.sc.h', 'rD, rs1, rs2', 0x3c004057, 0xfe00707f),
    ('pv.cmpgeu.sci.h', 'rD, rs1, uimm6', 0x3c006057, 0xfc00707f),
    ('pv.cmpgeu.b', 'rD, rs1, rs2', 0x3c001057, 0xfe00707f),
    ('pv.cmpgeu.sc.b', 'rD, rs1, rs2', 0x3c005057, 0xfe00707f),
    ('pv.cmpgeu.sci.b', 'rD, rs1, uimm6', 0x3c007057, 0xfc00707f),
    ('pv.cmpltu.h', 'rD, rs1, rs2', 0x44000057, 0xfe00707f),
    ('pv.cmpltu.sc.h', 'rD, rs1, rs2', 0x44004057, 0xfe00707f),
    ('pv.cmpltu.sci.h', 'rD, rs1, uimm6', 0x44006057, 0xfc00707f),
    ('pv.cmpltu.b', 'rD, rs1, rs2', 0x44001057, 0xfe00707f),
    ('pv.cmpltu.sc.b', 'rD, rs1, rs2', 0x44005057, 0xfe00707f),
    ('pv.cmpltu.sci.b', 'rD, rs1, uimm6', 0x44007057, 0xfc00707f),
    ('pv.cmpleu.h', 'rD, rs1, rs2', 0x4c000057, 0xfe00707f),
    ('pv.cmpleu.sc.h', 'rD, rs1, rs2', 0x4c004057, 0xfe00707f),
    ('pv.cmpleu.sci.h', 'rD, rs1, uimm6', 0x4c006057, 0xfc00707f),
    ('pv.cmpleu.b', 'rD, rs1, rs2', 0x4c001057, 0xfe00707f),
    ('pv.cmpleu.sc.b', 'rD, rs1, rs2', 0x4c005057, 0xfe00707f),
    ('pv.cmpleu.sci.b', 'rD, rs1, uimm6', 0x4c007057, 0xfc00707f),
    ('pv.add.h.div2', 'rD, rs1, rs2', 0x74002057, 0xfe00707f),
    ('pv.add.h.div4', 'rD, rs1, rs2', 0x74004057, 0xfe00707f),
    ('pv.add.h.div8', 'rD, rs1, rs2', 0x74006057, 0xfe00707f),
    ('pv.sub.h.div2', 'rD, rs1, rs2', 0x64002057, 0xfe00707f),
    ('pv.sub.h.div4', 'rD, rs1, rs2', 0x64004057, 0xfe00707f),
    ('pv.sub.h.div8', 'rD, rs1, rs2', 0x64006057, 0xfe00707f),
    ('pv.shuffle.h', 'rD, rs1, rs2', 0xc0000057, 0xfe00707f),
    ('pv.shuffle.sci.h', 'rD, rs1, uimm6', 0xc0006057, 0xfc00707f),
    ('pv.shuffle.b', 'rD, rs1, rs2', 0xc0001057, 0xfe00707f),
    ('pv.shufflei0.sci.b', 'rD, rs1, uimm6', 0xc0007057, 0xfc00707f),
    ('pv.shufflei1.sci.b', 'rD, rs1, uimm6', 0xe8007057, 0xfc00707f),
    ('pv.shufflei2.sci.b', 'rD, rs1, uimm6', 0xf0007057, 0xfc00707f),
    ('pv.shufflei3.sci.b', 'rD, rs1, uimm6', 0xf8007057, 0xfc00707f),
    ('pv.shuffle2.h', 'rD, rs1, rs2', 0xc8000057, 0xfe00707f),
    ('pv.shuffle2.b', 'rD, rs1, rs2', 0xc8001057, 0xfe00707f),
    ('pv.pack', 'rD, rs1, rs2', 0xd0000057, 0xfe00707f),
    ('pv.pack.h', 'rD, rs1, rs2', 0xd2000057, 0xfe00707f),
    ('pv.packhi.b', 'rD, rs1, rs2', 0xd8001057, 0xfe00707f),
    ('pv.packlo.b', 'rD, rs1, rs2', 0xe0001057, 0xfe00707f),
]

# base-ISA aliases (p.lX rD, imm(rs1) / p.sX rs2, imm(rs1)): not custom
BASE = [r for r in REF if r[1].endswith('(rs1)') and 'imm12' in r[1] and r[0] != 'p.elw']
CUSTOM = [r for r in REF if r not in BASE]
# names with identical MATCH that we print under another (documented) name
ALIASES = {'p.extracti': 'p.extract', 'p.extractui': 'p.extractu', 'p.inserti': 'p.insert',
           'p.bseti': 'p.bset', 'p.bclri': 'p.bclr', 'p.clipi': 'p.clip', 'p.clipui': 'p.clipu',
           'p.addni': 'p.addn', 'p.adduni': 'p.addun', 'p.addrni': 'p.addrn', 'p.addurni': 'p.addurn',
           'p.subni': 'p.subn', 'p.subuni': 'p.subun', 'p.subrni': 'p.subrn', 'p.suburni': 'p.suburn'}
SHORT = {f'p.{k}{hh}{s}n': f'p.{k}{hh}{s}' for k in ('mul', 'mac') for hh in ('', 'hh') for s in ('s', 'u')}


def test_reference_table_complete():
    assert len(REF) == 335
    assert len(BASE) == 8


@pytest.mark.parametrize('entry', CUSTOM, ids=[f'{r[0]}:{r[2]:#x}' for r in CUSTOM])
def test_every_entry_decodes(entry):
    mn, _, match, mask = entry
    rng = random.Random(match ^ mask)
    for _ in range(40):
        w = match | (rng.getrandbits(32) & ~mask & 0xFFFFFFFF)
        d = decode(w, 'xpulpv2')
        assert d is not None, hex(w)
        s = find_spec(w, 'xpulpv2')
        assert s.match == match and (s.mask & ~mask) == 0
        expect = ALIASES.get(mn, mn)
        short = SHORT.get(expect)
        if short and d.imm2 == 0:
            expect = short
        assert d.mnemonic == expect or SHORT.get(d.mnemonic if d.imm2 else '') == mn or \
            (mn in SHORT.values() and d.mnemonic == mn), (mn, d.mnemonic, hex(w))
        assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1] == d.mnemonic


@pytest.mark.parametrize('entry', BASE, ids=[r[0] for r in BASE])
def test_base_aliases_are_not_custom(entry):
    assert decode(entry[2] | (0xA5A5A5A5 & ~0x707F), "xpulpv2") is None


def _ref_matches(w):
    return [r for r in CUSTOM if (w & r[3]) == r[2]]


def test_decode_iff_reference_matches():
    """Random words in every custom (opcode, funct3) bucket: decode() succeeds
    exactly when some reference entry matches, and then with that MATCH."""
    rng = random.Random(1)
    buckets = sorted({r[2] & 0x707F for r in CUSTOM})
    n_none = 0
    for b in buckets:
        for _ in range(400):
            w = b | (rng.getrandbits(32) & ~0x707F & 0xFFFFFFFF)
            if rng.random() < 0.5:   # bias towards near-valid words: clear some high bits
                w &= ~(rng.getrandbits(7) << 25) & 0xFFFFFFFF
            refs = _ref_matches(w)
            d = decode(w, 'xpulpv2')
            if not refs:
                assert d is None, hex(w)
                n_none += 1
            else:
                assert d is not None, hex(w)
                assert find_spec(w, 'xpulpv2').match in {r[2] for r in refs}
    assert n_none > 100


@pytest.mark.parametrize('entry', CUSTOM[::7], ids=[r[0] for r in CUSTOM[::7]])
def test_flipped_fixed_bit(entry):
    mn, _, match, mask = entry
    for bit in range(7, 32):
        if not (mask >> bit) & 1:
            continue
        w = match ^ (1 << bit)
        refs = _ref_matches(w)
        d = decode(w, 'xpulpv2')
        assert (d is None) == (not refs), (mn, hex(w))


def test_no_ambiguous_specs():
    """Within a flavour at most one spec matches any word (aliases are folded)."""
    for fl, specs in decoder.SPECS.items():
        for i, a in enumerate(specs):
            for b in specs[i + 1:]:
                common = a.mask & b.mask
                if (a.match & common) == (b.match & common):
                    # overlapping: must be strictly nested (more specific wins)
                    assert a.mask != b.mask, (fl, a.mnemonic, b.mnemonic)
                    raise AssertionError((fl, a.mnemonic, b.mnemonic))


def test_other_flavour_does_not_decode_v2_only():
    assert decode(0x04000033 | 10 << 7 | 11 << 15, 'corev') is None     # p.abs is OP-space
    assert decode(0x00000057, 'corev') is None


def test_decoded_fields_memory_hwloop_branch():
    # p.lw a0, -4(a1!)  -> post-inc imm
    w = 0x0000200B | 10 << 7 | 11 << 15 | (0xFFC << 20)
    d = decode(w, 'xpulpv2')
    assert (d.kind, d.rd, d.rs1, d.imm, d.mem_size, d.mem_mode) == (decoder.KIND_LOAD, 10, 11, -4, 4,
                                                                    decoder.MEM_POSTINC_IMM)
    assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1:] == ('p.lw', 'a0, -4(a1!)')
    # p.lhu a0, a2(a1)  reg-reg
    d = decode(0x50007003 | 10 << 7 | 11 << 15 | 12 << 20, 'xpulpv2')
    assert (d.kind, d.rs2, d.mem_size, d.mem_signed, d.mem_mode) == (decoder.KIND_LOAD, 12, 2, False,
                                                                     decoder.MEM_REGREG)
    # p.sh a0, a2(a1!)  store reg post-inc: data rs2, offset rs3 in rd field
    w = 0x0000502B | 12 << 7 | 11 << 15 | 10 << 20
    d = decode(w, 'xpulpv2')
    assert (d.kind, d.rs2, d.rs3, d.rs1, d.mem_size, d.mem_mode) == (decoder.KIND_STORE, 10, 12, 11, 2,
                                                                     decoder.MEM_POSTINC_REG)
    assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1:] == ('p.sh', 'a0, a2(a1!)')
    # p.sb a0, -1(a1!)
    w = 0x0000002B | 11 << 15 | 10 << 20 | 0x1F << 7 | 0x7F << 25
    d = decode(w, 'xpulpv2')
    assert (d.imm, d.mem_mode, d.mem_size) == (-1, decoder.MEM_POSTINC_IMM, 1)
    # lp.setupi x1, 100, end: uimm5 = 6 -> 12 bytes; count 100
    w = 0x0000507B | 1 << 7 | 6 << 15 | 100 << 20
    d = decode(w, 'xpulpv2')
    assert (d.kind, d.op, d.rd, d.imm, d.imm2) == (decoder.KIND_HWLOOP, decoder.HW_SETUPI, 1, 12, 100)
    assert disassemble(w.to_bytes(4, 'little'), 0x100, 'xpulpv2')[1:] == ('lp.setupi', 'x1, 100, 0x10c')
    # lp.setup x0, a0, +0x20 ; lp.counti x1, 7 ; lp.count x0, a1 ; lp.starti/endi
    d = decode(0x0000407B | 10 << 15 | 0x10 << 20, 'xpulpv2')
    assert (d.op, d.rd, d.rs1, d.imm) == (decoder.HW_SETUP, 0, 10, 0x20)
    d = decode(0x0000307B | 1 << 7 | 7 << 20, 'xpulpv2')
    assert (d.op, d.rd, d.imm2) == (decoder.HW_COUNTI, 1, 7)
    d = decode(0x0000207B | 11 << 15, 'xpulpv2')
    assert (d.op, d.rs1) == (decoder.HW_COUNT, 11)
    assert decode(0x0000007B | 3 << 20, 'xpulpv2').imm == 6
    assert decode(0x0000107B | 1 << 7 | 0xFFF << 20, 'xpulpv2').imm == 0x1FFE
    assert decoder.HWLOOP_END_INCLUSIVE['xpulpv2'] is True
    # p.bneimm a0, -16, -8
    off = -8 & 0x1FFF
    w = 0x00003063 | 10 << 15 | 0x10 << 20 | ((off >> 12) & 1) << 31 | ((off >> 5) & 0x3F) << 25 \
        | ((off >> 1) & 0xF) << 8 | ((off >> 11) & 1) << 7
    d = decode(w, 'xpulpv2')
    assert (d.kind, d.op, d.rs1, d.imm, d.imm2) == (decoder.KIND_BRANCH_IMM, decoder.BR_NE, 10, -8, -16)
    assert disassemble(w.to_bytes(4, 'little'), 0x20, 'xpulpv2', lambda a: 'f' if a == 0x18 else None)[1:] \
        == ('p.bneimm', 'a0, -16, 0x18 <f>')
    # p.elw a0, 8(a1)
    d = decode(0x00006003 | 10 << 7 | 11 << 15 | 8 << 20, 'xpulpv2')
    assert (d.kind, d.rd, d.rs1, d.imm) == (decoder.KIND_ELW, 10, 11, 8)


def test_alias_printing():
    # p.mulsn with Is3=0 -> p.muls ; Is3=3 -> p.mulsn ... , 3
    w = 0x8000005B | 10 << 7 | 11 << 15 | 12 << 20
    assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1:] == ('p.muls', 'a0, a1, a2')
    w |= 3 << 25
    assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1:] == ('p.mulsn', 'a0, a1, a2, 3')
    w = 0x0000105B | 10 << 7 | 11 << 15 | 12 << 20
    assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1:] == ('p.macu', 'a0, a1, a2')
    # p.extract a0, a1, Is3=7, Is2=8 ; pv.add.sci.b a0, a1, -3 ; pv.extract.b a0, a1, 3
    w = 0xC0000033 | 10 << 7 | 11 << 15 | 8 << 20 | 7 << 25
    assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1:] == ('p.extract', 'a0, a1, 7, 8')
    imm = -3 & 0x3F
    w = 0x00007057 | 10 << 7 | 11 << 15 | (imm >> 1) << 20 | (imm & 1) << 25
    assert disassemble(w.to_bytes(4, 'little'), 0, 'xpulpv2')[1:] == ('pv.add.sci.b', 'a0, a1, -3')
    assert decode(w, 'xpulpv2').imm == -3
    w = 0x18007057 | 10 << 7 | 11 << 15 | (imm >> 1) << 20 | (imm & 1) << 25     # avgu: unsigned
    assert decode(w, 'xpulpv2').imm == 61
