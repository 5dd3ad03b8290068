"""A gdb-like debugger shell over DebugTarget: `iss debug FIRMWARE.elf [-x FILE] [--batch]`.

gdb's command names, abbreviations and output habits (break/tbreak/watch/run/continue/
stepi/nexti/step/next/finish/until/info .../print/x/set/disassemble/list/backtrace/display):
a gdb user reads it without thinking.  Source-level stepping uses the DWARF line table;
frames are unwound from DWARF CFI (frames.py, cfi.py; prologue analysis where there is
none); variables, types and scopes come from dwarf_vars.py, expressions are evaluated by
expressions.py and printed by valueprint.py.

This module is the shell itself: the command table, dispatch, error reporting, the
interactive loop and the entry points.  The commands are mixins, one job each:
state.py (memory, registers, frames and variables as Values), source.py (locations,
stop lines, list), breakpoints.py, runcmds.py (run, continue, stepping, stop reports),
infocmds.py (info ..., thread), datacmds.py (print, x, set, display, disassemble) and
varcmds.py (backtrace, frame, locals, ptype).

Programmatic use: ``run_script(firmware, ["break main", "run", "info registers"]) -> str``.
Command files (-x) stop at the first failing command, like gdb; with --batch the exit
status is 0, or 1 when a command failed.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import sys
from pathlib import Path

from ..errors import IssError
from ..log import warnings_on_stderr
from .breakpoints import Breakpoint, BreakpointCommands
from .datacmds import DataCommands
from .debuginfo import DebugInfo
from .dwarf_vars import DwarfVars
from .expressions import Evaluator, ExprError, Value
from .frames import Unwinder
from .infocmds import InfoCommands
from .runcmds import RunCommands
from .source import SourceCommands
from .state import ProgramState
from .target import DebugTarget, Event
from .valueprint import TypedPrinter
from .varcmds import FrameVariableCommands


ShellError = ExprError       # a command failed: one line for the user, never a traceback

STEP_COMMANDS = {"stepi", "nexti", "step", "next", "continue", "x", "until", "list"}


# ============================================================================ the shell

class Shell(ProgramState, SourceCommands, BreakpointCommands, RunCommands, InfoCommands,
            DataCommands, FrameVariableCommands):
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
        self.unwinder = Unwinder(self.info.elf, self._decoded, self._word,
                                 self.target.image.function_at, self.info.in_text)
        self.printer = TypedPrinter(self.sym_suffix, self.c_string)
        self.eval = Evaluator(self)
        self.selected = 0             # selected frame (up/down/frame N), 0 after every stop
        self.display_scope: dict[int, int] = {}   # display number -> function (low pc)
        self.stop_where: tuple | None = None      # (hart, pc) of the last stop
        self.last_event: Event | None = None      # the target's last stop (info stats)
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
