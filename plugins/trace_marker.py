"""Trace markers: firmware names spans of its own timeline (`firmware/runtime/include/trace.h`).

A simulator-only device (like the stdout one), at 0x1A10E000 in the default platform.
32-bit stores, each acting on the storing core's own `core N marks` track of the timeline
trace (`iss run --trace`, iss/trace.py):
  0x00 BEGIN     value: address of a NUL-terminated name (L1/L2): open a span
  0x04 END       any value: close the core's innermost open span
  0x08 BEGIN_ID  value: a number: open a span named `id <number>`
  0x0C INSTANT   value: address of a NUL-terminated name: an instant event
Spans nest per core; an END without an open span is counted (`unmatched_ends` in the
trace's otherData), a span still open at the end of the run is closed there. Loads read 0.
Without `--trace` a store costs the core its ordinary store cycle and the simulator one
MMIO callback: markers may stay in the firmware.

Every mark is the run's event "mark" (iss/observe.py): `sim.observe("mark", callback)`,
callback(hart, kind, value, cycle) with kind "begin" (value: the name), "begin_id" (value:
the number), "end" or "instant" (value: the name). The timeline trace draws them this way;
tools/paper.py times and prices the MobileNetV2 ops this way, with or without a trace.
"""
from __future__ import annotations

from iss.plugin import Peripheral

BEGIN, END, BEGIN_ID, INSTANT = 0x00, 0x04, 0x08, 0x0C
KINDS = {BEGIN: "begin", END: "end", BEGIN_ID: "begin_id", INSTANT: "instant"}
COUNTERS = {"begin": "begins", "begin_id": "begins", "end": "ends", "instant": "instants"}
MAX_NAME = 128


class TraceMarker(Peripheral):
    PARAMS: dict = {}                 # no parameters: any key is a typo

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.counts = {"begins": 0, "ends": 0, "instants": 0}

    def write(self, hart, offset, size, value):
        kind = KINDS.get(offset)
        if kind is None:
            return
        self.counts[COUNTERS[kind]] += 1
        mark = self._string(value) if kind in ("begin", "instant") else value
        self.sim.notify("mark", hart, kind, mark, hart.now())

    def _string(self, address: int) -> str:
        out = bytearray()
        try:
            while len(out) < MAX_NAME:
                byte = self.sim.memory.read(address + len(out), 1)[0]
                if byte == 0:
                    break
                out.append(byte)
        except IndexError:
            if not out:
                return f"0x{address:08x}"
        return out.decode("utf-8", errors="replace")

    def stats(self):
        return dict(self.counts)
