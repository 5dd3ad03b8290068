"""Running and stepping: run/start/starti/restart/kill/continue, stepi/nexti (instructions),
step/next/until (DWARF line table, inlined calls as gdb), finish and advance; the report
of each stop (breakpoint, watchpoint, catchpoint, signal, exit, deadlock) in gdb's words.

A mixin of Shell (shell.py).
"""
from __future__ import annotations

import os

from ..errors import IssError
from ..isa.decoder import KIND_JAL, KIND_JALR
from .expressions import Value
from .target import Event
from .valueprint import ExprError as ShellError, wrap as _wrap


SIGNALS = {
    "illegal": ("SIGILL", "Illegal instruction"),
    "ecall": ("SIGTRAP", "Trace/breakpoint trap"),
    "ebreak": ("SIGTRAP", "Trace/breakpoint trap"),
    "misaligned": ("SIGBUS", "Bus error"),
}


class RunCommands:
    # ---- running -----------------------------------------------------------------------------
    def _reload(self) -> None:
        self.target.restart()
        self.unwinder.clear()
        self.selected = 0
        self.shown_thread = 0
        self.exit_code = None
        self.last_event = None
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
            self.last_event = self.target.cont()
            return self.last_event
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

    def is_call(self, pc: int) -> tuple[bool, int]:
        """(whether the instruction at pc is a call: jal / jalr linking into ra, c.jal and
        c.jalr included, its length)."""
        length, d = self._decoded(pc)
        return d is not None and d.kind in (KIND_JAL, KIND_JALR) and d.writes == 1, length

    # ---- stepping ----------------------------------------------------------------------------
    def _stepi(self) -> Event:
        try:
            self.last_event = self.target.stepi(1)
            return self.last_event
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
