"""The stats of a run (`iss run --json`, schema iss-stats/1; docs/python-api.md): the
totals, one entry per core (instructions, cycles, stall cycles by cause, performance
events, traps), the peripherals' own stats and the energy (docs/energy.md)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .energy import energy
from .perf import EVENT_NAMES

if TYPE_CHECKING:
    from .hart import Hart
    from .simulator import RunResult, Simulator

STATS_SCHEMA = "iss-stats/1"
# the "stalls" keys in their order: static ones come from the timing tables (iss/timing.py),
# the others are counted at run time (HartState.dynamic_stalls), load_use and jump both
STALL_KEYS = ("load_use", "jump", "branch", "mulh", "div", "csr", "elw", "misaligned", "tcdm",
              "peripheral", "sync")
EVENT_KEYS = ("ld", "st", "jump", "branch", "btaken", "rvc")


def run_stats(sim: Simulator, result: RunResult) -> dict:
    total, cycles = sim.instructions, sim.cycles
    stats = {
        "schema": STATS_SCHEMA,
        "firmware": str(sim.image.path),
        "platform": sim.platform.name,
        "isa": sim.flavour,
        "timing": sim.timing_mode,
        "cores": len(sim.harts),
        "clock_hz": sim.platform.clock_hz,
        "stop_reason": result.stop.reason,
        "stop_hart": getattr(sim, "stop_hart", 0),
        "exit_code": result.exit_code,
        "message": result.stop.message,
        "instructions": total,
        "cycles": cycles,
        "time_seconds": cycles / sim.platform.clock_hz,
        "wall_seconds": result.wall_seconds,
        "mips": total / result.wall_seconds / 1e6 if result.wall_seconds > 0 else 0.0,
        "harts": [hart_stats(sim, h) for h in sim.harts],
        "peripherals": {p.name: p.stats() for p in sim.peripherals},
    }
    stats["energy"] = energy(stats, sim.platform)
    return stats


def hart_stats(sim: Simulator, hart: Hart) -> dict:
    static = sim.timing.stall_totals(hart.executed)
    dynamic = hart.native.dynamic_stalls()
    stalls = {key: static.get(key, 0) + dynamic.get(key, 0) for key in STALL_KEYS}
    events = dict(zip(EVENT_NAMES, (int(v) for v in hart.perf.totals()), strict=True))
    sleep = hart.native.sleep_cycles
    return {"hart": hart.index, "hartid": hart.hartid, "core_id": hart.core_id,
            "instructions": hart.instret, "cycles": hart.cycles,
            "active_cycles": hart.cycles - sleep, "sleep_cycles": sleep,
            "stalls": stalls,
            "events": {key: events[key] for key in EVENT_KEYS},
            "traps": {"exceptions": hart.traps, "interrupts": hart.irq.taken,
                      "interrupt_lines": hart.irq.lines_taken(),
                      "overhead_cycles": hart.irq.overhead_cycles},
            "pc": hart.pc, "state": hart.state}
