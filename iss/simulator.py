"""A simulation: platform + firmware image + harts + peripherals, run to completion."""
from __future__ import annotations

import bisect
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bus import Bus
from .custom_code import CustomCode
from .disasm import format_instruction
from .elf import load_elf
from .errors import PlatformError
from .hart import SLEEPING, Hart, Stop
from .hart_state import PROF_SLEEP
from .hook_layout import HOOK_LAYOUTS
from .isa.decoder import LAT_ELW, LAT_LOAD, decode_insn
from .isa_flavour import select_flavour
from .latency import BANK_WINDOW, TCDM_BANKS
from .memory import SharedMemory
from .observe import Observers
from .perf import PerfCounters
from .platform import Platform, load_platform
from .plugin import build_peripherals
from .spin import spin_loop_starts
from .scheduler import QUANTUM_CYCLES, SLICE_SECONDS, Scheduler
from .stats import hart_stats, run_stats
from .timing import static_timing

TIMING_MODES = ("fast", "accurate")


@dataclass
class RunResult:
    stop: Stop
    hart_stops: list
    wall_seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int | None:
        return self.stop.exit_status if self.stop.reason == "exit" else None


class Simulator(Scheduler):
    """One simulation: platform + firmware image + harts + peripherals. The order in which
    the harts and the peripherals' events run is the Scheduler's (iss/scheduler.py)."""

    def __init__(self, firmware, platform: Platform | str | None = None, output=None,
                 isa: str = "auto", cores: int | None = None, timing: str = "fast",
                 itrace=None, code_hooks: str = "auto", xpulp_engine: bool = True,
                 translate: bool = True, compile_loops: bool = True):
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
        self.timing = static_timing(code, mem.code_base, self.flavour)
        self.spin_loops = spin_loop_starts(bytes(code), self.flavour)
        # hardware-loop bodies run by the loop engine (iss/hwloop_engine.py); off: compare
        self.xpulp_engine = bool(xpulp_engine)
        # and its hot bodies compiled to native code (iss/loop_compiler.py); off: interpreted
        self.compile_loops = bool(compile_loops)
        # custom instructions translated into plain RV32 (iss/shadow.py): not with an
        # instruction trace or accurate timing, which look at every original instruction
        self.custom = CustomCode(self, code_hooks, translate=translate and itrace is None
                                 and timing == "fast")
        # services plugins offer each other and the simulator (iss/host.py): "event_unit"
        # (raise_event's target), "hwpe_port" (the HWPEs' shared TCDM port)
        self.services: dict[str, object] = {}
        # who watches the run (sim.observe, iss/observe.py); the instruction trace
        # (iss/itrace.py) is hooked into each hart at creation instead
        self.observers = Observers()
        self.itrace = itrace
        self._init_scheduler()
        self.peripherals = build_peripherals(self)      # parameters and windows checked
        self.bus = Bus(self.peripherals, self.fire_due)
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
        """Destination register of the load at pc (0 if it is not a load)."""
        word = self.custom.original_word(pc)
        if word is None:
            word = int.from_bytes(self.memory.read(pc, 4), "little")
        d = decode_insn(word, self.flavour)
        return d.writes if d is not None and d.latency in (LAT_LOAD, LAT_ELW) else 0

    def raise_event(self, line: int, core_mask: int, at: int) -> None:
        event_unit = self.service("event_unit")
        if event_unit is not None:
            event_unit.trigger(line, core_mask, at)

    def provide(self, name: str, service: object) -> None:
        """Offer `service` to the plugins and the simulator under `name` (iss/host.py)."""
        self.services[name] = service

    def service(self, name: str) -> object | None:
        return self.services.get(name)

    def observe(self, event: str, callback) -> Callable[[], None]:
        """Call `callback(*args)` at every `event` of the run (iss/observe.py lists them);
        returns a function that stops it."""
        return self.observers.add(event, callback)

    def notify(self, event: str, *args) -> None:
        """A plugin's event for the run's observers (iss/host.py)."""
        self.observers.notify(event, *args)

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
                h.native.sleep_cycles += end - h.cycles
                if h.dynamic is not None:
                    h.charge(PROF_SLEEP, end - h.cycles, h.pc)
                h.cycles = end
        for p in self.peripherals:
            p.finish()
        result = RunResult(stop, [stop], wall)
        self.stop_hart = hart.index
        result.stats = self.stats(result)
        return result

    # ---- statistics (iss/stats.py) ---------------------------------------------------------
    def stats(self, result: RunResult) -> dict:
        """The run's stats (`iss run --json`, schema iss-stats/1)."""
        return run_stats(self, result)

    def hart_stats(self, hart) -> dict:
        """One core's entry of the run's stats (`harts[i]` of `iss run --json`) so far."""
        return hart_stats(self, hart)

    # ---- Python API (docs/python-api.md) -------------------------------------------------
    def run_to(self, symbol: str | int, max_instructions: int | None = None,
               max_cycles: int | None = None) -> Stop:
        """Run until a hart is about to execute `symbol` (a function or label of the ELF,
        or an address) or the run ends first (exit, fault, limit, deadlock). Returns the
        Stop: reason "breakpoint" with pc = the symbol's address when reached (the hart is
        `self.harts[self.stop_hart]`). `max_instructions` counts from now. Call it again
        for the next time the symbol runs; `run()` goes on to the end."""
        from .errors import IssError
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
            h.native.breakpoints = table.ctypes.data
            h.native.break_skip = address if h.pc == address else -1
        limit = 1 << 62 if max_instructions is None else self.instructions + max_instructions
        try:
            stop, hart = self.advance(limit, max_cycles=max_cycles)
        finally:
            for h in self.harts:
                h.native.breakpoints = 0
                h.native.break_skip = -1
        self.stop_hart = hart.index
        return stop
