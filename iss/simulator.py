"""A simulation: platform + firmware image + harts + peripherals, run to completion."""
from __future__ import annotations

import bisect
import heapq
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .bus import Bus
from .elf import load_elf
from .energy import energy
from .custom_code import AUTO_SAMPLE, HOOK_LAYOUTS, CustomCode
from .disasm import format_instruction
from .errors import PeripheralError, PlatformError
from .hart import FINISHED, HALTED, NO_LIMIT, RUNNING, SLEEPING, Hart, Stop
import numpy as np

from .hooks import (BANK_WINDOW, TCDM_BANKS, CTX_CYCLE_LIMIT, CTX_SLEEP, CTX_STALL_LOAD_USE, CTX_STALL_BRANCH, CTX_STALL_DIV, CTX_STALL_JUMP,
                    CTX_STALL_MISALIGNED, CTX_STALL_PERIPHERAL, CTX_STALL_SYNC, CTX_STALL_TCDM, PROF_SLEEP)
from .isa_flavour import select_flavour
from .memory import SharedMemory
from .perf import EVENT_NAMES, PerfCounters
from .platform import Platform, load_platform
from .plugin import build_peripherals
from .spin import spin_loop_starts
from .timing import StaticTiming

SLICE_INSTRUCTIONS = 1_000_000    # first slice; later slices aim at SLICE_SECONDS of host time
SLICE_SECONDS = 0.25              # keeps Ctrl-C and the progress line responsive
STATS_SCHEMA = "iss-stats/1"
TIMING_MODES = ("fast", "accurate")
# Harts run in turn for at most this many cycles while others are runnable: the skew
# with which one core sees another's plain memory writes (docs/cluster.md, Scheduler).
# Each turn costs a Unicorn emu_start (~40 us measured), hence a long quantum in the fast
# mode; the accurate mode's bank-conflict table covers BANK_WINDOW cycles, so it needs a
# shorter one.
QUANTUM_CYCLES = {"fast": 100_000, "accurate": 10_000}
# An event wait (CV32E40P manual): 4 cycles when the event is there (CV32E40P table), and
# L + 2 when the core sleeps L cycles (GVSoC ri5ky, calibrated on the RTL)
ELW_CYCLES = 4
WAKE_CYCLES = 2


@dataclass
class RunResult:
    stop: Stop
    hart_stops: list
    wall_seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int | None:
        return self.stop.exit_status if self.stop.reason == "exit" else None


class Simulator:
    def __init__(self, firmware, platform: Platform | str | None = None, output=None,
                 isa: str = "auto", cores: int | None = None, timing: str = "fast",
                 itrace=None, code_hooks: str = "auto", xpulp_engine: bool = True,
                 translate: bool = True):
        self.platform = platform if isinstance(platform, Platform) else load_platform(platform)
        cores = self.platform.cores if cores is None else cores
        if not 1 <= cores <= 16:
            raise PlatformError(f"--cores must be 1..16, got {cores}")
        if timing not in TIMING_MODES:
            raise PlatformError(f"unknown timing mode '{timing}' (known: {', '.join(TIMING_MODES)})")
        if code_hooks not in HOOK_LAYOUTS:
            raise PlatformError(f"unknown code-hook layout '{code_hooks}' "
                                f"(known: {', '.join(HOOK_LAYOUTS)})")
        self.timing_mode = timing
        self.quantum = QUANTUM_CYCLES[timing]
        self.image = load_elf(firmware)
        self.flavour = select_flavour(isa, self.image.arch)
        self.output = output if output is not None else sys.stdout
        self.memory = SharedMemory(self.platform)
        self.memory.load(self.image)
        mem = self.memory
        # from the original words: the custom-instruction scan patches some of them next
        code = mem.read(mem.code_base, mem.code_end - mem.code_base)
        self.timing = StaticTiming(code, mem.code_base, self.flavour)
        self.spin_loops = spin_loop_starts(bytes(code), self.flavour)
        # hardware-loop bodies run by the loop engine (iss/hwloop_engine.py); off: compare
        self.xpulp_engine = bool(xpulp_engine)
        # custom instructions translated into plain RV32 (iss/shadow.py): not with an
        # instruction trace or accurate timing, which look at every original instruction
        self.custom = CustomCode(self, code_hooks, translate=translate and itrace is None
                                 and timing == "fast")
        # services plugins offer each other and the simulator (iss/host.py): "event_unit"
        # (raise_event's target), "hwpe_port" (the HWPEs' shared TCDM port)
        self.services: dict[str, object] = {}
        # timeline tracing (iss/trace.py): None, or a Tracer the scheduler and peripherals
        # report spans to; instruction trace (iss/itrace.py): hooked into each hart at creation
        self.tracer = None
        self.itrace = itrace
        self._events: list = []           # (time, order, callback) heap
        self._order = 0
        self._time = 0
        self._running = None              # the hart inside hart.run, if any
        self._deferred_stop = None        # (Stop, Hart) of an event fired inside an access
        self._epoch = 0                   # counts runs and events that may change memory
        self.peripherals = build_peripherals(self)      # parameters and windows checked
        self.bus = Bus(self.peripherals, self.fire_due)
        # debugger hook: watch(hart, address, size, is_write, old, new) for accesses done in
        # Python (custom loads/stores while watchpoints exist); None when not debugging
        self.watch = None
        # debugger catchpoints: which trap entries stop the run ("exception", "interrupt")
        self.catch: set[str] = set()
        # accurate timing: which cycles each TCDM bank is taken (hooks.memory_access_timing)
        self.tcdm_banks = (np.zeros((TCDM_BANKS, BANK_WINDOW), dtype=np.int64)
                           if timing == "accurate" else None)
        # and the last write by a core of each L1 word (hooks.memory_causality)
        l1 = self.platform.memory_named("l1") or self.platform.memories[0]
        self.l1_writes = (np.zeros(l1.size >> 2, dtype=np.int64)
                          if timing == "accurate" else None)
        cluster = self.platform.cluster_id << 5
        self.harts = [Hart(self, i, cluster | i) for i in range(cores)]
        for hart in self.harts:
            hart.perf = PerfCounters(hart, self.flavour)

    # ---- services for harts and peripherals ---------------------------------------
    def memory_instruction_length(self, pc: int) -> int:
        try:
            return 4 if self.memory.read(pc, 2)[0] & 3 == 3 else 2
        except IndexError:
            return 4

    def describe_stop(self, stop: Stop, hart_index: int = 0) -> str:
        """One line for the user: what happened, where (symbol, source line) and the
        instruction; for a pc outside memory (a call through a bad pointer) the caller."""
        where = f"0x{stop.pc:08x}"
        symbol = self.image.symbolize(stop.pc)
        if symbol:
            where += f" <{symbol}>"
        source = self._source_line(stop.pc)
        try:
            code = self.memory.read(stop.pc, 4)
            original = self.custom.original_word(stop.pc)
            if original is not None:
                code = original.to_bytes(4, "little")
            _, text = format_instruction(code, stop.pc, self.flavour, self.image)
        except IndexError:
            text = "(pc outside memory)"
            source = self._caller(hart_index)
        kind = {"fault": "fault", "limit": "stopped", "interrupted": "stopped"}.get(stop.reason, stop.reason)
        return f"hart {hart_index} {kind} at {where}: {stop.message}: {text}" + (
            f", {source}" if source else "")

    def _source_line(self, pc: int) -> str | None:
        """'at file:line' of the code at pc (DWARF line table), None without debug info."""
        table = self.image.line_table()
        i = bisect.bisect_right(table, (pc, "\uffff", 1 << 30)) - 1
        if i < 0 or table[i][0] == 0 or self.image.symbolize(pc) is None:
            return None
        return f"at {Path(table[i][1]).name}:{table[i][2]}"

    def _caller(self, hart_index: int) -> str | None:
        """'called from ...' for a pc outside memory: the call's return address is in ra."""
        if not 0 <= hart_index < len(self.harts):
            return None
        ra = self.harts[hart_index].reg(1)
        call = ra - self.memory_instruction_length(ra - 4) if ra >= 4 else None  # jal(r) or c.jalr
        symbol = None if call is None else self.image.symbolize(call)
        if symbol is None:
            return None
        source = self._source_line(call)
        return f"called from 0x{call:08x} <{symbol}>" + (f" {source}" if source else "")

    def _waits(self) -> str:
        """What each sleeping core waits for (the deadlock report)."""
        return "; ".join(f"core {hart.core_id} waits for {self.waiting_for(hart)}"
                         for hart in self.harts if hart.state == SLEEPING)

    def waiting_for(self, hart) -> str:
        """What a sleeping core waits for: "dispatch", "barrier 0", "an event of mask
        0x..", "wfi (...)" (deadlock reports, debuggers' thread lists)."""
        if hart.irq.in_wfi:
            return "wfi (no enabled interrupt line pending)"
        eu = self.service("event_unit")
        what = eu.waiting_on(hart.core_id) if eu is not None else None
        if what == "event":
            return f"an event of mask 0x{eu.cores[hart.core_id].mask:x}"
        return what or "a wake-up"

    def bus_read(self, hart, address: int, size: int) -> tuple[int, str | None]:
        """A load done by Python (custom instruction slow path): RAM or peripheral."""
        if self.platform.memory_at(address) is not None:
            return int.from_bytes(self.memory.read(address, size), "little"), None
        p = self.bus.owner(address)
        if p is None:
            return 0, f"load from unmapped address 0x{address:08x}"
        self.fire_due(hart)
        return p.read(hart, address - p.base, size) & ((1 << 8 * size) - 1), None

    def bus_write(self, hart, address: int, size: int, value: int) -> str | None:
        if self.platform.memory_at(address) is not None:
            self.memory.write(address, (value & ((1 << 8 * size) - 1)).to_bytes(size, "little"))
            return None
        p = self.bus.owner(address)
        if p is None:
            return f"store to unmapped address 0x{address:08x}"
        self.fire_due(hart)
        p.write(hart, address - p.base, size, value & ((1 << 8 * size) - 1))
        return None

    def request_exit(self, hart, status: int) -> None:
        """End of computation requested by the firmware (EOC register write)."""
        hart.stop_after_access(Stop("exit", None, f"exit status {status}", exit_status=status))

    def load_destination(self, pc: int) -> int:
        """Destination register of the load at pc (0 if it is not a known load form)."""
        word = self.custom.original_word(pc)
        if word is None:
            word = int.from_bytes(self.memory.read(pc, 4), "little")
        if word & 3 == 3:
            return (word >> 7) & 31
        quadrant, funct3 = word & 3, (word >> 13) & 7
        if quadrant == 0 and funct3 == 2:          # c.lw
            return 8 + ((word >> 2) & 7)
        if quadrant == 2 and funct3 == 2:          # c.lwsp
            return (word >> 7) & 31
        return 0

    # ---- simulated time (docs/cluster.md) ---------------------------------------------------
    @property
    def instructions(self) -> int:
        return sum(h.instret for h in self.harts)

    @property
    def cycles(self) -> int:
        """Cluster cycles: the time of the hart that got furthest."""
        return max(h.cycles for h in self.harts)

    def now(self) -> int:
        """The cluster's current time: the running hart's, or the event being processed."""
        return self._time

    def schedule(self, at: int, callback) -> None:
        """Call callback() once the cluster reaches cycle `at`. A running hart stops at
        its first block from `at` on, so the event takes effect before the hart goes
        further; a register access inside that block sees it too (fire_due)."""
        heapq.heappush(self._events, (int(at), self._order, callback))
        self._order += 1
        running = self._running
        if running is not None and int(at) < int(running.ctx[CTX_CYCLE_LIMIT]):
            running.ctx[CTX_CYCLE_LIMIT] = int(at)

    def fire_due(self, hart, is_read: bool | None = None) -> bool:
        """Before a register access: fire every event due at or before the accessing
        instruction's cycle, so polling a status register sees what waiting for the
        event would (docs/cluster.md, Peripheral events). An event must not fire before
        the other running harts have reached its cycle (it may halt or wake them, or
        change memory they read): then, for an access from inside the engine (is_read
        given), the access is retried once they have (returns False)."""
        if not self._events or self._running is not hart:
            return True
        now = hart.now()
        due = self._events[0][0]
        if due > now:
            return True
        if is_read is not None and any(h.cycles < due for h in self.harts
                                       if h is not hart and h.state == RUNNING):
            hart.retry_access(is_read)
            return False
        while self._events and self._events[0][0] <= now:
            stop = self._fire(heapq.heappop(self._events))
            if stop is not None and self._deferred_stop is None:
                self._deferred_stop = stop
        self._time = now
        return True

    def sleep(self, hart, until: int | None = None) -> None:
        """From a register read: the load does not complete, the hart sleeps until woken
        (by `wake`, or at cycle `until` when given: an event that is already decided but
        happens later in simulated time than the access)."""
        hart.state = SLEEPING
        hart.wake_at = until
        hart.sleep_at_access()

    def wake(self, hart, at: int) -> None:
        """Make a sleeping hart runnable at cycle `at`; its wait then completes (the load
        runs again): ELW_CYCLES in total if the event was already there, L + WAKE_CYCLES
        if it slept L cycles."""
        if hart.state != SLEEPING:
            return
        retry = self.timing.cost_at(hart.pc)
        self._resume(hart, max(hart.sleep_start + ELW_CYCLES, int(at) + WAKE_CYCLES) - retry, at)

    def wake_for_interrupt(self, hart, at: int) -> None:
        """A sleeping hart (wfi, or an event-unit wait) woken by an interrupt request at
        cycle `at`: runnable after the cluster's WAKE_CYCLES (iss/interrupts.py)."""
        if hart.state == SLEEPING:
            self._resume(hart, max(hart.sleep_start, int(at) + WAKE_CYCLES), at)

    def _resume(self, hart, resume: int, at: int) -> None:
        start = hart.sleep_start
        hart.ctx[CTX_SLEEP] += resume - start
        hart.cycles = resume
        if hart.dynamic is not None:
            hart.charge(PROF_SLEEP, resume - start, hart.pc)
        if self.tracer is not None:
            self.tracer.wake(hart, start, resume)
        hart.state = RUNNING
        running = self._running
        if running is not None and running is not hart:
            # bound how far the running hart gets ahead of the one it woke
            limit = max(int(at), running.now()) + self.quantum
            running.ctx[CTX_CYCLE_LIMIT] = min(int(running.ctx[CTX_CYCLE_LIMIT]), limit)

    def running_hart(self):
        """The hart inside Hart.run now (None between slices)."""
        return self._running

    def irq_changed(self, core_id: int) -> None:
        """The event unit's interrupt request to core `core_id` may have changed."""
        for hart in self.harts:
            if hart.core_id == core_id:
                hart.irq.update()

    def halt(self, hart) -> None:
        """Stop fetching on a hart (cluster control FETCH_EN cleared)."""
        if hart.state != FINISHED:
            hart.state = HALTED

    def start(self, hart, pc: int, at: int) -> None:
        """Start a halted hart at pc, at cycle `at` (FETCH_EN set; BOOTADDR)."""
        if hart.state == HALTED:
            hart.pc = pc
            hart.cycles = max(hart.cycles, int(at))
            hart.state = RUNNING

    def raise_event(self, line: int, core_mask: int, at: int) -> None:
        event_unit = self.service("event_unit")
        if event_unit is not None:
            event_unit.trigger(line, core_mask, at)

    def provide(self, name: str, service: object) -> None:
        """Offer `service` to the plugins and the simulator under `name` (iss/host.py)."""
        self.services[name] = service

    def service(self, name: str) -> object | None:
        return self.services.get(name)

    # ---- running -----------------------------------------------------------------------
    def run(self, max_instructions: int | None = None, progress=None,
            max_cycles: int | None = None,
            progress_seconds: float = SLICE_SECONDS) -> RunResult:
        """Run to the end. `progress(sim, elapsed_seconds)`, if given, is called between
        slices of simulation at most every `progress_seconds` of host time (0: after
        every slice)."""
        limit = max_instructions if max_instructions is not None else (1 << 62)
        t0 = time.perf_counter()
        try:
            stop, hart = self.advance(limit, progress, max_cycles=max_cycles,
                                      progress_seconds=progress_seconds)
        except KeyboardInterrupt:
            hart = self.harts[0]
            stop = Stop("interrupted", hart.pc, "interrupted by the user (Ctrl-C)")
        wall = time.perf_counter() - t0
        end = self.cycles
        for h in self.harts:          # cores still asleep sleep until the end of the run
            if h.state == SLEEPING and h.cycles < end:
                h.ctx[CTX_SLEEP] += end - h.cycles
                if h.dynamic is not None:
                    h.charge(PROF_SLEEP, end - h.cycles, h.pc)
                h.cycles = end
        for p in self.peripherals:
            p.finish()
        result = RunResult(stop, [stop], wall)
        self.stop_hart = hart.index
        result.stats = self.stats(result)
        return result

    def advance(self, limit: int = 1 << 62, progress=None, only=None,
                max_cycles: int | None = None,
                progress_seconds: float = SLICE_SECONDS) -> tuple[Stop, Hart]:
        """Run the harts in simulated-time order until one stops for good (exit, fault,
        limit, breakpoint...) or all sleep with nothing left to wake them. `limit` caps
        the instructions of all harts together, `max_cycles` the simulated time (a block
        that starts before it runs to its end); `only` runs that hart alone (or only the
        harts of a list: a debugger holds the others)."""
        group = None if only is None else list(only) if isinstance(only, (list, tuple)) else [only]
        t0 = t_progress = time.perf_counter()
        budget = SLICE_INSTRUCTIONS
        end = NO_LIMIT if max_cycles is None else max_cycles
        while True:
            runnable = self._runnable(group)
            late = [h for h in runnable if h.cycles >= end]
            if late or (not runnable and self._events and self._events[0][0] >= end):
                hart = late[0] if late else (group or self.harts)[0]
                return Stop("limit", hart.pc, f"cycle limit ({max_cycles}) reached"), hart
            if not runnable:
                if not self._events:
                    hart = (group or self.harts)[0]
                    return Stop("deadlock", hart.pc, "all cores are asleep and no event is "
                                f"pending (deadlock): {self._waits()}"), hart
                stop = self._fire(heapq.heappop(self._events))
                if stop is not None:
                    return stop
                continue
            hart = min(runnable, key=lambda h: (h.cycles, h.index))
            if self._events and self._events[0][0] <= hart.cycles:
                stop = self._fire(heapq.heappop(self._events))
                if stop is not None:
                    return stop
                continue
            if hart.irq.at <= hart.cycles and hart.irq.take() and "interrupt" in self.catch:
                return hart.caught(), hart        # the debugger stops at the handler
            cycle_limit = hart.cycles + self.quantum if len(runnable) > 1 else NO_LIMIT
            cycle_limit = min(cycle_limit, max(hart.irq.at, hart.cycles + 1))
            cycle_limit = min(cycle_limit, end)
            if self._events:
                cycle_limit = min(cycle_limit, self._events[0][0])
            self._time = hart.cycles
            t_slice, before = time.perf_counter(), hart.instret
            # the --code-hooks auto sample ends at an exact count, never at a slice end
            # (those follow host time), so the layout chosen is the same on every machine
            sampling = self.custom.auto_pending and AUTO_SAMPLE < limit
            run_limit = AUTO_SAMPLE if sampling else limit
            # a spinning hart ahead of another that could write what it polls yields to
            # it; not to a hart that only spun since anything else ran (they would bounce)
            others = [h.cycles for h in runnable if h is not hart and h.spun != self._epoch]
            self._running = hart
            try:
                stop = hart.run(budget, hart.instret + run_limit - self.instructions, cycle_limit,
                                min(others, default=NO_LIMIT))
            finally:
                self._running = None
            if stop.reason == "slice" and stop.message == "spin":
                hart.spun = self._epoch          # went round its poll loop, nothing else
            else:
                self._epoch += 1                  # may have changed what others poll
            if self._deferred_stop is not None:      # a misprogrammed peripheral's event
                deferred, self._deferred_stop = self._deferred_stop, None
                return deferred
            if self.tracer is not None:
                self.tracer.sample(hart)
            if sampling and self.instructions >= AUTO_SAMPLE:
                self.custom.settle_layout()
                if stop.reason == "limit":
                    stop = Stop("slice", hart.pc)
            if stop.reason == "sleep":
                hart.state = SLEEPING
                hart.sleep_start = hart.cycles
                if self.tracer is not None:
                    self.tracer.sleep(hart)
                if hart.wake_at is not None:
                    self.wake(hart, hart.wake_at)
            elif stop.reason not in ("slice", "retry"):
                if stop.reason == "limit":
                    stop.message = f"instruction limit ({limit}) reached"
                return stop, hart
            now = time.perf_counter()
            # a trace samples IPC at slice ends: host-time slices would change the file
            if len(runnable) == 1 and stop.reason == "slice" and self.tracer is None:
                rate = (hart.instret - before) / max(now - t_slice, 1e-6)
                budget = max(100_000, min(200_000_000, int(rate * SLICE_SECONDS)))
            if progress is not None and now - t_progress >= progress_seconds:
                t_progress = now
                progress(self, now - t0)

    def _runnable(self, group):
        return [h for h in (self.harts if group is None else group) if h.state == RUNNING]

    def _fire(self, event):
        """Run a scheduled peripheral callback; a misprogrammed peripheral ends the run."""
        self._time = event[0]
        self._epoch += 1
        try:
            event[2]()
        except PeripheralError as e:
            hart = self.harts[0]
            return Stop("fault", hart.pc, f"at cycle {event[0]}: {e}"), hart
        return None

    # ---- statistics ----------------------------------------------------------------------
    def stats(self, result: RunResult) -> dict:
        total = self.instructions
        cycles = self.cycles
        stats = {
            "schema": STATS_SCHEMA,
            "firmware": str(self.image.path),
            "platform": self.platform.name,
            "isa": self.flavour,
            "timing": self.timing_mode,
            "cores": len(self.harts),
            "clock_hz": self.platform.clock_hz,
            "stop_reason": result.stop.reason,
            "stop_hart": getattr(self, "stop_hart", 0),
            "exit_code": result.exit_code,
            "message": result.stop.message,
            "instructions": total,
            "cycles": cycles,
            "time_seconds": cycles / self.platform.clock_hz,
            "wall_seconds": result.wall_seconds,
            "mips": total / result.wall_seconds / 1e6 if result.wall_seconds > 0 else 0.0,
            "harts": [self.hart_stats(h) for h in self.harts],
            "peripherals": {p.name: p.stats() for p in self.peripherals},
        }
        stats["energy"] = energy(stats, self.platform)    # docs/energy.md
        return stats

    def hart_stats(self, hart) -> dict:
        """One core's entry of the run's stats (`harts[i]` of `iss run --json`) so far."""
        ctx = hart.ctx
        static = self.timing.stall_totals(hart.executed)
        stalls = {"load_use": static["load_use"] + int(ctx[CTX_STALL_LOAD_USE]),
                  "jump": static["jump"] + int(ctx[CTX_STALL_JUMP]),
                  "branch": int(ctx[CTX_STALL_BRANCH]),
                  "mulh": static["mulh"], "div": int(ctx[CTX_STALL_DIV]), "csr": static["csr"],
                  "elw": static["elw"], "misaligned": int(ctx[CTX_STALL_MISALIGNED]),
                  "tcdm": int(ctx[CTX_STALL_TCDM]), "peripheral": int(ctx[CTX_STALL_PERIPHERAL]),
                  "sync": int(ctx[CTX_STALL_SYNC])}
        events = dict(zip(EVENT_NAMES, (int(v) for v in hart.perf.totals()), strict=True))
        sleep = int(ctx[CTX_SLEEP])
        return {"hart": hart.index, "hartid": hart.hartid, "core_id": hart.core_id,
                "instructions": hart.instret, "cycles": hart.cycles,
                "active_cycles": hart.cycles - sleep, "sleep_cycles": sleep,
                "stalls": stalls,
                "events": {k: events[k] for k in ("ld", "st", "jump", "branch", "btaken", "rvc")},
                "traps": {"exceptions": hart.traps, "interrupts": hart.irq.taken,
                          "interrupt_lines": hart.irq.lines_taken(),
                          "overhead_cycles": hart.irq.overhead_cycles},
                "pc": hart.pc, "state": hart.state}

    # ---- Python API (docs/python-api.md) -------------------------------------------------
    def run_to(self, symbol: str | int, max_instructions: int | None = None,
               max_cycles: int | None = None) -> Stop:
        """Run until a hart is about to execute `symbol` (a function or label of the ELF,
        or an address) or the run ends first (exit, fault, limit, deadlock). Returns the
        Stop: reason "breakpoint" with pc = the symbol's address when reached (the hart is
        `self.harts[self.stop_hart]`). `max_instructions` counts from now. Call it again
        for the next time the symbol runs; `run()` goes on to the end."""
        from .errors import IssError
        from .hooks import CTX_BREAK_SKIP, CTX_BREAKS
        address = self.image.symbols.get(symbol) if isinstance(symbol, str) else symbol
        if address is None:
            raise IssError(f"run_to: no symbol '{symbol}' in {self.image.path}")
        custom = self.custom
        custom.drop_translation()        # the breakpoint must see the original code
        if not custom.base <= address < custom.end or address & 1:
            raise IssError(f"run_to: 0x{address:08x} is not an instruction address")
        table = np.zeros_like(custom.hooked)            # the debugger's breakpoint table
        table[(address - custom.base) >> 1] = 1
        custom.hook_also(address, address)
        for h in self.harts:                            # a hart standing on it goes past once
            h.ctx[CTX_BREAKS] = table.ctypes.data
            h.ctx[CTX_BREAK_SKIP] = address if h.pc == address else -1
        limit = 1 << 62 if max_instructions is None else self.instructions + max_instructions
        try:
            stop, hart = self.advance(limit, max_cycles=max_cycles)
        finally:
            for h in self.harts:
                h.ctx[CTX_BREAKS] = 0
                h.ctx[CTX_BREAK_SKIP] = -1
        self.stop_hart = hart.index
        return stop
