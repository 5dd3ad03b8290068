"""The stopped program as the shell sees it: memory, registers, frames (physical ones
unwound by frames.py, plus gdb's frames of inlined subroutines) and DWARF variables as
expression Values (loads, stores, members, convenience variables and $registers).

A mixin of Shell (shell.py); expressions.py (Evaluator) and frames.py (FrameLocals) call
these methods back.
"""
from __future__ import annotations

import struct

from ..errors import IssError
from ..isa.decoder import Decoded, decode_insn
from .cfi import FrameState
from .dwarf_vars import DwarfError, evaluate as dwarf_evaluate
from .expressions import Value, optimized_out
from .frames import FrameLocals
from .valueprint import ExprError as ShellError, wrap as _wrap


class ProgramState:
    # ---- program state -------------------------------------------------------------------
    def require_running(self, message: str = "The program is not being run.") -> None:
        if not self.running:
            raise ShellError(message)

    @property
    def pc(self) -> int:
        return self.target.hart.pc

    def load(self, address: int, size: int, signed: bool = True, char: bool = False) -> Value:
        data = self.read_memory(address, size)
        value = int.from_bytes(data, "little", signed=signed)
        return Value(value, "int", size, signed, lval=("mem", address, size), char=char)

    def read_memory(self, address: int, size: int) -> bytes:
        address &= 0xFFFFFFFF
        if self.target.sim.platform.memory_at(address) is None or \
                self.target.sim.platform.memory_at(address + size - 1) is None:
            raise ShellError(f"Cannot access memory at address 0x{address:x}")
        return self.target.read_memory(address, size)

    # ---- frames ------------------------------------------------------------------------
    def frame_states(self, limit: int = 64, visible: bool = False) -> list[FrameState]:
        """The current hart's frames, innermost first (DWARF CFI, prologue analysis).
        visible: as the user sees them (gdb's `backtrace past-main off`: none beyond main)."""
        hart = self.target.hart
        regs = {i: hart.reg(i) for i in range(1, 32)}
        regs[0] = 0
        frames = self.unwinder.frames(hart.pc, regs, limit)
        if visible:
            for i, f in enumerate(frames):
                if self.frame_function(f.pc) == "main":
                    frames = frames[:i + 1]
                    break
            frames = self.inline_frames(frames)
        return frames

    def inline_frames(self, frames: list[FrameState]) -> list[FrameState]:
        """gdb's frames: each physical frame preceded by one frame per inlined subroutine
        containing its pc (innermost first).  In the thread that stopped, at the pc where
        it stopped, inlined subroutines that start exactly there are not entered yet (gdb
        shows the stop at their call site)."""
        out = []
        for phys, f in enumerate(frames):
            pc = f.pc if phys == 0 else f.pc - 1
            n = self.dvars.inline_depth(pc)
            stopped_here = self.stop_where == (self.target.current, f.pc)
            skip = min(self.dvars.inline_entries_at(pc), n) if phys == 0 and n and stopped_here else 0
            for depth in range(skip, n + 1):
                out.append(FrameState(len(out), f.pc, f.regs, f.saved, f.cfa, phys, depth, n))
        return out

    def frames(self, limit: int = 64) -> list[tuple[int, int]]:
        """[(pc, sp)] from the innermost frame outwards."""
        return [(f.pc, f.sp) for f in self.frame_states(limit)]

    def selected_frames(self) -> tuple[list[FrameState], int]:
        frames = self.frame_states(self.selected + 2, visible=True)
        if self.selected >= len(frames):
            self.selected = len(frames) - 1
        return frames, self.selected

    def frame_scope(self, frames: list[FrameState], level: int):
        frame = frames[level]
        pc = frame.pc if frame.physical_level == 0 else frame.pc - 1
        return self.dvars.scope_at(pc, frame.depth)

    # ---- variables -----------------------------------------------------------------------
    def var_value(self, var, frames: list[FrameState] | None, level: int = 0) -> Value:
        """The value of a DWARF variable in frame `level` (<optimized out> if its location
        cannot be computed at that pc)."""
        ctype = self.dvars.var_type(var)
        ctx = FrameLocals(self, frames, level) if frames else FrameLocals(self, None, 0)
        ops = self.dvars.location_expr(var.die, "DW_AT_location", ctx.pc)
        if ops is None:
            cv = var.die.attributes.get("DW_AT_const_value")
            if cv is not None:
                data = cv.value if isinstance(cv.value, (bytes, list)) else \
                    (cv.value & ((1 << 8 * max(ctype.size, 1)) - 1)).to_bytes(max(ctype.size, 1), "little")
                return self.typed_bytes(ctype, bytes(data))
            v = optimized_out(ctype)
            v.name = var.name
            return v
        try:
            loc = dwarf_evaluate(ops, ctx)
            v = self.located_value(ctype, loc, ctx, var.name)
        except (DwarfError, IndexError, ShellError):
            v = optimized_out(ctype)
        v.name = var.name
        return v

    def located_value(self, ctype, loc, ctx: FrameLocals, name: str) -> Value:
        kind = loc[0]
        size = ctype.size
        if kind == "mem":
            return self.variable_value(ctype, loc[1])
        if kind == "reg":
            if size > 4:
                raise DwarfError("value in a register pair")
            value = ctx.reg(loc[1])
            v = self.typed_bytes(ctype, value.to_bytes(4, "little")[:max(size, 1)])
            from ..isa.spec import ABI
            level = ctx.frames[ctx.level].physical_level if ctx.frames else 0
            v.lval = ("frame", level, loc[1], name, ABI[loc[1]] if loc[1] < 32 else str(loc[1]))
            return v
        if kind == "value":
            n = max(size, 4)
            return self.typed_bytes(ctype, (loc[1] & ((1 << 8 * n) - 1)).to_bytes(n, "little")[:max(size, 1)])
        if kind == "bytes":
            return self.typed_bytes(ctype, loc[1][:size].ljust(size, b"\0"))
        if kind == "pieces":
            data = b""
            for ploc, psize in loc[1]:
                if ploc[0] == "mem":
                    data += self.read_memory(ploc[1], psize)
                elif ploc[0] == "reg":
                    data += ctx.reg(ploc[1]).to_bytes(4, "little")[:psize].ljust(psize, b"\0")
                elif ploc[0] == "value":
                    data += (ploc[1] & ((1 << 8 * psize) - 1)).to_bytes(psize, "little")
                elif ploc[0] == "bytes":
                    data += ploc[1][:psize].ljust(psize, b"\0")
                else:
                    raise DwarfError("optimized-out piece")
            return self.typed_bytes(ctype, data[:size].ljust(size, b"\0"))
        raise DwarfError("optimized out")

    def typed_bytes(self, ctype, data: bytes) -> Value:
        """A value of C type ctype with the given contents (not an lvalue)."""
        kind = ctype.kind
        size = ctype.size
        if kind in ("struct", "array"):
            return Value(0, kind, size, False, vtype=ctype, raw=bytes(data))
        if kind == "func":
            return Value(0, "func", 4, False, vtype=ctype)
        if kind == "void":
            return Value(0, "void")
        value = int.from_bytes(data[:size], "little", signed=ctype.signed and kind != "float")
        if kind == "ptr":
            elem = ctype.element.strip()
            pointee = (elem.size, elem.signed, elem.char) if elem.tag in ("base", "enum") else (4, True)
            return Value(value & 0xFFFFFFFF, "data", 4, False, vtype=ctype, pointee=pointee)
        if kind == "float":
            return Value(value, "float", size, False, vtype=ctype)
        return Value(value, "int", size, ctype.signed, vtype=ctype, char=ctype.char)

    def variable_value(self, vtype, address: int) -> Value:
        """The object of C type vtype at address (an lvalue in memory)."""
        address &= 0xFFFFFFFF
        if vtype is None:
            return self.load(address, 4)
        kind = vtype.kind
        size = vtype.size
        if kind in ("array", "struct"):
            return Value(address, kind, size, False, lval=("mem", address, size), vtype=vtype)
        if kind == "func":
            return Value(address, "func", 4, False, vtype=vtype)
        if kind == "void":
            raise ShellError("Attempt to take contents of a non-pointer value.")
        v = self.typed_bytes(vtype, self.read_memory(address, max(size, 1)))
        v.lval = ("mem", address, size)
        return v

    def value_bytes(self, v: Value) -> bytes:
        if v.raw is not None:
            return v.raw
        if v.vtype is not None and v.kind in ("struct", "array"):
            size = v.vtype.size
            if v.kind == "array":
                elem = v.vtype.element
                size = min(size, max(elem.size, 1) * 201)
            return self.read_memory(v.value, size) if size else b""
        size = v.vtype.size if v.vtype is not None else v.size
        return (v.value & ((1 << 8 * size) - 1)).to_bytes(size, "little")

    def member_value(self, v: Value, m) -> Value:
        if m.bit_size or v.raw is not None or v.lval is None or v.lval[0] != "mem":
            data = self.value_bytes(v)
            if m.bit_size:
                word = int.from_bytes(data, "little")
                x = (word >> m.bit_offset) & ((1 << m.bit_size) - 1)
                if m.ctype.signed and x >> (m.bit_size - 1):
                    x -= 1 << m.bit_size
                size = max(m.ctype.size, 1)
                r = self.typed_bytes(m.ctype, (x & ((1 << 8 * size) - 1)).to_bytes(size, "little"))
                if v.raw is None and v.lval is not None and v.lval[0] == "mem":
                    r.lval = ("bits", v.lval[1], m.bit_offset, m.bit_size)
                return r
            return self.typed_bytes(m.ctype, data[m.offset:m.offset + m.ctype.size])
        return self.variable_value(m.ctype, v.lval[1] + m.offset)

    def lookup_type(self, words: list[str]):
        name = " ".join(words)
        t = self.dvars.named_type(name)
        if t is None and name in ("unsigned", "signed"):
            t = self.dvars.named_type(name + " int")
        return t

    def symbol_value(self, name: str) -> Value:
        if self.running:
            frames, level = self.selected_frames()
            scope = self.frame_scope(frames, level)
            for block in scope.blocks:
                for var in block:
                    if var.name == name:
                        return self.var_value(var, frames, level)
            for var in scope.params:
                if var.name == name:
                    return self.var_value(var, frames, level)
        var = self.dvars.global_named(name)
        if var is not None:
            return self.var_value(var, None)
        enum = self.dvars.enumerator(name)
        if enum is not None:
            t, value = enum
            return Value(value, "int", t.size, t.signed, vtype=t)
        sym = self.info.symbols.get(name)
        if sym is None:
            raise ShellError(f"No symbol \"{name}\" in current context.")
        address, size, kind = sym
        if kind == "STT_FUNC" or (kind == "STT_NOTYPE" and self.info.in_text(address)):
            func = self.dvars.function_named(name)
            vtype = self.dvars.function_type(func) if func is not None and func.low == address else None
            return Value(address, "func", 4, False, vtype=vtype)
        if kind == "STT_NOTYPE":       # linker symbols (__bss_start...): their address
            return Value(address, "data", 4, False, pointee=(4, True))
        if size in (1, 2, 4, 8):
            return self.load(address, size, True)
        return Value(address, "data", 4, False, pointee=(1, True),
                     lval=("mem", address, size or 4))

    def convenience(self, token: str) -> Value:
        name = token[1:]
        if token == "$":
            if not self.history:
                raise ShellError("History is empty.")
            return self.history[-1]
        if token == "$$":
            if len(self.history) < 2:
                raise ShellError("History has not yet reached $$.")
            return self.history[-2]
        if name.isdigit():
            n = int(name)
            if not 1 <= n <= len(self.history):
                raise ShellError(f"History has not yet reached ${n}.")
            return self.history[n - 1]
        if name == "_exitcode":
            if self.exit_code is None:
                return Value(0, "void")
            return Value(self.exit_code)
        lname = name.lower()
        if lname == "s0":
            lname = "fp"
        reg = "s0" if lname == "fp" else lname
        try:
            value = self.target.read_register(reg)
        except IssError:
            raise ShellError(f"No symbol \"{token}\" in current context." if not name else
                             f"Invalid register `{name}'") from None
        if not self.running:
            raise ShellError("The program has no registers now.")
        if self.selected:                 # an outer frame: its pc and unwound registers
            from ..isa.spec import ABI
            frames, level = self.selected_frames()
            if reg == "pc":
                value = frames[level].pc
            elif reg in ABI and ABI.index(reg) in frames[level].regs:
                value = frames[level].regs[ABI.index(reg)]
        kind = {"pc": "code", "ra": "code", "sp": "data", "gp": "data", "tp": "data",
                "fp": "data"}.get(lname, "int")
        if lname.startswith(("lpstart", "lpend")):
            kind = "code"
        if kind == "int":
            return Value(_wrap(value, 4, True), "int", 4, True, lval=("reg", reg))
        return Value(value, kind, 4, False, lval=("reg", reg))

    def store(self, target: Value, source: Value) -> None:
        if target.lval is None:
            raise ShellError("Left operand of assignment is not an lvalue.")
        if target.kind in ("struct", "array") or source.kind in ("struct", "array"):
            if not (target.vtype is not None and source.vtype is not None and
                    target.vtype.strip() is source.vtype.strip()):
                raise ShellError("Invalid cast.")
            data = self.value_bytes(source)
        elif target.kind == "float":
            from .expressions import to_float
            data = struct.pack("<f" if target.size == 4 else "<d", to_float(source))
        elif source.kind == "float":
            from .expressions import to_float
            f = to_float(source)
            size = min(target.size, 8)
            n = int(f) if f == f and abs(f) != float("inf") else 0
            data = (n & ((1 << 8 * size) - 1)).to_bytes(size, "little")
        else:
            size = min(target.size, 8)
            data = (source.value & ((1 << 8 * size) - 1)).to_bytes(size, "little")
        value = int.from_bytes(data[:4].ljust(4, b"\0"), "little")
        if target.lval[0] == "bits":
            _, base, offset, bits = target.lval
            start, nbytes = offset // 8, (offset % 8 + bits + 7) // 8
            word = int.from_bytes(self.read_memory(base + start, nbytes), "little")
            mask = ((1 << bits) - 1) << (offset % 8)
            word = (word & ~mask) | ((source.value << (offset % 8)) & mask)
            self.target.write_memory(base + start, word.to_bytes(nbytes, "little"))
        elif target.lval[0] == "reg":
            if not self.running:
                raise ShellError("The program has no registers now.")
            self.target.write_register(target.lval[1], value & 0xFFFFFFFF)
            self.unwinder.clear()
        elif target.lval[0] == "frame":
            level, regno = target.lval[1], target.lval[2]
            frames = self.frame_states(level + 1)
            saved = frames[level].saved.get(regno) if level < len(frames) else None
            if saved is not None:
                self.target.write_memory(saved, value.to_bytes(4, "little"))
            else:
                from ..isa.spec import ABI
                self.target.write_register(ABI[regno], value & 0xFFFFFFFF)
            self.unwinder.clear()
        else:
            _, address, size = target.lval
            data = data[:size]
            self.read_memory(address, len(data))       # checks the address
            self.target.write_memory(address, data)

    def reread(self, v: Value) -> Value:
        if v.lval is None:
            return v
        if v.lval[0] == "reg":
            return self.convenience("$" + v.lval[1])
        if v.lval[0] == "bits":
            _, base, offset, bits = v.lval
            start, nbytes = offset // 8, (offset % 8 + bits + 7) // 8
            x = (int.from_bytes(self.read_memory(base + start, nbytes), "little") >> (offset % 8)) \
                & ((1 << bits) - 1)
            if v.vtype.signed and x >> (bits - 1):
                x -= 1 << bits
            size = max(v.vtype.size, 1)
            r = self.typed_bytes(v.vtype, (x & ((1 << 8 * size) - 1)).to_bytes(size, "little"))
            r.lval = v.lval
            return r
        if v.lval[0] == "frame":
            level, regno = v.lval[1], v.lval[2]
            frames = self.frame_states(level + 2)
            ctx = FrameLocals(self, frames, level)
            return self.located_value(v.vtype, ("reg", regno), ctx, v.lval[3])
        _, address, size = v.lval
        if v.vtype is not None:
            return self.variable_value(v.vtype, address)
        new = self.load(address, min(size, 8), v.signed, v.char)
        new.kind = v.kind if v.kind in ("int", "data", "code") else "int"
        new.pointee = v.pointee
        return new

    # ---- code and stack words for the unwinder ----------------------------------------------
    def _decoded(self, pc: int) -> tuple[int, Decoded | None]:
        """(length, decoded form) of the instruction at pc as the program has it: at a
        custom-instruction site its original word, not the patch in memory (None when the
        code cannot be read or is not an instruction)."""
        sim = self.target.sim
        word = sim.custom.original_word(pc)
        if word is None:
            try:
                word = int.from_bytes(self.target.read_memory(pc, 2), "little")
            except IssError:
                return 2, None
            if word & 3 == 3:
                try:
                    word = int.from_bytes(self.target.read_memory(pc, 4), "little")
                except IssError:
                    return 4, None
        return (4 if word & 3 == 3 else 2), decode_insn(word, sim.flavour)

    def _word(self, address: int) -> int | None:
        try:
            return int.from_bytes(self.read_memory(address, 4), "little")
        except ShellError:
            return None
