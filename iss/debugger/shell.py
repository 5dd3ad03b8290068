"""A gdb-like debugger shell over DebugTarget: `iss debug FIRMWARE.elf [-x FILE] [--batch]`.

gdb's command names, abbreviations and output habits (break/tbreak/watch/run/continue/
stepi/nexti/step/next/finish/until/info .../print/x/set/disassemble/list/backtrace/display):
a gdb user reads it without thinking.  Source-level stepping uses the DWARF line table;
frames are unwound from DWARF CFI (frames.py, cfi.py; prologue analysis where there is
none); variables, types and scopes come from dwarf_vars.py, expressions are evaluated by
expressions.py and printed by valueprint.py.

Programmatic use: ``run_script(firmware, ["break main", "run", "info registers"]) -> str``.
Command files (-x) stop at the first failing command, like gdb; with --batch the exit
status is 0, or 1 when a command failed.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import IssError
from ..log import warnings_on_stderr
from ..isa.decoder import disassemble as _disassemble
from .cfi import FrameState
from .debuginfo import DebugInfo, Row
from .dwarf_vars import DwarfError, DwarfVars, evaluate as dwarf_evaluate
from .expressions import Evaluator, ExprError, Value, optimized_out
from .frames import Unwinder, FrameLocals
from .target import DebugTarget, Event
from .valueprint import TypedPrinter, char_literal as _char_literal
from .valueprint import c_string as _c_string, format_int, wrap as _wrap
from .varcmds import FrameVariableCommands


ShellError = ExprError       # a command failed: one line for the user, never a traceback


# ============================================================================ breakpoints

@dataclass
class Breakpoint:
    number: int
    type: str                  # breakpoint, hw watchpoint, read watchpoint, acc watchpoint
    address: int | None = None
    what: str = ""
    temporary: bool = False
    enabled: bool = True
    hits: int = 0
    ignore: int = 0
    condition: str | None = None
    # watchpoints
    watch_address: int = 0
    watch_size: int = 4
    watch_signed: bool = True
    old: int | None = None
    scope: tuple | None = None     # watch of locals: (hart, caller pc, caller sp) = frame exit
    thread: int | None = None      # break ... thread N: stops only that thread (gdb's number)

    @property
    def is_watch(self) -> bool:
        return self.type in ("hw watchpoint", "read watchpoint", "acc watchpoint")

    @property
    def is_code(self) -> bool:
        """A breakpoint on an instruction (not a watchpoint, not a catchpoint)."""
        return self.type == "breakpoint"

    def catches(self, kind: str) -> bool:
        """An enabled catchpoint that stops at trap entries of `kind` (exception, interrupt)."""
        return self.type == "catchpoint" and self.enabled and kind in CATCH_KINDS[self.what]

    @property
    def kind(self) -> str:
        return {"hw watchpoint": "w", "read watchpoint": "r", "acc watchpoint": "a"}[self.type]


SIGNALS = {
    "illegal": ("SIGILL", "Illegal instruction"),
    "ecall": ("SIGTRAP", "Trace/breakpoint trap"),
    "ebreak": ("SIGTRAP", "Trace/breakpoint trap"),
    "misaligned": ("SIGBUS", "Bus error"),
}

# catch KIND: which trap entries stop (Simulator.catch)
CATCH_KINDS = {"trap": ("exception", "interrupt"), "exception": ("exception",),
               "interrupt": ("interrupt",)}
STEP_COMMANDS = {"stepi", "nexti", "step", "next", "continue", "x", "until", "list"}


# ============================================================================ the shell

class Shell(FrameVariableCommands):
    def __init__(self, firmware, platform=None, isa: str = "auto", out=None, err=None,
                 cores: int | None = None):
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else self.out
        self.firmware = str(firmware)

        shell = self

        class _Forward:          # firmware stdout goes through our stream, in order
            def write(self, text):
                shell.out.write(text)

            def flush(self):
                shell.out.flush() if hasattr(shell.out, "flush") else None

        try:
            self.target = DebugTarget(firmware, platform, isa, output=_Forward(), cores=cores)
        except IssError as e:
            raise ShellError(str(e)) from None
        self.info = DebugInfo(self.target.image)
        self.dvars = DwarfVars(self.info.elf)
        self.unwinder = Unwinder(self.info.elf, self._insn, self._word,
                                 self.target.image.function_at, self.info.in_text)
        self.printer = TypedPrinter(self.sym_suffix, self.c_string)
        self.eval = Evaluator(self)
        self.selected = 0             # selected frame (up/down/frame N), 0 after every stop
        self.display_scope: dict[int, int] = {}   # display number -> function (low pc)
        self.stop_where: tuple | None = None      # (hart, pc) of the last stop
        self.shown_thread = 0         # hart of the last stop reported or `thread N` chosen
        self.running = False          # gdb: "The program is not being run."
        self.breakpoints: dict[int, Breakpoint] = {}
        self.next_number = 1
        self.internal: set[int] = set()       # internal breakpoint addresses (finish, next...)
        self.history: list[Value] = []
        self.displays: list[tuple[int, str, str]] = []   # (number, format, expression)
        self.next_display = 1
        self.last_command = ""
        self.x_state = {"fmt": "x", "size": "w", "next": None}
        self.list_state: dict = {}
        self.exit_code: int | None = None
        self.quit_requested = False
        self.failed = False

    # ---- output helpers --------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def error(self, text: str) -> None:
        if hasattr(self.out, "flush"):
            self.out.flush()
        self.err.write(text + "\n")
        if hasattr(self.err, "flush"):
            self.err.flush()

    # ---- command dispatch ----------------------------------------------------------------
    COMMANDS = {
        # name: (aliases, handler name, help)
        "break": (("b", "br", "bre", "brea"), "cmd_break",
                  "break [LOCATION] [thread N] [if COND]: set a breakpoint at FUNCTION, FILE:LINE, "
                  "LINE or *ADDRESS (thread N: only that thread stops there)."),
        "tbreak": (("tb",), "cmd_tbreak", "tbreak LOCATION: set a temporary breakpoint (deleted when hit)."),
        "delete": (("d",), "cmd_delete", "delete [N...]: delete breakpoints/watchpoints (all without N)."),
        "disable": (("dis", "disa"), "cmd_disable", "disable [N...]: disable breakpoints."),
        "enable": (("en",), "cmd_enable", "enable [N...]: enable breakpoints."),
        "condition": ((), "cmd_condition", "condition N [EXPR]: stop at breakpoint N only if EXPR is non-zero."),
        "ignore": ((), "cmd_ignore", "ignore N COUNT: ignore the next COUNT crossings of breakpoint N."),
        "watch": (("wa",), "cmd_watch", "watch [-l] EXPR: stop when EXPR (SYMBOL, *ADDR, *(T*)ADDR) is written."),
        "rwatch": ((), "cmd_rwatch", "rwatch EXPR: stop when EXPR is read."),
        "catch": ((), "cmd_catch", "catch trap|exception|interrupt: stop at the first instruction "
                                   "of a trap handler (mcause, mepc in the stop line)."),
        "awatch": ((), "cmd_awatch", "awatch EXPR: stop when EXPR is read or written."),
        "run": (("r",), "cmd_run", "run: start the program (from the beginning)."),
        "start": ((), "cmd_start", "start: run to the beginning of main (temporary breakpoint)."),
        "starti": ((), "cmd_starti", "starti: start the program and stop at its first instruction."),
        "restart": ((), "cmd_restart", "restart: reload the firmware (breakpoints are kept), stop at the entry."),
        "kill": (("k",), "cmd_kill", "kill: stop the program being debugged."),
        "continue": (("c", "cont", "fg"), "cmd_continue", "continue [N]: continue; N ignores the current breakpoint N-1 more times."),
        "stepi": (("si",), "cmd_stepi", "stepi [N]: execute N machine instructions."),
        "nexti": (("ni",), "cmd_nexti", "nexti [N]: execute N instructions, stepping over calls."),
        "step": (("s",), "cmd_step", "step [N]: run to the next source line, entering calls."),
        "next": (("n",), "cmd_next", "next [N]: run to the next source line, stepping over calls."),
        "finish": (("fin",), "cmd_finish", "finish: run until the current function returns."),
        "until": (("u",), "cmd_until", "until [LOCATION]: like next without going back in loops; or run to LOCATION."),
        "advance": ((), "cmd_advance", "advance LOCATION: run until LOCATION (or the current function returns)."),
        "info": (("i", "inf"), "cmd_info", "info breakpoints|registers|all-registers|frame|line|source|symbol ADDR|"
                                           "threads|display|stats|accel|functions|variables|sharedlibrary"),
        "print": (("p", "inspect", "call"), "cmd_print", "print[/FMT] EXPR: FMT x d u o t c a; $reg, symbols, *ADDR, {int}ADDR, arithmetic."),
        "output": ((), "cmd_output", "output EXPR: print a value without history or newline."),
        "x": ((), "cmd_x", "x/NFU ADDR: examine memory (F x d u o t c a s i, U b h w g)."),
        "set": ((), "cmd_set", "set var EXPR = VALUE | set $reg = VALUE | set {int}ADDR = VALUE."),
        "display": ((), "cmd_display", "display[/FMT] EXPR: print EXPR after each stop."),
        "undisplay": ((), "cmd_undisplay", "undisplay [N...]: stop displaying expressions."),
        "disassemble": (("disas",), "cmd_disassemble", "disassemble [FUNCTION | START,END | START,+LEN]; => marks the pc."),
        "list": (("l",), "cmd_list", "list [LINE | FUNCTION | FILE:LINE]: show source lines."),
        "backtrace": (("bt", "where"), "cmd_backtrace", "backtrace [full] [N]: show the call stack (full: with locals)."),
        "frame": (("f",), "cmd_frame", "frame [N]: select frame N (0 = innermost) and show it."),
        "up": ((), "cmd_up", "up [N]: select the frame N levels out (the caller)."),
        "down": (("do",), "cmd_down", "down [N]: select the frame N levels in (the callee)."),
        "ptype": ((), "cmd_ptype", "ptype EXPR|TYPE: the type, structs/unions/enums expanded."),
        "whatis": ((), "cmd_whatis", "whatis EXPR|TYPE: the type's name."),
        "thread": ((), "cmd_thread", "thread [N]: select a thread (hart N-1); thread apply "
                   "all|N... COMMAND: run COMMAND in each thread (e.g. thread apply all bt)."),
        "echo": ((), "cmd_echo", "echo TEXT: print TEXT (C escapes such as \\n)."),
        "help": (("h",), "cmd_help", "help [COMMAND]: list commands or describe one."),
        "quit": (("q", "exit"), "cmd_quit", "quit: leave the debugger."),
    }

    def resolve_command(self, word: str) -> str:
        word = word.lower()
        for name, (aliases, _, _) in self.COMMANDS.items():
            if word == name or word in aliases:
                return name
        matches = [n for n in self.COMMANDS if n.startswith(word)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ShellError(f"Ambiguous command \"{word}\": {', '.join(sorted(matches))}.")
        raise ShellError(f"Undefined command: \"{word}\".  Try \"help\".")

    def execute(self, line: str, from_tty: bool = False) -> bool:
        """Run one command line; return False if it failed."""
        text = line.strip()
        if from_tty and not text:
            text = self.last_command
            if not text:
                return True
        if not text or text.startswith("#"):
            return True
        try:
            m = re.match(r"([A-Za-z_-]+|!)(.*)", text)
            if m is None:
                raise ShellError(f"Undefined command: \"{text.split()[0]}\".  Try \"help\".")
            word, rest = m.group(1), m.group(2)
            name = self.resolve_command(word)
            handler = getattr(self, self.COMMANDS[name][1])
            self.last_command = text if name in STEP_COMMANDS and name != "list" else \
                ("list" if name == "list" else "")
            if name == "x":
                self.last_command = "x"       # gdb: Enter continues after the last address
            handler(rest.strip() if not rest.startswith("/") else rest)
            return True
        except ShellError as e:
            self.error(str(e))
        except IssError as e:
            msg = str(e)
            self.error(msg[:1].upper() + msg[1:] + ("" if msg.endswith(".") else "."))
        except KeyboardInterrupt:
            self.error("Quit")
        except RecursionError:
            self.error("Expression too complex.")
        except Exception as e:      # never a traceback for the user
            if os.environ.get("ISS_DEBUG_TRACEBACK"):
                raise
            self.error(f"internal error: {type(e).__name__}: {e}")
        self.failed = True
        return False

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

    def set_message(self, bp: Breakpoint) -> str:
        row = self.info.row_at(bp.address)
        kind = "Temporary breakpoint" if bp.temporary else "Breakpoint"
        if row is not None:
            return f"{kind} {bp.number} at 0x{bp.address:x}: file {row.file}, line {row.line}."
        return f"{kind} {bp.number} at 0x{bp.address:x}"

    # ---- breakpoint bookkeeping ------------------------------------------------------------
    def sync_breakpoints(self) -> None:
        want = {b.address for b in self.breakpoints.values()
                if b.is_code and b.enabled} | self.internal | \
            {b.scope[1] for b in self.breakpoints.values() if b.is_watch and b.scope}
        for a in list(self.target.breakpoints - want):
            self.target.remove_breakpoint(a)
        for a in want - self.target.breakpoints:
            self.target.add_breakpoint(a)
        wwant = {(b.kind, b.watch_address, b.watch_size) for b in self.breakpoints.values()
                 if b.is_watch and b.enabled}
        for key in list(set(self.target.watchpoints) - wwant):
            self.target.remove_watchpoint(key[1], key[2], key[0])
        for key in wwant - set(self.target.watchpoints):
            self.target.add_watchpoint(key[1], key[2], key[0])
        self.target.sim.catch = {kind for kind in ("exception", "interrupt")
                                 if any(b.catches(kind) for b in self.breakpoints.values())}

    def new_breakpoint(self, spec: str, temporary: bool = False) -> Breakpoint:
        condition = None
        m = re.match(r"(.*?)\s+if\s+(.*)$", " " + spec)
        if m:
            spec, condition = m.group(1).strip(), m.group(2).strip()
        thread = None
        m = re.match(r"(.*?)\s*\bthread\s+(\S+)$", spec)
        if m:
            spec = m.group(1).strip()
            if not m.group(2).isdigit() or not 1 <= int(m.group(2)) <= len(self.target.harts):
                raise ShellError(f"Unknown thread {m.group(2)}.")
            thread = int(m.group(2))
        address, what = self.parse_location(spec)
        if not self.info.in_text(address):
            raise ShellError(f"Cannot insert breakpoint at 0x{address:x}: outside the executable segments.")
        if address & 1:
            raise ShellError(f"Cannot insert breakpoint at odd address 0x{address:x}.")
        if condition is not None:
            self.eval.tokenize(condition)
        bp = Breakpoint(self.next_number, "breakpoint", address, what, temporary,
                        condition=condition, thread=thread)
        self.next_number += 1
        self.breakpoints[bp.number] = bp
        self.sync_breakpoints()
        others = [b.number for b in self.breakpoints.values()
                  if b is not bp and b.is_code and b.address == address]
        if others:
            also = ", ".join(str(n) for n in others)
            self.say(f"Note: breakpoint{'s' if len(others) > 1 else ''} {also} also set at pc 0x{address:x}.")
        self.say(self.set_message(bp))
        return bp

    def cmd_break(self, arg: str) -> None:
        self.new_breakpoint(arg)

    def cmd_catch(self, arg: str) -> None:
        kind = arg.strip()
        if kind not in CATCH_KINDS:
            raise ShellError("Catch requires an event name: trap, exception or interrupt.")
        bp = Breakpoint(self.next_number, "catchpoint", None, kind)
        self.next_number += 1
        self.breakpoints[bp.number] = bp
        self.sync_breakpoints()
        self.say(f"Catchpoint {bp.number} ({kind})")

    def cmd_tbreak(self, arg: str) -> None:
        self.new_breakpoint(arg, temporary=True)

    def numbers(self, arg: str) -> list[int]:
        out = []
        for part in arg.replace(",", " ").split():
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not m:
                raise ShellError(f"Convenience variable must have integer value.\n"
                                 f"Bad breakpoint argument: '{part}'" if part.startswith("$") else
                                 f"Bad breakpoint argument: '{part}'")
            lo = int(m.group(1))
            hi = int(m.group(2)) if m.group(2) else lo
            out.extend(range(lo, hi + 1))
        return out

    def cmd_delete(self, arg: str) -> None:
        arg = re.sub(r"^(breakpoints?|br)\b", "", arg).strip()
        if arg.startswith("display"):
            return self.cmd_undisplay(arg[len("display"):])
        if not arg:
            self.breakpoints.clear()
        for n in self.numbers(arg):
            if self.breakpoints.pop(n, None) is None:
                self.error(f"No breakpoint number {n}.")
        self.sync_breakpoints()

    def _set_enabled(self, arg: str, enabled: bool) -> None:
        arg = re.sub(r"^(breakpoints?|br)\b", "", arg).strip()
        if arg.startswith("display"):
            return
        targets = self.numbers(arg) if arg else list(self.breakpoints)
        for n in targets:
            bp = self.breakpoints.get(n)
            if bp is None:
                self.error(f"No breakpoint number {n}.")
                continue
            bp.enabled = enabled
            if enabled and bp.is_watch:
                bp.old = self.watch_value(bp)
        self.sync_breakpoints()

    def cmd_disable(self, arg: str) -> None:
        self._set_enabled(arg, False)

    def cmd_enable(self, arg: str) -> None:
        m = re.match(r"(once|delete)\s+(.*)", arg)
        if m:
            self._set_enabled(m.group(2), True)
            for n in self.numbers(m.group(2)):
                if n in self.breakpoints and m.group(1) == "delete":
                    self.breakpoints[n].temporary = True
            return
        self._set_enabled(arg, True)

    def cmd_condition(self, arg: str) -> None:
        parts = arg.split(None, 1)
        if not parts or not parts[0].isdigit():
            raise ShellError("Argument required (breakpoint number).")
        bp = self.breakpoints.get(int(parts[0]))
        if bp is None:
            raise ShellError(f"No breakpoint number {parts[0]}.")
        if len(parts) == 1:
            bp.condition = None
            self.say(f"Breakpoint {bp.number} now unconditional.")
        else:
            self.eval.tokenize(parts[1])
            bp.condition = parts[1]

    def cmd_ignore(self, arg: str) -> None:
        parts = arg.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise ShellError("Argument required (a breakpoint number).")
        bp = self.breakpoints.get(int(parts[0]))
        if bp is None:
            raise ShellError(f"No breakpoint number {parts[0]}.")
        bp.ignore = max(0, self.eval.evaluate(parts[1]).value)
        if bp.ignore == 0:
            self.say(f"Will stop next time breakpoint {bp.number} is reached.")
        elif bp.ignore == 1:
            self.say(f"Will ignore next crossing of breakpoint {bp.number}.")
        else:
            self.say(f"Will ignore next {bp.ignore} crossings of breakpoint {bp.number}.")

    # ---- watchpoints -------------------------------------------------------------------------
    def watch_value(self, bp: Breakpoint) -> int:
        try:
            return int.from_bytes(self.read_memory(bp.watch_address, bp.watch_size), "little",
                                  signed=bp.watch_signed)
        except ShellError:
            return 0

    def _watch(self, arg: str, kind: str) -> None:
        arg = arg.strip()
        if arg.startswith("-l ") or arg.startswith("-location "):
            arg = arg.split(None, 1)[1]
        if not arg:
            raise ShellError("Argument required (expression to compute).")
        v = self.eval.evaluate(arg)
        if v.lval is None:
            raise ShellError(f"Cannot watch constant value `{arg}'.")
        if v.lval[0] in ("reg", "frame"):
            raise ShellError("Expression cannot be implemented with read/access watchpoint."
                             if kind != "w" else
                             "Cannot watch registers: only memory watchpoints are supported.")
        if v.lval[0] == "bits":                 # the bytes holding the bit-field
            _, base, offset, bits = v.lval
            address, size = base + offset // 8, (offset % 8 + bits + 7) // 8
        else:
            _, address, size = v.lval
        ttype = {"w": "hw watchpoint", "r": "read watchpoint", "a": "acc watchpoint"}[kind]
        bp = Breakpoint(self.next_number, ttype, None, arg, watch_address=address,
                        watch_size=max(1, min(size, 8)), watch_signed=v.signed)
        self.next_number += 1
        bp.old = self.watch_value(bp)
        if self.running and self.uses_locals(arg):
            # gdb: a watchpoint on locals lives as long as their frame
            frames, level = self.selected_frames()
            phys = frames[level].physical_level
            physical = self.frame_states(phys + 2)
            if phys + 1 < len(physical):
                bp.scope = (self.target.current, physical[phys + 1].pc, physical[phys + 1].sp)
        self.breakpoints[bp.number] = bp
        self.sync_breakpoints()
        title = {"w": "Hardware watchpoint", "r": "Hardware read watchpoint",
                 "a": "Hardware access (read/write) watchpoint"}[kind]
        self.say(f"{title} {bp.number}: {arg}")

    def cmd_watch(self, arg: str) -> None:
        self._watch(arg, "w")

    def cmd_rwatch(self, arg: str) -> None:
        self._watch(arg, "r")

    def cmd_awatch(self, arg: str) -> None:
        self._watch(arg, "a")

    # ---- running -----------------------------------------------------------------------------
    def _reload(self) -> None:
        self.target.restart()
        self.unwinder.clear()
        self.selected = 0
        self.shown_thread = 0
        self.exit_code = None
        for bp in [b for b in self.breakpoints.values() if b.scope]:
            del self.breakpoints[bp.number]        # their frame is gone
        for bp in self.breakpoints.values():
            if bp.is_watch:
                bp.old = self.watch_value(bp)
        self.internal.clear()
        self.sync_breakpoints()

    def _begin(self) -> None:
        if self.running or self.target.finished is not None or self.target.hart.instret:
            self._reload()
        self.running = True
        self.say(f"Starting program: {os.path.abspath(self.firmware)} ")

    def cmd_run(self, arg: str) -> None:
        self._begin()
        self.resume_and_report()

    def cmd_start(self, arg: str) -> None:
        self.new_breakpoint("main", temporary=True)
        self.cmd_run(arg)

    def cmd_starti(self, arg: str) -> None:
        self._begin()
        self.say()
        self.say("Program stopped.")
        self.print_frame_line(self.pc, mid=True)

    def cmd_restart(self, arg: str) -> None:
        self._reload()
        self.running = True
        self.say(f"Firmware reloaded: {os.path.abspath(self.firmware)}")
        self.print_frame_line(self.pc, mid=True)

    def cmd_kill(self, arg: str) -> None:
        self.require_running()
        self.running = False
        self.say("[Inferior 1 (process 1) killed]")

    def cmd_continue(self, arg: str) -> None:
        self.require_running()
        if arg:
            n = self.eval.evaluate(arg).value
            here = [b for b in self.breakpoints.values()
                    if b.is_code and b.address == self.pc and b.enabled]
            if here:
                here[0].ignore = max(0, n - 1)
                self.say(f"Will ignore next {n - 1} crossings of breakpoint {here[0].number}.  Continuing.")
            else:
                self.say("Not stopped at any breakpoint; argument ignored.")
                self.say("Continuing.")
        else:
            self.say("Continuing.")
        self.resume_and_report()

    def check_finished(self) -> None:
        self.require_running()
        if self.target.finished is not None:
            fin = self.target.finished
            if fin.reason == "fault":
                sig, text = self.signal_for(fin)
                self.say()
                self.say(f"Program terminated with signal {sig}, {text}.")
                self.say("The program no longer exists.")
                self.running = False
                raise ShellError("The program is not being run.")

    def resume_and_report(self, stop_at: set[int] | None = None) -> Event:
        """Continue until a user-visible stop (honouring conditions and ignore counts)."""
        self.check_finished()
        while True:
            event = self._cont()
            result = self.classify(event)
            if result is None:
                continue
            self.report(event, result)
            return event

    def _cont(self) -> Event:
        try:
            return self.target.cont()
        finally:
            self.unwinder.clear()
            self.selected = 0
            self.stop_where = (self.target.current, self.target.hart.pc)

    def classify(self, event: Event, stepping: bool = False):
        """None to keep going, else what to report: ('breakpoint', [bps]) etc."""
        if event.reason == "breakpoint":
            gone = [b for b in self.breakpoints.values() if b.is_watch and b.scope and
                    b.scope[:2] == (event.hart, event.pc) and self.target.hart.reg(2) >= b.scope[2]]
            if gone:
                return ("scope", gone)
            hits = self.user_breakpoints_at(event.pc)
            if hits:
                return ("breakpoint", hits)
            if event.pc in self.internal:
                return ("internal", [])
            return None          # a breakpoint that was removed meanwhile
        if event.reason == "watchpoint":
            return self.watch_hit(event)
        if event.reason == "catch":         # Simulator.catch holds only enabled kinds
            kind = event.message.split()[0]
            return ("catch", [b for b in self.breakpoints.values() if b.catches(kind)])
        return (event.reason, [])

    def user_breakpoints_at(self, pc: int) -> list[Breakpoint]:
        """Enabled breakpoints at pc whose condition holds and ignore count is spent
        (hit counts and ignore counts are updated)."""
        stop = []
        for bp in list(self.breakpoints.values()):
            if not bp.is_code or not bp.enabled or bp.address != pc:
                continue
            if bp.thread is not None and bp.thread != self.target.current + 1:
                continue
            if bp.condition:
                try:
                    if not self.eval.evaluate(bp.condition).value:
                        continue
                except ShellError as e:
                    self.error(f"Error in testing condition for breakpoint {bp.number}:\n{e}")
            bp.hits += 1
            if bp.ignore > 0:
                bp.ignore -= 1
                continue
            stop.append(bp)
        return stop

    def watch_hit(self, event: Event):
        kind, address, size, old, new = event.watch
        hits = []
        for bp in self.breakpoints.values():
            if not bp.is_watch or not bp.enabled:
                continue
            if not (bp.watch_address < address + size and address < bp.watch_address + bp.watch_size):
                continue
            current = self.watch_value(bp)
            if kind == "w" and bp.kind in ("w", "a"):
                if current == bp.old and bp.kind == "w":
                    continue           # gdb: a write watchpoint fires when the value changes
                hits.append((bp, bp.old, current, "w"))
            elif kind == "r" and bp.kind in ("r", "a"):
                hits.append((bp, None, current, "r"))
        if not hits:
            return None
        for bp, _, _, _ in hits:
            bp.hits += 1
        return ("watchpoint", hits)

    # ---- reporting ---------------------------------------------------------------------------
    def signal_for(self, event: Event) -> tuple[str, str]:
        msg = event.message.lower()
        for key, value in SIGNALS.items():
            if key in msg:
                return value
        return ("SIGSEGV", "Segmentation fault")

    def report(self, event: Event, result, step_header: bool = True) -> None:
        what, items = result
        if what != "exit" and event.hart != self.shown_thread:
            self.say(f"[Switching to Thread {event.hart + 1} (hart {event.hart})]")
        self.shown_thread = event.hart
        if what in ("exit",):
            self.exit_code = event.exit_code
            code = event.exit_code or 0
            self.say(f"[Inferior 1 (process 1) exited "
                     f"{'normally' if code == 0 else f'with code {code:02o}'}]")
            self.running = False
            return
        if what == "fault":
            sig, text = self.signal_for(event)
            self.say()
            self.say(f"Program received signal {sig}, {text}.")
            self.say(self.target.sim.describe_stop(
                type("S", (), {"pc": event.pc, "message": event.message, "reason": "fault"})(),
                event.hart))
            self.print_frame_line(event.pc, mid=True)
        elif what == "catch":
            for bp in items:
                bp.hits += 1
            self.say()
            self.print_frame_line(event.pc, prefix=f"Catchpoint {items[0].number} ({event.message}), ")
        elif what == "deadlock":      # no gdb equivalent: what the cores wait for
            self.say()
            self.say(f"Program stopped: {event.message}.")
            self.print_frame_line(event.pc, mid=True)
            self.running = False
        elif what == "interrupted":
            self.say()
            self.say("Program received signal SIGINT, Interrupt.")
            self.print_frame_line(event.pc, mid=True)
        elif what == "limit":
            self.say(f"Stopped: {event.message}")
            self.print_frame_line(event.pc, mid=True)
        elif what == "breakpoint":
            bps = items
            first = bps[0]
            label = "Temporary breakpoint" if first.temporary else "Breakpoint"
            self.say()
            self.print_frame_line(event.pc, prefix=f"{label} {first.number}, ")
            for bp in bps:
                if bp.temporary:
                    self.breakpoints.pop(bp.number, None)
            self.sync_breakpoints()
        elif what == "scope":
            for bp in items:
                self.breakpoints.pop(bp.number, None)
                self.say()
                self.say(f"Watchpoint {bp.number} deleted because the program has left the block in")
                self.say("which its expression is valid.")
            self.sync_breakpoints()
            self.print_frame_line(event.pc, mid=True)
        elif what == "watchpoint":
            for bp, old, new, access in items:
                title = {"w": "Hardware watchpoint", "r": "Hardware read watchpoint",
                         "a": "Hardware access (read/write) watchpoint"}[bp.kind]
                self.say()
                self.say(f"{title} {bp.number}: {bp.what}")
                self.say()
                if access == "w" and old != new:
                    self.say(f"Old value = {self.watch_format(bp, old)}")
                    self.say(f"New value = {self.watch_format(bp, new)}")
                else:
                    self.say(f"Value = {self.watch_format(bp, new)}")
                bp.old = new
            self.print_frame_line(event.pc, header=True)
        elif what in ("step", "internal"):
            self.print_frame_line(event.pc, header=step_header)
        self.show_displays()

    def watch_format(self, bp: Breakpoint, value: int) -> str:
        if bp.watch_size == 1 and bp.watch_signed is not None:
            var = self.dvars.global_named(bp.what)
            if var is not None and self.dvars.var_type(var).char:
                return f"{value} {_char_literal(value)}"
        return str(value)

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

    # ---- frames ------------------------------------------------------------------------------
    def _insn(self, pc: int) -> tuple[int, str, str]:
        try:
            code = self.target.read_memory(pc, 4)
        except IssError:
            return 2, "??", ""
        if len(code) < 4:
            code = code + b"\0" * (4 - len(code))
        try:
            return _disassemble(code, pc, self.target.sim.flavour, None)
        except Exception:
            return 2, "??", ""

    def is_call(self, pc: int) -> tuple[bool, int]:
        length, mnem, ops = self._insn(pc)
        if mnem == "c.jal" or mnem == "c.jalr":
            return True, length
        if mnem in ("jal", "jalr") and ops.split(",")[0].strip() == "ra":
            return True, length
        return False, length

    def _word(self, address: int) -> int | None:
        try:
            return int.from_bytes(self.read_memory(address, 4), "little")
        except ShellError:
            return None

    # ---- stepping ----------------------------------------------------------------------------
    def _stepi(self) -> Event:
        try:
            return self.target.stepi(1)
        finally:
            self.unwinder.clear()
            self.selected = 0
            self.stop_where = None        # stepping enters inlined calls (gdb's step)

    def _step_event_result(self, event: Event, start_pc: int):
        """After one machine step: a result to report (stop stepping) or None."""
        if event.reason == "step":
            # gdb: landing on a breakpoint's address while stepping reports the breakpoint
            hits = self.user_breakpoints_at(event.pc) if event.pc in self.target.breakpoints else []
            return ("breakpoint", hits) if hits else None
        return self.classify(event)

    def run_to(self, address, frame_sp: int | None) -> tuple[Event, object]:
        """Continue until address (or one of a set) is reached by the current hart in a
        frame whose sp >= frame_sp (or a user stop)."""
        addresses = set(address) if isinstance(address, (set, frozenset, list, tuple)) else {address}
        hart = self.target.current
        added = addresses - self.internal
        self.internal |= added
        self.sync_breakpoints()
        try:
            while True:
                event = self._cont()
                if event.reason == "breakpoint" and event.pc in addresses and \
                        event.hart == hart and \
                        (frame_sp is None or self.target.hart.reg(2) >= frame_sp):
                    hits = self.user_breakpoints_at(event.pc)
                    if hits:
                        return event, ("breakpoint", hits)
                    return event, ("internal", [])
                result = self.classify(event)
                if result is None or result[0] == "internal":
                    continue
                return event, result
        finally:
            self.internal -= added
            self.sync_breakpoints()

    def cmd_stepi(self, arg: str) -> None:
        self._instruction_steps(arg, over_calls=False)

    def cmd_nexti(self, arg: str) -> None:
        self._instruction_steps(arg, over_calls=True)

    def _instruction_steps(self, arg: str, over_calls: bool) -> None:
        """stepi / nexti: N instructions; nexti runs a call to its return address."""
        self.check_finished()
        count = self.eval.evaluate(arg).value if arg else 1
        func0 = self.frame_key()
        event = result = None
        for _ in range(max(count, 1)):
            start = self.pc
            call, length = self.is_call(start) if over_calls else (False, 0)
            if call:
                event, result = self.run_to(start + length, self.target.hart.reg(2))
                if result[0] == "internal":
                    result = None
            else:
                event = self._stepi()
                result = self._step_event_result(event, start)
            if result is not None:
                break
        if result is None:
            result = ("step", [])
        self.report(event, result, step_header=self.frame_key() != func0)

    def cmd_step(self, arg: str) -> None:
        self._source_step(arg, into=True)

    def cmd_next(self, arg: str) -> None:
        self._source_step(arg, into=False)

    def _source_step(self, arg: str, into: bool, until: bool = False) -> None:
        self.check_finished()
        count = self.eval.evaluate(arg).value if arg else 1
        for _ in range(max(count, 1)):
            func0 = self.frame_key()
            if into and self.skipped_inlines():
                # gdb: stopped at an inlined call's site, step enters the inlined
                # function without running
                self.stop_where = None
                event, result = Event("step", self.pc, self.target.current), ("step", [])
                continue
            depth0 = self.dvars.inline_depth(self.pc) - self.skipped_inlines()
            line0 = self.current_line()
            event, result = self._step_line(into, until)
            if result[0] != "step":
                self.report(event, result)
                return
            if into:
                self._stop_at_inline_site(depth0, line0)
        self.report(event, result, step_header=self.frame_key() != func0)

    def skipped_inlines(self) -> int:
        """Inlined calls starting at the pc that the stop shows at their call site."""
        if not self.running or self.stop_where != (self.target.current, self.pc):
            return 0
        return min(self.dvars.inline_entries_at(self.pc), self.dvars.inline_depth(self.pc))

    def current_line(self):
        """(file, line) the user sees for frame 0 (the call site when inlined calls starting
        here are not entered yet)."""
        skipped = self.skipped_inlines()
        if skipped:
            site = self.dvars.inline_frame(self.pc, skipped)[1]
            if site is not None:
                return site[0], site[2]
        row = self.info.row_at(self.pc)
        return (row.file, row.line) if row else None

    def _stop_at_inline_site(self, depth0: int, line0) -> None:
        """After a step into the first instruction of inlined code: gdb stops at the call
        site first unless the call is on the line being stepped."""
        new = self.pc
        entered = self.dvars.inline_depth(new) - depth0
        entries = self.dvars.inline_entries_at(new)
        if entered <= 0 or entries <= 0:
            return
        site = self.dvars.inline_frame(new, min(entered, entries))[1]
        if site is not None and (site[0], site[2]) != line0:
            self.stop_where = (self.target.current, new)

    def frame_key(self):
        """What identifies the innermost frame for step reports: the function and, in
        inlined code, the inlined function (a change prints the frame line, as gdb)."""
        func = self.frame_function(self.pc)
        if not self.running:
            return func
        try:
            frames = self.frame_states(1, visible=True)
        except (ShellError, IssError):
            return func
        if not frames or frames[0].depth == frames[0].ndepth:
            return func
        return func, self.frame_where(frames, 0)[0], frames[0].ndepth - frames[0].depth

    def _step_line(self, into: bool, until: bool = False):
        hart = self.target.hart
        row = self.info.row_at(self.pc)
        if row is None:
            # gdb: no line info here: run until the function returns (then keep stepping)
            func = self.frame_function(self.pc)
            frames = self.frames(2)
            if len(frames) < 2:
                event = self._stepi()
                r = self._step_event_result(event, self.pc)
                return event, r or ("step", [])
            self.say(f"Single stepping until exit from function {func},\n"
                     f"which has no line number information.")
            event, result = self.run_to(frames[1][0], frames[1][1])
            if result[0] != "internal":
                return event, result
            row = self.info.row_at(self.pc)
            if row is None or self.pc in self.info.stmt:
                return event, ("step", [])
        cur = self.current_line() or (row.file, row.line)
        func = self.target.image.function_at(self.pc)
        lo = self.pc - func[1] if func else self.pc
        hi = lo + 0x100000
        if func:
            rng = self.function_range(func[0])
            if rng:
                hi = rng[1]
        start_sp = hart.reg(2)
        steps = 0
        event = None
        until_end = row.end
        # next steps over inlined calls (gdb)
        depth0 = self.dvars.inline_depth(self.pc) - self.skipped_inlines()
        while True:
            pc = self.pc
            call, length = self.is_call(pc)
            if call:
                if into:
                    event = self._stepi()
                    result = self._step_event_result(event, pc)
                    if result is not None:
                        return event, result
                    callee = self.target.image.function_at(self.pc)
                    rng = self.function_range(callee[0]) if callee else None
                    has_lines = rng is not None and self.info.row_at(self.pc) is not None
                    if has_lines:
                        target = self.info.after_prologue(*rng)
                        if target != self.pc:
                            event, result = self.run_to(target, None)
                            if result[0] != "internal":
                                return event, result
                        return event, ("step", [])
                    # no line info: come back out
                    event, result = self.run_to(pc + length, start_sp)
                else:
                    event, result = self.run_to(pc + length, hart.reg(2))
                if result[0] != "internal":
                    return event, result
            else:
                event = self._stepi()
                result = self._step_event_result(event, pc)
                if result is not None:
                    return event, result
            steps += 1
            new = self.pc
            if until and lo <= new < until_end:
                continue          # until: do not go backwards in loops (gdb's step range)
            r = self.info.stmt.get(new)
            if r is not None and (r.file, r.line) != cur:
                if into or not lo <= new < hi or self.dvars.inline_depth(new) <= depth0:
                    return event, ("step", [])
            if not lo <= new < hi:
                if hart.reg(2) > start_sp:
                    # returned to the caller: finish its line (gdb keeps stepping mid-line)
                    nrow = self.info.row_at(new)
                    nfunc = self.target.image.function_at(new)
                    if nrow is None or nfunc is None:
                        return event, ("step", [])
                    cur = (nrow.file, nrow.line)
                    lo = new - nfunc[1]
                    rng = self.function_range(nfunc[0])
                    hi = rng[1] if rng else lo + 0x100000
                    start_sp = hart.reg(2)
                    if new in self.info.stmt:
                        return event, ("step", [])
                    continue
                nrow = self.info.row_at(new)
                if nrow is not None and new in self.info.stmt:
                    return event, ("step", [])
            if steps > 2000:
                event, result = self._fast_line(cur, lo, hi, start_sp, into)
                return event, result

    def _fast_line(self, cur, lo: int, hi: int, start_sp: int, into: bool):
        """Long lines (loops): breakpoints on every other statement of the function and on
        the return address instead of single steps (calls inside are stepped over)."""
        targets = {a for a, r in self.info.stmt.items()
                   if lo <= a < hi and (r.file, r.line) != cur}
        frames = self.frames(2)
        if len(frames) > 1:
            targets.add(frames[1][0])
        if not targets:
            event = self._cont()
            return event, self.classify(event) or ("step", [])
        added = targets - self.internal
        self.internal |= added
        self.sync_breakpoints()
        try:
            while True:
                event = self._cont()
                if event.reason == "breakpoint" and event.pc in targets:
                    hits = self.user_breakpoints_at(event.pc)
                    if hits:
                        return event, ("breakpoint", hits)
                    if self.target.hart.reg(2) >= start_sp or not lo <= event.pc < hi:
                        if not lo <= event.pc < hi and event.pc not in self.info.stmt:
                            # back in the caller mid-line: finish that line by stepping
                            self.internal -= added
                            self.sync_breakpoints()
                            added = set()
                            return self._step_line(into)
                        return event, ("step", [])
                    continue
                result = self.classify(event)
                if result is None or result[0] == "internal":
                    continue
                return event, result
        finally:
            self.internal -= added
            self.sync_breakpoints()

    def cmd_finish(self, arg: str) -> None:
        self.check_finished()
        states, level = self.selected_frames()        # gdb: finish the selected frame
        if level + 1 >= len(states):
            raise ShellError("\"finish\" not meaningful in the outermost frame.")
        frame = states[level]
        func_pc = frame.pc if frame.physical_level == 0 else frame.pc - 1
        func = self.target.image.function_at(func_pc)
        # gdb: 'Run till exit from #0  f (a=1) at file.c:3'
        self._print_bt_line(level, frames=states, prefix="Run till exit from ")
        if frame.depth < frame.ndepth:
            # an inlined subroutine: run until the code after it (or its function returns)
            ranges = self.dvars.inline_ranges(func_pc, frame.depth)
            exits = {hi for _, hi in ranges if not any(lo <= hi < h for lo, h in ranges)}
            callers = [s for s in states if s.phys == frame.phys + 1]
            if callers:
                exits.add(callers[0].pc)
            event, result = self.run_to(exits, frame.sp)
            if result[0] != "internal":
                self.report(event, result)
                return
            self.print_frame_line(self.pc, header=True, lookup=self.pc)
            self.show_displays()
            return
        event, result = self.run_to(states[level + 1].pc, states[level + 1].sp)
        if result[0] != "internal":
            self.report(event, result)
            return
        self.print_frame_line(self.pc, header=True, lookup=self.pc)
        start = func_pc - func[1] if func else None
        v = self.returned_value(func_pc)
        if v is None and self.dvars.function_at(func_pc) is None and start is not None \
                and self.info.returns_value.get(start):
            v = Value(_wrap(self.target.hart.reg(10), 4, True))
        if v is not None:
            self.history.append(v)
            self.say(f"Value returned is ${len(self.history)} = {self.format_value(v)}")
        self.show_displays()

    def cmd_until(self, arg: str) -> None:
        if not arg:
            self._source_step("", into=False, until=True)
            return
        self.cmd_advance(arg)

    def cmd_advance(self, arg: str) -> None:
        self.check_finished()
        if not arg:
            raise ShellError("Argument required (a location).")
        address, _ = self.parse_location(arg)
        frames = self.frames(2)
        extra = set()
        if len(frames) > 1:
            extra.add(frames[1][0])
        self.internal |= extra | {address}
        self.sync_breakpoints()
        try:
            while True:
                event = self._cont()
                if event.reason == "breakpoint" and event.pc in (extra | {address}):
                    hits = self.user_breakpoints_at(event.pc)
                    result = ("breakpoint", hits) if hits else ("step", [])
                    break
                result = self.classify(event)
                if result is None or result[0] == "internal":
                    continue
                break
        finally:
            self.internal -= extra | {address}
            self.sync_breakpoints()
        self.report(event, result)

    # ---- inspection --------------------------------------------------------------------------
    def cmd_info(self, arg: str) -> None:
        parts = arg.split(None, 1)
        if not parts:
            raise ShellError("List of info subcommands: breakpoints registers all-registers frame line "
                             "source symbol threads display stats accel functions variables.")
        sub, rest = parts[0].lower(), parts[1] if len(parts) > 1 else ""
        table = {"breakpoints": self.info_breakpoints, "b": self.info_breakpoints,
                 "br": self.info_breakpoints, "watchpoints": self.info_watchpoints,
                 "registers": self.info_registers, "r": self.info_registers,
                 "reg": self.info_registers,
                 "all-registers": self.info_registers, "frame": self.info_frame,
                 "f": self.info_frame, "line": self.info_line, "source": self.info_source,
                 "symbol": self.info_symbol, "threads": self.info_threads,
                 "display": self.info_display, "stats": self.info_stats,
                 "accel": self.info_accel, "functions": self.info_functions,
                 "variables": self.info_variables, "program": self.info_program,
                 "locals": self.info_locals, "args": self.info_args,
                 "inferiors": self.info_program}
        handler = table.get(sub)
        if handler is None:
            matches = [k for k in table if k.startswith(sub)]
            if len(matches) >= 1:
                handler = table[sorted(matches, key=len)[0]]
        if handler is None:
            raise ShellError(f"Undefined info command: \"{sub}\".  Try \"help info\".")
        handler(rest.strip())

    def info_breakpoints(self, arg: str, watch_only: bool = False) -> None:
        bps = [b for b in self.breakpoints.values() if b.is_watch or not watch_only]
        if arg:
            wanted = set(self.numbers(arg))
            bps = [b for b in bps if b.number in wanted]
        if not bps:
            self.say("No watchpoints." if watch_only else "No breakpoints or watchpoints.")
            return
        self.say(f"{'Num':<8}{'Type':<15}{'Disp':<5}{'Enb':<4}{'Address':<11}What")
        for b in sorted(bps, key=lambda b: b.number):
            disp = "del" if b.temporary else "keep"
            enb = "y" if b.enabled else "n"
            if not b.is_code:
                self.say(f"{b.number:<8}{b.type:<15}{disp:<5}{enb:<4}{'':<11}{b.what}")
            else:
                self.say(f"{b.number:<8}{b.type:<15}{disp:<5}{enb:<4}{f'0x{b.address:08x}':<11}{b.what}")
            if b.condition:
                self.say(f"\tstop only if {b.condition}")
            if b.thread is not None:
                self.say(f"\tstop only in thread {b.thread}")
            if b.hits:
                self.say(f"\tbreakpoint already hit {b.hits} time{'s' if b.hits != 1 else ''}")
            if b.ignore:
                self.say(f"\tWill ignore next {b.ignore} crossings of breakpoint.")

    def info_watchpoints(self, arg: str) -> None:
        self.info_breakpoints(arg, watch_only=True)

    def register_line(self, name: str, value: int, shown: str | None = None) -> str:
        natural = self.register_natural(name, value)
        return f"{(shown or name):<15}{f'0x{value:x}':<19}{natural}"

    def register_natural(self, name: str, value: int) -> str:
        if name in ("pc", "ra") or name.startswith(("lpstart", "lpend")):
            return f"0x{value:x}{self.sym_suffix(value, True)}"
        if name in ("sp", "gp", "tp", "s0", "fp"):
            return f"0x{value:x}"
        return str(_wrap(value, 4, True))

    def info_registers(self, arg: str) -> None:
        self.require_running("The program has no registers now.")
        regs = dict(self.target.registers())
        if arg:
            for word in arg.replace(",", " ").split():
                name = word.lstrip("$").lower()
                key = "s0" if name == "fp" else name
                if key.startswith("x") and key[1:].isdigit() and int(key[1:]) < 32:
                    from ..isa.spec import ABI
                    key = ABI[int(key[1:])]
                if key not in regs:         # a CSR (mcause, mepc...): named explicitly only
                    try:
                        regs[key] = self.target.read_register(key)
                    except IssError:
                        raise ShellError(f"Invalid register `{name}'") from None
                self.say(self.register_line(key, regs[key], "fp" if key == "s0" else name))
            return
        for name, value in regs.items():
            if name == "zero":
                continue
            self.say(self.register_line(name, value, "fp" if name == "s0" else None))

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

    def info_symbol(self, arg: str) -> None:
        if not arg:
            raise ShellError("Argument required (address).")
        address = self.eval.evaluate(arg).value & 0xFFFFFFFF
        name = self.info.data_symbol(address)
        section = self.info.section_of(address)
        if name is None or section is None:
            self.say(f"No symbol matches {arg}.")
            return
        name = name.replace("+", " + ")
        self.say(f"{name} in section {section}")

    def info_threads(self, arg: str) -> None:
        self.require_running()
        self.say(f"  {'Id':<5}{'Target Id':<30}Frame ")
        current = self.target.current
        for i, hart in enumerate(self.target.harts):
            mark = "*" if i == current else " "
            self.target.select_hart(i)
            try:
                where = self.frame_text(self.frame_states(2, visible=True), 0)
            finally:
                self.target.select_hart(current)
            state = self.target.hart_state(i)
            tid = f"Thread {i + 1} (hart {hart.index}, hartid 0x{hart.hartid:x}" \
                  + (f", {state})" if state else ")")
            self.say(f"{mark} {i + 1:<5}{tid:<30}{where}")

    def cmd_thread(self, arg: str) -> None:
        self.require_running()
        if arg.split()[:1] == ["apply"]:
            self.thread_apply(arg.split(None, 1)[1] if len(arg.split()) > 1 else "")
            return
        if not arg:
            i = self.target.current
            self.say(f"[Current thread is {i + 1} (Thread {i + 1} (hart {i}))]")
            return
        try:
            n = int(arg.split()[0])
        except ValueError:
            raise ShellError(f"Invalid thread ID: {arg}") from None
        if not 1 <= n <= len(self.target.harts):
            raise ShellError(f"Unknown thread {n}.")
        self.target.select_hart(n - 1)
        self.selected = 0
        self.shown_thread = n - 1
        self.say(f"[Switching to thread {n} (Thread {n} (hart {n - 1}))]")
        self._print_bt_line(0, self.pc, innermost=True)

    def thread_apply(self, arg: str) -> None:
        """thread apply all|N... COMMAND: run COMMAND in each thread (all: highest first,
        as gdb), then come back to the selected thread and frame."""
        words = arg.split()
        count = len(self.target.harts)
        if words[:1] == ["all"]:
            threads, command = list(range(count, 0, -1)), " ".join(words[1:])
        else:
            numbers = []
            while words and re.fullmatch(r"\d+(-\d+)?", words[0]):
                lo, _, hi = words.pop(0).partition("-")
                numbers += range(int(lo), int(hi or lo) + 1)
            threads, command = numbers, " ".join(words)
            if not threads:
                raise ShellError("Please specify a thread ID list")
        if not command:
            raise ShellError("Please specify a command following the thread ID list")
        current, selected = self.target.current, self.selected
        try:
            for n in threads:
                if not 1 <= n <= count:
                    self.say(f"warning: Unknown thread {n}")
                    continue
                self.target.select_hart(n - 1)
                self.selected = 0
                self.say()
                self.say(f"Thread {n} (Thread {n} (hart {n - 1})):")
                self.execute(command)
        finally:
            self.target.select_hart(current)
            self.selected = selected

    def info_display(self, arg: str) -> None:
        if not self.displays:
            self.say("There are no auto-display expressions now.")
            return
        self.say("Auto-display expressions now in effect:\nNum Enb Expression")
        for number, fmt, expr in self.displays:
            self.say(f"{number}:   y  {'/' + fmt + ' ' if fmt else ''}{expr}")

    def info_stats(self, arg: str) -> None:
        sim = self.target.sim
        total = sum(h.instret for h in sim.harts)
        state = "running (stopped)" if self.running else (
            "exited" if self.exit_code is not None else "not started")
        self.say(f"Program: {os.path.abspath(self.firmware)} ({state})")
        self.say(f"Platform: {sim.platform.name}, ISA flavour {sim.flavour}")
        self.say(f"Instructions: {total}")
        self.say(f"Harts: {len(sim.harts)}")
        for h in sim.harts:
            self.say(f"  hart {h.index} (hartid 0x{h.hartid:x}): {h.instret} instructions, "
                     f"{h.cycles} cycles, {h.state}, pc 0x{h.pc:08x}{self.sym_suffix(h.pc, True)}")
        for p in sim.peripherals:
            stats = p.stats()
            if stats:
                self.say(f"  {p.name}: " + ", ".join(f"{k} {v}" for k, v in stats.items()))

    def info_accel(self, arg: str) -> None:
        sim = self.target.sim
        accels = [p for p in sim.peripherals if p.accelerator]
        if not accels:
            self.say("No accelerators on this platform.")
        else:
            self.say("Accelerators:")
            for p in accels:
                self.say(f"  {p.name:<16} base 0x{p.base:08x} size 0x{p.size:x} ({type(p).__name__})")
        if sim.peripherals:
            self.say("Peripherals:")
            for p in sim.peripherals:
                self.say(f"  {p.name:<16} base 0x{p.base:08x} size 0x{p.size:x} ({type(p).__name__})")

    def info_functions(self, arg: str) -> None:
        pattern = re.compile(arg) if arg else None
        self.say(f'All functions matching regular expression "{arg}":' if arg else "All defined functions:")
        for start, _size, name in self.target.image.functions:
            if pattern is None or pattern.search(name):
                self.say(f"0x{start:08x}  {name}")

    def info_variables(self, arg: str) -> None:
        pattern = re.compile(arg) if arg else None
        self.say(f'All variables matching regular expression "{arg}":' if arg else "All defined variables:")
        for value, _size, name in self.info.objects:
            if self.info.symbols[name][2] == "STT_OBJECT" and (pattern is None or pattern.search(name)):
                self.say(f"0x{value:08x}  {name}")

    def info_program(self, arg: str) -> None:
        if not self.running:
            self.say("The program being debugged is not being run.")
            return
        self.say(f"\tUsing the running image of child process 1.\nProgram stopped at 0x{self.pc:x}.")

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

    # ---- disassemble / list / backtrace -----------------------------------------------------
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

    # ---- help / quit ---------------------------------------------------------------------------
    def cmd_help(self, arg: str) -> None:
        if arg:
            name = self.resolve_command(arg.split()[0])
            aliases, _, text = self.COMMANDS[name]
            self.say(text)
            if aliases:
                self.say(f"Aliases: {', '.join(aliases)}.")
            return
        self.say("Commands (gdb names and abbreviations; Enter repeats si/ni/s/n/c/x):")
        for name, (aliases, _, text) in self.COMMANDS.items():
            short = f" ({', '.join(aliases)})" if aliases else ""
            self.say(f"  {name}{short} -- {text.split(':', 1)[-1].strip() if ':' in text else text}")

    def cmd_quit(self, arg: str) -> None:
        self.quit_requested = True

    # ---- drivers ----------------------------------------------------------------------------
    def run_lines(self, lines, stop_on_error: bool = False) -> bool:
        ok = True
        for line in lines:
            if self.quit_requested:
                break
            if not self.execute(line):
                ok = False
                if stop_on_error:
                    break
        return ok

    def completions(self) -> list[str]:
        words = set(self.COMMANDS)
        for aliases, _, _ in self.COMMANDS.values():
            words.update(a for a in aliases if len(a) > 1)
        return sorted(words)

    def interactive(self) -> None:
        if not sys.stdin.isatty():
            for line in sys.stdin:
                self.execute(line)
                if self.quit_requested:
                    return
            return
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import Completer, Completion
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        shell = self

        class _Completer(Completer):
            def get_completions(self, document, complete_event):
                text = document.text_before_cursor
                word = document.get_word_before_cursor(WORD=True)
                if " " not in text.lstrip():
                    pool = shell.completions()
                else:
                    head = text.split()[0]
                    if head in ("info", "i", "inf") and len(text.split()) <= 2:
                        pool = ["breakpoints", "registers", "all-registers", "frame", "line",
                                "source", "symbol", "threads", "display", "stats", "accel",
                                "functions", "variables", "watchpoints"]
                    else:
                        pool = list(shell.info.symbols) + [f"${r}" for r, _ in
                                                           shell.target.registers()]
                        pool += shell.local_names()
                        word = word.lstrip("*&(")
                for cand in sorted(set(pool)):
                    if cand.startswith(word):
                        yield Completion(cand, start_position=-len(word))

        try:
            history = FileHistory(os.path.expanduser("~/.iss_debug_history"))
        except OSError:
            history = InMemoryHistory()
        session = PromptSession(history=history, completer=_Completer(),
                                complete_while_typing=False)
        while not self.quit_requested:
            try:
                line = session.prompt("(iss) ")
            except KeyboardInterrupt:
                self.say("Quit")
                continue
            except EOFError:
                self.say("quit")
                break
            self.execute(line, from_tty=True)


def _type_name(pointee) -> str:
    size, signed = pointee[0], pointee[1]
    char = len(pointee) > 2 and pointee[2]
    if char:
        return "char"
    return {(1, True): "int8_t", (1, False): "uint8_t", (2, True): "short",
            (2, False): "unsigned short", (4, True): "int", (4, False): "unsigned int",
            (8, True): "long long", (8, False): "unsigned long long"}.get((size, signed), "int")


def _format_int(value: int, fmt: str, size: int, shell: Shell | None = None,
                memory: bool = False) -> str:
    return format_int(value, fmt, size, shell.sym_suffix if shell else None, memory)


# ============================================================================ entry points

def run_script(firmware, commands, platform=None, isa: str = "auto",
               stop_on_error: bool = False, cores: int | None = None) -> str:
    """Run debugger commands on firmware in-process; return everything printed
    (debugger output, error messages and the firmware's own output, in order)."""
    out = io.StringIO()
    shell = Shell(firmware, platform, isa, out=out, err=out, cores=cores)
    shell.run_lines(commands, stop_on_error=stop_on_error)
    return out.getvalue()


def main(args) -> int:
    """`iss debug` (args: firmware, platform, isa, command_files, batch)."""
    try:
        shell = Shell(args.firmware, getattr(args, "platform", None),
                      getattr(args, "isa", "auto") or "auto", out=sys.stdout, err=sys.stderr,
                      cores=getattr(args, "cores", None))
    except (ShellError, IssError) as e:
        print(f"iss debug: {e}", file=sys.stderr)
        return 2
    ok = True
    for path in getattr(args, "command_files", None) or []:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError as e:
            print(f"{path}: {e.strerror or e}.", file=sys.stderr)
            ok = False
            continue
        if not shell.run_lines(lines, stop_on_error=True):
            ok = False
        if shell.quit_requested:
            break
    if not getattr(args, "batch", False) and not shell.quit_requested:
        shell.interactive()
    sys.stdout.flush()
    return 0 if ok else 1


def _parse_args(argv=None):
    p = argparse.ArgumentParser(prog="iss debug", description="gdb-like debugger shell")
    p.add_argument("firmware", metavar="FIRMWARE.elf")
    p.add_argument("--platform", metavar="FILE")
    p.add_argument("--isa", default="auto", choices=("auto", "corev", "xpulpv2"))
    p.add_argument("--cores", type=int, metavar="N")
    p.add_argument("-x", dest="command_files", action="append", default=[], metavar="FILE")
    p.add_argument("--batch", action="store_true")
    return p.parse_args(argv)


if __name__ == "__main__":
    with warnings_on_stderr():
        status = main(_parse_args())
    sys.exit(status)
