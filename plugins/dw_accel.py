"""Depth-wise 3x3 convolution accelerator (paper Sec. IV-C, Fig. 4-5), an HWPE on
iss.hwpe.Hwpe. Register map, arithmetic and timing: docs/dw.md.

Registers (32-bit, offsets from the base, 0x10201000 on the default platform). 0x00-0x14 are
the HWPE controller registers of iss/hwpe.py (TRIGGER, ACQUIRE, FINISHED, STATUS,
RUNNING_JOB, SOFT_CLEAR); the job registers, latched at TRIGGER, are:
  0x18 IN_ADDR      input tensor, int8 HWC [HEIGHT][WIDTH][CHANNELS], in L1
  0x1C WEIGHT_ADDR  weights, int8 [3][3][CHANNELS] (channel fastest, like the activations)
  0x20 BIAS_ADDR    int32 [CHANNELS] added to the accumulators; 0 = no bias
  0x24 OUT_ADDR     output tensor, int8 HWC [Ho][Wo][CHANNELS], in L1
  0x28 HEIGHT, 0x2C WIDTH, 0x30 CHANNELS  input sizes (any CHANNELS >= 1: the last 16-channel
                    block may be partial)
  0x34 STRIDE       1 or 2
  0x38 PADDING      zero padding per side, 0..2 each: top [7:0], bottom [15:8], left [23:16],
                    right [31:24]
  0x3C SHIFT        0..31, arithmetic right shift after ReLU
  0x40 RELU         0 or 1
Ho = (HEIGHT + top + bottom - 3) / STRIDE + 1, Wo likewise.

A job is the whole layer: one TRIGGER, one FINISHED count, one end-of-job event (line 12 by
default, `event` in the platform table). Invalid jobs are refused with a warning naming the
register and its value (STATUS error bit, engine released, no event).
"""
from __future__ import annotations

import numpy as np

from iss.hwpe import Hwpe, Job, JobError, streamed_bytes
from iss.schema import Field

from .dw_kernels import dw3x3_hwc

IN_ADDR, WEIGHT_ADDR, BIAS_ADDR, OUT_ADDR = 0x18, 0x1C, 0x20, 0x24
HEIGHT, WIDTH, CHANNELS, STRIDE, PADDING, SHIFT, RELU = 0x28, 0x2C, 0x30, 0x34, 0x38, 0x3C, 0x40
REGISTER_NAMES = {IN_ADDR: "IN_ADDR", WEIGHT_ADDR: "WEIGHT_ADDR", BIAS_ADDR: "BIAS_ADDR",
                  OUT_ADDR: "OUT_ADDR", HEIGHT: "HEIGHT", WIDTH: "WIDTH", CHANNELS: "CHANNELS",
                  STRIDE: "STRIDE", PADDING: "PADDING", SHIFT: "SHIFT", RELU: "RELU"}

# Timing constants (paper Sec. IV-C, Fig. 5 schedule). The streamer moves one
# 16-byte beat per cycle (128-bit HWPE port, paper Sec. IV).
BLOCK = 16                    # channels per block: the weight buffer holds 3x3x16 (Sec. IV-C)
WEIGHT_PRELOAD = 9            # 9 weight pixels of 16 channels, one beat each (Sec. IV-C)
BIAS_PRELOAD = 4              # our extension: 16 x int32 = 64 B = 4 beats at 16 B/cycle
WINDOW_PRELOAD = 9            # per output column: the 3x3 window, 9 beats (Sec. IV-C)
# Per output pixel: the window slides down by STRIDE rows = 3*STRIDE pixel loads, plus one
# store of 16 outputs, all on the one 16 B/cycle port. Stride 1: the paper's 4-cycle inner
# loop (loads in cycles 0-2, store in cycle 3, 4 channels x 9 taps on 36 multipliers each
# cycle). Stride 2: 6 loads + 1 store = 7 cycles, the port being the bottleneck.


def pixel_cycles(stride: int) -> int:
    return 3 * stride + 1


def out_size(n: int, pad_before: int, pad_after: int, stride: int) -> int:
    return (n + pad_before + pad_after - 3) // stride + 1


# The paper's end-to-end model instead runs every depth-wise layer at the accelerator's
# reported average (Sec. IV-C, 29.7 MAC/cycle); `timing = "constant"` selects it.
PAPER_MAC_PER_CYCLE = 29.7


def constant_rate_cycles(ho: int, wo: int, c: int, mac_per_cycle: float) -> int:
    """Cycles of one layer at a constant MAC rate (docs/dw.md, "The paper's model")."""
    return -(-9 * ho * wo * c * 10 ** 6 // round(mac_per_cycle * 10 ** 6))


def job_cycles(ho: int, wo: int, c: int, stride: int, bias: bool) -> int:
    """Cycles of one layer (docs/dw.md, "Timing")."""
    blocks = -(-c // BLOCK)
    return blocks * (WEIGHT_PRELOAD + BIAS_PRELOAD * bias
                     + wo * (WINDOW_PRELOAD + ho * pixel_cycles(stride)))


class DwAccel(Hwpe):
    register_names = REGISTER_NAMES
    PARAMS = {
        "event": Field(int, 12, 0, 31),     # pulp-runtime properties.h: accelerators 12-15
        "l1": Field(str, "l1"),             # the memory of the accelerator's TCDM port
        # "schedule": the Fig. 5 schedule (beats, docs/dw.md); "constant": the paper's
        # end-to-end model, every layer at mac_per_cycle
        "timing": Field(str, "schedule", choices=("schedule", "constant")),
        "mac_per_cycle": Field(float, PAPER_MAC_PER_CYCLE, 0.001, 144.0),
    }

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.end_event = self.param("event")
        self.l1 = self.memory_param("l1")
        self.constant_rate = self.param("mac_per_cycle") if self.param("timing") == "constant" \
            else None
        self.regs = dict.fromkeys(REGISTER_NAMES, 0)
        self.regs[STRIDE] = 1
        self.dw_counts = {"layers": 0, "macs": 0, "stream_in_bytes": 0, "stream_out_bytes": 0}

    # ---- job registers ---------------------------------------------------------------
    def reg_read(self, hart, offset):
        return self.regs.get(offset, 0)

    def reg_write(self, hart, offset, value):
        if offset not in self.regs:
            self.warn(offset, value, "no such register (ignored)")
            return
        self.regs[offset] = value & 0xFFFFFFFF

    # ---- a job -----------------------------------------------------------------------
    def plan(self, hart) -> Job:
        r = self.regs

        def bad(reg, why):
            return JobError(f"{REGISTER_NAMES[reg]} = 0x{r[reg]:x}: {why}")

        h, w, c, stride, shift = r[HEIGHT], r[WIDTH], r[CHANNELS], r[STRIDE], r[SHIFT]
        pad = [(r[PADDING] >> s) & 0xFF for s in (0, 8, 16, 24)]    # top, bottom, left, right
        for reg, v in ((HEIGHT, h), (WIDTH, w), (CHANNELS, c)):
            if v == 0:
                raise bad(reg, "must be at least 1")
        if stride not in (1, 2):
            raise bad(STRIDE, "must be 1 or 2")
        if max(pad) > 2:
            raise bad(PADDING, "each side's padding must be 0..2 (top [7:0], bottom [15:8], "
                               "left [23:16], right [31:24])")
        if shift > 31:
            raise bad(SHIFT, "must be 0..31")
        if r[RELU] > 1:
            raise bad(RELU, "must be 0 or 1")
        for reg, n, before, after in ((HEIGHT, h, pad[0], pad[1]), (WIDTH, w, pad[2], pad[3])):
            if n + before + after < 3:
                raise bad(reg, f"the 3x3 window does not fit ({REGISTER_NAMES[reg]} + padding "
                               f"{before}+{after} < 3)")
        ho, wo = out_size(h, pad[0], pad[1], stride), out_size(w, pad[2], pad[3], stride)
        has_bias = r[BIAS_ADDR] != 0
        spans = {IN_ADDR: h * w * c, WEIGHT_ADDR: 9 * c, OUT_ADDR: ho * wo * c}
        if has_bias:
            spans[BIAS_ADDR] = 4 * c
        for reg, n in spans.items():
            if not (self.l1.base <= r[reg] and r[reg] + n <= self.l1.end):
                raise bad(reg, f"{n} bytes from there are not inside L1 "
                               f"(0x{self.l1.base:08x}-0x{self.l1.end:08x})")
        out0, out1 = r[OUT_ADDR], r[OUT_ADDR] + spans[OUT_ADDR]
        for reg, n in spans.items():
            if reg != OUT_ADDR and r[reg] < out1 and out0 < r[reg] + n:
                # the streamer still reads what the output would overwrite
                raise bad(OUT_ADDR, f"the output ({spans[OUT_ADDR]} bytes) overlaps "
                                    f"{REGISTER_NAMES[reg]} (0x{r[reg]:x}, {n} bytes)")

        args = dict(r), pad, ho, wo
        if self.constant_rate is not None:
            cycles = constant_rate_cycles(ho, wo, c, self.constant_rate)
            phases = {"constant_rate": cycles}
        else:
            cycles = job_cycles(ho, wo, c, stride, has_bias)
            blocks = -(-c // BLOCK)
            phases = {"weight_load": blocks * (WEIGHT_PRELOAD + BIAS_PRELOAD * has_bias),
                      "window_preload": blocks * wo * WINDOW_PRELOAD,
                      "inner_loop": blocks * wo * ho * pixel_cycles(stride)}
        # the engine streams all along the job: it holds the shared port for all its cycles
        return Job(stream_cycles=cycles, total_cycles=cycles, run=lambda: self._run(*args),
                   phases=phases)

    def _run(self, r, pad, ho, wo):
        mem = self.sim.memory
        h, w, c = r[HEIGHT], r[WIDTH], r[CHANNELS]
        x = mem.view(r[IN_ADDR], h * w * c).view(np.int8).reshape(h, w, c)
        wt = mem.view(r[WEIGHT_ADDR], 9 * c).view(np.int8).reshape(3, 3, c)
        if r[BIAS_ADDR]:
            bias = np.frombuffer(mem.read(r[BIAS_ADDR], 4 * c), dtype="<i4").astype(np.int32)
        else:
            bias = np.zeros(c, dtype=np.int32)
        out = mem.view(r[OUT_ADDR], ho * wo * c).view(np.int8).reshape(ho, wo, c)
        dw3x3_hwc(x, wt, bias, out, r[STRIDE], pad[0], pad[2], r[SHIFT], r[RELU])
        k = self.dw_counts
        k["layers"] += 1
        k["macs"] += 9 * ho * wo * c
        k["stream_in_bytes"] += (9 + 4 * bool(r[BIAS_ADDR])) * c \
            + c * _rows_read(h, ho, r[STRIDE], pad[0]) * _cols_read(w, wo, r[STRIDE], pad[2])
        k["stream_out_bytes"] += ho * wo * c

    def stats(self):
        return {**super().stats(), **self.dw_counts}

    energy_kind = "dw"

    @classmethod
    def energy_counts(cls, stats: dict) -> dict:
        return {"macs": stats.get("macs", 0), "dw_bytes": streamed_bytes(stats)}


def _rows_read(h, ho, stride, pad_top):
    """Input rows the window covers down one output column (padding rows are not read)."""
    return min(h, (ho - 1) * stride - pad_top + 3)


def _cols_read(w, wo, stride, pad_left):
    """Sum over output columns of the window's in-bounds input columns: the window is
    reloaded for every output column (Sec. IV-C), so shared columns are read again."""
    first = np.arange(wo) * stride - pad_left
    return int((np.minimum(first + 3, w) - np.maximum(first, 0)).sum())
