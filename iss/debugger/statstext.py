"""The run so far as text, one format for both debugger front ends: `info stats` in the
shell (infocmds.py) and `monitor stats` in gdbserver.py.

    Program: /path/fw.elf (stopped)
    Platform: pulp_cluster, ISA flavour xpulpv2
    Instructions: 12,345
    Cycles: 23,456
    Stop reason: breakpoint in hart 0
    Harts: 8
    * hart 0 (hartid 0x0): 2,345 instructions, 23,456 cycles, running, pc 0x1c0081f4 <main+12>
      hart 1 (hartid 0x1): 1,234 instructions, 23,100 cycles, sleeping, pc 0x1c008300 <worker+4>
      ...
    Peripherals:
      event_unit: events 12, ...

Instructions are all harts' together, cycles the cluster's (the hart that got furthest:
`Simulator.cycles`, the `cycles` of `iss run --json`); `*` marks the selected thread.
Peripherals without counts are left out.
"""
from __future__ import annotations

import os


def stats_text(sim, *, current: int = 0, stop=None, finished=None, started: bool = True) -> str:
    """sim: the Simulator; current: the selected hart; stop: the last stop (an Event:
    reason, hart, message), None before the first resume; finished: the exit/fault/deadlock
    Event once the program ended (DebugTarget.finished); started: whether the program is
    being run (the shell: False before `run` and after `kill`)."""
    if finished is not None and finished.reason == "exit":
        state = f"exited with code {finished.exit_code or 0}"
    elif finished is not None:
        state = f"ended: {finished.reason}"
    else:
        state = "stopped" if started else "not running"
    lines = [f"Program: {os.path.abspath(sim.image.path)} ({state})",
             f"Platform: {sim.platform.name}, ISA flavour {sim.flavour}",
             f"Instructions: {sim.instructions:,}",
             f"Cycles: {sim.cycles:,}"]
    if stop is None:
        lines.append("Stop reason: none (not resumed yet)")
    else:
        # a step's message is the target's own instruction budget: not shown
        shown = stop.message and stop.message != stop.reason and stop.reason != "step"
        detail = f" ({stop.message})" if shown else ""
        lines.append(f"Stop reason: {stop.reason} in hart {stop.hart}{detail}")
    lines.append(f"Harts: {len(sim.harts)}")
    for i, h in enumerate(sim.harts):
        mark = "*" if i == current else " "
        lines.append(f"{mark} hart {h.index} (hartid 0x{h.hartid:x}): {h.instret:,} instructions, "
                     f"{h.cycles:,} cycles, {h.state}, pc 0x{h.pc:08x}{_symbol(sim, h.pc)}")
    counts = [(p.name, p.stats()) for p in sim.peripherals]
    counts = [(name, stats) for name, stats in counts if stats]
    if counts:
        lines.append("Peripherals:")
        lines += [f"  {name}: " + ", ".join(f"{k} {v}" for k, v in stats.items())
                  for name, stats in counts]
    return "\n".join(lines) + "\n"


def _symbol(sim, pc: int) -> str:
    """' <main+12>' (gdb's form: decimal offset), or '' outside any symbol."""
    hit = sim.image.function_at(pc)
    if hit is None:
        return ""
    name, offset = hit
    return f" <{name}+{offset}>" if offset else f" <{name}>"
