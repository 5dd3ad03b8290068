"""Watching a run: `sim.observe(event, callback)`, one mechanism for everything that follows
a run from Python (the timeline trace, debugger watchpoints, the paper job, your scripts).

The simulator's events (callback arguments):
  "slice"        (hart, stop)        a hart's turn ended (the scheduler's unit; with a
                                      "slice" observer, turns end at fixed counts, not after
                                      a host-time budget, so observers see the same turns on
                                      every machine)
  "sleep"        (hart,)             a hart went to sleep (event wait, wfi) at hart.cycles
  "wake"         (hart, start, resume)  it slept from cycle `start` and runs again at `resume`
  "trap"         (hart, name, cycles, mepc)  an exception or interrupt entry ("irq 10",
                                      "exception 2"), costing `cycles`, mepc the return pc
  "trap_return"  (hart,)             mret: the handler's end
  "access"       (hart, address, size, is_write, old, new)  a load or store the simulator
                                      executes in Python (custom loads/stores while a
                                      debugger watches memory: HartState.watching)
Plugins add their own through `sim.notify(event, ...)` and document them, e.g. the trace
marker's "mark" (hart, kind, value, cycle) (plugins/trace_marker.py).

Callbacks run inside the simulation, at the simulated time of the event, and must not
change the simulated state (a debugger's may stop the hart: iss/debugger/target.py). An
event nobody observes costs one dictionary lookup.
Two mechanisms are not observers, for speed: the instruction trace (`--itrace`, a
per-instruction hook installed in each core's engine when the Simulator is built) and the
profiler (`--profile`, a native per-instruction table: iss/profile.py)."""
from __future__ import annotations

from collections.abc import Callable

Callback = Callable[..., None]


class Observers:
    """The callbacks of each event, in the order they were added."""

    __slots__ = ("_callbacks",)

    def __init__(self) -> None:
        self._callbacks: dict[str, list[Callback]] = {}

    def add(self, event: str, callback: Callback) -> Callable[[], None]:
        """Call `callback(*args)` at every `event`; returns a function that stops it."""
        callbacks = self._callbacks.setdefault(event, [])
        callbacks.append(callback)

        def remove() -> None:
            if callback in callbacks:
                callbacks.remove(callback)
        return remove

    def wants(self, event: str) -> bool:
        return bool(self._callbacks.get(event))

    def notify(self, event: str, *args) -> None:
        for callback in tuple(self._callbacks.get(event, ())):
            callback(*args)
