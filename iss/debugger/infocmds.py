"""`info ...`: the subcommand table and the subcommands about registers, threads, symbols,
displays, the platform's devices and the run's stats; `thread N` and `thread apply`.
(info breakpoints is in breakpoints.py, info frame/locals/args in varcmds.py, info
line/source in source.py.)

A mixin of Shell (shell.py).
"""
from __future__ import annotations

import re

from ..errors import IssError
from .statstext import stats_text
from .valueprint import ExprError as ShellError, wrap as _wrap


class InfoCommands:
    # ---- info ----------------------------------------------------------------------------------
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

    # ---- threads ---------------------------------------------------------------------------
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
        self.out.write(stats_text(self.target.sim, current=self.target.current,
                                  stop=self.last_event, finished=self.target.finished,
                                  started=self.running))

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
