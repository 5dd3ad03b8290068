"""The shell's frame and variable commands, gdb's formats: backtrace (with arguments,
`bt full`), frame/up/down (the selected frame governs locals, registers and `finish`),
info locals, info args, ptype, whatis, and the arguments of stop lines
(`dot (a=0x1c001000, n=n@entry=16) at file.c:12`).

A mixin of Shell (shell.py): it uses the shell's frame_states / var_value / format_value
/ dvars / info and its say/ShellError conventions.
"""
from __future__ import annotations

from .dwarf_vars import int_type, pointer_to
from .expressions import Value
from .valueprint import ExprError


class FrameVariableCommands:
    # ---- frame lines ----------------------------------------------------------------------
    def frame_args(self, frames, level: int) -> str:
        """gdb's `a=1, p=0x1c000010 <x>, s=...` (print frame-arguments scalars, print
        entry-values default)."""
        frame = frames[level]
        scope = self.frame_scope(frames, level)
        if scope.function is None:
            return ""
        real = frame.depth == frame.ndepth          # not an inlined subroutine's frame
        parts = []
        for var in scope.params:
            v = self.var_value(var, frames, level)
            ctype = self.dvars.var_type(var)
            entry = self.entry_value_of(var, frames, level) if real else None
            if not ctype.is_scalar:
                parts.append(f"{var.name}=...")
                continue
            text = self.format_value(v, None, top=False)
            if entry is None:
                parts.append(f"{var.name}={text}")
                continue
            etext = self.format_value(entry, None, top=False)
            if not v.optimized and text == etext:
                parts.append(f"{var.name}={var.name}@entry={text}")
            else:
                parts.append(f"{var.name}={text}, {var.name}@entry={etext}")
        return ", ".join(parts)

    def entry_value_of(self, var, frames, level: int) -> Value | None:
        """The value a parameter had at the function's entry, when the caller's call site
        says (gdb's `n@entry`): only for parameters passed in a register."""
        from .dwarf_vars import DwarfError, _reg_of
        frame = frames[level]
        func = self.dvars.function_at(frame.pc if frame.physical_level == 0 else frame.pc - 1)
        if func is None:
            return None
        ops = self.dvars.location_expr(var.die, "DW_AT_location", func.low)
        if not ops or len(ops) != 1 or _reg_of(ops[0]) is None:
            return None
        ctype = self.dvars.var_type(var)
        try:
            from .frames import FrameLocals
            ctx = FrameLocals(self, frames, level)
            value = ctx.entry_value(ops)
        except (DwarfError, ExprError, IndexError):
            return None
        size = max(ctype.size, 1)
        if size > 4:
            return None
        return self.typed_bytes(ctype, (value & 0xFFFFFFFF).to_bytes(4, "little")[:size])

    def frame_where(self, frames, level: int):
        """(function name, source row or None, whether gdb shows the pc) of a frame.
        Inline frames: the inlined function's name; an outer frame of an inlined call is
        at the call site (no address, as gdb)."""
        from .debuginfo import Row
        frame = frames[level]
        pc = frame.pc
        phys = frame.physical_level
        lookup = pc if phys == 0 else pc - 1
        func = self.frame_function(pc)
        if frame.phys >= 0 and frame.ndepth:
            name, site = self.dvars.inline_frame(lookup, frame.depth)
            if frame.depth < frame.ndepth and name:
                func = name
            if site is not None:
                return func, Row(pc, site[0], site[1], site[2], True, False), False
        row = self.info.row_at(lookup)
        return func, row, phys != 0 or pc not in self.info.stmt

    def frame_text(self, frames, level: int) -> str:
        """`dot (a=1) at f.c:3` or `0x1c000110 in main () at f.c:66` (no `#N`)."""
        func, row, show_addr = self.frame_where(frames, level)
        pc = frames[level].pc
        addr = f"0x{pc:08x} in " if show_addr else ""
        loc = f" at {row.file}:{row.line}" if row else ""
        try:
            args = self.frame_args(frames, level)
        except ExprError:
            args = ""
        return f"{addr}{func} ({args}){loc}"

    def _print_bt_line(self, level: int, pc: int = 0, innermost: bool = True, prefix: str = "",
                       frames=None) -> None:
        if frames is None:
            frames = self.frame_states(level + 2, visible=True)
        self.say(f"{prefix}#{level:<3}{self.frame_text(frames, level)}")

    def print_selected_frame(self) -> None:
        frames, level = self.selected_frames()
        self._print_bt_line(level, frames=frames)
        _, row, _ = self.frame_where(frames, level)
        if row:
            self.say(self.source_text(row))
            self.list_state = {"file": row.file, "path": row.path, "center": row.line, "next": None}

    # ---- backtrace / frame / up / down ------------------------------------------------------
    def cmd_backtrace(self, arg: str) -> None:
        self.require_running("No stack.")
        limit = 64
        full = False
        for word in arg.split():
            if word in ("full", "-full"):
                full = True
                continue
            try:
                limit = int(word)
            except ValueError:
                raise ExprError(f"No symbol \"{word}\" in current context.") from None
        frames = self.frame_states(limit + 2 if limit > 0 else 64, visible=True)
        for level in range(min(limit, len(frames))):
            self._print_bt_line(level, frames=frames)
            if full:
                self._print_locals(frames, level, indent="        ")
        if len(frames) > limit:
            self.say("(More stack frames follow...)")

    def _frame_number(self, arg: str, default: int) -> int:
        word = arg.split()[0] if arg.split() else ""
        if not word:
            return default
        try:
            return int(word, 0)
        except ValueError:
            v = self.eval.evaluate(arg)
            return v.value

    def cmd_frame(self, arg: str) -> None:
        self.require_running("No stack.")
        words = arg.split()
        if words and words[0] == "function":
            if len(words) < 2:
                raise ExprError("Missing function name argument")
            frames = self.frame_states(64, visible=True)
            for level, frame in enumerate(frames):
                if self.frame_function(frame.pc) == words[1]:
                    self.selected = level
                    self.print_selected_frame()
                    return
            raise ExprError(f"No frame for function \"{words[1]}\".")
        if words and words[0] == "level":
            arg = " ".join(words[1:])
        n = self._frame_number(arg, self.selected)
        frames = self.frame_states(n + 2, visible=True)
        if not 0 <= n < len(frames):
            raise ExprError(f"No frame at level {arg.strip()}.")
        self.selected = n
        self.print_selected_frame()

    def cmd_up(self, arg: str) -> None:
        self.require_running("No stack.")
        n = self._frame_number(arg, 1)
        frames = self.frame_states(self.selected + max(n, 0) + 2, visible=True)
        if self.selected + n >= len(frames) and n > 0:
            if self.selected == len(frames) - 1:
                raise ExprError("Initial frame selected; you cannot go up.")
            n = len(frames) - 1 - self.selected
        self.selected = max(0, self.selected + n)
        self.print_selected_frame()

    def cmd_down(self, arg: str) -> None:
        self.require_running("No stack.")
        n = self._frame_number(arg, 1)
        if self.selected == 0 and n > 0:
            raise ExprError("Bottom (innermost) frame selected; you cannot go down.")
        self.selected = max(0, self.selected - n)
        self.print_selected_frame()

    def info_frame(self, arg: str) -> None:
        """gdb's `info frame` for the selected frame (CFA, saved pc, callers, saved registers)."""
        self.require_running("No stack.")
        from ..isa.spec import ABI
        visible, selected = self.selected_frames()
        phys = visible[selected].physical_level
        frames = self.frame_states(phys + 3)                # main's caller too, as gdb
        level = min(phys, len(frames) - 1)
        frame = frames[level]
        if frame.cfa is None and level + 1 >= len(frames):
            self.unwinder.caller(frame)
        pc = frame.pc
        name, row, _ = self.frame_where(visible, selected)
        cfa = frame.cfa if frame.cfa is not None else frame.sp
        self.say(f"Stack level {selected}, frame at 0x{cfa:x}:")
        where = f" in {name}" + (f" ({row.file}:{row.line})" if row else "")
        caller = frames[level + 1] if level + 1 < len(frames) else None
        saved_pc = f"; saved pc = 0x{caller.pc:x}" if caller is not None else ""
        self.say(f" pc = 0x{pc:x}{where}{saved_pc}")
        if visible[selected].depth < visible[selected].ndepth:
            self.say(f" inlined into frame {selected + 1}")
        elif caller is not None and level + 2 < len(frames) and caller.cfa is not None:
            self.say(f" called by frame at 0x{caller.cfa:x}")
        if level > 0 and frames[level - 1].cfa is not None:
            self.say(f" caller of frame at 0x{frames[level - 1].cfa:x}")
        if row:
            self.say(" source language c.")
        try:
            args = self.frame_args(frames, level)
        except ExprError:
            args = ""
        self.say(f" Arglist at 0x{cfa:x}, args: {args}")
        self.say(f" Locals at 0x{cfa:x}, Previous frame's sp is 0x{cfa:x}")
        if caller is not None:
            slots = [(r, a) for r, a in sorted(caller.saved.items())
                     if frame.saved.get(r) != a and r < 32]
            if slots:
                names = [f"{'fp' if r == 8 else ABI[r]} at 0x{a:x}" for r, a in slots]
                ra = dict(slots).get(1)
                if ra is not None:
                    names.append(f"pc at 0x{ra:x}")
                self.say(" Saved registers:")
                self.say("  " + ", ".join(names))

    # ---- info locals / info args --------------------------------------------------------------
    def info_locals(self, arg: str) -> None:
        self.require_running("No frame selected.")
        frames, level = self.selected_frames()
        self._print_locals(frames, level)

    def _print_locals(self, frames, level: int, indent: str = "") -> None:
        scope = self.frame_scope(frames, level)
        if scope.function is None:
            self.say(f"{indent}No symbol table info available.")
            return
        shown = 0
        for block in scope.blocks:
            for var in block:
                self.say(f"{indent}{var.name} = {self._var_text(var, frames, level)}")
                shown += 1
        if not shown:
            self.say(f"{indent}No locals.")

    def info_args(self, arg: str) -> None:
        self.require_running("No frame selected.")
        frames, level = self.selected_frames()
        scope = self.frame_scope(frames, level)
        if scope.function is None:
            self.say("No symbol table info available.")
            return
        if not scope.params:
            self.say("No arguments.")
            return
        for var in scope.params:
            self.say(f"{var.name} = {self._var_text(var, frames, level)}")

    def _var_text(self, var, frames, level: int) -> str:
        try:
            return self.format_value(self.var_value(var, frames, level), None, top=False)
        except ExprError as e:
            return f"<error: {e}>"

    # ---- ptype / whatis ----------------------------------------------------------------------
    def _type_of_arg(self, arg: str, whatis: bool):
        if not arg.strip():
            raise ExprError("Argument required (expression to compute).")
        t = self.eval.parse_type(arg)
        if t is not None:
            if whatis and t.tag == "typedef" and t.target is not None:
                return t.target             # whatis TYPEDEF-NAME unrolls one level
            return t
        v = self.eval.evaluate(arg)
        return self.value_type(v)

    def value_type(self, v: Value):
        if v.vtype is not None:
            return v.vtype
        if v.kind == "code":
            from .dwarf_vars import CType
            return pointer_to(CType("func", None, target=CType("void", "void", 1)))
        if v.kind == "data":
            if v.pointee is not None:
                size, signed = v.pointee[:2]
                char = len(v.pointee) > 2 and v.pointee[2]
                return pointer_to(int_type(size, signed, "char" if char else None, char=char))
            from .dwarf_vars import VOID
            return pointer_to(VOID)
        if v.kind == "float":
            from .dwarf_vars import CType, ATE_FLOAT
            return CType("base", "float" if v.size == 4 else "double", v.size, ATE_FLOAT)
        if v.kind == "void":
            from .dwarf_vars import VOID
            return VOID
        return int_type(v.size, v.signed, "char" if v.char else None, char=v.char)

    def cmd_whatis(self, arg: str) -> None:
        t = self._type_of_arg(arg, whatis=True)
        self.say(f"type = {t.decl()}")

    def cmd_ptype(self, arg: str) -> None:
        t = self._type_of_arg(arg, whatis=False)
        self.say(f"type = {t.ptype()}")

    # ---- finish: the returned value --------------------------------------------------------------
    def returned_value(self, func_pc: int) -> Value | None:
        """The value a function returns in a0 (a0/a1 for 8 bytes), typed from DWARF."""
        func = self.dvars.function_at(func_pc)
        if func is None:
            return None
        ftype = self.dvars.function_type(func)
        ret = ftype.target
        if ret is None or ret.strip().tag == "void":
            return None
        size = ret.size
        if ret.kind in ("struct", "array") or size > 8:
            return None
        hart = self.target.hart
        raw = hart.reg(10).to_bytes(4, "little") + hart.reg(11).to_bytes(4, "little")
        return self.typed_bytes(ret, raw[:max(size, 1)])
