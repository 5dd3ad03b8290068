"""gdb's data commands: print/output/echo/set var, x/NFU, display/undisplay and
disassemble; values to text in gdb's formats (format_value, <symbol> suffixes).

A mixin of Shell (shell.py).
"""
from __future__ import annotations

import re

from ..errors import IssError
from ..isa.decoder import disassemble as _disassemble
from .expressions import Value
from .valueprint import ExprError as ShellError, char_literal as _char_literal
from .valueprint import c_string as _c_string, format_int


class DataCommands:
    # ---- formatting ------------------------------------------------------------------------
    def sym_suffix(self, address: int, code_only: bool = False) -> str:
        if code_only:
            name = self.target.image.symbolize(address)
            if name:
                name = name.replace("+0x", "+")
                if "+" in name:
                    base, off = name.split("+")
                    name = f"{base}+{int(off, 16)}"
        else:
            name = self.info.data_symbol(address)
        return f" <{name}>" if name else ""

    def format_value(self, v: Value, fmt: str | None = None, top: bool = True) -> str:
        if v.optimized:
            return "<optimized out>"
        if v.kind == "void":
            return "void"
        if v.kind == "func":
            if v.vtype is not None and fmt is None:
                return f"{{{v.vtype.decl()}}} 0x{v.value:x}{self.sym_suffix(v.value, True)}"
            if fmt is None:
                return f"{{<text variable, no debug info>}} 0x{v.value:x}{self.sym_suffix(v.value, True)}"
            return _format_int(v.value, fmt, 4, self)
        if v.vtype is not None:
            return self.printer.format(v.vtype, self.value_bytes(v), fmt, top)
        if v.kind == "float" and fmt is None:
            from .valueprint import float_text
            return float_text((v.value & ((1 << 8 * v.size) - 1)).to_bytes(v.size, "little"))
        if fmt is None:
            if v.kind == "code":
                prefix = "(void (*)()) " if top else ""
                return f"{prefix}0x{v.value:x}{self.sym_suffix(v.value, True)}"
            if v.kind == "data":
                prefix = "(void *) " if top and v.lval and v.lval[0] == "reg" else ""
                if top and v.pointee and not (v.lval and v.lval[0] == "reg"):
                    prefix = f"({_type_name(v.pointee)} *) "
                return f"{prefix}0x{v.value:x}{self.sym_suffix(v.value)}"
            if v.char:
                return f"{v.value} {_char_literal(v.value)}"
            return str(v.value)
        return _format_int(v.value, fmt, v.size if v.kind == "int" else 4, self)

    def c_string(self, address: int, limit: int = 200) -> str:
        data = bytearray()
        for i in range(limit):
            try:
                b = self.read_memory(address + i, 1)[0]
            except ShellError:
                break
            if b == 0:
                return _c_string(bytes(data))
            data.append(b)
        return _c_string(bytes(data)) + "..."

    def show_displays(self) -> None:
        if not self.running:
            return
        for number, fmt, expr in self.displays:
            scope = self.display_scope.get(number)
            if scope is not None:         # gdb: a display of locals shows in its function only
                frames, level = self.selected_frames()
                pc = frames[level].pc if level == 0 else frames[level].pc - 1
                func = self.dvars.function_at(pc)
                if func is None or func.low != scope:
                    continue
            self.show_display(number, fmt, expr)

    def show_display(self, number: int, fmt: str, expr: str) -> None:
        try:
            if fmt and (fmt[-1] in "is" or any(c.isdigit() for c in fmt)):
                self.say(f"{number}: x/{fmt} {expr}")
                self.cmd_x("/" + fmt + " " + expr, remember=False)
            else:
                v = self.eval.evaluate(expr)
                f = f"/{fmt} " if fmt else " "
                self.say(f"{number}: {f.lstrip() if fmt else ''}{expr} = {self.format_value(v, fmt or None)}"
                         if not fmt else f"{number}: /{fmt} {expr} = {self.format_value(v, fmt)}")
        except ShellError as e:
            self.say(f"{number}: {expr} = <error: {e}>")

    # ---- print / x / set ---------------------------------------------------------------------
    def split_format(self, arg: str) -> tuple[str, str]:
        if arg.startswith("/"):
            m = re.match(r"/(\w*)\s*(.*)", arg)
            return m.group(1), m.group(2)
        return "", arg

    def cmd_print(self, arg: str) -> None:
        fmt, expr = self.split_format(arg)
        if fmt and (set(fmt) - set("xduotcaz") or len(fmt) > 1):
            raise ShellError(f"Undefined output format \"{fmt}\".")
        if not expr:
            if not self.history:
                raise ShellError("History is empty.")
            v = self.history[-1]
        else:
            v = self.eval.evaluate(expr)
        if v.kind == "void":
            self.say(f"${len(self.history) + 1} = void")
            self.history.append(v)
            return
        v = Value(**{**v.__dict__})
        if v.vtype is not None and v.kind in ("struct", "array") and v.raw is None \
                and not v.optimized:
            v.raw = self.value_bytes(v)          # history keeps the contents at this point
        self.history.append(v)
        self.say(f"${len(self.history)} = {self.format_value(v, fmt or None)}")

    def cmd_output(self, arg: str) -> None:
        fmt, expr = self.split_format(arg)
        v = self.eval.evaluate(expr)
        self.out.write(self.format_value(v, fmt or None))

    def cmd_echo(self, arg: str) -> None:
        text = arg.encode().decode("unicode_escape") if "\\" in arg else arg
        self.out.write(text)

    def cmd_set(self, arg: str) -> None:
        m = re.match(r"(var|variable)\b\s*(.*)", arg)
        if m:
            arg = m.group(2)
        elif re.match(r"(listsize|pagination|confirm|height|width|print|logging|style|verbose)\b", arg):
            return          # accepted, no effect
        if "=" not in arg.replace("==", ""):
            raise ShellError("A syntax error in expression, near `'." if arg else
                             "Argument required (expression to compute).")
        self.eval.evaluate(arg)

    def cmd_x(self, arg: str, remember: bool = True) -> None:
        fmt_text, expr = self.split_format(arg)
        count, fmt, size = 1, self.x_state["fmt"], self.x_state["size"]
        if fmt_text:
            m = re.fullmatch(r"(\d*)([a-z]*)", fmt_text)
            if not m:
                raise ShellError(f"Invalid number \"{fmt_text}\".")
            if m.group(1):
                count = int(m.group(1))
            for c in m.group(2):
                if c in "bhwg":
                    size = c
                elif c in "xduotcasiz":
                    fmt = c
                else:
                    raise ShellError(f"Undefined output format \"{c}\".")
            if fmt in "ac" and not re.search("[bhwg]", m.group(2)):
                size = "b" if fmt == "c" else "w"
        if expr:
            v = self.eval.evaluate(expr)
            address = v.value & 0xFFFFFFFF
        else:
            address = self.x_state["next"]
            if address is None:
                raise ShellError("Argument required (starting display address).")
        nbytes = {"b": 1, "h": 2, "w": 4, "g": 8}[size]
        if fmt == "i":
            address = self._x_insns(address, count)
        elif fmt == "s":
            for _ in range(count):
                data = bytearray()
                a = address
                while len(data) < 4096:
                    b = self.read_memory(a, 1)[0]
                    a += 1
                    if b == 0:
                        break
                    data.append(b)
                self.say(f"0x{address:x}{self.sym_suffix(address)}:\t{_c_string(bytes(data))}")
                address = a
        else:
            per_line = {"b": 8, "h": 8, "w": 4, "g": 2}[size]
            if fmt == "c":
                per_line = 8
            if fmt == "a":
                per_line = 2 if size == "g" else 4
            done = 0
            while done < count:
                items = []
                line_address = address
                for _ in range(min(per_line, count - done)):
                    raw = self.read_memory(address, nbytes)
                    items.append(_format_int(int.from_bytes(raw, "little"), fmt, nbytes, self,
                                             memory=True))
                    address += nbytes
                    done += 1
                self.say(f"0x{line_address:x}{self.sym_suffix(line_address)}:\t" + "\t".join(items))
        if remember:
            self.x_state = {"fmt": fmt, "size": size, "next": address}

    def _x_insns(self, address: int, count: int) -> int:
        for _ in range(count):
            length, text = self.insn_text(address)
            mark = "=> " if self.running and address == self.pc else "   "
            self.say(f"{mark}0x{address:x}{self.sym_suffix(address, True)}:\t{text}")
            address += length
        return address

    def insn_text(self, address: int) -> tuple[int, str]:
        code = self.read_memory(address, 2)
        try:
            code = self.target.read_memory(address, 4)
        except IssError:
            pass
        length, mnem, ops = _disassemble(code + b"\0" * (4 - len(code)), address,
                                          self.target.sim.flavour, self.target.image.symbolize)
        return length, f"{mnem}\t{ops}" if ops else mnem

    def cmd_display(self, arg: str) -> None:
        if not arg:
            self.show_displays()
            return
        fmt, expr = self.split_format(arg)
        if not expr:
            raise ShellError("Argument required (expression to compute).")
        self.eval.tokenize(expr)
        number = self.next_display
        self.next_display += 1
        self.displays.append((number, fmt, expr))
        if self.running and self.uses_locals(expr):
            frames, level = self.selected_frames()
            func = self.dvars.function_at(frames[level].pc if level == 0 else frames[level].pc - 1)
            if func is not None:
                self.display_scope[number] = func.low
        if self.running:
            self.show_display(number, fmt, expr)

    def local_names(self) -> list[str]:
        """Names of the selected frame's locals and arguments (for completion)."""
        if not self.running:
            return []
        try:
            frames, level = self.selected_frames()
            scope = self.frame_scope(frames, level)
        except (ShellError, IssError):
            return []
        return [v.name for block in scope.blocks for v in block] + [v.name for v in scope.params]

    def uses_locals(self, expr: str) -> bool:
        """Whether an expression names a local or argument of the selected frame."""
        frames, level = self.selected_frames()
        scope = self.frame_scope(frames, level)
        names = {v.name for block in scope.blocks for v in block} | {v.name for v in scope.params}
        try:
            tokens = self.eval.tokenize(expr)
        except ShellError:
            return False
        return any(t in names for i, t in enumerate(tokens)
                   if i == 0 or tokens[i - 1] not in (".", "->"))

    def cmd_undisplay(self, arg: str) -> None:
        if not arg.strip():
            self.displays.clear()
            return
        wanted = set(self.numbers(arg))
        self.displays = [d for d in self.displays if d[0] not in wanted]

    # ---- disassemble ------------------------------------------------------------------------
    def cmd_disassemble(self, arg: str) -> None:
        mods, arg = (arg.split(None, 1) + [""])[:2] if arg.startswith("/") else ("", arg)
        arg = arg.strip()
        if "," in arg:
            a, b = arg.split(",", 1)
            start = self.eval.evaluate(a).value & 0xFFFFFFFF
            b = b.strip()
            end = start + self.eval.evaluate(b[1:]).value if b.startswith("+") else \
                self.eval.evaluate(b).value & 0xFFFFFFFF
            self.say(f"Dump of assembler code from 0x{start:x} to 0x{end:x}:")
            func_start = None
        else:
            if arg:
                v = self.eval.evaluate(arg)
                address = v.value & 0xFFFFFFFF
            else:
                if not self.running:
                    raise ShellError("No frame selected.")
                address = self.pc
            func = self.target.image.function_at(address)
            if func is None:
                raise ShellError("No function contains specified address.")
            func_start = address - func[1]
            rng = self.function_range(func[0])
            start, end = func_start, rng[1] if rng else func_start + 2
            self.say(f"Dump of assembler code for function {func[0]}:")
        a = start
        while a < end:
            length, text = self.insn_text(a)
            mark = "=> " if self.running and a == self.pc else "   "
            if func_start is not None:
                label = f" <+{a - func_start}>"
            else:
                label = self.sym_suffix(a, True)
            raw = ""
            if "r" in mods:
                word = int.from_bytes(self.target.read_memory(a, length), "little")
                raw = (f"{word:08x}" if length == 4 else f"{word:04x}") + "\t"
            self.say(f"{mark}0x{a:08x}{label}:\t{raw}{text}")
            a += length
        self.say("End of assembler dump.")


def _type_name(pointee) -> str:
    size, signed = pointee[0], pointee[1]
    char = len(pointee) > 2 and pointee[2]
    if char:
        return "char"
    return {(1, True): "int8_t", (1, False): "uint8_t", (2, True): "short",
            (2, False): "unsigned short", (4, True): "int", (4, False): "unsigned int",
            (8, True): "long long", (8, False): "unsigned long long"}.get((size, signed), "int")


def _format_int(value: int, fmt: str, size: int, shell: DataCommands | None = None,
                memory: bool = False) -> str:
    return format_int(value, fmt, size, shell.sym_suffix if shell else None, memory)
