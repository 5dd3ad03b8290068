"""Cluster DMA: the MCHAN v7 register interface, as pulp-runtime's hal/dma/mchan_v7.h drives it.

Registers (32-bit accesses only; the same two registers appear in the shared window at
`base` (0x10201800) and in the core-private demux alias (0x10204400); the channel is
always the accessing core, so commands of different cores never mix):

  0x0 CMD     read:  allocate a transfer id (TID, the lowest free of 16); later commands
                     of this core count on it until it allocates another one
              write: push the next word of a command:
                     word 0  LEN[16:0] TYPE[17] (1: L2->L1) INC[18] 2D_EXT[19] ELE[20]
                             ILE[21] BLE[22] 2D_TCDM[23]
                     word 1  L1 (TCDM) address
                     word 2  external (L2) address
                     2-D only: word 3 line length in bytes, word 4 external stride
  0x4 STATUS  read:  bits[15:0] TIDs with bytes still to move, bits[31:16] allocated TIDs
              write: free the TIDs of bits[15:0]

Transfers: 1-D, or 2-D on the external side (lines of `length` bytes, `stride` apart;
the last line may be shorter; the L1 side is contiguous), as MCHAN does. The data moves
through sim.memory when the transfer completes.

Timing (MCHAN user manual, pulp-platform/mchan): a command starts `latency` (10) cycles
after its last word was pushed ("10 cycles for linear transfer" programming latency) but
not before the previous transfer ended (queued transfers serialize: one 64-bit AXI port), then moves
`bandwidth` (8) bytes per cycle, each line of a 2-D transfer in whole cycles. When the
last byte of a TID has moved, the event (ELE: line 8, ARCHI_CL_EVT_DMA0) or interrupt
line (ILE: line 9, ARCHI_CL_EVT_DMA1) goes to every core (BLE) or to the pushing core,
as pulp-runtime's property files name them. Pushes are served in the order the simulator
sees them (harts run in quanta).

Invalid use (zero length, an address outside L1 or L2, a copy onto code pages (the cores'
translated code would not see it), 2-D on the TCDM side, INC=0, more than `queue_depth`
transfers outstanding, no free TID, a push before any TID was allocated, other sizes or
offsets) raises PeripheralError: the run stops with one line naming the peripheral and
the register. Real MCHAN would stall the core on a full queue
or when no TID is free; here that is reported, as it is almost always a missing wait.
"""
from __future__ import annotations

from iss.errors import PeripheralError
from iss.plugin import Peripheral
from iss.schema import ADDRESS_SPACE, Field

CMD, STATUS = 0x0, 0x4
REG_MASK = 0x3FF                  # both windows are 0x400 long and 0x400-aligned
NB_TIDS = 16
LEN_MASK = 0x1FFFF
TYPE_EXT2LOC, INC, TWO_D_EXT, ELE, ILE, BLE, TWO_D_TCDM = (1 << b for b in range(17, 24))
EVT_DMA, IRQ_DMA = 8, 9           # ARCHI_CL_EVT_DMA0 / DMA1 (pulp-runtime properties.h)

DEFAULT_LATENCY = 10              # MCHAN user manual: programming latency
DEFAULT_BANDWIDTH = 8             # MCHAN user manual: ~8 B/cycle L2<->L1
DEFAULT_QUEUE_DEPTH = 16          # pulp-runtime mchan_v7.h: "typically 16 commands"
DEFAULT_ALIAS = 0x10204400        # pulp-runtime memory_map.h: MCHAN demux alias


class _Transfer:
    __slots__ = ("tid", "core", "ext2loc", "loc", "ext", "size", "length", "stride", "flags")


class ClusterDma(Peripheral):
    PARAMS = {
        # 0x400-aligned like base: registers are decoded from the offset & REG_MASK
        "alias": Field(int, DEFAULT_ALIAS, 0, ADDRESS_SPACE - 1, align=REG_MASK + 1, hex=True),
        "latency": Field(int, DEFAULT_LATENCY, 0, 1 << 32),
        "bandwidth": Field(int, DEFAULT_BANDWIDTH, 1, 1 << 32),     # bytes per cycle
        "queue_depth": Field(int, DEFAULT_QUEUE_DEPTH, 1, 1 << 16),
        "l1": Field(str, "l1"),                                      # the TCDM's memory name
    }

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.alias = self.param("alias")
        self.latency = self.param("latency")
        self.bandwidth = self.param("bandwidth")
        self.queue_depth = self.param("queue_depth")
        self.l1 = self.memory_param("l1")
        self.allocated = 0                  # TID allocation bitmask
        self.pending = [0] * NB_TIDS        # bytes still to move, per TID
        self.channel_tid: dict[int, int] = {}
        self.words: dict[int, list[int]] = {}
        self.outstanding = 0
        self.free_at = 0                    # cycle the engine finishes its last transfer
        self.transfers = self.transfers_2d = self.bytes = self.busy_cycles = 0

    def ranges(self):
        return [(self.base, self.size), (self.alias, self.size)]

    # ---- registers -----------------------------------------------------------------------
    def read(self, hart, offset, size):
        reg = self._reg(offset, size, "load from")
        if reg == CMD:
            return self._alloc(hart)
        return sum(1 << t for t in range(NB_TIDS) if self.pending[t]) | self.allocated << 16

    def write(self, hart, offset, size, value):
        reg = self._reg(offset, size, "store to")
        if reg == STATUS:
            self.allocated &= ~value & 0xFFFF
            return
        words = self.words.setdefault(hart.index, [])
        words.append(value)
        needed = 5 if words[0] & TWO_D_EXT else 3
        if len(words) == needed:
            del self.words[hart.index]
            self._push(hart, words)

    def _reg(self, offset, size, what):
        reg = offset & REG_MASK
        if size != 4 or reg not in (CMD, STATUS):
            raise PeripheralError(f"{self.name}: {size}-byte {what} offset 0x{reg:x}: MCHAN has "
                                  f"32-bit registers CMD (0x0) and STATUS (0x4) only")
        return reg

    def _alloc(self, hart) -> int:
        free = ~self.allocated & 0xFFFF
        if not free:
            raise PeripheralError(f"{self.name}: CMD read: no free transfer id (all {NB_TIDS} "
                                  f"allocated; plp_dma_wait/counter_free releases them)")
        tid = (free & -free).bit_length() - 1
        self.allocated |= 1 << tid
        self.channel_tid[hart.index] = tid
        return tid

    # ---- commands ------------------------------------------------------------------------
    def _push(self, hart, words):
        t = _Transfer()
        cmd = words[0]
        t.flags, t.size, t.ext2loc = cmd, cmd & LEN_MASK, bool(cmd & TYPE_EXT2LOC)
        t.loc, t.ext = words[1], words[2]
        t.length, t.stride = (words[3], words[4]) if cmd & TWO_D_EXT else (t.size, t.size)
        t.core = hart.core_id
        self._check(hart, t)
        t.tid = self.channel_tid[hart.index]
        self.pending[t.tid] += t.size
        self.outstanding += 1
        start = max(hart.now() + self.latency, self.free_at)
        # a burst never spans two lines: each line takes whole bus beats
        duration = sum(-(-n // self.bandwidth) for _, _, n in self._lines(t))
        self.free_at = start + duration
        self.busy_cycles += duration
        end = self.free_at
        self.sim.schedule(end, lambda: self._complete(t, end))
        tracer = self.sim.service("timeline")
        if tracer is not None:                   # iss/trace.py: one span per transfer
            tracer.span(self.name, f"{'L2->L1' if t.ext2loc else 'L1->L2'} {t.size} B", start, end,
                        {"core": t.core, "tid": t.tid, "bytes": t.size, "l1": f"0x{t.loc:08x}",
                         "ext": f"0x{t.ext:08x}", "line": t.length, "stride": t.stride,
                         "queued": start - hart.now() - self.latency})

    def _check(self, hart, t):
        def bad(why):
            return PeripheralError(f"{self.name}: CMD (core {hart.core_id}): {why}")
        if hart.index not in self.channel_tid:
            raise bad("command pushed before any transfer id was allocated (read CMD first)")
        if t.size == 0:
            raise bad("zero-length transfer")
        if t.flags & TWO_D_TCDM:
            raise bad("2-D on the TCDM side (bit 23) is not modelled")
        if not t.flags & INC:
            raise bad("non-incrementing transfers (INC=0) are not modelled")
        if self.outstanding >= self.queue_depth:
            raise bad(f"command queue full ({self.queue_depth} transfers outstanding; "
                      f"wait for some before pushing more)")
        if not (self.l1.base <= t.loc and t.loc + t.size <= self.l1.end):
            raise bad(f"L1 address range 0x{t.loc:08x}+{t.size} is not inside "
                      f"{self.l1.name} (0x{self.l1.base:08x}-0x{self.l1.end:08x})")
        if t.length == 0:
            raise bad("2-D transfer with zero line length")
        lines = -(-t.size // t.length)
        ext_end = t.ext + (lines - 1) * t.stride + (t.size - (lines - 1) * t.length)
        m = self.sim.platform.memory_at(t.ext)
        if m is None or ext_end > m.end or m == self.l1:
            raise bad(f"external address range 0x{t.ext:08x}-0x{ext_end:08x} is not inside "
                      f"one memory outside {self.l1.name} (L2)")
        if not t.ext2loc and self.sim.memory.holds_code(t.ext, ext_end):
            raise bad(f"copy onto code pages (0x{t.ext:08x}-0x{ext_end:08x}) is not supported")

    def _lines(self, t):
        """(external address, L1 address, bytes) of each line."""
        done, ext = 0, t.ext
        while done < t.size:
            n = min(t.length, t.size - done)
            yield ext, t.loc + done, n
            done += n
            ext += t.stride

    def _complete(self, t, time):
        mem = self.sim.memory
        for ext, loc, n in self._lines(t):
            src, dst = (ext, loc) if t.ext2loc else (loc, ext)
            mem.view(dst, n)[:] = mem.view(src, n)
        self.outstanding -= 1
        self.transfers += 1
        self.transfers_2d += bool(t.flags & TWO_D_EXT)
        self.bytes += t.size
        self.pending[t.tid] -= t.size
        if self.pending[t.tid] == 0:
            mask = (1 << len(self.sim.harts)) - 1 if t.flags & BLE else 1 << t.core
            if t.flags & ELE:
                self.sim.raise_event(EVT_DMA, mask, time)
            if t.flags & ILE:
                self.sim.raise_event(IRQ_DMA, mask, time)

    def stats(self):
        return {"transfers": self.transfers, "transfers_2d": self.transfers_2d,
                "bytes": self.bytes, "busy_cycles": self.busy_cycles}

    energy_kind = "dma"

    @classmethod
    def energy_counts(cls, stats: dict) -> dict:
        return {"dma": stats.get("bytes", 0)}
