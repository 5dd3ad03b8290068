"""Decoder / disassembler API for the custom instructions of one flavour
(``'xpulpv2'`` or ``'corev'``) plus base RV32IMC disassembly.

    decode(word, flavour) -> Decoded | None      (32-bit custom words only)
    disassemble(code, pc, flavour, symbolize=None) -> (length, mnemonic, operands)
"""
from dataclasses import dataclass
from functools import lru_cache

from . import corev, xpulp, rv32
from .spec import (  # noqa: F401  (re-exported constants)
    KIND_ALU, KIND_LOAD, KIND_STORE, KIND_BRANCH_IMM, KIND_HWLOOP, KIND_ELW,
    MEM_NONE, MEM_REGREG, MEM_POSTINC_IMM, MEM_POSTINC_REG, BR_EQ, BR_NE,
    HW_STARTI, HW_ENDI, HW_COUNT, HW_COUNTI, HW_SETUP, HW_SETUPI, HW_START, HW_END,
    TOKENS, fmt_operands)

FLAVOURS = ('xpulpv2', 'corev')
SPECS = {'xpulpv2': xpulp.SPECS, 'corev': corev.SPECS}
# lpend semantics: XpulpV2 end label = last body instruction; CORE-V v2 = first after the body
HWLOOP_END_INCLUSIVE = {'xpulpv2': True, 'corev': False}
HWLOOP_OFFSET_SHIFT = {'xpulpv2': 1, 'corev': 2}


@dataclass(frozen=True)
class Decoded:
    mnemonic: str
    length: int
    kind: int
    op: int
    rd: int = 0
    rs1: int = 0
    rs2: int = 0
    rs3: int = 0
    imm: int = 0
    imm2: int = 0
    mem_size: int = 0
    mem_signed: bool = False
    mem_mode: int = MEM_NONE
    operands: str = ''           # operand template (spec syntax), for disassembly
    values: tuple = ()           # ((token, value), ...) for disassembly


def _build_buckets(specs):
    buckets = {}
    for s in specs:
        buckets.setdefault(s.match & 0x707F, []).append(s)
    for lst in buckets.values():      # most specific first
        lst.sort(key=lambda s: -bin(s.mask).count('1'))
    return buckets


_BUCKETS = {f: _build_buckets(s) for f, s in SPECS.items()}


def find_spec(word, flavour):
    for s in _BUCKETS[flavour].get(word & 0x707F, ()):
        if (word & s.mask) == s.match:
            return s
    return None


@lru_cache(maxsize=65536)
def decode(word: int, flavour: str):
    """Decode a 32-bit custom instruction word; None if not a custom
    instruction of ``flavour``."""
    word &= 0xFFFFFFFF
    if word & 3 != 3:
        return None
    s = find_spec(word, flavour)
    if s is None:
        return None
    slots = dict(s.consts)
    values = []
    for tok in s.tokens:
        slot, ext, _ = TOKENS[tok]
        v = ext(word)
        slots[slot] = v
        values.append((tok, v))
    mnemonic, syntax = s.mnemonic, s.syntax
    if s.alias0 is not None and slots.get('imm2', 0) == 0:
        mnemonic, syntax = s.alias0
    return Decoded(mnemonic, 4, s.kind, s.op, slots.get('rd', 0), slots.get('rs1', 0), slots.get('rs2', 0),
                   slots.get('rs3', 0), slots.get('imm', 0), slots.get('imm2', 0), s.mem_size, s.mem_signed,
                   s.mem_mode, syntax, tuple(values))


def disassemble(code: bytes, pc: int, flavour: str, symbolize=None):
    """Disassemble the instruction at the start of ``code`` (address ``pc``).
    Returns (length, mnemonic, operands_text); unknown -> (len, '<unknown>', '')."""
    if len(code) < 2:
        return (len(code), '<unknown>', '')
    half = code[0] | code[1] << 8
    if half & 3 == 3:
        if len(code) < 4:
            return (2, '<unknown>', '')
        word = int.from_bytes(code[:4], 'little')
        d = decode(word, flavour)
        if d is not None:
            return (4, d.mnemonic, fmt_operands(d.operands, dict(d.values), pc, symbolize))
        r = rv32.disasm32(word, pc, symbolize)
        return (4,) + r if r else (4, '<unknown>', '')
    r = rv32.disasm16(half, pc, symbolize)
    return (2,) + r if r else (2, '<unknown>', '')
