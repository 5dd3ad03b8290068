"""Stack frames for the debugger shell: DWARF CFI first (cfi.py), prologue/epilogue
analysis of the decoded instructions where no FDE covers the pc (hand-written assembly).

`Unwinder.frames(regs)` -> [FrameState] innermost first; each frame has its pc, its
registers (callee-saved ones as the callee left them, sp = the callee's CFA) and where
each register of that frame was saved (so `set var` on a register variable of an outer
frame writes the stack slot).
"""
from __future__ import annotations

from ..isa.decoder import (KIND_ALU, KIND_AUIPC, KIND_HWLOOP, KIND_JAL, KIND_JALR, KIND_LOAD,
                           KIND_LUI, KIND_OP, KIND_OP_IMM, KIND_STORE, LAT_BRANCH, MEM_NONE,
                           Decoded)
from ..isa.spec import OP_ADD
from .cfi import CfiTable, FrameState
from .dwarf_vars import DwarfError, FrameContext, evaluate as dwarf_evaluate
from .valueprint import ExprError

_RA, _SP, _S0 = 1, 2, 8


def _sp_plus(d: Decoded, rd: int) -> bool:
    """`addi rd, sp, imm` in any length (c.addi sp / c.addi16sp / c.addi4spn included)."""
    return d.kind == KIND_OP_IMM and d.op == OP_ADD and d.rd == rd and d.rs1 == _SP


def _sp_word(d: Decoded, kind: int) -> bool:
    """A plain word load / store (lw, sw, c.lwsp, c.swsp...) addressed off sp."""
    return d.kind == kind and not d.custom and d.mem_mode == MEM_NONE and d.mem_size == 4 \
        and d.rs1 == _SP


def _ends_prologue(d: Decoded) -> bool:
    """A conditional branch (base or custom immediate), a jump that is not a call (j, jr,
    ret: rd == 0) or a hardware-loop instruction: the straight-line prologue is over."""
    return d.latency == LAT_BRANCH or d.kind == KIND_HWLOOP or \
        (d.kind in (KIND_JAL, KIND_JALR) and d.rd == 0)


class PrologueUnwinder:
    """The prologue/epilogue unwinder over decoded instructions: frame size, ra/s0 save
    slots from the prologue executed before pc, or the epilogue when pc is in one."""

    def __init__(self, decoded, read_word, function_at, in_text):
        self.decoded = decoded            # pc -> (length, Decoded | None)
        self.word = read_word             # address -> int | None
        self.function_at = function_at    # pc -> (name, offset) | None
        self.in_text = in_text
        self.cache: dict = {}

    def analyze(self, func_start: int, pc: int) -> dict:
        """Prologue effects executed before pc: frame size, ra/s0 save slots, fp setup."""
        key = (func_start, pc)
        if key in self.cache:
            return self.cache[key]
        state = {"frame": 0, "ra": None, "s0": None, "fp": None}
        a = func_start
        n = 0
        while a < pc and n < 64:
            length, d = self.decoded(a)
            if d is None:
                pass                          # unknown: skipped, as before
            elif _sp_plus(d, _SP):
                if d.imm < 0:
                    state["frame"] -= d.imm
            elif _sp_word(d, KIND_STORE) and d.rs2 in (_RA, _S0):
                slot = "ra" if d.rs2 == _RA else "s0"
                if state[slot] is None:
                    state[slot] = d.imm       # relative to sp after the adjust
                    state[slot + "_frame"] = state["frame"]
            elif _sp_plus(d, _S0):
                state["fp"] = d.imm
            elif _ends_prologue(d):
                break                         # end of the straight-line prologue
            a += length
            n += 1
        self.cache[key] = state
        return state

    def unwind(self, pc: int, sp: int, fp: int, ra: int | None, innermost: bool):
        """(caller pc, caller sp, caller fp, {reg: save address}) of the frame at pc, or None."""
        func = self.function_at(pc)
        if func is None:
            return None
        start = pc - func[1]
        epilogue = self.epilogue(pc) if innermost else None
        if epilogue is not None:
            frame, ra_off, s0_off = epilogue
            ret = self.word(sp + ra_off) if ra_off is not None else ra
            s0 = self.word(sp + s0_off) if s0_off is not None else fp
            saved = {8: sp + s0_off} if s0_off is not None else {}
            return ret, sp + frame, s0, saved
        st = self.analyze(start, pc)
        cfa = sp + st["frame"]
        saved = {}
        if st["ra"] is not None:
            base = cfa - st["ra_frame"]
            ret = self.word(base + st["ra"])
        else:
            if not innermost:
                return None
            ret = ra
        if st["s0"] is not None:
            saved[8] = cfa - st["s0_frame"] + st["s0"]
            s0 = self.word(saved[8])
        else:
            s0 = fp
        if ret is None or not self.in_text(ret):
            return None
        return ret, cfa, s0, saved

    def epilogue(self, pc: int):
        """If pc is in an epilogue (only loads/sp adjust until ret): (frame, ra slot, s0 slot)."""
        frame, ra_off, s0_off = 0, None, None
        a = pc
        for _ in range(24):
            length, d = self.decoded(a)
            if d is None:
                return None
            if d.kind in (KIND_JAL, KIND_JALR) and d.rd == 0:
                if d.kind == KIND_JALR and d.rs1 == _RA:
                    return frame, ra_off, s0_off      # ret, jr ra, jalr x0, N(ra)
                if ra_off is not None or frame:
                    return frame, ra_off, s0_off      # tail call after the epilogue
                return None
            if _sp_word(d, KIND_LOAD) and d.writes in (_RA, _S0):
                if d.writes == _RA:
                    ra_off = d.imm
                else:
                    s0_off = d.imm
            elif _sp_plus(d, _SP):
                frame += d.imm
            elif d.kind in (KIND_LOAD, KIND_OP, KIND_OP_IMM, KIND_LUI, KIND_AUIPC, KIND_ALU) and \
                    (d.kind != KIND_LOAD or (not d.custom and d.mem_mode == MEM_NONE)):
                if d.writes in (_RA, _SP):
                    return None               # ra or sp changed some other way
            else:
                return None
            a += length
        return None


class Unwinder:
    def __init__(self, elf, decoded, read_word, function_at, in_text, outermost=("_start",)):
        self.cfi = CfiTable(elf)
        self.prologue = PrologueUnwinder(decoded, read_word, function_at, in_text)
        self.word = read_word
        self.function_at = function_at
        self.outermost = outermost

    def clear(self) -> None:
        self.prologue.cache.clear()

    def caller(self, frame: FrameState) -> FrameState | None:
        nxt = self.cfi.unwind(frame, self.word)
        if nxt is None:
            regs = frame.regs
            step = self.prologue.unwind(frame.pc, regs.get(2, 0), regs.get(8, 0), regs.get(1),
                                        frame.physical_level == 0)
            if step is None:
                return None
            ret, cfa, s0, saved_at = step
            frame.cfa = cfa
            new_regs = dict(regs)
            new_regs.update({1: ret, 2: cfa, 8: s0})
            saved = dict(frame.saved)
            saved.pop(2, None)
            saved.update(saved_at)
            nxt = FrameState(frame.physical_level + 1, ret, new_regs, saved)
        return nxt

    def frames(self, pc: int, regs: dict, limit: int = 64) -> list[FrameState]:
        out = [FrameState(0, pc, dict(regs))]
        seen = set()
        while len(out) < limit:
            cur = out[-1]
            func = self.function_at(cur.pc)
            if func is None or func[0] in self.outermost:
                break
            nxt = self.caller(cur)
            if nxt is None or nxt.pc == 0:
                break
            key = (nxt.pc, nxt.regs.get(2))
            if key in seen or (nxt.regs.get(2, 0) <= cur.regs.get(2, 0) and nxt.pc == cur.pc):
                break
            seen.add(key)
            out.append(nxt)
        return out


class FrameLocals(FrameContext):
    """Registers, memory, frame base, CFA and entry values of one frame, for DWARF
    location expressions."""

    def __init__(self, shell, frames: list[FrameState] | None, level: int):
        self.shell = shell
        self.frames = frames
        self.level = level
        if frames:
            frame = frames[level]
            self.pc = frame.pc if frame.physical_level == 0 else frame.pc - 1
            self.regs = frame.regs
        else:
            self.pc = shell.target.hart.pc if shell.running else 0
            self.regs = {}
        self._func = None

    def reg(self, n: int) -> int:
        if n not in self.regs:
            raise DwarfError("register unavailable")
        return self.regs[n] & 0xFFFFFFFF

    def read(self, address: int, size: int) -> bytes:
        try:
            return self.shell.read_memory(address, size)
        except ExprError:
            raise DwarfError("memory unavailable") from None

    def function(self):
        if self._func is None:
            self._func = self.shell.dvars.function_at(self.pc)
        return self._func

    def frame_base(self) -> int:
        func = self.function()
        if func is None:
            raise DwarfError("no function")
        ops = self.shell.dvars.location_expr(func.die, "DW_AT_frame_base", self.pc)
        if ops is None:
            raise DwarfError("no frame base")
        loc = dwarf_evaluate(ops, self)
        if loc[0] == "reg":
            return self.reg(loc[1])
        if loc[0] in ("mem", "value"):
            return loc[1]
        raise DwarfError("frame base")

    def cfa(self) -> int:
        if not self.frames:
            raise DwarfError("no CFA")
        frame = self.frames[self.level]
        if frame.cfa is None:
            self.shell.unwinder.caller(frame)
        if frame.cfa is None:
            raise DwarfError("no CFA")
        return frame.cfa

    def entry_value(self, ops) -> int:
        """DW_OP_entry_value(DW_OP_regN): the value the caller passed, from its call site."""
        from .dwarf_vars import _reg_of
        if not self.frames or len(ops) != 1 or _reg_of(ops[0]) is None:
            raise DwarfError("entry value unknown")
        phys = self.frames[self.level].physical_level
        frames = self.frames if self.frames[self.level].phys < 0 else []   # physical frames
        if phys + 1 >= len(frames):
            frames = self.shell.frame_states(phys + 2)
            if phys + 1 >= len(frames):
                raise DwarfError("no caller")
        caller = frames[phys + 1]
        caller_func = self.shell.dvars.function_at(caller.pc - 1)
        if caller_func is None:
            raise DwarfError("no caller function")
        expr = self.shell.dvars.call_site_value(caller_func, caller.pc, _reg_of(ops[0]))
        if expr is None:
            raise DwarfError("no call site value")
        ctx = FrameLocals(self.shell, frames, phys + 1)
        loc = dwarf_evaluate(expr, ctx)
        if loc[0] == "reg":
            return ctx.reg(loc[1])
        if loc[0] in ("mem", "value"):
            return loc[1]
        raise DwarfError("entry value")
