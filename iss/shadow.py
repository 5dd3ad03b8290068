"""Shadow code: scalar custom instructions translated at load time into plain RV32.

Unicorn runs plain RV32 natively; a custom instruction costs a trap or a code-hook call
(~10-60 ns, against ~1 ns). So the executable segments are copied once into a shadow
region next to the code, instruction by instruction, in their order:
  - plain instructions are copied as they are;
  - post-increment and register-offset loads/stores, beqimm/bneimm, the extends,
    sle/sleu, abs, min/max(u) and clip(u) (rd != rs1) become short plain sequences (below,
    `_expand_custom`), all without scratch registers;
  - branches and jumps are re-aimed at the copies (a conditional branch out of range
    becomes an inverted branch over a `jal`);
  - calls link the ORIGINAL return address (`lui`/`addi` + `jal x0`), and `auipc`
    becomes `lui`/`addi` of its original value, so return addresses, mepc and every
    address the program computes stay original;
  - everything else (other custom instructions, CSR/system instructions, hardware-loop
    code, words that are no instruction) becomes `jal x0, <original address>`: the
    original runs it as before ("escape").
Each translated custom instruction in the original code becomes `jal x0, trampoline`;
the trampoline runs the instruction's sequence and continues in the copy.

Counting and timing stay those of the original code: a per-halfword table gives, for
every shadow address, the original address it stands for (`origin`), and the block hook
counts a shadow block [s, e) as the original range [origin[s], origin[e]) with the
original tables (hooks.block_hook). Inside a sequence of an instruction I, an address
stands for I until the instruction's "commit" (its memory access, its branch decision)
has run, and for the next instruction after it: a stop there (an MMIO access that ended
the run, an exact instruction limit) counts I exactly when it has happened. Trampolines
and branch pads stand for the address after their instruction (the original block that
jumped there already counted it), so the blocks they make count nothing.

Original PCs for the user: Hart.pc maps a shadow PC to its original address; only the
engine resumes at the shadow PC itself. Not used (the original code runs as before)
with a debugger, breakpoints, watchpoints, instruction traces or accurate timing, whose
per-access and per-instruction views need the original code; `iss run --translate off`
turns it off.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .isa import encode
from .isa.decoder import (BR_EQ, HW_END, HW_ENDI, HW_SETUP, HW_SETUPI, HW_START, HW_STARTI,
                          KIND_AUIPC, KIND_BRANCH, KIND_BRANCH_IMM, KIND_FENCE, KIND_HWLOOP,
                          KIND_JAL, KIND_JALR, KIND_LOAD, KIND_PRIV, KIND_STORE, KIND_ZICSR,
                          MEM_POSTINC_IMM, MEM_POSTINC_REG, MEM_REGREG, decode, decode_insn)
from .code_tables import PAGE_BITS

PAGE = 1 << PAGE_BITS
JAL_REACH = 1 << 20          # jal: +-1 MiB
BRANCH_REACH = 1 << 12       # conditional branches: +-4 KiB
RA = 1

# ---- plain RV32 encoders (iss/isa/encode.py) ----------------------------------------------
_i, _r, _s, _b, _jal, _addi = encode.i_type, encode.r_type, encode.s_type, encode.b_type, encode.jal, encode.addi


def _li32(rd: int, value: int) -> list[int]:
    """lui + addi of a 32-bit constant."""
    value &= 0xFFFFFFFF
    low = value & 0xFFF
    low -= (low & 0x800) << 1
    return [((value - low) & 0xFFFFF000) | rd << 7 | 0x37, _addi(rd, rd, low)]


def _li(rd: int, value: int) -> list[int]:
    """The shortest load of a signed 32-bit constant: addi, or lui + addi."""
    return [_addi(rd, 0, value)] if -2048 <= value < 2048 else _li32(rd, value)


def _fits(value: int, reach: int) -> bool:
    return -reach <= value < reach


BEQ, BNE = 0, 1
LOAD_FUNCT3 = {(1, True): 0, (2, True): 1, (4, True): 2, (4, False): 2, (1, False): 4, (2, False): 5}
STORE_FUNCT3 = {1: 0, 2: 1, 4: 2}
JALR = 0x67


# ---- what one original instruction becomes -----------------------------------------------
@dataclass
class Op:
    """One shadow instruction: a fixed word (`size` 2 or 4), or a jump / branch resolved
    at layout (`to`: ("code", original address) -> its copy, or the original when it has
    none; ("orig", address); ("pad", key))."""
    word: int = 0
    size: int = 4
    jump: int | None = None        # rd of a jal
    branch: tuple | None = None    # (funct3, rs1, rs2) of a conditional branch
    to: tuple | None = None
    long: bool = False             # branch out of reach: inverted branch over a jal


@dataclass
class Piece:
    """The shadow instructions of the original instruction at `pc` (`length` bytes).
    Addresses of ops[0..commit] stand for pc, the later ones for pc + length."""
    pc: int
    length: int
    ops: list
    commit: int
    escape: bool = False
    pads: dict = field(default_factory=dict)    # key -> list[Op], placed out of line
    undo: tuple | None = None    # (register, xor value, sub register): puts back what the
                                 # ops before the commit changed (a stop there: Hart)


def _escape(pc: int, length: int) -> Piece:
    return Piece(pc, length, [Op(jump=0, to=("orig", pc))], 0, escape=True)


class Unsupported(Exception):
    """An original instruction the translator leaves to the original code."""


def _expand_custom(d, pc: int, length: int) -> Piece:
    """The plain sequence of a translated custom instruction (Unsupported otherwise).
    The memory access comes first wherever it can, so a stop at an MMIO access finds
    nothing of the instruction done yet."""
    kind, mode = d.kind, d.mem_mode
    rd, rs1, rs2, rs3 = d.rd, d.rs1, d.rs2, d.rs3
    if kind == KIND_LOAD:
        f3 = LOAD_FUNCT3[(d.mem_size, bool(d.mem_signed))]
        load = _i(0x03, f3, rd, rs1, 0)
        if rd == 0:
            raise Unsupported
        if mode == MEM_POSTINC_IMM:
            return Piece(pc, length, [Op(load)] + ([] if rd == rs1 else [Op(_addi(rs1, rs1, d.imm))]), 0)
        if mode == MEM_POSTINC_REG and rd != rs2:
            return Piece(pc, length, [Op(load)] + ([] if rd == rs1 else [Op(_r(0, 0, rs1, rs1, rs2))]), 0)
        if mode == MEM_REGREG and rd == rs2 != rs1:        # rd takes the address first
            return Piece(pc, length, [Op(_r(0, 0, rd, rs1, rs2)), Op(_i(0x03, f3, rd, rd, 0))], 1,
                         undo=(rd, 0, rs1))
        if mode == MEM_REGREG and rs1 != rs2:
            # rs1 moves to the address and back (the loaded value may be rs1's)
            ops = [Op(_r(0, 0, rs1, rs1, rs2)), Op(_i(0x03, f3, rd, rs1, 0))]
            if rd != rs1:
                ops.append(Op(_r(0x20, 0, rs1, rs1, rs2)))
            return Piece(pc, length, ops, 1, undo=(rs1, 0, rs2))
        raise Unsupported
    if kind == KIND_STORE:
        f3 = STORE_FUNCT3[d.mem_size]
        store = _s(f3, rs1, rs2, 0)
        if mode == MEM_POSTINC_IMM:
            return Piece(pc, length, [Op(store), Op(_addi(rs1, rs1, d.imm))], 0)
        if mode == MEM_POSTINC_REG:
            return Piece(pc, length, [Op(store), Op(_r(0, 0, rs1, rs1, rs3))], 0)
        # register offset (address rs1 + rs3): a base register takes the address for the
        # store and is put back; the other one must not be the stored value
        if 0 in (rs1, rs3):
            return Piece(pc, length, [Op(_s(f3, rs1 | rs3, rs2, 0))], 0)
        for base, offset in ((rs1, rs3), (rs3, rs1)):
            if base not in (offset, rs2):
                return Piece(pc, length, [Op(_r(0, 0, base, base, offset)),
                                          Op(_s(f3, base, rs2, 0)),
                                          Op(_r(0x20, 0, base, base, offset))], 1,
                             undo=(base, 0, offset))
        raise Unsupported                   # rs1 == rs3, or both are the stored value
    if kind == KIND_BRANCH_IMM:
        if d.imm == length:      # taken to the next instruction: only the hook sees it taken
            raise Unsupported
        target = ("code", pc + d.imm)
        f3 = BEQ if d.op == BR_EQ else BNE
        value = d.imm2
        if rs1 == 0:             # compares a constant: always or never taken
            taken = (value == 0) == (f3 == BEQ)
            return Piece(pc, length, [Op(jump=0, to=target) if taken else Op(_addi(0, 0, 0))], 0)
        if value == 0:
            return Piece(pc, length, [Op(branch=(f3, rs1, 0), to=target)], 0)
        # rs1 ^ value is 0 exactly when equal; rs1 is put back on both paths
        flip = _i(0x13, 4, rs1, rs1, value)
        pad = [Op(flip), Op(jump=0, to=target)]
        return Piece(pc, length, [Op(flip), Op(branch=(f3, rs1, 0), to=("pad", pc)), Op(flip)], 1,
                     pads={pc: pad}, undo=(rs1, value, 0))
    name = d.mnemonic.split(".", 1)[1]
    shifts = {"exths": (16, 0x400), "exthz": (16, 0), "extbs": (24, 0x400)}    # 0x400: srai
    if name in shifts:
        amount, arithmetic = shifts[name]
        return Piece(pc, length, [Op(_i(0x13, 1, rd, rs1, amount)),
                                  Op(_i(0x13, 5, rd, rd, amount | arithmetic))], 0)
    if name == "extbz":
        return Piece(pc, length, [Op(_i(0x13, 7, rd, rs1, 255))], 0)
    if name in ("sle", "slet", "sleu", "sletu"):      # rs1 <= rs2  ==  !(rs2 < rs1)
        slt = 3 if name.startswith("sleu") or name == "sletu" else 2
        return Piece(pc, length, [Op(_r(0, slt, rd, rs2, rs1)), Op(_i(0x13, 4, rd, rd, 1))], 0)
    if rd == 0:                                       # the result is discarded
        if name in MIN_MAX or name in ("abs", "clip", "clipu"):
            return Piece(pc, length, [Op(_addi(0, 0, 0))], 0)
        raise Unsupported
    if name in MIN_MAX:               # rd = rs1 when the branch is taken, else rs2
        f3, first = MIN_MAX[name]
        keep_rs1 = (f3, rs1, rs2) if first else (f3, rs2, rs1)
        return _choose(pc, length, rd, rs1, rs2, keep_rs1)
    if name == "abs":                 # rs1 >= 0: rs1, else 0 - rs1 (-2^31 stays)
        negate = Op(_r(0x20, 0, rd, 0, rs1))
        ops = [Op(branch=(BGE, rs1, 0), to=("code", pc + length)), negate]
        if rd == rs1:
            return Piece(pc, length, ops, 0)
        return Piece(pc, length, [Op(_addi(rd, rs1, 0)), *ops], 1)
    if name in ("clip", "clipu") and rd != rs1:
        # [lo, hi] = [-2^(Is2-1), 2^(Is2-1) - 1] (clipu: lo = 0); rd holds each bound in turn
        hi = ((1 << d.imm) - 1) >> 1
        lo = 0 if name == "clipu" else -(hi + 1)
        first = [Op(w) for w in _li(rd, hi)] + [Op(branch=(BLT, rd, rs1), to=("code", pc + length))]
        rest = [Op(w) for w in _li(rd, lo)] + [Op(branch=(BLT, rs1, rd), to=("code", pc + length)),
                                               Op(_addi(rd, rs1, 0))]
        return Piece(pc, length, first + rest, len(first) - 1)
    raise Unsupported


BLT, BGE, BLTU = 4, 5, 6
# min/max: (branch funct3, rs1 first) of "rs1 is the result" (min: rs1 < rs2, max: rs2 < rs1)
MIN_MAX = {"min": (BLT, True), "minu": (BLTU, True), "max": (BLT, False), "maxu": (BLTU, False)}


def _choose(pc: int, length: int, rd: int, a: int, b: int, keep_a: tuple) -> Piece:
    """rd = a when the branch `keep_a` (funct3, x, y) is taken, else b. The branch to the
    next instruction is the commit: what follows it on the other path counts nothing."""
    f3, x, y = keep_a
    after = ("code", pc + length)
    if a == b:
        return Piece(pc, length, [Op(_addi(rd, a, 0))], 0)
    if rd == a:
        return Piece(pc, length, [Op(branch=keep_a, to=after), Op(_addi(rd, b, 0))], 0)
    if rd == b:                       # keep b: the opposite branch (blt <-> bge)
        return Piece(pc, length, [Op(branch=(f3 ^ 1, x, y), to=after), Op(_addi(rd, a, 0))], 0)
    return Piece(pc, length, [Op(_addi(rd, a, 0)), Op(branch=keep_a, to=after),
                              Op(_addi(rd, b, 0))], 1)


def _translate_standard(word: int, pc: int, length: int, flavour: str) -> Piece:
    """A base RV32IMC instruction: copied, re-aimed or escaped."""
    d = decode_insn(word, flavour)
    if d is None or d.custom or d.kind in (KIND_PRIV, KIND_ZICSR) or (d.kind == KIND_FENCE and d.op):
        raise Unsupported                   # illegal, custom off-site, system, CSRs, fence.i
    if d.kind == KIND_JAL:
        return Piece(pc, length, _jump_ops(d.rd, pc + d.imm, pc + length), 0)
    if d.kind == KIND_BRANCH:
        return Piece(pc, length, [Op(branch=(d.op, d.rs1, d.rs2), to=("code", pc + d.imm))], 0)
    if d.kind == KIND_AUIPC:
        ops = [Op(w) for w in _li32(d.rd, pc + d.imm)] if d.rd else [Op(_addi(0, 0, 0))]
        return Piece(pc, length, ops, 0)
    if d.kind == KIND_JALR and d.rd != 0:   # the link is the original return address
        if d.rs1 == d.rd:
            raise Unsupported
        ops = [Op(w) for w in _li32(d.rd, pc + length)] + [Op(_i(JALR, 0, 0, d.rs1, d.imm))]
        return Piece(pc, length, ops, 0)
    return Piece(pc, length, [Op(word, size=length)] if length == 2 else [Op(word)], 0)


def _jump_ops(rd: int, target: int, link: int) -> list:
    if rd == 0:
        return [Op(jump=0, to=("code", target))]
    return [Op(w) for w in _li32(rd, link)] + [Op(jump=0, to=("code", target))]   # commit 0


# ---- the whole image ------------------------------------------------------------------------
class ShadowCode:
    """The translated copy of a firmware's code: its bytes, where it lies, the original
    address of each of its halfwords, and the entry jump of each translated custom site."""

    def __init__(self, base: int, data: np.ndarray, table: np.ndarray, starts: np.ndarray,
                 undo: dict, entries: dict[int, int]):
        self.base = base
        self.data = data
        self.end = base + 2 * (len(table) - 1)     # the translated code; data: whole pages
        self.table = table      # int64 [halfwords + 1, 2]: what a block starting / ending here stands for
        self.starts = starts
        self.undo = undo
        self.entries = entries   # original site address -> the jal word that enters its trampoline

    def contains(self, address: int) -> bool:
        return self.base <= address < self.end

    def original(self, address: int) -> int:
        """The original address a PC stands for (itself outside the shadow region): the
        instruction to run next, the one under way before its commit."""
        if not self.contains(address):
            return address
        if address in self.undo:          # a trampoline's: its block counts nothing
            return self.original(self.undo[address][0])
        return int(self.table[(address - self.base) >> 1, 0])

    def at_start(self, address: int) -> bool:
        """`address` is outside the copy or where an instruction's copy starts."""
        return not self.contains(address) or bool(self.starts[(address - self.base) >> 1])

    def leave(self, address: int) -> int:
        """Where to resume the instruction at `address` so that it runs the same: the
        original address at the start of an instruction's copy, else `address` itself
        (in the middle of a translated instruction only its copy can go on)."""
        if self.contains(address) and self.starts[(address - self.base) >> 1]:
            return self.original(address)
        return address


def translate(segments, flavour: str, sites: dict[int, int], is_free) -> tuple[ShadowCode | None, str]:
    """Translate the executable `segments` ((address, bytes), ...) whose custom
    instruction words are `sites` (address -> word). `is_free(lo, hi)` says whether an
    address range is unused by the platform. Returns (ShadowCode, "") or (None, why not)."""
    no_go = _hardware_loop_code(sites, flavour)
    if no_go is None:
        return None, "hardware loops configured from registers"
    pieces, entries = [], []
    for address, code in segments:
        off = 0
        while off + 2 <= len(code):
            pc = address + off
            half = code[off] | code[off + 1] << 8
            length = 4 if half & 3 == 3 else 2
            if off + length > len(code):
                break
            word = int.from_bytes(code[off:off + length], "little")
            pieces.append(_translate_one(word, pc, length, flavour, sites, no_go))
            if pc in sites and not pieces[-1].escape:
                entries.append(pieces[-1])
            off += length
        pieces.append(_escape(address + off, 0))       # the end of the segment: back
    if not entries:
        return None, "no custom instruction to translate"
    return _layout(pieces, entries, min(a for a, _ in segments), is_free)


def _translate_one(word: int, pc: int, length: int, flavour: str, sites, no_go) -> Piece:
    if any(lo <= pc <= hi for lo, hi in no_go):
        return _escape(pc, length)
    try:
        if pc in sites:
            d = decode(sites[pc], flavour)
            if d is None:
                raise Unsupported
            return _expand_custom(d, pc, length)
        return _translate_standard(word, pc, length, flavour)
    except Unsupported:
        return _escape(pc, length)


def _hardware_loop_code(sites: dict[int, int], flavour: str) -> list[tuple[int, int]] | None:
    """[lo, hi] ranges holding hardware-loop set-up, bodies and exits (left to the
    original code, where the code hook runs the back-edges); None when a loop's start or
    end comes from a register (not known before the run)."""
    loops = []
    for pc, word in sorted(sites.items()):
        d = decode(word, flavour)
        if d is None or d.kind != KIND_HWLOOP:
            continue
        if d.op in (HW_START, HW_END):
            return None
        if d.op in (HW_STARTI, HW_ENDI, HW_SETUP, HW_SETUPI):
            loops.append((d.rd, pc, pc + d.imm, d.op))
    ranges = []
    for index, pc, target, op in loops:
        if op == HW_STARTI:      # the body runs up to the same loop's next end label
            ends = [t for i, p, t, o in loops if i == index and o == HW_ENDI and p >= pc]
            target = max([target, *ends[:1]])
        # + 4: the end label is the last body instruction (XpulpV2) or the exit (CORE-V)
        ranges.append((min(pc, target), target + 4))
    return ranges


def _layout(pieces, entries, code_lo: int, is_free):
    """Place the copy, the branch pads and the trampolines below the code (jal reach),
    resolve the jumps and build the tables of original addresses."""
    # units: (key, ops, piece or None, what every address of a pad / trampoline stands for)
    units = [(("code", p.pc) if p.length else None, p.ops, p, 0) for p in pieces]
    units += [(("pad", key), ops, None, p.pc + p.length) for p in pieces for key, ops in p.pads.items()]
    units += [(("trampoline", p.pc), [Op(o.word, o.size, o.jump, o.branch, o.to) for o in p.ops]
               + [Op(jump=0, to=("code", p.pc + p.length))], None, p.pc + p.length) for p in entries]
    has_copy = {p.pc for p in pieces if not p.escape and p.length}
    for _ in range(16):         # lengthen out-of-reach branches until nothing changes
        size = sum(_size(o) for _, ops, _, _ in units for o in ops)
        top = code_lo & ~(PAGE - 1)
        base = top - ((size + PAGE - 1) & ~(PAGE - 1))
        if base < 0 or not is_free(base, top):
            return None, f"no free address range below the code for {size} bytes"
        where, positions, cursor = {}, [], base
        for key, ops, _, _ in units:
            if key is not None:
                where.setdefault(key, cursor)
            for o in ops:
                positions.append(cursor)
                cursor += _size(o)
        changed = False
        for here, o in zip(positions, (o for _, ops, _, _ in units for o in ops), strict=True):
            if o.branch is not None and not o.long \
                    and not _fits(_target(o.to, where, has_copy) - here, BRANCH_REACH):
                o.long = changed = True
        if not changed:
            break
    data = bytearray()
    table = np.zeros(((cursor - base) // 2 + 1, 2), dtype=np.int64)   # [origin, after]
    starts = np.zeros(len(table), dtype=np.bool_)        # first op of an instruction's copy
    # shadow address before an instruction's commit -> (where it restarts, Piece.undo):
    # the start of its copy, or for a trampoline the original instruction (its jump in)
    undo = {}
    entered = {("trampoline", p.pc): p for p in entries}
    k = 0
    for key, ops, piece, fixed in units:
        for i, o in enumerate(ops):
            here = positions[k]
            k += 1
            encoded = _encode(o, here, where, has_copy)
            if encoded is None:
                return None, "a jump out of reach"
            data += encoded
            h0, h1 = (here - base) // 2, (here - base + len(encoded)) // 2
            if key in entered and i <= entered[key].commit:
                undo[here] = (entered[key].pc, entered[key].undo if i else None)
            if piece is None:
                table[h0:h1, 0] = table[h1, 1] = fixed
                if o.long:
                    table[h0 + 2, 1] = fixed
                continue
            before, after = piece.pc, piece.pc + piece.length
            starts[h0] = i == 0
            if piece.undo is not None and 0 < i <= piece.commit:
                undo[here] = (where[("code", piece.pc)], piece.undo)
            table[h0:h1, 0] = before if i <= piece.commit or piece.escape else after
            table[h1, 1] = before if i < piece.commit or piece.escape else after
            if o.long:           # the inverted branch decided: its jal stands for after
                table[h0 + 2:h1, 0] = after
                table[h0 + 2, 1] = after
    entry_words = {}
    for p in entries:
        offset = where[("trampoline", p.pc)] - p.pc
        if _fits(offset, JAL_REACH):
            entry_words[p.pc] = _jal(0, offset)
    image = np.zeros(top - base, dtype=np.uint8)        # whole pages (Unicorn maps pages)
    image[:len(data)] = np.frombuffer(bytes(data), dtype=np.uint8)
    return ShadowCode(base, image, table, starts, undo, entry_words), ""


def _size(o: Op) -> int:
    return o.size if o.size == 2 else (8 if o.long else 4)


def _target(to, where, has_copy) -> int:
    kind, address = to
    if kind == "code":
        return where[to] if address in has_copy else address
    if kind == "pad":
        return where[to]
    return address


def _encode(o: Op, here: int, where, has_copy) -> bytes | None:
    if o.size == 2:
        return o.word.to_bytes(2, "little")
    if o.to is None:
        return o.word.to_bytes(4, "little")
    target = _target(o.to, where, has_copy)
    if o.jump is not None:
        if not _fits(target - here, JAL_REACH):
            return None
        return _jal(o.jump, target - here).to_bytes(4, "little")
    funct3, rs1, rs2 = o.branch
    if not o.long:
        return _b(funct3, rs1, rs2, target - here).to_bytes(4, "little")
    if not _fits(target - here - 4, JAL_REACH):
        return None
    return (_b(funct3 ^ 1, rs1, rs2, 8).to_bytes(4, "little")
            + _jal(0, target - here - 4).to_bytes(4, "little"))
