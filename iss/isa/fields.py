"""Bit-field helpers for RISC-V / XpulpV2 / CORE-V instruction words.

All helpers take the raw instruction word (int) and return a Python int.
Signed immediates are returned sign-extended (negative Python ints).
"""

MASK32 = 0xFFFFFFFF


def bits(w: int, hi: int, lo: int) -> int:
    """w[hi:lo] (inclusive), unsigned."""
    return (w >> lo) & ((1 << (hi - lo + 1)) - 1)


def sext(v: int, nbits: int) -> int:
    """Sign-extend the low ``nbits`` bits of ``v``."""
    v &= (1 << nbits) - 1
    return v - (1 << nbits) if v >> (nbits - 1) else v


# --- register fields -------------------------------------------------------
def opcode(w): return w & 0x7F
def rd(w): return bits(w, 11, 7)
def rs1(w): return bits(w, 19, 15)
def rs2(w): return bits(w, 24, 20)
def rs3(w): return bits(w, 11, 7)          # offset register of reg-reg/post-inc stores
def funct3(w): return bits(w, 14, 12)
def funct7(w): return bits(w, 31, 25)


# --- standard immediates ---------------------------------------------------
def imm_i(w): return sext(bits(w, 31, 20), 12)
def imm_s(w): return sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12)


def imm_b(w):
    v = (bits(w, 31, 31) << 12) | (bits(w, 7, 7) << 11) | (bits(w, 30, 25) << 5) | (bits(w, 11, 8) << 1)
    return sext(v, 13)


def imm_u(w): return sext(w & 0xFFFFF000, 32)


def imm_j(w):
    v = (bits(w, 31, 31) << 20) | (bits(w, 19, 12) << 12) | (bits(w, 20, 20) << 11) | (bits(w, 30, 21) << 1)
    return sext(v, 21)


# --- PULP immediates -------------------------------------------------------
def is2(w): return bits(w, 24, 20)          # Is2 (bit position / clip width)
def is3(w): return bits(w, 29, 25)          # Is3 (width-1 / normalisation shift)
def uimm12(w): return bits(w, 31, 20)
def uimm5_rs1(w): return bits(w, 19, 15)    # uimm5 held in the rs1 field
def simm5_rs2(w): return sext(bits(w, 24, 20), 5)   # beqimm/bneimm compare value


def imm6_raw(w):
    """SIMD 6-bit immediate: imm[0] = bit 25, imm[5:1] = bits[24:20]."""
    return (bits(w, 24, 20) << 1) | bits(w, 25, 25)


def simm6(w): return sext(imm6_raw(w), 6)
def uimm6(w): return imm6_raw(w)


def encode_imm6(v: int) -> int:
    """Inverse of imm6_raw: the bits to OR into a word for a 6-bit imm."""
    v &= 0x3F
    return ((v & 1) << 25) | ((v >> 1) << 20)


# --- compressed (RVC) ------------------------------------------------------
def c_rd_p(h): return 8 + bits(h, 4, 2)      # rd'/rs2' in [4:2]
def c_rs1_p(h): return 8 + bits(h, 9, 7)     # rs1'/rd' in [9:7]
def c_rd(h): return bits(h, 11, 7)
def c_rs2(h): return bits(h, 6, 2)
