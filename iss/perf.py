"""Performance counters a hart's firmware reads through CSRs (RI5CY riscv_cs_registers.sv).

Events are numbered as RI5CY's PCER bits (pulp-runtime archi/riscv/pcer_v2.h):
0 CYCLES, 1 INSTR, 2 LD_STALL, 3 JMP_STALL, 4 IMISS, 5 LD, 6 ST, 7 JUMP, 8 BRANCH,
9 TAKEN_BRANCH, 10 RVC, 11 ELW, 12 LD_EXT, 13 ST_EXT, 14 LD_EXT_CYC, 15 ST_EXT_CYC,
16 TCDM_CONT. The CV32E40P mhpmevent bits use the same numbers for 0..11.

Two CSR interfaces, by ISA flavour (each core has only its own):
- xpulpv2 (RI5CY, the RTL/FPGA variant with one counter per event): PCER at 0x7E0 and
  0xCC0 (event enables), PCMR at 0x7E1 and 0xCC1 (bit 0 global enable, bit 1 saturate;
  reset 0x3), PCCR0..30 at 0x780..0x79E count event N, a write to 0x79F writes them all.
- corev (CV32E40P): mcountinhibit 0x320 (bit N stops counter N; reset 0 here, so that
  counters run out of reset as RI5CY's PCMR reset does), mhpmevent3..31 at 0x323..0x33F
  (bitmask of events the counter adds up), mhpmcounter3..31 at 0xB03..0xB1F (+h at 0xB83).
mcycle/minstret are read natively by the hooks.

Choices: IMISS is 0 (instruction cache hits assumed: our choice); LD_EXT/ST_EXT and
their cycles are 0 (the fast timing mode does not tell L1 from L2 accesses); CYCLES
counts the cycles the hart spent asleep too, and ELW counts the sleep (as GVSoC does).
"""
from __future__ import annotations

import numpy as np

N_EVENTS = 17
EVENT_NAMES = ("cycles", "instr", "ld_stall", "jmp_stall", "imiss", "ld", "st", "jump", "branch",
               "btaken", "rvc", "elw", "ld_ext", "st_ext", "ld_ext_cyc", "st_ext_cyc", "tcdm_cont")

PCCR_BASE, PCCR_ALL = 0x780, 0x79F
PCER, PCMR = (0x7E0, 0xCC0), (0x7E1, 0xCC1)
MCOUNTINHIBIT = 0x320
MHPMEVENT_BASE, MHPMCOUNTER_BASE, MHPMCOUNTERH_BASE = 0x320, 0xB00, 0xB80


def perf_csrs(flavour: str) -> set[int]:
    """CSR numbers the simulator handles as performance counters for this flavour."""
    if flavour == "xpulpv2":
        return {*range(PCCR_BASE, PCCR_ALL + 1), *PCER, *PCMR}
    return {MCOUNTINHIBIT, *range(MHPMEVENT_BASE + 3, MHPMEVENT_BASE + 32),
            *range(MHPMCOUNTER_BASE + 3, MHPMCOUNTER_BASE + 32),
            *range(MHPMCOUNTERH_BASE + 3, MHPMCOUNTERH_BASE + 32)}


class _Counter:
    """A counter adding up the events of `mask` while enabled: value = acc + (sum of
    the events since the last reconfiguration)."""
    __slots__ = ("mask", "enabled", "acc", "base")

    def __init__(self):
        self.mask, self.enabled, self.acc, self.base = 0, False, 0, 0


class PerfCounters:
    def __init__(self, hart, flavour: str):
        self.hart = hart
        self.flavour = flavour
        self.csrs = perf_csrs(flavour)
        self.counters = [_Counter() for _ in range(32)]
        self.pcer, self.pcmr = 0, 0x3
        self.inhibit = 0
        if flavour == "xpulpv2":
            for i, c in enumerate(self.counters[:31]):
                c.mask = 1 << i

    # ---- event totals -----------------------------------------------------------
    def totals(self) -> np.ndarray:
        """Event counts of the hart so far (int64[N_EVENTS])."""
        hart, timing = self.hart, self.hart.sim.timing
        native = hart.native
        out = np.zeros(N_EVENTS, dtype=np.int64)
        out[:] = timing.event_totals(hart.executed)
        out[0] = native.cycles
        out[1] = native.instret
        stalls = native.dynamic_stalls()
        out[2] += stalls["load_use"]
        out[9] = native.taken_branches
        out[11] = native.sleep_cycles
        out[16] = stalls["tcdm"]
        return out

    def _sum(self, counter: _Counter, totals) -> int:
        mask, total = counter.mask, 0
        while mask:
            low = mask & -mask
            i = low.bit_length() - 1
            if i < N_EVENTS:
                total += int(totals[i])
            mask ^= low
        return total

    def _value(self, counter: _Counter, totals) -> int:
        if not counter.enabled:
            return counter.acc
        return counter.acc + self._sum(counter, totals) - counter.base

    def _reconfigure(self, change) -> None:
        """Freeze every counter's value, apply `change`, restart from there."""
        totals = self.totals()
        for c in self.counters:
            c.acc = self._value(c, totals)
        change()
        for i, c in enumerate(self.counters):
            if self.flavour == "xpulpv2":
                c.enabled = bool(self.pcmr & 1 and self.pcer >> i & 1)
            else:
                c.enabled = not self.inhibit >> i & 1
            c.base = self._sum(c, totals)

    # ---- CSR access ----------------------------------------------------------------
    def read(self, csr: int) -> int:
        totals = self.totals()
        if csr in PCER:
            return self.pcer
        if csr in PCMR:
            return self.pcmr
        if csr == MCOUNTINHIBIT:
            return self.inhibit
        if PCCR_BASE <= csr < PCCR_ALL and self.flavour == "xpulpv2":
            return self._value(self.counters[csr - PCCR_BASE], totals) & 0xFFFFFFFF
        if csr == PCCR_ALL:
            return 0
        if MHPMEVENT_BASE + 3 <= csr < MHPMEVENT_BASE + 32:
            return self.counters[csr - MHPMEVENT_BASE].mask
        if MHPMCOUNTER_BASE + 3 <= csr < MHPMCOUNTER_BASE + 32:
            return self._value(self.counters[csr - MHPMCOUNTER_BASE], totals) & 0xFFFFFFFF
        return self._value(self.counters[csr - MHPMCOUNTERH_BASE], totals) >> 32

    def write(self, csr: int, value: int) -> None:
        value &= 0xFFFFFFFF
        if csr in PCER:
            self._reconfigure(lambda: setattr(self, "pcer", value))
        elif csr in PCMR:
            self._reconfigure(lambda: setattr(self, "pcmr", value & 3))
        elif csr == MCOUNTINHIBIT:
            self._reconfigure(lambda: setattr(self, "inhibit", value))
        elif MHPMEVENT_BASE + 3 <= csr < MHPMEVENT_BASE + 32:
            self._reconfigure(lambda: setattr(self.counters[csr - MHPMEVENT_BASE], "mask", value))
        elif PCCR_BASE <= csr <= PCCR_ALL or MHPMCOUNTER_BASE + 3 <= csr < MHPMCOUNTER_BASE + 32:
            if csr >= MHPMCOUNTER_BASE:
                targets = [self.counters[csr - MHPMCOUNTER_BASE]]
            elif csr == PCCR_ALL:
                targets = self.counters[:31]
            else:
                targets = [self.counters[csr - PCCR_BASE]]
            self._set(targets, lambda old: value)
        else:
            self._set([self.counters[csr - MHPMCOUNTERH_BASE]],
                      lambda old: (old & 0xFFFFFFFF) | value << 32)

    def _set(self, counters, new_value) -> None:
        totals = self.totals()
        for c in counters:
            c.acc = new_value(self._value(c, totals))
            c.base = self._sum(c, totals)
