"""The scheduler: simulated time for a cluster of harts and peripheral events
(docs/cluster.md). Harts run in turn, the one furthest behind first, for at most a
quantum of cycles while others are runnable; peripheral callbacks fire in time order
between (or, for a register access, inside) the harts' turns; sleeping harts are woken at
exact cycles. The Simulator is a Scheduler; the plugins reach these methods through the
documented host (iss/host.py: now, schedule, sleep, wake...)."""
from __future__ import annotations

import heapq
import time
from typing import TYPE_CHECKING

from .errors import PeripheralError
from .hart import FINISHED, HALTED, RUNNING, SLEEPING, Stop
from .hart_state import NO_LIMIT, PROF_SLEEP
from .hook_layout import AUTO_SAMPLE
from .latency import ELW_CYCLES, WAKE_CYCLES

if TYPE_CHECKING:
    from .hart import Hart

SLICE_INSTRUCTIONS = 1_000_000    # first slice; later slices aim at SLICE_SECONDS of host time
SLICE_SECONDS = 0.25              # keeps Ctrl-C and the progress line responsive
# Harts run in turn for at most this many cycles while others are runnable: the skew
# with which one core sees another's plain memory writes (docs/cluster.md, Scheduler).
# Each turn costs a Unicorn emu_start (~40 us measured), hence a long quantum in the fast
# mode; the accurate mode's bank-conflict table covers BANK_WINDOW cycles, so it needs a
# shorter one.
QUANTUM_CYCLES = {"fast": 100_000, "accurate": 10_000}


class Scheduler:
    """Mixin of the Simulator: needs `harts`, `custom`, `timing`, `quantum`, `observers`,
    `catch` and `_waits()` from it."""

    def _init_scheduler(self) -> None:
        self._events: list = []           # (time, order, callback) heap
        self._order = 0
        self._time = 0
        self._running = None              # the hart inside hart.run, if any
        self._deferred_stop = None        # (Stop, Hart) of an event fired inside an access
        self._epoch = 0                   # counts runs and events that may change memory

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
        if running is not None and int(at) < running.native.cycle_limit:
            running.native.cycle_limit = int(at)

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
        cycle `at`: runnable after the cluster's WAKE_CYCLES (iss/latency.py)."""
        if hart.state == SLEEPING:
            self._resume(hart, max(hart.sleep_start, int(at) + WAKE_CYCLES), at)

    def _resume(self, hart, resume: int, at: int) -> None:
        start = hart.sleep_start
        hart.native.sleep_cycles += resume - start
        hart.cycles = resume
        if hart.dynamic is not None:
            hart.charge(PROF_SLEEP, resume - start, hart.pc)
        self.observers.notify("wake", hart, start, resume)
        hart.state = RUNNING
        running = self._running
        if running is not None and running is not hart:
            # bound how far the running hart gets ahead of the one it woke
            limit = max(int(at), running.now()) + self.quantum
            running.native.cycle_limit = min(running.native.cycle_limit, limit)

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
            self.observers.notify("slice", hart, stop)
            if self.custom.engine.hot:
                self.custom.engine.compile_hot()    # hot loop bodies to native code
            if sampling and self.instructions >= AUTO_SAMPLE:
                self.custom.settle_layout()
                if stop.reason == "limit":
                    stop = Stop("slice", hart.pc)
            if stop.reason == "sleep":
                hart.state = SLEEPING
                hart.sleep_start = hart.cycles
                self.observers.notify("sleep", hart)
                if hart.wake_at is not None:
                    self.wake(hart, hart.wake_at)
            elif stop.reason not in ("slice", "retry"):
                if stop.reason == "limit":
                    stop.message = f"instruction limit ({limit}) reached"
                return stop, hart
            now = time.perf_counter()
            # observers of slices (a trace samples IPC at them) see fixed-count slices:
            # host-time ones would change what they see from one machine to the next
            if len(runnable) == 1 and stop.reason == "slice" and not self.observers.wants("slice"):
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
