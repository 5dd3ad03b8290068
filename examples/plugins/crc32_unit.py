"""A worked example of a peripheral plugin (docs/plugins.md): a CRC-32 unit.

Registers (32-bit, offsets from the base):
  0x00 CTRL    write: start a new checksum (the CRC register becomes 0xFFFFFFFF)
  0x04 DATA    write: feed 4 bytes, least significant first; each word keeps the unit busy
               for `cycles_per_word` cycles after the previous one (words queue up)
  0x08 RESULT  read: the CRC-32 (IEEE 802.3, as zlib.crc32) of the bytes fed so far; a read
               while the unit is busy waits until it is done (the load completes then)
  0x0C STATUS  read: 1 while busy, 0 when idle
Parameters: `cycles_per_word` (default 4), `event` (an event line raised, to the core that
fed the last word, when the queue runs empty; -1: none).

It uses only the documented host API (iss/host.py): hart.now(), sim.schedule(),
sim.sleep(hart, until=...), sim.raise_event(); PARAMS with iss.schema.Field; and
PeripheralError for a misprogrammed device.
"""
from __future__ import annotations

from iss.errors import PeripheralError
from iss.plugin import Peripheral
from iss.schema import Field

CTRL, DATA, RESULT, STATUS = 0x00, 0x04, 0x08, 0x0C
POLYNOMIAL = 0xEDB88320            # CRC-32, bit-reflected (IEEE 802.3)


def crc32_update(crc: int, data: bytes) -> int:
    """The CRC register after `data` (no final XOR)."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (POLYNOMIAL if crc & 1 else 0)
    return crc


class Crc32Unit(Peripheral):
    PARAMS = {
        "cycles_per_word": Field(int, 4, 1, 1000),
        "event": Field(int, -1, -1, 31),
    }

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.cycles_per_word = self.param("cycles_per_word")
        self.event = self.param("event")
        self.crc = 0xFFFFFFFF
        self.busy_until = 0          # cycle the last queued word is done
        self.words = 0

    def write(self, hart, offset, size, value):
        if size != 4:
            raise PeripheralError(f"{self.name}: {size}-byte store at offset 0x{offset:x} "
                                  "(registers are 32-bit)")
        now = hart.now()
        if offset == CTRL:
            self.crc = 0xFFFFFFFF
        elif offset == DATA:
            self.crc = crc32_update(self.crc, value.to_bytes(4, "little"))
            self.busy_until = max(now, self.busy_until) + self.cycles_per_word
            self.words += 1
            if self.event >= 0:
                done, core = self.busy_until, hart.core_id
                self.sim.schedule(done, lambda: self._drained(done, core))

    def read(self, hart, offset, size):
        now = hart.now()
        if offset == STATUS:
            return int(now < self.busy_until)
        if offset == RESULT:
            if now < self.busy_until:
                self.sim.sleep(hart, until=self.busy_until)   # the load runs again then
                return 0
            return self.crc ^ 0xFFFFFFFF
        return 0

    def _drained(self, done: int, core: int) -> None:
        if self.busy_until == done:              # no word was queued after this one
            self.sim.raise_event(self.event, 1 << core, done)

    def stats(self):
        return {"words": self.words}
