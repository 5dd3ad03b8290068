"""What the cluster's HWPE accelerators (IMA, depth-wise) have in common.

Controller registers at 0x00-0x14, as GVSoC's ima_v1 and PULP's HWPE convention
(paper Sec. IV):
  0x00 TRIGGER      write: start the configured job(s)            (needs ACQUIRE first)
  0x04 ACQUIRE      read: 0 = acquired by the reader, -1 (0xFFFFFFFF) = busy or locked
  0x08 FINISHED     finished jobs since the last read (cleared on read)
  0x0C STATUS       0 idle, 1 busy; bit 31 set = the last configuration was rejected
  0x10 RUNNING_JOB  core id of the owner, -1 when free
  0x14 SOFT_CLEAR   write: abort, release, clear the error
Everything from 0x18 on belongs to the accelerator (`reg_read` / `reg_write`).

Life cycle: ACQUIRE locks the engine for the reading core; TRIGGER validates the job
registers (`plan`), and the engine then runs in simulated time: it waits for the shared
TCDM streaming port (paper Sec. IV: IMA and DW share the ports, so only one streams at a
time; both may be configured in parallel) and takes the job's cycles. At the job's end it
reads its inputs, computes and writes its outputs in one go (`Job.run`), releases itself
and raises its end-of-job event: firmware must leave the inputs alone while the job runs,
as on the hardware, whose streamer reads them during the job.

Misconfiguration never crashes the simulator: a rejected register access or job logs
one warning naming the register and the value (logger `iss.hwpe`, the first 20 of each
accelerator; `iss run` prints them as `iss: warning: ...` lines on stderr: iss/log.py),
sets the error bit of STATUS, is counted in the stats, and the run goes on (the firmware
sees the error status, or never gets its end event: the simulator then reports a deadlock).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .plugin import Peripheral

log = logging.getLogger(__name__)

TRIGGER, ACQUIRE, FINISHED, STATUS, RUNNING_JOB, SOFT_CLEAR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
FIRST_JOB_REGISTER = 0x18
STATUS_ERROR = 1 << 31
BUSY_WORD = 0xFFFFFFFF


def streamed_bytes(stats: dict) -> int:
    """Bytes an accelerator's streamer moved, from its stats (`stream_in_bytes` +
    `stream_out_bytes`): what the energy model charges per streamed byte."""
    return stats.get("stream_in_bytes", 0) + stats.get("stream_out_bytes", 0)


class JobError(Exception):
    """A job configuration the engine refuses (register name, value, why)."""


@dataclass
class Job:
    """One triggered piece of work, as the engine will run it."""
    stream_cycles: int           # cycles holding the shared TCDM port (stream-in + stream-out)
    total_cycles: int            # from start to done (>= stream_cycles when compute overlaps)
    run: object                  # callable(): reads inputs, computes, writes outputs
    jobs: int = 1                # jobs of this trigger (FINISHED counts them)
    phases: dict = field(default_factory=dict)   # cycles per phase, for the stats
    args: dict = field(default_factory=dict)     # job parameters shown in traces (iss/trace.py)


class StreamPort:
    """The TCDM ports the HWPEs share: one streams at a time (first come, first served)."""

    def __init__(self):
        self.free_at = 0

    @classmethod
    def of(cls, sim) -> StreamPort:
        port = sim.service("hwpe_port")
        if port is None:
            port = cls()
            sim.provide("hwpe_port", port)
        return port

    def reserve(self, ready: int, cycles: int) -> int:
        """Start cycle of a `cycles`-long use requested at cycle `ready`."""
        start = max(ready, self.free_at)
        self.free_at = start + cycles
        return start


class Hwpe(Peripheral):
    """Base of an HWPE plugin: subclasses implement `plan(hart)` -> Job and the registers
    from 0x18 on; `end_event` (and `acquire_event`) are event-unit lines (pulp-runtime
    archi/chips/pulp/properties.h)."""

    accelerator = True
    end_event = 12
    acquire_event: int | None = None
    register_names: dict = {}

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.owner: int | None = None       # core id holding the lock
        self.busy_until = -1                # cycle the running job ends, -1 when idle
        self.finished = 0
        self.error = False
        self.counts = {"triggers": 0, "jobs": 0, "busy_cycles": 0, "stream_cycles": 0,
                       "warnings": 0}
        self.phase_cycles: dict[str, int] = {}
        self._generation = 0                # SOFT_CLEAR cancels the job in flight

    # ---- subclass interface ----------------------------------------------------------
    def plan(self, hart) -> Job:
        raise NotImplementedError

    def reg_read(self, hart, offset: int) -> int:
        return 0

    def reg_write(self, hart, offset: int, value: int) -> None:
        pass

    # ---- registers -------------------------------------------------------------------
    def busy(self, now: int) -> bool:
        return now < self.busy_until

    def read(self, hart, offset, size):
        now = hart.now()
        if offset == ACQUIRE:
            if self.busy(now) or self.owner is not None:
                return BUSY_WORD
            self.owner = hart.core_id
            if self.acquire_event is not None:
                self.sim.raise_event(self.acquire_event, 1 << hart.core_id, now + 1)
            return 0
        if offset == FINISHED:
            value, self.finished = self.finished, 0
            return value
        if offset == STATUS:
            return int(self.busy(now)) | (STATUS_ERROR if self.error else 0)
        if offset == RUNNING_JOB:
            return BUSY_WORD if self.owner is None else self.owner
        if offset in (TRIGGER, SOFT_CLEAR):
            return 0
        return self.reg_read(hart, offset) & 0xFFFFFFFF

    def write(self, hart, offset, size, value):
        now = hart.now()
        if offset == SOFT_CLEAR:
            self._generation += 1
            self.owner, self.busy_until, self.error = None, -1, False
            return
        if offset in (ACQUIRE, FINISHED, STATUS, RUNNING_JOB):
            return
        if self.busy(now):
            self.warn(offset, value, "written while the engine is busy (ignored)")
            return
        if self.owner is None:
            self.warn(offset, value, "written without ACQUIRE (ignored)")
            return
        if offset == TRIGGER:
            self._trigger(hart, now)
        else:
            self.reg_write(hart, offset, value)

    def _trigger(self, hart, now: int) -> None:
        try:
            job = self.plan(hart)
        except JobError as e:
            self.warn(TRIGGER, 0, f"job rejected: {e}")
            self.owner = None
            return
        start = StreamPort.of(self.sim).reserve(now + 1, job.stream_cycles)
        end = start + job.total_cycles
        self.busy_until = end
        self.counts["triggers"] += 1
        self.counts["busy_cycles"] += end - now
        self.counts["stream_cycles"] += job.stream_cycles
        for phase, cycles in job.phases.items():
            self.phase_cycles[phase] = self.phase_cycles.get(phase, 0) + cycles
        generation = self._generation
        self.sim.schedule(end, lambda: self._done(job, end, generation))
        tracer = self.sim.service("timeline")
        if tracer is not None:                   # iss/trace.py: job span and its phases
            tracer.job(self.name, job, now + 1, start, end, hart.core_id, self.accounted_by())

    def accounted_by(self) -> Peripheral:
        """The peripheral whose stats count this engine's jobs (itself; one array of a
        multi-array accelerator: the accelerator)."""
        return self

    def _done(self, job: Job, end: int, generation: int) -> None:
        if generation != self._generation:       # soft-cleared meanwhile
            return
        job.run()
        self.finished += job.jobs
        self.counts["jobs"] += job.jobs
        self.owner = None
        self.sim.raise_event(self.end_event, self._all_cores(), end)

    def _all_cores(self) -> int:
        return (1 << len(self.sim.harts)) - 1

    # ---- misconfiguration ------------------------------------------------------------------
    def warn(self, offset: int, value: int, why: str) -> None:
        name = self.register_names.get(offset) or {
            TRIGGER: "TRIGGER", ACQUIRE: "ACQUIRE", FINISHED: "FINISHED", STATUS: "STATUS",
            RUNNING_JOB: "RUNNING_JOB", SOFT_CLEAR: "SOFT_CLEAR"}.get(offset, f"0x{offset:02x}")
        self.error = True
        self.counts["warnings"] += 1
        if self.counts["warnings"] <= 20:         # then counted only
            log.warning("%s: %s = 0x%x: %s", self.name, name, value & 0xFFFFFFFF, why)

    def stats(self) -> dict:
        return {**self.counts, "phase_cycles": dict(self.phase_cycles)}
