"""DebugTarget: run, stop and inspect a simulation the way a debugger needs.

Breakpoints cost nothing where they are not: each is an exact-address range of the
native code hook (the hook checks a per-halfword breakpoint table, then runs custom
instructions and hardware-loop ends as usual). Watchpoints use Unicorn memory hooks
limited to the watched bytes; while any is set, loads and stores are slower.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from unicorn import unicorn_const as UC
from unicorn.riscv_const import UC_RISCV_REG_PC

from ..errors import IssError
from ..hart import FINISHED, HALTED, SLEEPING, Stop
from ..interrupts import DEBUGGER_CSRS, read_csr, write_csr
from ..isa.spec import ABI
from ..simulator import Simulator
from ..xpulp_exec import HWLOOP_CSR_BASE
from .ranges import RangeExits, Spans, inside, range_exits

REGISTER_NAMES = ABI + ["pc"]
HWLOOP_REGISTERS = ("lpstart0", "lpend0", "lpcount0", "lpstart1", "lpend1", "lpcount1")
_NUMBERED = {f"x{i}": i for i in range(32)} | {name: i for i, name in enumerate(ABI)} | {"fp": 8}


@dataclass
class Event:
    """Why execution stopped, as a debugger reports it."""
    reason: str            # breakpoint, watchpoint, step, exit, fault, limit, interrupted,
                           # catch, blocked (the harts let run wait for held ones)
    pc: int
    hart: int = 0
    message: str = ""
    exit_code: int | None = None
    watch: tuple | None = None   # (kind 'w'|'r'|'a', address, size, old, new)


class DebugTarget:
    def __init__(self, firmware, platform=None, isa: str = "auto", output=None,
                 cores: int | None = None):
        self._args = (firmware, platform, isa, output, cores)
        self._start()

    def _start(self) -> None:
        firmware, platform, isa, output, cores = self._args
        # the original code only: breakpoints, single steps and watchpoints see every
        # instruction (no translated copy, iss/shadow.py)
        self.sim = Simulator(firmware, platform, output=output, isa=isa, cores=cores,
                             translate=False)
        self.image = self.sim.image
        custom = self.sim.custom
        self.breaks = np.zeros_like(custom.hooked)
        for hart in self.sim.harts:
            hart.native.breakpoints = self.breaks.ctypes.data
            hart.native.break_skip = -1
        self.breakpoints: set[int] = set()
        self.watchpoints: dict[tuple, list] = {}   # (kind, address, size) -> hook handles
        self._unobserve = None             # stops the "access" observer (sim.observe)
        self.current = 0
        self.finished: Event | None = None
        self._watch_hit = None
        self._read_stop_pc = None      # pc of a load stopped by a read watchpoint
        self._watch_skip = None        # that load, to run without stopping on resume
        self._reported: dict[int, int] = {}   # hart -> breakpoint pc it stopped at (not yet left)
        self._exit_cache: dict[Spans, RangeExits] = {}
        self.pending: dict[int, Event] = {}   # hart -> a stop held for the next resume

    def restart(self) -> None:
        """Reload the firmware; breakpoints and watchpoints are kept."""
        breakpoints, watchpoints = set(self.breakpoints), list(self.watchpoints)
        self._start()
        for address in breakpoints:
            self.add_breakpoint(address)
        for kind, address, size in watchpoints:
            self.add_watchpoint(address, size, kind)

    # ---- harts ----------------------------------------------------------------------
    @property
    def harts(self):
        return self.sim.harts

    @property
    def hart(self):
        return self.sim.harts[self.current]

    def hart_state(self, index: int) -> str:
        """What a hart is doing, for thread lists: "" while it runs, else why not."""
        hart = self.harts[index]
        if hart.state == SLEEPING:
            return f"asleep, waits for {self.sim.waiting_for(hart)}"
        return {HALTED: "halted (fetch disabled)", FINISHED: "finished"}.get(hart.state, "")

    def select_hart(self, index: int) -> None:
        if not 0 <= index < len(self.sim.harts):
            raise IssError(f"no hart {index} (harts 0..{len(self.sim.harts) - 1})")
        self.current = index

    # ---- breakpoints and watchpoints ----------------------------------------------------
    def add_breakpoint(self, address: int) -> None:
        custom = self.sim.custom
        if not custom.base <= address < custom.end:
            raise IssError(f"cannot break at 0x{address:08x}: outside the executable segments")
        if address & 1:
            raise IssError(f"cannot break at odd address 0x{address:08x}")
        if address not in self.breakpoints:
            self.breakpoints.add(address)
            self.breaks[(address - custom.base) >> 1] = 1
            custom.hook_also(address, address)      # the code hook checks the table

    def remove_breakpoint(self, address: int) -> None:
        if address in self.breakpoints:
            self.breakpoints.discard(address)
            self.breaks[(address - self.sim.custom.base) >> 1] = 0

    def add_watchpoint(self, address: int, size: int, kind: str = "w") -> None:
        if kind not in ("w", "r", "a") or size <= 0:
            raise IssError(f"bad watchpoint {kind} {size}")
        types = {"w": UC.UC_HOOK_MEM_WRITE, "r": UC.UC_HOOK_MEM_READ,
                 "a": UC.UC_HOOK_MEM_WRITE | UC.UC_HOOK_MEM_READ}[kind]
        key = (kind, address, size)
        if key in self.watchpoints:
            return
        handles = []
        for hart in self.sim.harts:
            handles.append(hart.uc.hook_add(types, self._on_watch, (hart, kind, address, size),
                                            address, address + size - 1))
            # memory hooks are compiled into translated blocks: blocks translated before
            # this hook (e.g. the one we are stopped in) would not see it
            hart.uc.ctl_flush_tb()
        self.watchpoints[key] = handles
        self._set_watching()

    def remove_watchpoint(self, address: int, size: int, kind: str = "w") -> None:
        handles = self.watchpoints.pop((kind, address, size), None)
        for hart, handle in zip(self.sim.harts, handles or (), strict=False):
            hart.uc.hook_del(handle)
        self._set_watching()

    def _set_watching(self) -> None:
        """XpulpV2 loads/stores run natively on the memory buffers, unseen by Unicorn's
        memory hooks: while watchpoints exist they go through Python, which reports here."""
        if self.watchpoints and self._unobserve is None:
            self._unobserve = self.sim.observe("access", self._on_custom_access)
        elif not self.watchpoints and self._unobserve is not None:
            self._unobserve()
            self._unobserve = None
        for hart in self.sim.harts:
            hart.native.watching = 1 if self.watchpoints else 0

    def _on_custom_access(self, hart, address, size, is_write, old, new):
        for kind, lo, length in self.watchpoints:
            if address < lo + length and lo < address + size and \
                    (kind == "a" or (kind == "w") == is_write):
                self._watch_hit = ("w" if is_write else "r", address, size, old, new)
                hart.pending = Stop("watchpoint", None, f"watchpoint at 0x{lo:08x}")
                return

    def _on_watch(self, uc, access, address, size, value, data):
        hart, kind, lo, length = data
        skip, self._watch_skip = self._watch_skip, None
        if access != UC.UC_MEM_WRITE and skip is not None and uc.reg_read(UC_RISCV_REG_PC) == skip:
            return                     # the load we stopped in front of: let it run
        old = int.from_bytes(self.sim.memory.read(address, size), "little") \
            if self.sim.platform.memory_at(address) is not None else 0
        new = value & ((1 << 8 * size) - 1) if access == UC.UC_MEM_WRITE else old
        self._watch_hit = ("w" if access == UC.UC_MEM_WRITE else "r", address, size, old, new)
        stop = Stop("watchpoint", None, f"watchpoint at 0x{lo:08x}")
        if access == UC.UC_MEM_WRITE:
            hart.stop_after_access(stop)   # the store completes, then the hart stops
        else:
            # stopping inside a load loses its result: stop in front of it instead (it
            # does not retire) and let it run without stopping again on resume
            hart.pending = stop
            uc.emu_stop()

    # ---- execution -----------------------------------------------------------------------
    def cont(self, max_instructions: int | None = None, harts=None,
             step_range: tuple[int, Spans] | None = None, exclusive: bool = False) -> Event:
        """Run until a breakpoint, watchpoint, the end of the run or the limit
        (instructions of all harts together); the hart that stopped becomes current.
        `harts` (indices) are the harts that run, the others are held (all by default).
        `step_range` = (hart index, spans) range-steps that hart as gdb's vCont;r does:
        it stops with reason "step" when its pc leaves the [lo, hi) spans, while the
        others run.
        `exclusive`: the others run only so that the stepping hart can go on; where one
        of them stops (breakpoint, watchpoint) it is held there and its stop is kept for
        the next resume (as gdbserver keeps a thread's pending status)."""
        group = None if harts is None else [self.sim.harts[i] for i in sorted(set(harts))]
        if not exclusive:
            pending = self._take_pending(group or self.sim.harts)
            if pending is not None:
                return pending
        limit = None if max_instructions is None else self.sim.instructions + max_instructions
        if step_range is None:
            return self._run(limit, group)
        return self._range_step(limit, group, *step_range, exclusive=exclusive)

    def stepi(self, count: int = 1, wait: bool = True) -> Event:
        """Execute exactly `count` instructions of the current hart (fewer if something
        stops it); the other harts wait. An instruction that waits for them (an event
        load at a barrier, wfi) makes them run until it retires (`wait`; else the event
        is "blocked" and the caller goes on with cont(step_range=..., exclusive=True))."""
        hart = self.hart
        pending = self._take_pending([hart])
        if pending is not None:
            return pending
        left = count
        while True:
            before = hart.instret
            if hart.state == SLEEPING and self.finished is None:     # in an event load, wfi
                event = Event("blocked", hart.pc, hart.index, "waits for an event")
            else:
                event = self._run(self.sim.instructions + left, [hart])
            left -= hart.instret - before
            if event.reason != "blocked" or not wait:
                break
            event = self._range_step(None, None, hart.index, self.instruction_span(hart.pc),
                                     exclusive=True)
            self.current = hart.index
            left -= 1
            if event.reason != "step" or left <= 0:
                break
        if event.reason == "limit":
            event.reason = "step"
        return event

    def instruction_span(self, pc: int) -> Spans:
        """The one instruction at pc, as a range to step (a step while the others run)."""
        return ((pc, pc + self.sim.memory_instruction_length(pc)),)

    def _take_pending(self, harts) -> Event | None:
        """The first held stop of these harts, if it still stands (a breakpoint the
        client removed since no longer does)."""
        for h in harts:
            event = self.pending.pop(h.index, None)
            if event is not None and (event.reason != "breakpoint" or h.pc in self.breakpoints):
                self.current = h.index
                return event
        return None

    def _range_step(self, limit: int | None, group, index: int, spans: Spans,
                    exclusive: bool = False) -> Event:
        hart = self.sim.harts[index]
        if not inside(spans, hart.pc):             # already out (a slice ended there)
            return Event("step", hart.pc, index)
        group = list(self.sim.harts if group is None else group)
        if exclusive:
            group = [h for h in group if h.index not in self.pending]
        if hart not in group:
            group.append(hart)
        self.current = index
        exits = self._exits(spans)
        table = self.breaks.copy()
        loops = [hart.native.loop(i).start for i in range(2)
                 if hart.native.loop(i).count > 0]           # back-edges of running loops
        custom = self.sim.custom
        for address in exits.exits | exits.stops | {a for a in loops if self._breakable(a)}:
            if not inside(spans, address) or address in exits.stops:
                table[(address - custom.base) >> 1] = 1
                custom.hook_also(address, address)
        caught = self.sim.catch
        self.sim.catch = caught | {"exception", "interrupt"}   # a trap entry leaves the range
        try:
            while True:
                if hart.pc in exits.stops and hart.state not in (SLEEPING, HALTED):
                    hart.native.break_skip = hart.pc   # one instruction by hand
                    event = self._run(self.sim.instructions + 1, [hart])
                    if event.reason == "limit":
                        event.reason = "step"
                else:
                    hart.native.breakpoints = table.ctypes.data
                    try:
                        event = self._run(limit, group if len(group) < len(self.sim.harts) else None)
                    finally:
                        hart.native.breakpoints = self.breaks.ctypes.data
                if event.hart != index:
                    if event.reason == "catch":
                        continue                     # another hart's trap: not ours to stop
                    if exclusive and event.reason in ("breakpoint", "watchpoint"):
                        self.pending[event.hart] = event       # held until the next resume
                        group = [h for h in group if h.index != event.hart]
                        self.current = index
                        continue
                elif event.reason in ("step", "catch", "breakpoint") \
                        and not (event.reason == "breakpoint" and event.pc in self.breakpoints):
                    if inside(spans, hart.pc):
                        continue                     # at a stop, or stepped within the range
                    event.reason, event.message = "step", ""
                return event
        finally:
            self.sim.catch = caught

    def _exits(self, spans: Spans) -> RangeExits:
        if spans not in self._exit_cache:
            def read(address: int, size: int) -> bytes:
                try:
                    return self.read_memory(address, size)
                except IssError:
                    return self.read_memory(address, size - 2)
            self._exit_cache[spans] = range_exits(read, spans, self.sim.custom.originals,
                                                  self.sim.flavour, self._breakable)
        return self._exit_cache[spans]

    def _breakable(self, address: int) -> bool:
        return self.sim.custom.base <= address < self.sim.custom.end and not address & 1

    def _run(self, limit: int | None, only=None) -> Event:
        """Run the harts (those of the list `only`, the others held) up to the absolute
        instruction count `limit`."""
        if self.finished is not None:
            return self.finished
        hart = self.hart
        # resume over the breakpoint we stand on, and over those other harts stopped at and
        # reported earlier (with several harts at breakpoints, each would otherwise hit its
        # own again before the others move, and continue would never progress)
        skipping = []
        for h in (self.sim.harts if only is None else only):
            if h.pc in self.breakpoints and (h is hart or self._reported.get(h.index) == h.pc):
                h.native.break_skip = h.pc
                skipping.append(h)
        self._watch_hit = None
        self._watch_skip = hart.pc if self._read_stop_pc == hart.pc else None
        self._read_stop_pc = None
        try:
            stop, stopped = self.sim.advance(limit if limit is not None else 1 << 62, only=only)
        except KeyboardInterrupt:
            stop, stopped = Stop("interrupted", hart.pc, "interrupted"), hart
        for h in skipping:
            if h.native.break_skip == -1:          # it executed the instruction: left
                self._reported.pop(h.index, None)
        for h in self.sim.harts:
            h.native.break_skip = -1
        self.current = stopped.index
        if stop.reason == "breakpoint":
            self._reported[stopped.index] = stopped.pc
        event = Event(stop.reason, stopped.pc if stop.reason != "fault" else stop.pc,
                      self.current, stop.message, stop.exit_status,
                      self._watch_hit if stop.reason == "watchpoint" else None)
        if stop.reason == "watchpoint" and event.watch and event.watch[0] == "r":
            self._read_stop_pc = event.pc
        if stop.reason == "deadlock" and only is not None and \
                any(h.state not in (SLEEPING, HALTED, FINISHED) for h in self.sim.harts):
            event.reason = "blocked"   # the harts allowed to run wait for held ones
        elif stop.reason in ("exit", "fault", "deadlock"):
            self.finished = event
            for p in self.sim.peripherals:
                p.finish()
        return event

    # ---- state ---------------------------------------------------------------------------
    def read_register(self, name: str) -> int:
        name = name.lower()
        hart = self.hart
        if name == "pc":
            return hart.pc
        if name in _NUMBERED:
            return hart.reg(_NUMBERED[name])
        if name in HWLOOP_REGISTERS:
            loop, field = int(name[-1]), name[2:-1]
            return getattr(hart.native.loop(loop), field) & 0xFFFFFFFF
        if name in DEBUGGER_CSRS:
            value = read_csr(hart, DEBUGGER_CSRS[name])
            if value is not None:
                return value
        raise IssError(f"unknown register '{name}'")

    def write_register(self, name: str, value: int) -> None:
        name = name.lower()
        if name == "pc":
            self.hart.pc = value & 0xFFFFFFFF
        elif name in _NUMBERED:
            self.hart.set_reg(_NUMBERED[name], value)
        elif not (name in DEBUGGER_CSRS and write_csr(self.hart, DEBUGGER_CSRS[name], value)):
            raise IssError(f"register '{name}' cannot be written")

    def loop_csrs(self) -> dict[str, int]:
        """The hardware-loop registers' CSR numbers in the firmware's ISA flavour."""
        base = HWLOOP_CSR_BASE[self.sim.flavour]
        return {name: base + offset
                for name, offset in zip(HWLOOP_REGISTERS, (0, 1, 2, 4, 5, 6), strict=True)}

    def registers(self) -> list[tuple[str, int]]:
        return [(name, self.read_register(name)) for name in REGISTER_NAMES] + \
               [(name, self.read_register(name)) for name in HWLOOP_REGISTERS]

    def read_memory(self, address: int, size: int) -> bytes:
        """Guest memory as the program sees it (original words of patched instructions)."""
        try:
            data = bytearray(self.sim.memory.read(address, size))
        except IndexError:
            raise IssError(f"cannot access memory at 0x{address:08x}") from None
        for pc, word in self.sim.custom.originals.items():
            if address - 3 <= pc < address + size:
                raw = word.to_bytes(4, "little")
                for i in range(4):
                    if address <= pc + i < address + size:
                        data[pc + i - address] = raw[i]
        return bytes(data)

    def write_memory(self, address: int, data: bytes) -> None:
        try:
            self.sim.memory.write(address, data)
        except IndexError:
            raise IssError(f"cannot access memory at 0x{address:08x}") from None
        for hart in self.sim.harts:       # code may have changed: retranslate it
            hart.uc.ctl_remove_cache(address, address + len(data))
        self._exit_cache.clear()

    # ---- symbols and source ------------------------------------------------------------------
    def resolve(self, expression: str) -> int:
        """A symbol name or a number (0x.., decimal)."""
        text = expression.strip()
        if text in self.image.symbols:
            return self.image.symbols[text]
        try:
            return int(text, 0)
        except ValueError:
            raise IssError(f"no symbol \"{text}\" in current context") from None

    def line_for(self, address: int):
        """(file, line) of the line-table row covering address, or None."""
        best = None
        for row_address, file, line in self.image.line_table():
            if row_address > address:
                break
            if line:
                best = (file, line)
        return best

    def addresses_for_line(self, file: str, line: int) -> list[int]:
        rows = [a for a, f, l in self.image.line_table()
                if l == line and (f == file or f.endswith("/" + file) or file.endswith(f))]
        return sorted(set(rows))

    def backtrace(self, limit: int = 64) -> list[int]:
        """Return addresses through the frame-pointer chain (s0 = frame pointer; the
        runtime's functions save ra at fp-4 and the caller's fp at fp-8)."""
        frames = [self.hart.pc]
        fp = self.hart.reg(8)
        ra = self.hart.reg(1)
        func = self.image.function_at(self.hart.pc)
        if func is not None and func[1] < 8:   # prologue not run yet: ra is the return
            frames.append(ra)
        for _ in range(limit):
            if fp == 0 or self.sim.platform.memory_at(fp - 8) is None:
                break
            ra = int.from_bytes(self.sim.memory.read(fp - 4, 4), "little")
            fp = int.from_bytes(self.sim.memory.read(fp - 8, 4), "little")
            if ra == 0 or self.image.function_at(ra) is None:
                break
            frames.append(ra)
        return frames
