"""Call-frame unwinding from DWARF CFI (.debug_frame and .eh_frame, via pyelftools).

One job: given the registers of a frame, compute its caller's (pc, CFA, registers, and
where each caller register was saved), so `bt`, `up`/`down`, `finish` and the locals of
outer frames are right in optimized code (shrink-wrapped prologues, epilogues, leaf
functions without a frame).  Registers without a rule keep their value (gdb's default
for RISC-V); sp of the caller is the CFA; the caller's pc is its ra.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass
class FrameState:
    level: int
    pc: int
    regs: dict                       # register number -> value in this frame
    saved: dict = field(default_factory=dict)   # register -> address holding this frame's value
    cfa: int | None = None           # this frame's CFA (the caller's sp), once unwound
    # inline frames (gdb's): the physical frame's level, how many function-like scopes
    # out from the innermost at its pc this frame is, and how many there are (-1: physical)
    phys: int = -1
    depth: int = 0
    ndepth: int = 0

    @property
    def physical_level(self) -> int:
        return self.level if self.phys < 0 else self.phys

    @property
    def sp(self) -> int:
        return self.regs.get(2, 0)


class CfiTable:
    def __init__(self, elf):
        self.fdes = []               # (low, high, fde)
        self._decoded = {}
        try:
            dwarf = elf.get_dwarf_info(follow_links=False) if elf.has_dwarf_info() else None
        except TypeError:
            dwarf = elf.get_dwarf_info() if elf.has_dwarf_info() else None
        except Exception:
            dwarf = None
        if dwarf is None:
            return
        from elftools.dwarf.callframe import FDE
        entries = []
        for has, get in (("has_CFI", "CFI_entries"), ("has_EH_CFI", "EH_CFI_entries")):
            try:
                if getattr(dwarf, has)():
                    entries += getattr(dwarf, get)()
            except Exception:
                continue
        seen = set()
        for e in entries:
            if isinstance(e, FDE):
                lo = e.header["initial_location"]
                hi = lo + e.header["address_range"]
                if hi > lo and lo not in seen:
                    seen.add(lo)
                    self.fdes.append((lo, hi, e))
        self.fdes.sort(key=lambda x: x[0])
        self._starts = [f[0] for f in self.fdes]

    def row_at(self, pc: int):
        """(cfa rule, {reg: RegisterRule}) in force at pc, or None (no FDE covers pc)."""
        if not self.fdes:
            return None
        i = bisect.bisect_right(self._starts, pc) - 1
        if i < 0:
            return None
        lo, hi, fde = self.fdes[i]
        if not lo <= pc < hi:
            return None
        table = self._decoded.get(lo)
        if table is None:
            try:
                table = fde.get_decoded().table
            except Exception:
                table = []
            self._decoded[lo] = table
        row = None
        for r in table:
            if r["pc"] <= pc:
                row = r
            else:
                break
        if row is None:
            return None
        return row["cfa"], {k: v for k, v in row.items() if isinstance(k, int)}

    def unwind(self, frame: FrameState, read_word) -> FrameState | None:
        """The caller of frame, or None when no FDE covers its pc (or it cannot be read)."""
        from elftools.dwarf.callframe import RegisterRule
        lookup = frame.pc if frame.physical_level == 0 else frame.pc - 1
        row = self.row_at(lookup)
        if row is None:
            return None
        cfa_rule, rules = row
        if cfa_rule.expr is not None or cfa_rule.reg not in frame.regs:
            return None
        cfa = (frame.regs[cfa_rule.reg] + cfa_rule.offset) & 0xFFFFFFFF
        regs = dict(frame.regs)
        saved = dict(frame.saved)
        for reg, rule in rules.items():
            if reg >= 32:
                continue
            if rule.type == RegisterRule.OFFSET:
                address = (cfa + rule.arg) & 0xFFFFFFFF
                value = read_word(address)
                if value is None:
                    return None
                regs[reg] = value
                saved[reg] = address
            elif rule.type == RegisterRule.VAL_OFFSET:
                regs[reg] = (cfa + rule.arg) & 0xFFFFFFFF
                saved.pop(reg, None)
            elif rule.type == RegisterRule.REGISTER:
                if rule.arg in frame.regs:
                    regs[reg] = frame.regs[rule.arg]
                    saved.pop(reg, None)
            elif rule.type == RegisterRule.UNDEFINED:
                regs.pop(reg, None)
                saved.pop(reg, None)
            # SAME_VALUE: unchanged
        if 1 not in regs:
            return None
        frame.cfa = cfa
        regs[2] = cfa
        saved.pop(2, None)
        return FrameState(frame.physical_level + 1, regs[1], regs, saved)
