"""Timeline trace of a run (`iss run --trace FILE.json`): Chrome / Perfetto trace-event JSON.

Opens in ui.perfetto.dev (or chrome://tracing). One process, "cluster", with tracks
(threads):
  core N          `run` spans and `wait <reason>` spans while the core sleeps (the event
                  unit's reason: `barrier B`, `event`, `dispatch`, `mutex M`; `sleep` if no
                  event unit knows)
  core N marks    spans the firmware names itself (trace.h: trace_begin / trace_end)
  <accelerator>   one span per trigger (jobs, stream / total cycles, the job's parameters),
                  with its phases (e.g. stream_in, compute, stream_out) as nested spans
  <dma>           one span per transfer (direction, bytes, addresses, TID, core)
  <event unit>    instants: barrier completions
and counter tracks `core N IPC` (instructions per cycle between two scheduler turns of the
core, 0 while asleep), `running cores`, and `power <component>` (mW) for every component of
the energy model (iss/energy.py: cores_active, cores_sleep, l1, dma, ima, dw, static) and
`power total`: the model's energy of each period of `power_period` cycles divided by the
period, so each counter's integral over the run is the component's energy in the stats.
Times are simulated: ts = cycle / clock (microseconds, ns resolution); args carry cycles.

`filters` (`--trace-filter`) keeps only some tracks: `cores` (core N, core N IPC, running
cores), `marks` (core N marks), `power` (the power counters), an accelerator or DMA by its
kind (`ima`, `dw`, `dma`) or any peripheral by its platform name (e.g. `event_unit`).

Power over time: core cycles are placed exactly (a core is active outside its wait spans,
clock-gated inside them and after its last cycle); its L1 accesses (loads + stores) are
spread evenly over each of its scheduler turns; a DMA transfer's bytes over its span; an
accelerator job's energy (its stats before and after the job runs, through the energy
model) over its job span; static power is constant.

A Tracer follows the run as an observer (`sim.observe`, iss/observe.py: slices, sleep,
wake-up, traps, trace marks) and offers itself to the plugins as the service "timeline".
Tracing off costs nothing: no observer, and each plugin call site is one `is not None` test
on a path that is already rare (DMA push, accelerator trigger, barrier). Peripherals use:
`span(track, name, start, end, args)`, `instant(track, name, time, args)`,
`counter(name, time, values)`, `begin(track, name, time, args)` / `end(track, time)`
(times in cycles).
"""
from __future__ import annotations

import json
import re

from . import energy as model
from .errors import IssError

PID = 1
MAX_EVENTS = 5_000_000          # beyond this, events are dropped (counted in otherData)
POWER_POINTS = 2000             # default power period: the run in at most this many periods
MIN_POWER_PERIOD = 100          # cycles
FIXED_FILTERS = ("cores", "marks", "power")
_CORE_TRACK = re.compile(r"core \d+( IPC)?$|running cores$")


class Tracer:
    def __init__(self, sim, max_events: int = MAX_EVENTS, filters=None,
                 power_period: int | None = None):
        self.sim = sim
        self.clock = sim.platform.clock_hz
        self.max_events = max_events
        self.events: list[dict] = []
        self.dropped = 0
        self.tids: dict[str, int] = {}
        self.stacks: dict[str, list] = {}           # track -> open (name, start, args) spans
        self.unmatched_ends = 0
        self.peripherals = {p.name: p for p in sim.peripherals}
        self.kinds = {p.name: type(p).energy_kind for p in sim.peripherals}
        self.filters = None if filters is None else set(filters)
        if self.filters is not None:
            known = set(FIXED_FILTERS) | {k for k in self.kinds.values() if k} | set(self.kinds)
            unknown = sorted(self.filters - known)
            if unknown:
                raise IssError(f"--trace-filter: unknown {', '.join(unknown)} (known: "
                               f"{', '.join(sorted(known))})")
        self.allowed: dict[str, bool] = {}
        if power_period is not None and power_period < 1:
            raise IssError(f"--trace-power-period: must be >= 1 cycle, got {power_period}")
        self.power_period = power_period
        self.k = model.constants(sim.platform)
        self.energy: dict[str, list] = {}           # component -> (start, end, pJ) segments
        self.accesses = [[(h.cycles, self._accesses(h))] for h in sim.harts]
        n = len(sim.harts)
        for i in range(n):
            if self._allowed(f"core {i}"):
                self._tid(f"core {i}", 1 + i)
        self.run_start = [h.cycles for h in sim.harts]
        self.run_instret = [h.instret for h in sim.harts]
        self.reason: list[str | None] = [None] * n
        self.samples = [[(h.cycles, h.instret)] for h in sim.harts]
        self.sleeps = [[] for _ in range(n)]       # (start, end) per hart, for `running cores`
        sim.provide("timeline", self)     # the plugins draw their own spans on it (iss/host.py)
        sim.observe("slice", lambda hart, stop: self.sample(hart))
        sim.observe("sleep", self.sleep)
        sim.observe("wake", self.wake)
        sim.observe("trap", self.trap)
        sim.observe("trap_return", self.trap_return)
        sim.observe("mark", self.mark)

    # ---- tracks and raw events ---------------------------------------------------------
    def _allowed(self, track: str) -> bool:
        """Whether --trace-filter keeps this track or counter."""
        got = self.allowed.get(track)
        if got is None:
            f = self.filters
            if f is None:
                got = True
            elif track.startswith("power "):
                got = "power" in f
            elif _CORE_TRACK.match(track):
                got = "cores" in f
            elif re.match(r"core \d+ marks$", track):
                got = "marks" in f
            else:
                got = track in f or self.kinds.get(track) in f
            self.allowed[track] = got
        return got

    def _tid(self, track: str, tid: int | None = None) -> int:
        got = self.tids.get(track)
        if got is None:
            got = self.tids[track] = tid if tid is not None else 1000 + len(self.tids)
        return got

    def _ts(self, cycle: int) -> float:
        return round(cycle * 1e6 / self.clock, 6)

    def _emit(self, event: dict) -> None:
        if len(self.events) < self.max_events:
            self.events.append(event)
        else:
            self.dropped += 1

    # ---- API for the simulator and peripherals (times in cycles) -------------------------
    def span(self, track: str, name: str, start: int, end: int, args: dict | None = None) -> None:
        """A complete span on `track` from cycle start to end."""
        if self.kinds.get(track) == "dma" and args and "bytes" in args:
            self._energy(start, end, type(self.peripherals[track]).energy_counts(
                {"bytes": args["bytes"]}))
        if not self._allowed(track):
            return
        self._emit({"ph": "X", "pid": PID, "tid": self._tid(track), "name": name,
                    "ts": self._ts(start), "dur": self._ts(max(end - start, 0)),
                    "args": {"start_cycle": int(start), "cycles": int(end - start), **(args or {})}})

    def instant(self, track: str, name: str, time: int, args: dict | None = None) -> None:
        if not self._allowed(track):
            return
        self._emit({"ph": "i", "s": "t", "pid": PID, "tid": self._tid(track), "name": name,
                    "ts": self._ts(time), "args": {"cycle": int(time), **(args or {})}})

    def counter(self, name: str, time: int, values: dict) -> None:
        if not self._allowed(name):
            return
        self._emit({"ph": "C", "pid": PID, "name": name, "ts": self._ts(time), "args": values})

    def begin(self, track: str, name: str, time: int, args: dict | None = None) -> None:
        """Open a nested span on `track` (closed by `end`; still open at the end of the run:
        closed there, with `unterminated` in its args)."""
        if self._allowed(track):
            self._tid(track)
        self.stacks.setdefault(track, []).append((name, time, args or {}))

    def end(self, track: str, time: int) -> None:
        stack = self.stacks.get(track)
        if not stack:
            self.unmatched_ends += 1
            return
        name, start, args = stack.pop()
        self.span(track, name, start, time, args)

    def job(self, track: str, job, requested: int, start: int, end: int, core: int,
            plugin=None) -> None:
        """An accelerator trigger (iss/hwpe.py) on `track`, counted in the stats of `plugin`
        (the peripheral of that name when None; the accelerator of one of its arrays): the
        job span and its phases laid out in order from its start (scaled into the span when
        phases overlap, as in a pipeline), and the job's energy."""
        plugin = plugin if plugin is not None else self.peripherals.get(track)
        kind = type(plugin).energy_kind if plugin is not None else None
        self.kinds.setdefault(track, kind)          # `--trace-filter ima` keeps `ima[3]`
        if kind is not None:
            self._wrap(job, plugin, start, end)
        if not self._allowed(track):
            return
        phases = {k: int(v) for k, v in (job.phases or {}).items() if v}
        args = {"core": core, "jobs": job.jobs, "stream_cycles": job.stream_cycles,
                "total_cycles": job.total_cycles, "waited_for_port": start - requested,
                "phases": phases, **(getattr(job, "args", None) or {})}
        self.span(track, f"{job.jobs} jobs" if job.jobs != 1 else "job", start, end, args)
        total = sum(phases.values())
        if not total:
            return
        scale = min(1.0, (end - start) / total)
        t = float(start)
        for name, cycles in phases.items():
            d = cycles * scale
            self.span(track, name, round(t), round(t + d), {"phase_cycles": cycles})
            t += d

    # ---- energy over time ----------------------------------------------------------------
    def _energy(self, start: int, end: int, counts: dict) -> None:
        for component, pj in model.components_pj(counts, self.k).items():
            if pj:
                self.energy.setdefault(component, []).append((start, end, pj))

    def _wrap(self, job, plugin, start: int, end: int) -> None:
        """The job's energy: the plugin's counts before and after it runs."""
        run = job.run
        counts = type(plugin).energy_counts

        def counted():
            before = counts(plugin.stats())
            run()
            after = counts(plugin.stats())
            self._energy(start, end, {key: after[key] - before[key] for key in after})
        job.run = counted

    @staticmethod
    def _accesses(hart) -> int:
        """L1 accesses (loads + stores) of the hart so far."""
        from .timing import EV_LD, EV_ST
        totals = hart.perf.totals()
        return int(totals[EV_LD]) + int(totals[EV_ST])

    def _power(self) -> None:
        """The `power <component>` counters (mW) over fixed periods of the run."""
        end = self.sim.cycles
        for hart in self.sim.harts:
            i = hart.index
            sleeps = sorted(self.sleeps[i])
            t = 0
            for a, b in sleeps:                      # active outside the waits
                if a > t:
                    self._energy(t, a, {"active": a - t})
                if b > a:
                    self._energy(a, b, {"gated": b - a})
                t = max(t, b)
            if hart.cycles > t:
                self._energy(t, hart.cycles, {"active": hart.cycles - t})
            if end > max(t, hart.cycles):            # done before the last core: gated
                last = max(t, hart.cycles)
                self._energy(last, end, {"gated": end - last})
            points = self.accesses[i] + [(hart.cycles, self._accesses(hart))]
            for (c0, n0), (c1, n1) in zip(points, points[1:], strict=False):
                if n1 > n0:
                    self._energy(c0, c1, {"accesses": n1 - n0})
        self._energy(0, end, {"seconds": end / self.clock})
        if end <= 0:
            return
        period = self.power_period or max(MIN_POWER_PERIOD, -(-end // POWER_POINTS))
        n = -(-end // period)
        bounds = [min(j * period, end) for j in range(n + 1)]
        total = [0.0] * n
        for component in model.components_pj({}, self.k):
            pj = [0.0] * n
            for start, stop, e in self.energy.get(component, ()):
                start, stop = min(max(start, 0), end), min(max(stop, 0), end)
                if stop <= start:                    # an instant: in the period holding it
                    pj[min(start // period, n - 1)] += e
                    continue
                for j in range(start // period, (stop - 1) // period + 1):
                    overlap = min(stop, bounds[j + 1]) - max(start, bounds[j])
                    pj[j] += e * overlap / (stop - start)
            self._power_counter(f"power {component}", bounds, pj)
            total = [a + b for a, b in zip(total, pj, strict=True)]
        self._power_counter("power total", bounds, total)

    def _power_counter(self, name: str, bounds: list, pj: list) -> None:
        last = None
        for j, e in enumerate(pj):
            # pJ per period -> mW: pJ / (cycles / clock) s = pJ * clock / cycles * 1e-9 mW
            mw = round(e * self.clock / (bounds[j + 1] - bounds[j]) * 1e-9, 9)
            if mw != last:
                self.counter(name, bounds[j], {"mW": mw})
                last = mw
        self.counter(name, bounds[-1], {"mW": 0})

    # ---- the run's events (sim.observe, iss/observe.py) ---------------------------------------
    def trap(self, hart, name: str, cycles: int, mepc: int) -> None:
        """A trap entry: an instant, and a span from the entry to its mret."""
        track, args = f"core {hart.index}", {"mepc": f"0x{mepc:08x}"}
        self.instant(track, name, hart.cycles, args)
        self.begin(track, name, hart.cycles - cycles, args)

    def trap_return(self, hart) -> None:
        self.end(f"core {hart.index}", hart.cycles)

    def mark(self, hart, kind: str, value, cycle: int) -> None:
        """A trace marker's mark (plugins/trace_marker.py), on the core's `marks` track."""
        track = f"core {hart.index} marks"
        if kind == "begin" or kind == "begin_id":
            self.begin(track, value if kind == "begin" else f"id {value}", cycle)
        elif kind == "end":
            self.end(track, cycle)
        elif kind == "instant":
            self.instant(track, value, cycle)

    def sample(self, hart) -> None:
        """After each scheduler turn of a hart."""
        self.samples[hart.index].append((hart.cycles, hart.instret))
        self.accesses[hart.index].append((hart.cycles, self._accesses(hart)))

    def sleep(self, hart) -> None:
        i = hart.index
        eu = self.sim.service("event_unit")
        reason = eu.waiting_on(hart.core_id) if eu is not None else None
        self.reason[i] = reason or "sleep"
        self._run_span(hart, hart.cycles)

    def wake(self, hart, start: int, resume: int) -> None:
        i = hart.index
        reason = self.reason[i] or "sleep"
        name = reason if reason == "sleep" else f"wait {reason}"
        self.span(f"core {i}", name, start, resume, {"reason": reason})
        self.sleeps[i].append((start, resume))
        self.samples[i].append((resume, hart.instret))
        self.reason[i] = None
        self.run_start[i], self.run_instret[i] = resume, hart.instret

    def _run_span(self, hart, end: int) -> None:
        i = hart.index
        if end > self.run_start[i] or hart.instret > self.run_instret[i]:
            self.span(f"core {i}", "run", self.run_start[i], end,
                      {"instructions": hart.instret - self.run_instret[i]})
        self.run_start[i] = None

    # ---- the file ---------------------------------------------------------------------------
    def finish(self) -> None:
        """Close what is still open at the end of the run (call once, after sim.run)."""
        end = self.sim.cycles
        for hart in self.sim.harts:
            i = hart.index
            if self.reason[i] is not None:          # still asleep: sleeps until the end
                self.wake(hart, hart.sleep_start, max(end, hart.sleep_start))
            if self.run_start[i] is not None:
                self._run_span(hart, hart.cycles)
        for track, stack in self.stacks.items():
            while stack:
                name, start, args = stack.pop()
                self.span(track, name, start, end, {**args, "unterminated": True})
        for i, points in enumerate(self.samples):
            points = sorted(set(points))
            for (c0, n0), (c1, n1) in zip(points, points[1:], strict=False):
                if c1 > c0:
                    self.counter(f"core {i} IPC", c0, {"ipc": round((n1 - n0) / (c1 - c0), 4)})
            if points:
                self.counter(f"core {i} IPC", points[-1][0], {"ipc": 0})
        changes = {0: 0}
        for intervals in self.sleeps:
            for a, b in intervals:
                changes[a] = changes.get(a, 0) - 1
                changes[b] = changes.get(b, 0) + 1
        running = len(self.sim.harts)
        for t in sorted(changes):
            running += changes[t]
            self.counter("running cores", t, {"cores": running})
        self._power()

    def document(self) -> dict:
        meta = [{"ph": "M", "pid": PID, "name": "process_name", "args": {"name": "cluster"}}]
        for track, tid in self.tids.items():
            meta.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name",
                         "args": {"name": track}})
            meta.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index",
                         "args": {"sort_index": tid}})
        sim = self.sim
        return {"traceEvents": meta + self.events, "displayTimeUnit": "ns",
                "otherData": {"firmware": str(sim.image.path), "platform": sim.platform.name,
                              "clock_hz": self.clock, "cycles": sim.cycles,
                              "dropped_events": self.dropped,
                              "unmatched_trace_ends": self.unmatched_ends}}

    def write(self, path: str) -> None:
        self.finish()
        with open(path, "w") as f:
            json.dump(self.document(), f, separators=(",", ":"))
