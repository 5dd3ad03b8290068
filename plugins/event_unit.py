"""Cluster event unit, register-compatible with PULP eu_v3 as pulp-runtime uses it.

Register map: pulp-runtime `include/archi/eu/eu_v3.h` (offsets) and `include/hal/eu/eu_v3.h`
(how the runtime drives them); behaviour follows GVSoC's `eu_v3_impl.cpp` unless noted.
Two windows (offsets below are relative to each window):

global, base 0x10200800 (size 0x800)
  0x000 + 0x40*i   core i registers: MASK 0x00 (rw), MASK_AND 0x04, MASK_OR 0x08,
                   MASK_IRQ 0x0C (rw), MASK_IRQ_AND 0x10, MASK_IRQ_OR 0x14, STATUS 0x18 (r:
                   1 = running, 0 = sleeping), BUFFER 0x1C (r), BUFFER_MASKED 0x20 (r),
                   BUFFER_IRQ_MASKED 0x24 (r), BUFFER_CLEAR 0x28 (w)
  0x400 + 0x20*b   barrier b: TRIGGER_MASK 0x00 (rw), STATUS 0x04 (rw), STATUS_SUMMARY 0x08 (r),
                   TARGET_MASK 0x0C (rw), TRIGGER 0x10 (w: mark the cores of the value arrived)
  0x600 + 4*n      software event n: write a core mask to send event line n to those cores
core-private demux alias, 0x10204000 (size 0x400), acts on the accessing core
  0x000            the accessing core's registers as above, plus the waits:
                   EVENT_WAIT 0x38 (r), EVENT_WAIT_CLEAR 0x3C (r)
  0x080            dispatch FIFO: write pushes a value to the team, read pops (sleeps when empty)
  0x084            dispatch team config (rw): core mask that receives the next pushes
  0x0C0 + 4*m      mutex m: read locks (sleeps while taken), write unlocks
  0x100 + 4*n      software event n trigger (as global 0x600)
  0x200 + 0x20*b   barrier b (as global 0x400) plus TRIGGER_SELF 0x14 (r/w), TRIGGER_WAIT 0x18 (r),
                   TRIGGER_WAIT_CLEAR 0x1C (r)

Waits. A wait read returns the core's active events (BUFFER & MASK) at once when there are
some (WAIT_CLEAR also clears them); otherwise the core sleeps (`sim.sleep`) and the simulator
re-executes the load once we wake it (`sim.wake`), so the same register decides again.
Barrier trigger-and-wait marks the core arrived only on its first execution. This works the
same for `lw` and `p.elw`/`cv.elw` (the core runs both through `read`).
A completed barrier (STATUS == TRIGGER_MASK, mask non-zero) clears STATUS and sends event 16
to TARGET_MASK. A mutex lock returns the value written by the last unlock; unlock hands the
mutex to the lowest waiting core. Dispatch: every push goes to the cores of the team config
at push time, in push order; each core reads its own pushes (a ring of `dispatch_depth`
entries, as eu_v3's 8-entry FIFO: a core more than that many pushes behind loses the oldest,
counted in the stats). pulp-runtime includes the pushing core 0 in the team config and never
pops: that is fine here.
Deviations from GVSoC, chosen for robustness: mutex and dispatch sleeps are woken by the
grant / push itself, whatever the core's event mask (GVSoC needs the mutex/dispatch event
in the mask; pulp-runtime always sets it, so firmware sees no difference), and they leave
no bit in the buffer. A wait returns the events that ended it (GVSoC returns a stale value).
Software events with core mask 0 go to every core (as GVSoC).

Simulated time. Harts run one after the other in quanta (docs/cluster.md, Scheduler), so a
core may reach the event unit before another core that is behind it in simulated time. Every
effect therefore carries its simulated time, and nobody sees it earlier: an event is in a
core's buffer from its arrival time on (reads of BUFFER / waits at an earlier cycle do not
see it; a wait sleeps until it arrives), a barrier completes at its last arrival, a mutex is
free from the unlock's time, a dispatched value can be popped from the push's time. (The
opposite case, a core that is behind in time finding the mutex already taken by a core ahead,
makes it wait for the unlock: late, never early.)

Event lines (pulp-runtime archi/chips/pulp/properties.h): 0-7 software, DMA 8-9,
timer 10-11, accelerators 12-15, barrier 16, mutex 17, dispatch 18. Other peripherals raise
lines with `sim.raise_event(line, core_mask, time)`, which lands in `trigger`.

Timing (event_unit_flex manual): the event unit has "single-cycle event trigger and sleep" and
single-cycle per-core ports (S13), so an access costs the core its ordinary load/store cycle
and an access at cycle t takes effect, and sees the event unit's state, at t +
`trigger_latency` (default 1: the end of that single-cycle access); a trigger thus reaches
the buffers at t + 1. The sleeping core's wake-up latency (2, GVSoC EU_WAKEUP_LATENCY) and
the 4-cycle elw are the core timing model's (docs/cluster.md).
GVSoC's EU_WAKEUP_REQ_LATENCY (6 on every wait) is not modelled.
Interrupts (event_unit_core.sv of pulp-platform/event_unit_flex): a core's interrupt request
is BUFFER & MASK_IRQ; its line is the highest pending bit (the RTL's find-first-one from the
top), and the core's acknowledge clears that bit of the buffer. The core side (mie, mstatus,
mcause, vectors, latency) is iss/interrupts.py: the event unit tells it when the request
may have changed (`irq_changed`). A core asleep in an event or barrier wait is woken by a
request its mie enables (the RTL's IRQ_WHILE_SLEEP): its wait register load runs again
after the handler returns. Chosen here: a core asleep on a mutex or the dispatch FIFO
takes its interrupt once that wait ends.
Not modelled: SoC event FIFO, the hardware loop unit, trigger-and-wait software events (0x140/0x180). Unknown offsets and
non-32-bit accesses read 0 and ignore writes (counted in the stats as `unknown_accesses`):
PULP firmware probes optional registers, so an error would be worse than a count.
"""
from __future__ import annotations

from iss.plugin import Peripheral
from iss.schema import ADDRESS_SPACE, Field

# event lines (pulp-runtime archi/chips/pulp/properties.h)
EVENT_DMA = (8, 9)
EVENT_TIMER = (10, 11)
EVENT_ACCEL = (12, 13, 14, 15)
EVENT_BARRIER = 16
EVENT_MUTEX = 17
EVENT_DISPATCH = 18

MAX_CORES = 16                 # core id field of mhartid is 4 bits

# global window
CORE_AREA_SIZE = 0x40
BARRIER_AREA, BARRIER_SIZE = 0x400, 0x20
SW_EVENTS_AREA = 0x600
# demux window
DEMUX_BASE, DEMUX_SIZE = 0x10204000, 0x400
DEMUX_DISPATCH = 0x080
DEMUX_MUTEX = 0x0C0
DEMUX_SW_EVENTS = 0x100
DEMUX_BARRIER = 0x200
MAX_BARRIERS = (DEMUX_SIZE - DEMUX_BARRIER) // BARRIER_SIZE      # 16
MAX_MUTEXES = (DEMUX_SW_EVENTS - DEMUX_MUTEX) // 4                # 16
# core registers
MASK, MASK_AND, MASK_OR = 0x00, 0x04, 0x08
MASK_IRQ, MASK_IRQ_AND, MASK_IRQ_OR = 0x0C, 0x10, 0x14
# mask register writes: offset -> (core-state field, how the written value combines)
MASK_WRITES = {MASK: ("mask", "set"), MASK_AND: ("mask", "clear"), MASK_OR: ("mask", "or"),
               MASK_IRQ: ("irq_mask", "set"), MASK_IRQ_AND: ("irq_mask", "clear"),
               MASK_IRQ_OR: ("irq_mask", "or")}
STATUS, BUFFER, BUFFER_MASKED, BUFFER_IRQ_MASKED, BUFFER_CLEAR = 0x18, 0x1C, 0x20, 0x24, 0x28
EVENT_WAIT, EVENT_WAIT_CLEAR = 0x38, 0x3C
# barrier registers
BAR_TRIGGER_MASK, BAR_STATUS, BAR_STATUS_SUMMARY, BAR_TARGET_MASK = 0x00, 0x04, 0x08, 0x0C
BAR_TRIGGER, BAR_TRIGGER_SELF, BAR_TRIGGER_WAIT, BAR_TRIGGER_WAIT_CLEAR = 0x10, 0x14, 0x18, 0x1C
# dispatch registers
DISPATCH_FIFO, DISPATCH_TEAM_CONFIG = 0x0, 0x4

# what a sleeping core waits for; also ("barrier", b) and ("mutex", m)
WAIT_EVENT, WAIT_DISPATCH = ("event",), ("dispatch",)


class CoreState:
    def __init__(self, core_id):
        self.id = core_id
        self.mask = 0            # events that end a wait
        self.irq_mask = 0        # events that request an interrupt (iss/interrupts.py)
        self.arrivals = {}       # pending event line -> the cycle it reaches the buffer
        self.waiting = None      # what the core's current wait register access waits for
        self.hart = None         # the sleeping hart, while asleep
        self.sleeps = 0          # sleeps so far: tells a scheduled wake-up it is stale
        self.wake_time = None    # cycle of the wake-up, until the load runs again
        self.dispatch_seq = 0    # next dispatch push this core looks at


class Barrier:
    def __init__(self):
        self.trigger_mask = 0    # cores that must arrive
        self.target_mask = 0     # cores that get the barrier event
        self.status = 0          # cores arrived so far
        self.last = 0            # cycle of the latest arrival


class Mutex:
    def __init__(self):
        self.owner = None
        self.waiters = 0         # core mask
        self.value = 0           # message passed from unlock to the next lock
        self.free_at = 0         # cycle of the last unlock


class EventUnit(Peripheral):
    PARAMS = {
        "demux": Field(int, DEMUX_BASE, 0, ADDRESS_SPACE - DEMUX_SIZE, align=4, hex=True),
        "trigger_latency": Field(int, 1, 0, 1 << 32),
        "barriers": Field(int, MAX_BARRIERS, 0, MAX_BARRIERS),
        "mutexes": Field(int, MAX_MUTEXES, 0, MAX_MUTEXES),
        "dispatch_depth": Field(int, 8, 1, 1024),        # eu_v3: an 8-entry FIFO
    }

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.demux = self.param("demux")
        self.demux_offset = self.demux - base
        self.trigger_latency = self.param("trigger_latency")
        self.cores = [CoreState(i) for i in range(MAX_CORES)]
        self.barriers = [Barrier() for _ in range(self.param("barriers"))]
        self.mutexes = [Mutex() for _ in range(self.param("mutexes"))]
        self.dispatch_depth = self.param("dispatch_depth")
        self.dispatch_ring = [(0, 0, 0)] * self.dispatch_depth   # (value, team mask, cycle)
        self.dispatch_pushes = 0
        self.team_config = 0
        self.counts = dict(events=0, sleeps=0, barriers=0, mutex_locks=0, mutex_contended=0,
                           dispatch_pushes=0, dispatch_pops=0, dispatch_overruns=0,
                           unknown_accesses=0)
        sim.provide("event_unit", self)

    def ranges(self):
        """The global window and the core-private demux alias (offsets relative to `base`)."""
        return [(self.base, self.size), (self.demux, DEMUX_SIZE)]

    # ---- services -----------------------------------------------------------------
    def trigger(self, line: int, core_mask: int, time: int) -> None:
        """Event `line` reaches the buffers of the cores of `core_mask` at cycle `time`."""
        for st in self._cores_in(core_mask):
            st.arrivals[line] = min(st.arrivals.get(line, time), time)
            self.counts["events"] += 1
            self._check_wake(st)
            if st.irq_mask >> line & 1:
                self._irq_changed(st)

    def irq_pending(self, core_id: int, time: int) -> int:
        """The core's interrupt request lines at cycle `time`: BUFFER & MASK_IRQ."""
        st = self.cores[core_id]
        return self._buffer(st, time) & st.irq_mask

    def irq_next(self, core_id: int, lines: int) -> int | None:
        """Earliest cycle at which one of `lines` requests an interrupt (None: none will)."""
        st = self.cores[core_id]
        enabled = st.irq_mask & lines
        times = [at for line, at in st.arrivals.items() if enabled >> line & 1]
        return min(times) if times else None

    def irq_acknowledge(self, core_id: int, line: int) -> None:
        """The core took the interrupt of `line`: its buffer bit clears."""
        self.cores[core_id].arrivals.pop(line, None)

    def irq_interrupts_wait(self, core_id: int) -> bool:
        """An interrupt ends the core's current sleep (an event or barrier wait, whose
        load runs again after the handler); False for mutex and dispatch sleeps."""
        st = self.cores[core_id]
        if st.hart is None or st.waiting is None or st.waiting[0] not in ("event", "barrier"):
            return False
        st.hart, st.wake_time = None, None
        st.sleeps += 1                  # a wake-up scheduled for this sleep is stale now
        return True

    def _irq_changed(self, st) -> None:
        changed = getattr(self.sim, "irq_changed", None)
        if changed is not None:
            changed(st.id)

    def waiting_on(self, core_id: int) -> str | None:
        """What a core is waiting for (for deadlock reports), None when it is not waiting."""
        w = self.cores[core_id].waiting
        return None if w is None else " ".join(map(str, w))

    # ---- register access ----------------------------------------------------------
    def read(self, hart, offset, size):
        return self._access(hart, offset, size, None)

    def write(self, hart, offset, size, value):
        self._access(hart, offset, size, value)

    def _access(self, hart, offset, size, value):
        if size != 4 or offset & 3:
            return self._unknown()
        if 0 <= offset - self.demux_offset < DEMUX_SIZE:
            return self._demux(hart, offset - self.demux_offset, value)
        if offset < BARRIER_AREA:
            core, reg = divmod(offset, CORE_AREA_SIZE)
            return self._core_reg(self.cores[core], reg, value, hart, private=False)
        if offset < SW_EVENTS_AREA:
            return self._barrier_reg(hart, offset - BARRIER_AREA, value, private=False)
        if offset < SW_EVENTS_AREA + 0x40:
            return self._sw_event(hart, (offset - SW_EVENTS_AREA) >> 2, value)
        return self._unknown()

    def _demux(self, hart, offset, value):
        st = self.cores[hart.core_id]
        if offset < CORE_AREA_SIZE:
            return self._core_reg(st, offset, value, hart, private=True)
        if offset == DEMUX_DISPATCH + DISPATCH_FIFO:
            return self._dispatch_pop(st, hart) if value is None else self._dispatch_push(hart, value)
        if offset == DEMUX_DISPATCH + DISPATCH_TEAM_CONFIG:
            if value is None:
                return self.team_config
            self.team_config = value
            return 0
        if DEMUX_MUTEX <= offset < DEMUX_SW_EVENTS:
            index = (offset - DEMUX_MUTEX) >> 2
            if index < len(self.mutexes):
                return self._lock(st, hart, index) if value is None else self._unlock(hart, index, value)
            return self._unknown()
        if DEMUX_SW_EVENTS <= offset < DEMUX_SW_EVENTS + 0x40:
            return self._sw_event(hart, (offset - DEMUX_SW_EVENTS) >> 2, value)
        if DEMUX_BARRIER <= offset < DEMUX_SIZE:
            return self._barrier_reg(hart, offset - DEMUX_BARRIER, value, private=True)
        return self._unknown()

    def _unknown(self):
        self.counts["unknown_accesses"] += 1
        return 0

    # ---- per-core registers -------------------------------------------------------
    def _core_reg(self, st, reg, value, hart, private):
        if value is None:
            if reg == MASK:
                return st.mask
            if reg == MASK_IRQ:
                return st.irq_mask
            if reg == STATUS:
                return 0 if st.hart is not None else 1
            if reg == BUFFER:
                return self._buffer(st, self._time(hart))
            if reg == BUFFER_MASKED:
                return self._buffer(st, self._time(hart)) & st.mask
            if reg == BUFFER_IRQ_MASKED:
                return self._buffer(st, self._time(hart)) & st.irq_mask
            if private and reg in (EVENT_WAIT, EVENT_WAIT_CLEAR):
                return self._wait(st, hart, reg == EVENT_WAIT_CLEAR, WAIT_EVENT)
            return self._unknown()
        if reg in MASK_WRITES:
            field, how = MASK_WRITES[reg]
            old = getattr(st, field)
            setattr(st, field, value if how == "set" else old & ~value if how == "clear" else old | value)
        elif reg == BUFFER_CLEAR:
            self._clear(st, value, self._time(hart))
        else:
            return self._unknown()
        self._check_wake(st, self._time(hart))    # another core may have unmasked an event
        self._irq_changed(st)
        return 0

    def _sw_event(self, hart, line, value):
        if value is None:
            return self._unknown()
        self.trigger(line, value or self._all_cores(), self._time(hart))
        return 0

    # ---- event buffer -------------------------------------------------------------
    @staticmethod
    def _buffer(st, time):
        """The buffer as seen at cycle `time`: the events that have arrived by then."""
        bits = 0
        for line, at in st.arrivals.items():
            if at <= time:
                bits |= 1 << line
        return bits

    @staticmethod
    def _clear(st, lines, time):
        for line, at in list(st.arrivals.items()):
            if lines >> line & 1 and at <= time:        # an event still on its way stays
                del st.arrivals[line]

    @staticmethod
    def _next_arrival(st):
        """Arrival cycle of the earliest pending event of the mask (None: there is none)."""
        times = [at for line, at in st.arrivals.items() if st.mask >> line & 1]
        return min(times) if times else None

    # ---- sleeping -------------------------------------------------------------------
    def _wait(self, st, hart, clear, kind):
        t = self._access_time(st, hart)
        active = self._buffer(st, t) & st.mask
        if active:
            if clear:
                self._clear(st, active, t)
            st.waiting = None
            return active
        st.waiting = kind
        self._sleep(st, hart)
        later = self._next_arrival(st)       # sent by a core ahead in time: not there yet
        if later is not None:
            self._wake_later(st, later)
        return 0

    def _access_time(self, st, hart):
        """Cycle at which this access sees the event unit; for the load re-executed after a
        wake-up, at least the wake-up's cycle (the core timing model starts the re-executed
        load a little before it)."""
        t = self._time(hart)
        if st.wake_time is not None:
            t, st.wake_time = max(t, st.wake_time), None
        return t

    def _sleep(self, st, hart):
        st.hart = hart
        st.sleeps += 1
        self.counts["sleeps"] += 1
        self.sim.sleep(hart)

    def _wake_later(self, st, time):
        """Wake the core at `time` unless it woke up before (decided in its sleeping access)."""
        sleep = st.sleeps
        self.sim.schedule(time, lambda: st.sleeps == sleep and self._wake(st, time))

    def _wake(self, st, time):
        # only cores asleep since an earlier access get here (sim.wake needs a processed sleep);
        # a decision taken in the sleeping access itself goes through sim.schedule
        if st.hart is not None:
            hart, st.hart = st.hart, None
            st.wake_time = time
            self.sim.wake(hart, time)

    def _wake_if_waiting(self, st, kind, time):
        if st.waiting == kind:
            self._wake(st, time)

    def _check_wake(self, st, not_before=0):
        # only event waits end on events; mutex and dispatch sleeps end on grant / push
        if st.hart is not None and st.waiting[0] in ("event", "barrier"):
            at = self._next_arrival(st)
            if at is not None:
                self._wake(st, max(at, not_before))

    # ---- barriers -------------------------------------------------------------------
    def _barrier_reg(self, hart, offset, value, private):
        index, reg = divmod(offset, BARRIER_SIZE)
        if index >= len(self.barriers):
            return self._unknown()
        bar = self.barriers[index]
        time = self._time(hart)
        if private and reg in (BAR_TRIGGER_WAIT, BAR_TRIGGER_WAIT_CLEAR) and value is None:
            st = self.cores[hart.core_id]
            if st.waiting != ("barrier", index):        # not a re-execution after a wake-up
                self._arrive(index, 1 << st.id, time)
            return self._wait(st, hart, reg == BAR_TRIGGER_WAIT_CLEAR, ("barrier", index))
        if private and reg == BAR_TRIGGER_SELF:
            self._arrive(index, 1 << hart.core_id, time)
            return 0
        if value is None:
            if reg == BAR_TRIGGER_MASK:
                return bar.trigger_mask
            if reg == BAR_STATUS:
                return bar.status
            if reg == BAR_TARGET_MASK:
                return bar.target_mask
            if reg == BAR_STATUS_SUMMARY:
                summary = 0
                for b in self.barriers:
                    summary |= b.status
                return summary
            return self._unknown()
        if reg == BAR_TRIGGER_MASK:
            bar.trigger_mask = value
        elif reg == BAR_TARGET_MASK:
            bar.target_mask = value
        elif reg == BAR_STATUS:
            bar.status = value
        elif reg == BAR_TRIGGER:
            self._arrive(index, value, time)
            return 0
        else:
            return self._unknown()
        self._check_barrier(index)
        return 0

    def _arrive(self, index, cores, time):
        bar = self.barriers[index]
        bar.status |= cores
        bar.last = max(bar.last, time)
        self._check_barrier(index)

    def _check_barrier(self, index):
        bar = self.barriers[index]
        if bar.trigger_mask and bar.status == bar.trigger_mask:
            time, bar.status, bar.last = bar.last, 0, 0
            self.counts["barriers"] += 1
            tracer = self.sim.service("timeline")
            if tracer is not None:               # iss/trace.py
                tracer.instant(self.name, f"barrier {index}", time,
                               {"cores": f"0x{bar.trigger_mask:x}"})
            self.trigger(EVENT_BARRIER, bar.target_mask, time)

    # ---- mutexes --------------------------------------------------------------------
    def _lock(self, st, hart, index):
        t = self._access_time(st, hart)
        mutex, kind = self.mutexes[index], ("mutex", index)
        if mutex.owner == st.id and st.waiting == kind:  # handed to us while asleep
            st.waiting = None
            self.counts["mutex_locks"] += 1
            return mutex.value
        if mutex.owner is None:
            mutex.owner = st.id
            if mutex.free_at <= t:
                self.counts["mutex_locks"] += 1
                return mutex.value
            st.waiting = kind                            # unlocked later in simulated time
            self._sleep(st, hart)
            self._wake_later(st, mutex.free_at)
            return 0
        mutex.waiters |= 1 << st.id
        st.waiting = kind
        self.counts["mutex_contended"] += 1
        self._sleep(st, hart)
        return 0

    def _unlock(self, hart, index, value):
        mutex = self.mutexes[index]
        mutex.value = value
        time = self._time(hart)
        if not mutex.waiters:
            mutex.owner, mutex.free_at = None, time
            return 0
        waiters = mutex.waiters
        nxt = (waiters & -waiters).bit_length() - 1      # lowest waiting core (as GVSoC)
        mutex.waiters &= ~(1 << nxt)
        mutex.owner = nxt
        self._wake(self.cores[nxt], time)
        return 0

    # ---- dispatch FIFO --------------------------------------------------------------
    def _dispatch_push(self, hart, value):
        time = self._time(hart)
        self.dispatch_ring[self.dispatch_pushes % self.dispatch_depth] = (value, self.team_config, time)
        self.dispatch_pushes += 1
        self.counts["dispatch_pushes"] += 1
        for st in self._cores_in(self.team_config):
            self._wake_if_waiting(st, WAIT_DISPATCH, time)
        return 0

    def _dispatch_pop(self, st, hart):
        t = self._access_time(st, hart)
        behind = self.dispatch_pushes - st.dispatch_seq
        if behind > self.dispatch_depth:                 # overwritten entries are lost
            self.counts["dispatch_overruns"] += behind - self.dispatch_depth
            st.dispatch_seq = self.dispatch_pushes - self.dispatch_depth
        later = None
        while st.dispatch_seq < self.dispatch_pushes:
            value, team, at = self.dispatch_ring[st.dispatch_seq % self.dispatch_depth]
            if team >> st.id & 1:
                if at > t:                               # pushed later in simulated time
                    later = at
                    break
                st.dispatch_seq += 1
                st.waiting = None
                self.counts["dispatch_pops"] += 1
                return value
            st.dispatch_seq += 1
        st.waiting = WAIT_DISPATCH
        self._sleep(st, hart)
        if later is not None:
            self._wake_later(st, later)
        return 0

    # ---- helpers --------------------------------------------------------------------
    def _time(self, hart):
        """Cycle at which an access done now takes effect in (and sees) the event unit:
        the end of its single-cycle access."""
        return hart.now() + self.trigger_latency

    def _all_cores(self):
        harts = getattr(self.sim, "harts", None)
        n = len(harts) if harts else self.sim.platform.cores
        return (1 << n) - 1

    def _cores_in(self, mask):
        return [st for st in self.cores if mask >> st.id & 1]

    def stats(self):
        waiting = {str(st.id): self.waiting_on(st.id) for st in self.cores if st.waiting is not None}
        return {**self.counts, "waiting": waiting}
