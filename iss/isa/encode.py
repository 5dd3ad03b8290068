"""Plain RV32 instruction encoders (RISC-V Unprivileged ISA, chapter 2 "Base Instruction
Formats"): the inverse of iss/isa/fields.py, for code the simulator writes itself (the
shadow code) and for the 32-bit equivalents of compressed instructions."""


def i_type(opcode: int, funct3: int, rd: int, rs1: int, imm: int) -> int:
    return (imm & 0xFFF) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode


def r_type(funct7: int, funct3: int, rd: int, rs1: int, rs2: int, opcode: int = 0x33) -> int:
    return funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode


def s_type(funct3: int, rs1: int, rs2: int, imm: int) -> int:
    return (imm >> 5 & 0x7F) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (imm & 31) << 7 | 0x23


def b_type(funct3: int, rs1: int, rs2: int, offset: int) -> int:
    o = offset & 0x1FFF
    return ((o >> 12 & 1) << 31 | (o >> 5 & 0x3F) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12
            | (o >> 1 & 0xF) << 8 | (o >> 11 & 1) << 7 | 0x63)


def u_type(opcode: int, rd: int, upper: int) -> int:
    """lui / auipc: `upper` is the value of the immediate (its low 12 bits are zero)."""
    return (upper & 0xFFFFF000) | rd << 7 | opcode


def jal(rd: int, offset: int) -> int:
    o = offset & 0x1FFFFF
    return ((o >> 20 & 1) << 31 | (o >> 1 & 0x3FF) << 21 | (o >> 11 & 1) << 20 | (o >> 12 & 0xFF) << 12
            | rd << 7 | 0x6F)


def addi(rd: int, rs1: int, imm: int) -> int:
    return i_type(0x13, 0, rd, rs1, imm)
