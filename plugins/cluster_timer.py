"""Cluster timer (timer_v2, pulp-runtime archi/timer/timer_v2.h) counting simulated cycles.

Two 32-bit counters, LO and HI, or one 64-bit counter (CFG_LO.CASC) that uses CFG_LO:

  0x00 CFG_LO  0x04 CFG_HI    ENABLE[0] RESET[1] (write 1: clear the counter, reads 0)
                              IRQEN[2] IEM[3] MODE[4] (1: back to 0 on compare match)
                              ONE_S[5] (1: disable on match) PEN[6] (prescaler enable)
                              CCFG[7] (1: 32 kHz reference clock) PVAL[15:8] CASC[31] (LO only)
  0x08 CNT_LO  0x0C CNT_HI    counter value (read/write)
  0x10 CMP_LO  0x14 CMP_HI    compare value
  0x18 START_LO 0x1C START_HI write: set ENABLE
  0x20 RESET_LO 0x24 RESET_HI write: clear the counter

A counter ticks once per cycle of the accessing hart's clock (hart.now()), or once per
1 + PVAL cycles with PEN, or at 32768 Hz of the platform clock with CCFG (timer_v2:
Ftimer = Fclk / (1 + PRESC_VAL)). It is kept as (value, cycle, phase) and computed on
access, never ticked. Writes move that anchor to the writer's cycle; reads do not, so a
hart whose clock is a little behind another's (harts run in quanta) still sees its own
cycles advance (and reads the anchor's value if it is behind the last change).
When a counting counter reaches its compare value (a counter that already equals it
matches one wrap later), with IRQEN the event goes to every core on line 10 (LO / 64-bit)
or 11 (HI) (ARCHI_CL_EVT_TIMER0_LO/HI, pulp-runtime properties.h), at that cycle (sim.schedule);
MODE clears the counter and ONE_S disables it at that moment, as GVSoC's timer_v2 does.
IEM (count input events) is not modelled.
"""
from __future__ import annotations

from iss.plugin import Peripheral

ENABLE, RESET, IRQEN, IEM, MODE, ONE_S, PEN, CCFG = (1 << b for b in range(8))
CASC = 1 << 31
CFG_LO, CNT_LO, CMP_LO, START_LO, RESET_LO = 0x00, 0x08, 0x10, 0x18, 0x20   # HI: +4
EVT_TIMER = 10                    # ARCHI_CL_EVT_TIMER0_LO; HI is 11
REF_CLOCK_HZ = 32768


class ClusterTimer(Peripheral):
    PARAMS: dict = {}                 # no parameters: any key is a typo

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.cfg, self.cnt, self.cmp = [0, 0], [0, 0], [0, 0]
        self.t, self.phase = [0, 0], [0, 0]     # counter unit i holds its value at cycle t[i]
        self.generation = [0, 0]                # bumps on every change: stale matches ignore
        self.events = 0

    # ---- counting units: LO and HI, or one 64-bit unit 0 (CFG_LO.CASC) --------------------
    def _units(self):
        return (0,) if self.cfg[0] & CASC else (0, 1)

    def _bits(self, i):
        return 64 if self.cfg[0] & CASC else 32

    def _get(self, regs, i):
        return regs[1] << 32 | regs[0] if self.cfg[0] & CASC else regs[i]

    def _put(self, regs, i, value):
        if self.cfg[0] & CASC:
            regs[0], regs[1] = value & 0xFFFFFFFF, value >> 32 & 0xFFFFFFFF
        else:
            regs[i] = value & 0xFFFFFFFF

    def _rate(self, i):
        """(num, den): unit i ticks num/den times per core cycle."""
        cfg = self.cfg[i]
        div = ((cfg >> 8 & 0xFF) + 1) if cfg & PEN else 1
        if cfg & CCFG:
            return REF_CLOCK_HZ, self.sim.platform.clock_hz * div
        return 1, div

    def _count(self, i, now):
        """Unit i's value at cycle `now`, without moving its anchor: a hart whose clock is
        behind the last change reads the value of that change."""
        value = self._get(self.cnt, i)
        if self.cfg[i] & ENABLE and now > self.t[i]:
            num, den = self._rate(i)
            value += ((now - self.t[i]) * num + self.phase[i]) // den
        return value & ((1 << self._bits(i)) - 1)

    def _sync(self, now):
        """Bring every unit up to cycle `now` (never backwards: harts' clocks differ a little)."""
        for i in (0, 1):
            if now <= self.t[i]:
                continue
            if i in self._units() and self.cfg[i] & ENABLE:
                num, den = self._rate(i)
                ticks, self.phase[i] = divmod((now - self.t[i]) * num + self.phase[i], den)
                self._put(self.cnt, i, self._get(self.cnt, i) + ticks)
            self.t[i] = now

    def _schedule(self):
        """Plan the next compare match of each unit that has something to do there."""
        for i in (0, 1):
            self.generation[i] += 1
        for i in self._units():
            cfg = self.cfg[i]
            if not (cfg & ENABLE and cfg & (IRQEN | MODE | ONE_S)):
                continue
            wrap = 1 << self._bits(i)
            ticks = (self._get(self.cmp, i) - self._get(self.cnt, i)) % wrap or wrap
            num, den = self._rate(i)
            when = self.t[i] + -(-(ticks * den - self.phase[i]) // num)
            self.sim.schedule(when, self._match_callback(i, when, self.generation[i]))

    def _match_callback(self, i, when, generation):
        def match():
            if generation != self.generation[i]:
                return
            self._sync(when)
            if self.cfg[i] & MODE:
                self._put(self.cnt, i, 0)
            if self.cfg[i] & IRQEN:
                self.events += 1
                self.sim.raise_event(EVT_TIMER + i, (1 << len(self.sim.harts)) - 1, when)
            if self.cfg[i] & ONE_S:
                self.cfg[i] &= ~ENABLE
            self._schedule()
        return match

    # ---- registers -----------------------------------------------------------------------
    def read(self, hart, offset, size):
        return self._word(offset & ~3, hart.now()) >> 8 * (offset & 3)

    def _word(self, offset, now):
        reg, half = offset & ~4, offset >> 2 & 1
        if reg == CFG_LO:
            return self.cfg[half]
        if reg == CNT_LO:
            if self.cfg[0] & CASC:
                return self._count(0, now) >> 32 * half & 0xFFFFFFFF
            return self._count(half, now)
        if reg == CMP_LO:
            return self.cmp[half]
        return 0

    def write(self, hart, offset, size, value):
        now = hart.now()
        self._sync(now)
        word = offset & ~3
        if size != 4:           # a narrow store changes its bytes of the register
            shift, mask = 8 * (offset & 3), (1 << 8 * size) - 1
            value = self._word(word, now) & ~(mask << shift) | (value & mask) << shift
        reg, half = word & ~4, word >> 2 & 1
        if reg == CFG_LO:
            self.cfg[half] = value & ~RESET & (0xFFFFFFFF if half == 0 else ~CASC)
            self.phase[half] = 0                # a new configuration restarts the prescaler
            if value & RESET:
                self._put(self.cnt, half, 0)
        elif reg == CNT_LO:
            self.cnt[half] = value
        elif reg == CMP_LO:
            self.cmp[half] = value
        elif reg == START_LO and value & 1:
            self.cfg[half] |= ENABLE
        elif reg == RESET_LO and value & 1:
            self._put(self.cnt, half, 0)        # the 64-bit counter restarts as a whole
        self._schedule()

    def stats(self):
        return {"events": self.events}
