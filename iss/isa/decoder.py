"""Decoder / disassembler API: the custom instructions of one flavour (``'xpulpv2'`` or
``'corev'``) and base RV32IMC, from the Spec tables (iss/isa/spec.py).

    decode_insn(code, flavour) -> Decoded | None  (any instruction; code = a 32-bit word,
                                                   or a halfword for a compressed one)
    decode(word, flavour) -> Decoded | None      (32-bit custom words only)
    disassemble(code, pc, flavour, symbolize=None) -> (length, mnemonic, operands)

``Decoded`` is the one decoded form the timing model, the harts, the code hook, the
hardware-loop engine, the shadow code and the debugger read.
"""
from dataclasses import dataclass
from functools import lru_cache

from . import corev, xpulp, rv32
from .spec import (  # noqa: F401  (re-exported constants)
    KIND_ALU, KIND_LOAD, KIND_STORE, KIND_BRANCH_IMM, KIND_HWLOOP, KIND_ELW,
    MEM_NONE, MEM_REGREG, MEM_POSTINC_IMM, MEM_POSTINC_REG, BR_EQ, BR_NE,
    HW_STARTI, HW_ENDI, HW_COUNT, HW_COUNTI, HW_SETUP, HW_SETUPI, HW_START, HW_END,
    KIND_OP, KIND_OP_IMM, KIND_LUI, KIND_AUIPC, KIND_JAL, KIND_JALR, KIND_BRANCH, KIND_ZICSR,
    KIND_PRIV, KIND_FENCE,
    LAT_SINGLE, LAT_LOAD, LAT_STORE, LAT_BRANCH, LAT_JUMP, LAT_JALR, LAT_MULH, LAT_DIV,
    LAT_CSR, LAT_ELW, LAT_SYSTEM,
    TOKENS, Spec, fmt_operands)

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
    reads: tuple = ()            # registers read (x0 included when an operand names it)
    writes: int = 0              # register written (0: none)
    latency: int = LAT_SINGLE    # LAT_* class of the timing model
    custom: bool = True          # a custom (XpulpV2 / CORE-V) instruction


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
    return None if s is None else _decoded(s, word, 4, True)


@lru_cache(maxsize=65536)
def decode_insn(code: int, flavour: str):
    """Decode any instruction: a 32-bit word (custom first, then base RV32IM/Zicsr) or,
    when its low bits are not 11, a compressed halfword (as the 32-bit instruction it
    stands for, with length 2 and its ``c.`` mnemonic). None if illegal or reserved."""
    if code & 3 == 3:
        custom = decode(code, flavour)
        if custom is not None:
            return custom
        s = rv32.base_spec(code & 0xFFFFFFFF)
        return None if s is None else _decoded(s, code & 0xFFFFFFFF, 4, False)
    half = code & 0xFFFF
    word = rv32.expand16(half)
    s = None if word is None else rv32.base_spec(word)
    if s is None:
        return None
    return _decoded(s, word, 2, False, rv32.disasm16(half)[0])


def _decoded(s: Spec, word: int, length: int, custom: bool, mnemonic: str | None = None):
    slots = dict(s.consts)
    values = []
    for tok in s.tokens:
        slot, ext, _ = TOKENS[tok]
        v = ext(word)
        slots[slot] = v
        values.append((tok, v))
    syntax = s.syntax
    if mnemonic is None:
        mnemonic = s.mnemonic
        if s.alias0 is not None and slots.get('imm2', 0) == 0:
            mnemonic, syntax = s.alias0
    return Decoded(mnemonic, length, s.kind, s.op, slots.get('rd', 0), slots.get('rs1', 0),
                   slots.get('rs2', 0), slots.get('rs3', 0), slots.get('imm', 0),
                   slots.get('imm2', 0), s.mem_size, s.mem_signed, s.mem_mode, syntax,
                   tuple(values), tuple(slots[r] for r in s.reads),
                   slots['rd'] if s.writes_rd else 0, s.latency, custom)


def memory_operand(d: Decoded | None):
    """(store, size, base, imm, offset, data) of a load / store: address = x[base] + imm +
    x[offset] (registers before the instruction; x0 reads 0), stored value x[data]; None
    for other instructions. A post-increment access is at the old base."""
    if d is None or d.kind not in (KIND_LOAD, KIND_STORE, KIND_ELW):
        return None
    imm = d.imm if d.mem_mode == MEM_NONE else 0
    if d.kind == KIND_STORE:
        return True, d.mem_size, d.rs1, imm, d.rs3 if d.mem_mode == MEM_REGREG else 0, d.rs2
    return False, d.mem_size, d.rs1, imm, d.rs2 if d.mem_mode == MEM_REGREG else 0, 0


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
