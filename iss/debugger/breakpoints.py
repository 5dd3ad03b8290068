"""Breakpoints, watchpoints and catchpoints: the Breakpoint record; break/tbreak/catch/
watch/rwatch/awatch/delete/disable/enable/condition/ignore and `info breakpoints`;
keeping the target's breakpoints and watchpoints in step with the user's; deciding which
of them a stop hits (conditions, ignore counts, thread filters, changed values).

A mixin of Shell (shell.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .target import Event
from .valueprint import ExprError as ShellError, char_literal as _char_literal


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


# catch KIND: which trap entries stop (Simulator.catch)
CATCH_KINDS = {"trap": ("exception", "interrupt"), "exception": ("exception",),
               "interrupt": ("interrupt",)}


class BreakpointCommands:
    # ---- breakpoints -------------------------------------------------------------------------
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

    def watch_format(self, bp: Breakpoint, value: int) -> str:
        if bp.watch_size == 1 and bp.watch_signed is not None:
            var = self.dvars.global_named(bp.what)
            if var is not None and self.dvars.var_type(var).char:
                return f"{value} {_char_literal(value)}"
        return str(value)

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
