"""APB SoC control: end of computation (pulp-runtime archi/chips/pulp/apb_soc.h).

pulp-runtime's exit(status) writes status | 1<<31 to CORESTATUS (SoC ctrl + 0xA0);
GVSoC ends the run with status & 0x7fffffff. A read-only copy sits at +0xC0.
INFO (+0x00, read-only): number of cores in bits [31:16], clusters in [15:0] (PULP apb_soc_ctrl;
pulp-runtime's apb_soc_nbCores reads it); the cluster runtime sizes "all cores" teams with it.
"""
from iss.plugin import Peripheral

INFO = 0x00
CORESTATUS = 0xA0
CORESTATUS_RO = 0xC0
EOC_BIT = 1 << 31


class SocControl(Peripheral):
    PARAMS: dict = {}                 # no parameters: any key is a typo

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.corestatus = 0

    def read(self, hart, offset, size):
        if offset & ~3 == INFO:                 # also read as 16 bits at +2 (nb cores)
            return (len(self.sim.harts) << 16 | 1) >> 8 * (offset & 3)
        if offset in (CORESTATUS, CORESTATUS_RO):
            return self.corestatus
        return 0

    def write(self, hart, offset, size, value):
        if offset == CORESTATUS:
            self.corestatus = value
            if value & EOC_BIT:
                status = value & 0x7FFFFFFF
                # exit(-1) stores 0xFFFFFFFF: report it as -1, as the firmware meant it
                self.sim.request_exit(hart, status - (1 << 31) if status & (1 << 30) else status)
