"""Spin loops: straight-line loops that only read memory and branch back to their start.

`while (!flag) ;`, `while (STATUS & BUSY) ;`, `while (pong != r) ;` compile to such a loop:
loads, ALU operations on what they loaded or on registers the loop does not change, and a
conditional branch back to the first instruction. Every iteration then does exactly what
the previous one did until some memory it reads changes, so a core running it ahead of
the others only waits for them: the block hook stops it there (a spin yield) and the
scheduler runs the cores that are behind it first (docs/cluster.md, "Cores polling shared
memory"). Found once at load time; the hook reads one byte per block.
"""
from __future__ import annotations

import numpy as np

from .isa.decoder import KIND_LOAD, KIND_LUI, KIND_OP, KIND_OP_IMM, KIND_AUIPC, LAT_BRANCH, decode_insn

MAX_BODY = 16          # instructions: longer loops are not polls worth detecting
# what a poll's body may hold besides its branch: plain loads and ALU operations (custom
# ones excluded: a post-increment load writes its base)
_SPIN_KINDS = (KIND_LOAD, KIND_OP, KIND_OP_IMM, KIND_LUI, KIND_AUIPC)


def spin_loop_starts(code: bytes, flavour: str) -> np.ndarray:
    """uint8 per halfword of code (and one past its end, as the hooks' tables): 1 where a
    spin loop starts (a conditional branch later in straight-line code jumps back there)."""
    halfwords = len(code) >> 1
    table = np.zeros(halfwords + 1, dtype=np.uint8)
    hw = np.frombuffer(code[:2 * halfwords], dtype=np.uint16).tolist()
    for k in range(halfwords):
        target = _backward_branch_target(hw, k, flavour)
        if target is not None and _is_spin_body(hw, target, k, flavour):
            table[target] = 1
    return table


def _word(hw: list[int], k: int) -> int:
    half = hw[k]
    return half | hw[k + 1] << 16 if half & 3 == 3 and k + 1 < len(hw) else half


def _branch_offset(word: int, flavour: str) -> int | None:
    """Offset of a conditional branch (beq..bgeu, c.beqz, c.bnez, the custom branches on
    an immediate), None otherwise."""
    d = decode_insn(word, flavour)
    return d.imm if d is not None and d.latency == LAT_BRANCH else None


def _backward_branch_target(hw: list[int], k: int, flavour: str) -> int | None:
    """Halfword index of the target of a backward conditional branch at halfword k."""
    offset = _branch_offset(_word(hw, k), flavour)
    if offset is None or offset > 0:
        return None
    return None if k + (offset >> 1) < 0 else k + (offset >> 1)


def _is_spin_body(hw: list[int], start: int, branch: int, flavour: str) -> bool:
    """[start, branch] holds only plain loads, ALU operations and the final branch, and
    no register it reads carries a value from the previous iteration."""
    insns, k = [], start
    while k < branch and len(insns) < MAX_BODY:
        word = _word(hw, k)
        insns.append(word)
        k += 2 if word & 3 == 3 else 1
    if k != branch or len(insns) >= MAX_BODY:
        return False
    body = [decode_insn(w, flavour) for w in insns]
    if not all(d is not None and not d.custom and d.kind in _SPIN_KINDS for d in body):
        return False        # stores, jumps, CSRs, fence, system, custom instructions
    written = {i.writes for i in body} - {0}
    defined: set[int] = set()
    final = decode_insn(_word(hw, branch), flavour)
    for i in [*body, final]:
        if any(r in written and r not in defined for r in i.reads if r):
            return False
        if i.writes:
            defined.add(i.writes)
    return True
