"""A simulation: platform + firmware image + harts + peripherals, run to completion."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from .bus import Bus
from .elf import load_elf
from .custom_code import CustomCode
from .disasm import format_instruction
from .hart import Hart, Stop
from .isa_flavour import select_flavour
from .memory import SharedMemory
from .platform import Platform, load_platform
from .plugin import find_plugin

SLICE_INSTRUCTIONS = 1_000_000    # first slice; later slices aim at SLICE_SECONDS of host time
SLICE_SECONDS = 0.25              # keeps Ctrl-C and the progress line responsive
STATS_SCHEMA = "iss-stats/1"


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
                 isa: str = "auto"):
        self.platform = platform if isinstance(platform, Platform) else load_platform(platform)
        self.image = load_elf(firmware)
        self.flavour = select_flavour(isa, self.image.arch)
        self.output = output if output is not None else sys.stdout
        self.memory = SharedMemory(self.platform)
        self.memory.load(self.image)
        self.custom = CustomCode(self)
        self.peripherals = [find_plugin(p.plugin)(self, p.name, p.base, p.size, p.params)
                            for p in self.platform.peripherals]
        self.bus = Bus(self.peripherals)
        # debugger hook: watch(hart, address, size, is_write, old, new) for accesses done in
        # Python (custom loads/stores while watchpoints exist); None when not debugging
        self.watch = None
        hartid = self.platform.cluster_id << 5
        self.harts = [Hart(self, 0, hartid)]
        self._exit: Stop | None = None

    # ---- services for harts and peripherals ---------------------------------------
    def memory_instruction_length(self, pc: int) -> int:
        try:
            return 4 if self.memory.read(pc, 2)[0] & 3 == 3 else 2
        except IndexError:
            return 4

    def describe_stop(self, stop: Stop, hart_index: int = 0) -> str:
        """One line for the user: what happened, where (symbol) and the instruction."""
        where = f"0x{stop.pc:08x}"
        symbol = self.image.symbolize(stop.pc)
        if symbol:
            where += f" <{symbol}>"
        try:
            code = self.memory.read(stop.pc, 4)
            original = self.custom.original_word(stop.pc)
            if original is not None:
                code = original.to_bytes(4, "little")
            _, text = format_instruction(code, stop.pc, self.flavour, self.image)
        except IndexError:
            text = "(pc outside memory)"
        kind = {"fault": "fault", "limit": "stopped", "interrupted": "stopped"}.get(stop.reason, stop.reason)
        return f"hart {hart_index} {kind} at {where}: {stop.message}: {text}"

    def bus_read(self, hart, address: int, size: int) -> tuple[int, str | None]:
        """A load done by Python (custom instruction slow path): RAM or peripheral."""
        if self.platform.memory_at(address) is not None:
            return int.from_bytes(self.memory.read(address, size), "little"), None
        p = self.bus.owner(address)
        if p is None:
            return 0, f"load from unmapped address 0x{address:08x}"
        return p.read(hart, address - p.base, size) & ((1 << 8 * size) - 1), None

    def bus_write(self, hart, address: int, size: int, value: int) -> str | None:
        if self.platform.memory_at(address) is not None:
            self.memory.write(address, (value & ((1 << 8 * size) - 1)).to_bytes(size, "little"))
            return None
        p = self.bus.owner(address)
        if p is None:
            return f"store to unmapped address 0x{address:08x}"
        p.write(hart, address - p.base, size, value & ((1 << 8 * size) - 1))
        return None

    def request_exit(self, hart, status: int) -> None:
        """End of computation requested by the firmware (EOC register write)."""
        hart.stop_after_access(Stop("exit", None, f"exit status {status}", exit_status=status))

    # ---- running -----------------------------------------------------------------------
    def run(self, max_instructions: int | None = None, progress=None) -> RunResult:
        limit = max_instructions if max_instructions is not None else (1 << 62)
        hart = self.harts[0]
        t0 = time.perf_counter()
        budget = SLICE_INSTRUCTIONS
        try:
            while True:
                t_slice, before = time.perf_counter(), hart.instret
                stop = hart.run(budget, limit)
                if stop.reason != "slice":
                    break
                elapsed = time.perf_counter() - t_slice
                rate = (hart.instret - before) / max(elapsed, 1e-6)
                budget = max(100_000, min(200_000_000, int(rate * SLICE_SECONDS)))
                if progress is not None:
                    progress(self, time.perf_counter() - t0)
        except KeyboardInterrupt:
            stop = Stop("interrupted", hart.pc, "interrupted by the user (Ctrl-C)")
        wall = time.perf_counter() - t0
        for p in self.peripherals:
            p.finish()
        result = RunResult(stop, [stop], wall)
        result.stats = self.stats(result)
        return result

    def stats(self, result: RunResult) -> dict:
        total = sum(h.instret for h in self.harts)
        return {
            "schema": STATS_SCHEMA,
            "firmware": str(self.image.path),
            "platform": self.platform.name,
            "isa": self.flavour,
            "stop_reason": result.stop.reason,
            "exit_code": result.exit_code,
            "message": result.stop.message,
            "instructions": total,
            "wall_seconds": result.wall_seconds,
            "mips": total / result.wall_seconds / 1e6 if result.wall_seconds > 0 else 0.0,
            "harts": [{"hart": h.index, "hartid": h.hartid, "instructions": h.instret,
                       "pc": h.pc} for h in self.harts],
            "peripherals": {p.name: p.stats() for p in self.peripherals},
        }
