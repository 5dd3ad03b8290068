"""Where control can leave an address range: what a range step breaks on.

gdb's range stepping (the remote protocol's `vCont;r START,END`, used by `next` and
`step`) asks the target to keep stepping a thread while its pc stays in [START, END).
Stepping each instruction through Python would run a one-line loop at a few thousand
instructions per second. Instead the thread runs natively, with breakpoints on every
address outside the range that an instruction inside can reach next ("exits"), and stops
in front of the few instructions whose successor is only known when they run ("stops":
indirect jumps, mret, hardware-loop set-up), which the debugger then steps one by one.
Any address outside the range is a correct place to stop, so the exits may over-approximate;
they must not miss one (asynchronous traps are caught separately, by trap catchpoints).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..interrupts import MRET
from ..isa.decoder import KIND_HWLOOP, KIND_JAL, KIND_JALR, KIND_PRIV, KIND_ZICSR, LAT_BRANCH, decode_insn
from ..xpulp_exec import HWLOOP_CSR_BASE

_LOOP_CSRS = 8          # lpstart0 .. lpcount1 from the flavour's base (CV32E40P manual)


@dataclass(frozen=True)
class RangeExits:
    exits: frozenset[int]      # addresses outside the range reachable in one instruction
    stops: frozenset[int]      # instructions inside whose next pc is not known in advance


def successors(code: bytes, pc: int, custom: int | None, flavour: str) -> tuple[int, list[int] | None]:
    """(length, the addresses the instruction at pc can go to next) - None when that is
    only known when it runs. `code` holds at least 4 bytes from pc (fewer at the end of
    a segment); `custom` is its original word when it is a custom instruction site."""
    half = int.from_bytes(code[:2], "little")
    word = half if half & 3 != 3 else int.from_bytes(code[:4], "little")
    d = decode_insn(custom if custom is not None and half & 3 == 3 else word, flavour)
    length = 2 if half & 3 != 3 else 4
    if d is None:
        return length, [pc + length]
    if d.kind == KIND_JAL:
        return length, [pc + d.imm]
    if d.latency == LAT_BRANCH:
        return length, [pc + length, pc + d.imm]
    if d.kind in (KIND_JALR, KIND_HWLOOP) or (d.kind == KIND_PRIV and d.op == MRET):
        return length, None                # indirect jump, mret, a loop set-up: new back-edges
    if d.kind == KIND_ZICSR and d.op & 3 and 0 <= d.imm - HWLOOP_CSR_BASE[flavour] < _LOOP_CSRS:
        return length, None                # csrw to a hardware-loop register
    return length, [pc + length]


Spans = tuple[tuple[int, int], ...]       # [lo, hi) address ranges


def inside(spans: Spans, address: int) -> bool:
    return any(lo <= address < hi for lo, hi in spans)


def range_exits(read: Callable[[int, int], bytes], spans: Spans, customs: dict[int, int],
                flavour: str, breakable: Callable[[int], bool]) -> RangeExits:
    """The exits and stops of the union of `spans`. `read(address, size)` gives the
    original code, `customs` maps custom-instruction sites to their words,
    `breakable(address)` says whether a breakpoint can be put there (an instruction
    whose exit cannot is a stop)."""
    exits, stops = set(), set()
    for lo, hi in spans:
        code = read(lo, hi - lo + 2)
        pc = lo
        while pc < hi:
            offset = pc - lo
            length, nexts = successors(code[offset:offset + 4], pc, customs.get(pc), flavour)
            outside = [] if nexts is None else [n for n in nexts if not inside(spans, n)]
            if nexts is None or not all(breakable(n) for n in outside):
                stops.add(pc)
            else:
                exits.update(outside)
            pc += length
    return RangeExits(frozenset(exits), frozenset(stops))
