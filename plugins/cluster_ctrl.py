"""Cluster control unit (pulp-runtime archi/cluster_ctrl/cluster_ctrl_v2.h), base 0x10200000.

  0x000 EOC           write bit 0 = 1: end of computation; the run ends with the status
                      held in RETURN (bits 30:0 when its valid bit 31 is set, else 0), the
                      stand-alone-cluster exit of pulp-runtime (ARCHI_NO_FC)
  0x008 FETCH_EN      bit i: core i fetches instructions (reset: all cores, as every hart
                      boots at the ELF entry); 0->1 restarts a halted core at BOOTADDR(i),
                      1->0 halts another core where it is, both at the writer's cycle (a
                      core's own bit has no effect: it cannot halt or restart itself)
  0x040 + 4*i         BOOTADDR(i): where core i starts on fetch enable (reset: ELF entry)
  0x100 RETURN        return value for EOC (bit 31 = valid)
  others              plain read/write storage (EVENT 0x10, CLUSTER_CFG 0x18, CLK_GATE
                      0x20, DBG_STATUS 0x28, DBG_HALT_MASK 0x38): no effect
"""
from __future__ import annotations

from iss.plugin import Peripheral

EOC, FETCH_EN, BOOTADDR0, RETURN = 0x000, 0x008, 0x040, 0x100
NB_BOOTADDR = 16
RETURN_VALID = 1 << 31


class ClusterCtrl(Peripheral):
    PARAMS: dict = {}                 # no parameters: any key is a typo

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.regs: dict[int, int] = {FETCH_EN: (1 << sim.platform.cores) - 1}
        for i in range(NB_BOOTADDR):
            self.regs[BOOTADDR0 + 4 * i] = sim.image.entry
        self.starts = self.halts = 0

    def read(self, hart, offset, size):
        return self.regs.get(offset & ~3, 0) >> 8 * (offset & 3)

    def write(self, hart, offset, size, value):
        word = offset & ~3
        if size != 4:
            shift, mask = 8 * (offset & 3), (1 << 8 * size) - 1
            value = self.regs.get(word, 0) & ~(mask << shift) | (value & mask) << shift
        self.regs[word] = value
        if word == FETCH_EN:
            self._fetch_enable(hart, value)
        elif word == EOC and value & 1:
            ret = self.regs.get(RETURN, 0)
            self.sim.request_exit(hart, ret & ~RETURN_VALID if ret & RETURN_VALID else 0)

    def _fetch_enable(self, writer, mask):
        """Other harts may still be behind the writer's cycle (harts run in quanta): the
        change reaches them as a scheduled event at that cycle."""
        now = writer.now()
        for h in self.sim.harts:
            if h is not writer:
                on, boot = mask >> h.core_id & 1, self.regs[BOOTADDR0 + 4 * h.core_id]
                self.sim.schedule(now, lambda h=h, on=on, boot=boot: self._set(h, on, boot, now))

    def _set(self, h, on, boot, now):
        if on and h.halted:
            self.sim.start(h, boot, now)
            self.starts += 1
        elif not on and not h.halted:
            self.sim.halt(h)
            self.halts += 1

    def stats(self):
        return {"core_starts": self.starts, "core_halts": self.halts}
