"""Where in the program: LOCATION arguments (FUNCTION, FILE:LINE, LINE, *ADDRESS), the
stop and frame lines with their source text, `list`, `info line` and `info source`.

A mixin of Shell (shell.py).
"""
from __future__ import annotations

import re
from pathlib import Path

from .debuginfo import Row
from .valueprint import ExprError as ShellError


class SourceCommands:
    # ---- locations -------------------------------------------------------------------------
    def current_file(self) -> str | None:
        if self.list_state.get("file"):
            return self.list_state["file"]
        r = self.info.row_at(self.pc) if self.running else None
        if r is not None:
            return r.file
        main = self.info.symbols.get("main")
        if main is not None:
            r = self.info.row_at(main[0])
            if r is not None:
                return r.file
        return None

    def function_range(self, name: str) -> tuple[int, int] | None:
        for start, size, fname in self.target.image.functions:
            if fname == name:
                return start, start + max(size, 2)
        return None

    def parse_location(self, spec: str) -> tuple[int, str]:
        """LOCATION -> (address, description for 'What')."""
        spec = spec.strip()
        if not spec:
            self.require_running()
            return self.pc, self.describe_address(self.pc)
        if spec.startswith("*"):
            address = self.eval.evaluate(spec[1:]).value & 0xFFFFFFFF
            return address, self.describe_address(address)
        m = re.fullmatch(r"(?:(.+):)?(\d+)", spec)
        if m:
            file, line = m.group(1), int(m.group(2))
            if file is None:
                file = self.current_file()
            elif file not in self.info.files() and not any(
                    r.path.endswith("/" + file) or r.path == file for r in self.info.rows[:1] +
                    list(self.info.stmt.values())):
                raise ShellError(f"No source file named {file}.")
            hit = self.info.addresses_for_line(file, line)
            if hit is None:
                where = f'file "{file}"' if file else "the current file"
                raise ShellError(f"No line {line} in {where}.")
            address, row = hit
            return address, self.describe_address(address)
        m = re.fullmatch(r"(?:(.+):)?([A-Za-z_.$][\w.$]*)", spec)
        if m:
            name = m.group(2)
            rng = self.function_range(name)
            if rng is not None:
                address = self.info.after_prologue(*rng)
                return address, self.describe_address(address)
            if name in self.info.symbols:
                address = self.info.symbols[name][0]
                if self.info.in_text(address):
                    return address, self.describe_address(address)
            raise ShellError(f"Function \"{name}\" not defined.")
        raise ShellError(f"Function \"{spec}\" not defined.")

    def describe_address(self, address: int) -> str:
        """'in main at main.c:87' (What column) or '<main+4>'."""
        func = self.target.image.function_at(address)
        row = self.info.row_at(address)
        if row is not None and func is not None:
            return f"in {func[0]} at {row.file}:{row.line}"
        if func is not None:
            return f"<{func[0]}+{func[1]}>" if func[1] else f"<{func[0]}>"
        return ""

    # ---- stop and frame lines ---------------------------------------------------------------
    def frame_function(self, pc: int) -> str:
        func = self.target.image.function_at(pc)
        return func[0] if func is not None else "??"

    def print_frame_line(self, pc: int, prefix: str = "", header: bool = True, mid: bool = False,
                         lookup: int | None = None) -> None:
        """gdb's stop location: 'main () at main.c:87' + the source line, or
        '0x1c00070e in exit ()'. With header=False (a step in the same function) only the
        source line (with the address when in the middle of a line)."""
        row = self.info.row_at(pc if lookup is None else lookup)
        at_start = pc in self.info.stmt or (row is not None and self.info.line_start(pc) == pc)
        func = self.frame_function(pc)
        frames = None
        if self.running and pc == self.pc and lookup in (None, pc):
            frames = self.frame_states(2, visible=True)
            if frames and frames[0].ndepth:           # in an inlined subroutine (gdb's frame)
                func, where, _ = self.frame_where(frames, 0)
                if frames[0].depth > 0 and where is not None:
                    row, at_start = where, True      # stopped at an inlined call's site
        if row is None:
            self.say(f"{prefix}0x{pc:08x} in {func} ()")
            return
        if header:
            addr = "" if at_start else f"0x{pc:08x} in "
            args = ""
            if frames:
                try:
                    args = self.frame_args(frames, 0)
                except ShellError:
                    args = ""
            self.say(f"{prefix}{addr}{func} ({args}) at {row.file}:{row.line}")
            self.say(self.source_text(row))
        else:
            text = self.source_text(row)
            self.say(text if at_start else f"0x{pc:08x}\t{text}")
        self.list_state = {"file": row.file, "path": row.path, "center": row.line, "next": None}

    def source_text(self, row: Row) -> str:
        lines = self.source_lines(row.path)
        if lines is None:
            return f"{row.line}\tin {row.path}"
        if 1 <= row.line <= len(lines):
            return f"{row.line}\t{lines[row.line - 1]}"
        return f"Line number {row.line} out of range; \"{row.path}\" has {len(lines)} lines."

    _source_cache: dict = {}

    def source_lines(self, path: str) -> list[str] | None:
        if path in self._source_cache:
            return self._source_cache[path]
        try:
            text = Path(path).read_text(errors="replace").splitlines()
        except OSError:
            text = None
        self._source_cache[path] = text
        return text

    # ---- info line / info source / list -----------------------------------------------------
    def info_line(self, arg: str) -> None:
        if arg:
            address, _ = self.parse_location(arg if not arg.isdigit() else arg)
        else:
            self.require_running()
            address = self.pc
        row = self.info.row_at(address)
        if row is None:
            self.say(f"No line number information available for address 0x{address:x}{self.sym_suffix(address, True)}")
            return
        start = self.info.line_start(address) or address
        end = row.end
        self.say(f"Line {row.line} of \"{row.file}\" starts at address 0x{start:x}"
                 f"{self.sym_suffix(start, True)} and ends at 0x{end:x}{self.sym_suffix(end, True)}.")

    def info_source(self, arg: str) -> None:
        file = self.current_file()
        if file is None:
            self.say("No current source file.")
            return
        path = next((r.path for r in self.info.rows if r.file == file), file)
        self.say(f"Current source file is {file}")
        self.say(f"Located in {path}")
        lines = self.source_lines(path)
        if lines is not None:
            self.say(f"Contains {len(lines)} lines.")
        self.say("Source language is c.")

    def cmd_list(self, arg: str) -> None:
        arg = arg.strip()
        state = self.list_state
        if arg in ("", "+") and state.get("next") is not None:
            first = state["next"]
            path, file = state["path"], state["file"]
        elif arg == "-" and state.get("first") is not None:
            path, file = state["path"], state["file"]
            first = max(1, state["first"] - 10)
            self._list_lines(file, path, first, state["first"] - 1)
            return
        else:
            if arg in ("", "+", "-"):
                if state.get("center"):
                    center, path, file = state["center"], state["path"], state["file"]
                else:
                    main = self.function_range("main")
                    if main is None:
                        raise ShellError("No symbol table is loaded.  Use the \"file\" command.")
                    row = self.info.row_at(self.info.after_prologue(*main))
                    if row is None:
                        raise ShellError("No line number information available.")
                    center, path, file = row.line, row.path, row.file
            else:
                m = re.fullmatch(r"(?:(.+):)?(\d+)", arg)
                if m:
                    file = m.group(1) or self.current_file()
                    rows = [r for r in self.info.rows if r.file == file or r.path.endswith("/" + (file or ""))]
                    if not rows:
                        raise ShellError(f"No source file named {file}.")
                    path, file, center = rows[0].path, rows[0].file, int(m.group(2))
                else:
                    name = arg.split(":")[-1]
                    rng = self.function_range(name)
                    if rng is None:
                        raise ShellError(f"Function \"{name}\" not defined.")
                    row = self.info.row_at(rng[0])
                    if row is None:
                        raise ShellError(f"No line number known for {name}.")
                    center, path, file = row.line, row.path, row.file
                    decl = self.info.function_lines.get(name)
                    if decl and decl[2] and abs(decl[2] - center) < 20:
                        center = decl[2]
            first = max(1, center - 5)
        self._list_lines(file, path, first, first + 9)

    def _list_lines(self, file: str, path: str, first: int, last: int) -> None:
        lines = self.source_lines(path)
        if lines is None:
            raise ShellError(f"{first}\t{path}: No such file or directory.")
        if first > len(lines):
            raise ShellError(f"Line number {first} out of range; \"{path}\" has {len(lines)} lines.")
        last = min(last, len(lines))
        for n in range(first, last + 1):
            self.say(f"{n}\t{lines[n - 1]}")
        self.list_state = {"file": file, "path": path, "center": None, "next": last + 1,
                           "first": first}
