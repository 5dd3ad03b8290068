"""Simulation stdout (pulp-runtime archi/stdout/stdout_v3.h).

putchar is a 32-bit store of the character at base + (core_id << 3) + (cluster_id << 7);
each core has its own line buffer, flushed at '\\n' (as GVSoC does) so lines of
different cores never interleave mid-line.
"""
from iss.plugin import Peripheral

PUTC_OFFSET_MASK = 0xFFF   # offsets 0x000..0xFFF: the putc channels of 16 cores x 32 clusters


class StdoutPeripheral(Peripheral):
    PARAMS: dict = {}                 # no parameters: any key is a typo

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self._lines: dict[tuple[int, int], bytearray] = {}
        self.characters = 0

    def write(self, hart, offset, size, value):
        channel = ((offset >> 7) & 0x3F, (offset >> 3) & 0xF)
        line = self._lines.setdefault(channel, bytearray())
        line.append(value & 0xFF)
        self.characters += 1
        if value & 0xFF == 0x0A or len(line) >= 1024:
            self._flush(channel)

    def _flush(self, channel):
        line = self._lines.pop(channel, None)
        if line:
            self.sim.output.write(line.decode("utf-8", errors="replace"))
            self.sim.output.flush()

    def finish(self):
        for channel in sorted(self._lines):
            self._flush(channel)

    def stats(self):
        return {"characters": self.characters}
