"""Analog in-memory-computing accelerator (IMA, paper Sec. III-A), register-
compatible with the public GVSoC `ima_v1` model, on iss.hwpe.Hwpe. Full description:
docs/ima.md (register map, multi-array windows, weights in the firmware image, arithmetic,
timing formula, PCM noise model).

Registers (32-bit, offsets from each array's window; 0x00-0x14 are the HWPE controller
registers of iss/hwpe.py: TRIGGER, ACQUIRE, FINISHED_JOBS, STATUS, RUNNING_TASK, SOFT_CLEAR):
  0x18 CHECK_STATE (r)   GVSoC FSM state: 0 idle, 1 acquired, 2/3 programming window
                         open/being written, 4 job registers written, 5 running, 6 read-back
  0x20-0x2c P_START_X, P_START_Y, P_WIDTH, P_HEIGHT: programming window (a write opens it)
  0x30 SUBMIT_PLOT (w)   8 packed 4-bit weights of the current row; stalls the writer
  0x34-0x50 J_START_X, J_START_Y, J_WIDTH, J_HEIGHT, J_SRC_ADDR, J_DST_ADDR, J_SRC_STRIDE,
            J_DST_STRIDE
  0x54, 0x58 ADC_LOW, ADC_HIGH   0x5c, 0x60 FETCH_LENGTH, STORE_LENGTH (unused, as GVSoC)
  0x64 LINE_LENGTH  0x68 FEAT_STRIDE (unused)  0x6c FEAT_LENGTH  0x70 NUM_JOBS
  0x74-0x90 ALPHA/BETA_IN/OUT_LENGTH/STRIDE: two-level pointer update between jobs
  0x94-0x9c LL_MEMT, FEAT_ROLL, DW_MODE (unused, as GVSoC)
  0xa0, 0xa4 PR_ADDR_X, PR_ADDR_Y   0xa8 PR_VAL (r): read-back of 8 packed weights
  0xb0-0xb8 PERF_STREAM_IN, PERF_COMPUTE, PERF_STREAM_OUT: cycles, cumulative (write clears)
  0xc0-0xd0 ACC_TILES, ACC_TABLE, ACC_SHIFT, ACC_LOW, ACC_HIGH: partial-sum accumulation of
            row tiles (our extension, platform option `accumulate`; TRIGGER consumes ACC_TILES)
All job registers are latched at TRIGGER (GVSoC ima_v1 latches them at register writes;
latching at TRIGGER accepts every program GVSoC accepts). Multi-array: array i answers at
base + i * array_stride.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from iss.errors import ElfError
from iss.hwpe import ACQUIRE, SOFT_CLEAR, Hwpe, Job, JobError, streamed_bytes
from iss.plugin import Peripheral
from iss.schema import Field

from . import ima_image
from .ima_kernels import job_pointers, run_ideal, run_noisy
from .ima_pcm import G_MAX_US, PcmArray

CHECK_STATE = 0x18
P_START_X, P_START_Y, P_WIDTH, P_HEIGHT, SUBMIT_PLOT = 0x20, 0x24, 0x28, 0x2C, 0x30
J_START_X, J_START_Y, J_WIDTH, J_HEIGHT = 0x34, 0x38, 0x3C, 0x40
J_SRC_ADDR, J_DST_ADDR, J_SRC_STRIDE, J_DST_STRIDE = 0x44, 0x48, 0x4C, 0x50
ADC_LOW, ADC_HIGH, FETCH_LENGTH, STORE_LENGTH = 0x54, 0x58, 0x5C, 0x60
LINE_LENGTH, FEAT_STRIDE, FEAT_LENGTH, NUM_JOBS = 0x64, 0x68, 0x6C, 0x70
ALPHA_IN_LENGTH, ALPHA_IN_STRIDE, BETA_IN_LENGTH, BETA_IN_STRIDE = 0x74, 0x78, 0x7C, 0x80
ALPHA_OUT_LENGTH, ALPHA_OUT_STRIDE, BETA_OUT_LENGTH, BETA_OUT_STRIDE = 0x84, 0x88, 0x8C, 0x90
LL_MEMT, FEAT_ROLL, DW_MODE = 0x94, 0x98, 0x9C
PR_ADDR_X, PR_ADDR_Y, PR_VAL = 0xA0, 0xA4, 0xA8
PERF_STREAM_IN, PERF_COMPUTE, PERF_STREAM_OUT = 0xB0, 0xB4, 0xB8
ACC_TILES, ACC_TABLE, ACC_SHIFT, ACC_LOW, ACC_HIGH = 0xC0, 0xC4, 0xC8, 0xCC, 0xD0
REGISTER_NAMES = {globals()[n]: n for n in """CHECK_STATE P_START_X P_START_Y P_WIDTH P_HEIGHT
    SUBMIT_PLOT J_START_X J_START_Y J_WIDTH J_HEIGHT J_SRC_ADDR J_DST_ADDR J_SRC_STRIDE
    J_DST_STRIDE ADC_LOW ADC_HIGH FETCH_LENGTH STORE_LENGTH LINE_LENGTH FEAT_STRIDE FEAT_LENGTH
    NUM_JOBS ALPHA_IN_LENGTH ALPHA_IN_STRIDE BETA_IN_LENGTH BETA_IN_STRIDE ALPHA_OUT_LENGTH
    ALPHA_OUT_STRIDE BETA_OUT_LENGTH BETA_OUT_STRIDE LL_MEMT FEAT_ROLL DW_MODE PR_ADDR_X
    PR_ADDR_Y PR_VAL PERF_STREAM_IN PERF_COMPUTE PERF_STREAM_OUT ACC_TILES ACC_TABLE ACC_SHIFT
    ACC_LOW ACC_HIGH""".split()}
PLOT_WINDOW = (P_START_X, P_START_Y, P_WIDTH, P_HEIGHT)
PERF = (PERF_STREAM_IN, PERF_COMPUTE, PERF_STREAM_OUT)
READ_ONLY = (CHECK_STATE, PR_VAL)
ACCUMULATION = (ACC_TILES, ACC_TABLE, ACC_SHIFT, ACC_LOW, ACC_HIGH)     # with `accumulate`
STORED = [o for o in REGISTER_NAMES
          if o not in PERF + READ_ONLY + ACCUMULATION + (SUBMIT_PLOT,)]

# GVSoC ima_v1_impl.hpp FSM states (CHECK_STATE)
ST_IDLE, ST_ACQUIRE, ST_P_WREQ, ST_P_WR, ST_J_REQ, ST_J_EVAL, ST_P_RREQ = range(7)

# Parameters and their sources (docs/ima.md, "Timing")
XBAR = 256                 # paper Sec. III-A: 256x256 PCM crossbar (HERMES core)
ANALOG_NS = 130            # paper Sec. III-A: MVM latency; GVSoC pulp/ima/ima_v1.py eval_ns
PLOT_WRITE_NS = 1000       # GVSoC pulp/ima/ima_v1.py plot_write_ns: one SUBMIT_PLOT word
PLOT_READ_NS = 10          # GVSoC pulp/ima/ima_v1.py plot_read_ns: one PR_VAL word
BUS_BITS = 128             # paper Sec. V: 128-bit HWPE data interface (16 B/cycle)
IDLE_CYCLES = 2            # GVSoC ima_v1_impl.cpp job_handler: "Two cycles per idle" per job
FIFO_CYCLES = 2            # GVSoC ima_v1_impl.cpp: 2 cycles after each stream phase (FIFOs)
ARRAY_STRIDE = 0x4000      # our choice: array 1 at 0x10206000 clears the demux alias window
END_EVENT, ACQUIRE_EVENT = 14, 15     # GVSoC ima_v1 (irq_0 / irq_1)
MAX_ARRAYS = 256           # sanity bounds on the crossbars built at start-up (MobileNetV2: 34)
MAX_CELLS = 1 << 24        # in all arrays: 256 arrays of 256x256
MAX_NS = 1e9               # a latency of one second per operation is far beyond any PCM
MAX_JOBS = 1 << 20         # a sanity bound on NUM_JOBS (a 112x112 layer is 12544 jobs)
MAX_ACC_TILES = 16         # our choice: row tiles per accumulating job (MobileNetV2 needs 4)
DESCRIPTOR_BYTES = 16      # one ima_acc_tile_t: array, start_x | start_y << 16, line, offset
NOISE_CHUNK = 4096         # jobs per noisy-kernel call: bounds the normals buffer
MASK = 0xFFFFFFFF


def ns_to_cycles(ns, clock_hz: int) -> int:
    """GVSoC's conversion of a latency to cycles: (int)(ns / period_ns) + 1, exactly."""
    return int(Fraction(ns) * clock_hz // 10**9) + 1


def signed32(v: int) -> int:
    return v - (1 << 32) if v & 0x80000000 else v


def stream_cycles(addr, nbytes: int, words_per_cycle: int):
    """Cycles to stream nbytes at addr (per job, vectorised): 32-bit word requests, the
    words a line touches, words_per_cycle (= bus_bits/32) per cycle, a line in whole cycles."""
    words = (addr + nbytes + 3) // 4 - addr // 4
    return -(-words // words_per_cycle)


def job_timing(inputs, dst, feat, stride, cols, compute, words_per_cycle, pipelined):
    """Cycles of a trigger (docs/ima.md, "Timing"): per job n, I_n = IDLE + stream-in of the
    FEAT_LENGTH lines of every tile ((per-job input addresses, line length) in `inputs`) +
    FIFO, O_n = stream-out of J_WIDTH bytes + FIFO, C = compute (of all tiles).
    sequential: sum_n (I_n + C + O_n); pipelined (stream-in of n+1 and stream-out of n-1
    overlap compute of n, on the one streamer): I_0 + sum_n max(C, O_{n-1} + I_{n+1}) + O_last.
    Returns (total, I, O) with I, O per job."""
    i_n = sum(stream_cycles(src + f * stride, line, words_per_cycle)
              for src, line in inputs for f in range(feat))
    i_n = i_n + (IDLE_CYCLES + FIFO_CYCLES)
    o_n = stream_cycles(dst, cols, words_per_cycle) + FIFO_CYCLES
    if not pipelined:
        return int(i_n.sum() + o_n.sum()) + compute * len(dst), i_n, o_n
    o_prev = np.concatenate(([0], o_n[:-1]))
    i_next = np.concatenate((i_n[1:], [0]))
    return int(i_n[0] + np.maximum(compute, o_prev + i_next).sum() + o_n[-1]), i_n, o_n


class Crossbar(Hwpe):
    """One crossbar with its register window; `ima` holds what the arrays share."""
    register_names = REGISTER_NAMES

    def __init__(self, ima: Ima, index: int):
        name = ima.name if ima.n == 1 else f"{ima.name}[{index}]"
        super().__init__(ima.sim, name, ima.window(index), ima.size, ima.params)
        self.ima, self.index = ima, index
        self.end_event, self.acquire_event = ima.end_event, ima.acquire_event
        self.regs = dict.fromkeys(STORED + list(ACCUMULATION if ima.accumulate else ()), 0)
        # GVSoC ima_v1::reset programs the identity (cell (i, i) = 1, others 0)
        self.weights = np.eye(ima.rows, ima.cols, dtype=np.int8)
        self.plot = None                    # open window: [x0, y0, width, height, x, y]
        self.hint = ST_ACQUIRE              # CHECK_STATE while acquired and idle
        self.perf = [0, 0, 0]
        self.kernel_seconds = 0.0
        self.noise_err = np.zeros(6)
        self.counts.update(mvms=0, stream_in_bytes=0, stream_out_bytes=0, programmed_weights=0,
                           preloaded_weights=0, readback_words=0)
        if ima.accumulate:
            self.counts["accumulated_mvms"] = 0
        self.rng = self.pcm = None
        if ima.noise:
            self.rng = np.random.default_rng([ima.seed, index])
            self.pcm = PcmArray(ima.rows, ima.cols, self.rng, ima.g_max, *ima.scales)
            self.pcm.program(slice(None), slice(None), self.weights, -ima.age)

    def accounted_by(self) -> Ima:
        return self.ima

    # ---- registers ----------------------------------------------------------------------
    def read(self, hart, offset, size):
        value = super().read(hart, offset, size)
        if offset == ACQUIRE and value == 0:
            self.hint = ST_ACQUIRE
        return value

    def write(self, hart, offset, size, value):
        if offset == SOFT_CLEAR:
            self.plot = None
        super().write(hart, offset, size, value)

    def reg_read(self, hart, offset):
        if offset == CHECK_STATE:
            return self._state(hart.now())
        if offset == PR_VAL:
            return self._read_back(hart)
        if offset in PERF:
            return self.perf[PERF.index(offset)]
        return self.regs.get(offset, 0)

    def reg_write(self, hart, offset, value):
        if offset == SUBMIT_PLOT:
            self._submit(hart, value)
        elif offset in PERF:
            self.perf[PERF.index(offset)] = 0
        elif offset in READ_ONLY:
            self.warn(offset, value, "read-only register (write ignored)")
        elif offset not in self.regs:
            self.warn(offset, value, "no such register (write ignored)")
        else:
            self.regs[offset] = value & MASK
            if offset in PLOT_WINDOW:                    # (re)open the window at its start
                r = self.regs
                self.plot = [r[P_START_X], r[P_START_Y], r[P_WIDTH], r[P_HEIGHT],
                             r[P_START_X], r[P_START_Y]]
            self.hint = ST_P_RREQ if offset in (PR_ADDR_X, PR_ADDR_Y) else ST_J_REQ

    def _state(self, now):
        if self.busy(now):
            return ST_J_EVAL
        if self.owner is None:
            return ST_IDLE
        if self.plot is not None:
            return ST_P_WREQ if self.plot[4:] == self.plot[:2] else ST_P_WR
        return self.hint

    # ---- weights --------------------------------------------------------------------------
    def _submit(self, hart, value):
        """SUBMIT_PLOT: 8 weights into the current row of the window, then advance (GVSoC
        plot_handler); the writer is held for the programming time; the last word of the
        window releases the IMA."""
        if self.plot is None:
            self.warn(SUBMIT_PLOT, value, "no programming window is open (write P_START_X, "
                      "P_START_Y, P_WIDTH, P_HEIGHT first)")
            return
        x0, y0, w, h, x, y = self.plot
        rows, cols = self.weights.shape
        for reg, start, size, limit in ((P_WIDTH, x0, w, cols), (P_HEIGHT, y0, h, rows)):
            if size == 0 or start + size > limit:
                self.warn(reg, size, f"programming window {start}..{start + size - 1} is not "
                          f"inside the {rows}x{cols} crossbar (SUBMIT_PLOT ignored)")
                return
        n = min(8, x0 + w - x)          # GVSoC writes all 8; we keep to the window
        codes = ima_image.unpack_words([[value]], n)[0]
        self.program(y, x, codes[None], hart.now() / self.sim.platform.clock_hz)
        self.counts["programmed_weights"] += n
        hart.stall(self.ima.plot_write_cycles)
        x += 8
        if x >= x0 + w:
            x, y = x0, y + 1
        if y == y0 + h:
            self.plot, self.owner = None, None                       # done: released
        else:
            self.plot[4:] = [x, y]

    def program(self, y, x, codes, t):
        """Program the block of codes (int8 [rows, cols]) at row y, column x at time t (s)."""
        rows, cols = slice(y, y + codes.shape[0]), slice(x, x + codes.shape[1])
        self.weights[rows, cols] = codes
        if self.pcm is not None:
            self.pcm.program(rows, cols, codes, t)

    def _read_back(self, hart):
        """PR_VAL: the 8 target weights at (PR_ADDR_Y, PR_ADDR_X..+7), packed; GVSoC returns
        the IMA to idle (released) after each read."""
        if self.busy(hart.now()):
            self.warn(PR_VAL, 0, "read while a job runs (returns 0)")
            return 0
        if self.owner is None:
            self.warn(PR_VAL, 0, "read without ACQUIRE (returns 0)")
            return 0
        self.owner = None
        x, y = self.regs[PR_ADDR_X], self.regs[PR_ADDR_Y]
        rows, cols = self.weights.shape
        for reg, v, limit in ((PR_ADDR_X, x, cols), (PR_ADDR_Y, y, rows)):
            if v >= limit:
                self.warn(reg, v, f"outside the {rows}x{cols} crossbar (PR_VAL returns 0)")
                return 0
        hart.stall(self.ima.plot_read_cycles)
        self.counts["readback_words"] += 1
        return int(ima_image.pack_words(self.weights[y:y + 1, x:x + 8])[0, 0])

    # ---- jobs -----------------------------------------------------------------------------
    def plan(self, hart) -> Job:
        r = dict(self.regs)
        if ACC_TILES in r:
            self.regs[ACC_TILES] = 0                    # TRIGGER consumes it (docs/ima.md)
        rows, cols = self.weights.shape

        def bad(reg, why):
            return JobError(f"{REGISTER_NAMES[reg]} = 0x{r[reg]:x}: {why}")

        if self.plot is not None:
            self.warn(P_HEIGHT, self.plot[3], f"TRIGGER closes a programming window left "
                      f"incomplete at row {self.plot[5]}, column {self.plot[4]}")
            self.plot = None
        x0, y0, w, h = r[J_START_X], r[J_START_Y], r[J_WIDTH], r[J_HEIGHT]
        for reg, start, size, limit, what in ((J_WIDTH, x0, w, cols, "column"),
                                              (J_HEIGHT, y0, h, rows, "row")):
            if size == 0:
                raise bad(reg, f"the job uses no {what} (must be at least 1)")
            if start + size > limit:
                raise bad(reg, f"{what}s {start}..{start + size - 1} are beyond the "
                               f"{limit} {what}s of the crossbar")
        feat, line = r[FEAT_LENGTH], r[LINE_LENGTH]
        if feat == 0:
            raise bad(FEAT_LENGTH, "at least one input line per job (1 for a pointwise job, "
                                   "K for a KxK window)")
        if feat * line != h:
            raise bad(LINE_LENGTH, f"FEAT_LENGTH x LINE_LENGTH = {feat} x {line} input bytes "
                                   f"must equal J_HEIGHT = {h}, the crossbar rows the job uses")
        low, high = signed32(r[ADC_LOW]), signed32(r[ADC_HIGH])
        if low + high <= 0:
            raise bad(ADC_HIGH, f"the ADC range [-{low}, {high}] is empty "
                                f"(ADC_LOW + ADC_HIGH must be positive)")
        accumulating = r.get(ACC_TILES, 0) != 0
        tiles = [Tile(self, x0, y0, line, 0)]
        stage = (0, 128, 127)                 # a plain trigger: the ADC outputs as they are
        if accumulating:
            more, stage = self._accumulation(r, bad, w, feat)
            tiles += more
        njobs = r[NUM_JOBS]
        if njobs > MAX_JOBS:
            raise bad(NUM_JOBS, f"more than {MAX_JOBS} jobs per trigger")
        if njobs == 0:
            self.warn(NUM_JOBS, 0, "no job to run (the IMA ends at once)")
            return Job(stream_cycles=IDLE_CYCLES, total_cycles=IDLE_CYCLES, run=lambda: None,
                       jobs=0)
        src = job_pointers(r[J_SRC_ADDR], njobs, r[ALPHA_IN_LENGTH],
                           signed32(r[ALPHA_IN_STRIDE]), r[BETA_IN_LENGTH],
                           signed32(r[BETA_IN_STRIDE]))
        dst = job_pointers(r[J_DST_ADDR], njobs, r[ALPHA_OUT_LENGTH],
                           signed32(r[ALPHA_OUT_STRIDE]), r[BETA_OUT_LENGTH],
                           signed32(r[BETA_OUT_STRIDE]))
        stride = signed32(r[J_SRC_STRIDE])
        reach = (feat - 1) * stride
        for t, tile in enumerate(tiles):
            lo, hi = min(0, reach), max(0, reach) + tile.line
            self._inside_l1(bad, J_SRC_ADDR if t == 0 else ACC_TABLE, src + tile.offset, lo, hi,
                            njobs, "input lines" if t == 0 else
                            f"tile {t} (descriptor {t - 1}) input lines", tile.line)
        self._inside_l1(bad, J_DST_ADDR, dst, 0, w, njobs, "output", None)
        ima = self.ima
        compute = ima.compute_cycles * len(tiles)
        total, i_n, o_n = job_timing([(src + t.offset, t.line) for t in tiles], dst, feat, stride,
                                     w, compute, ima.words_per_cycle, ima.pipelined)
        table = stream_cycles(r[ACC_TABLE], DESCRIPTOR_BYTES * (len(tiles) - 1),
                              ima.words_per_cycle) if len(tiles) > 1 else 0
        phases = {"idle": IDLE_CYCLES * njobs,
                  "stream_in": table + int(i_n.sum()) - IDLE_CYCLES * njobs,
                  "compute": compute * njobs, "stream_out": int(o_n.sum())}
        t_start = hart.now() / self.sim.platform.clock_hz
        # the crossbar contents are taken at TRIGGER (chained arrays stay programmable)
        blocks = [t.xbar.weights[t.y:t.y + feat * t.line, t.x:t.x + w] for t in tiles]
        weights = np.ascontiguousarray(np.concatenate(blocks), dtype=np.int16)
        pcm = None
        if self.pcm is not None:
            eff = [t.xbar.pcm.effective(slice(t.y, t.y + feat * t.line), slice(t.x, t.x + w),
                                        t_start) for t in tiles]
            pcm = tuple(np.ascontiguousarray(np.concatenate(e))
                        for e in zip(*eff, strict=True))
        geometry = (np.array([t.offset for t in tiles], np.int64),
                    np.array([t.line for t in tiles], np.int64),
                    np.cumsum([0] + [feat * t.line for t in tiles]).astype(np.int64))
        # the static TCDM multiplexer gives the port to one HWPE (and the multi-array IMA to
        # one crossbar) for the whole run: the job holds it for all its cycles
        return Job(stream_cycles=total + table, total_cycles=total + table, jobs=njobs,
                   phases=phases,
                   run=lambda: self._run(src, dst, geometry, feat, stride, weights, pcm,
                                         (low, high), stage, phases, accumulating))

    def _accumulation(self, r, bad, width, feat):
        """Tiles 1..T-1 of an accumulating trigger (its descriptors, read from L1 at
        ACC_TABLE) and the output stage (shift, low, high) (docs/ima.md)."""
        ima, l1 = self.ima, self.ima.l1
        n = r[ACC_TILES]
        if n > MAX_ACC_TILES:
            raise bad(ACC_TILES, f"more than {MAX_ACC_TILES} row tiles per job")
        shift, low, high = r[ACC_SHIFT], signed32(r[ACC_LOW]), signed32(r[ACC_HIGH])
        if shift > 31:
            raise bad(ACC_SHIFT, "the shift of the sum must be 0..31")
        for reg, bound in ((ACC_LOW, -low < -128), (ACC_HIGH, high > 127 or -low > high)):
            if bound:
                raise bad(reg, f"the output range [{-low}, {high}] is empty or not inside "
                               f"[-128, 127]")
        table, size = r[ACC_TABLE], DESCRIPTOR_BYTES * (n - 1)
        if size and table % 4:
            raise bad(ACC_TABLE, "the descriptor table is not word-aligned")
        if size and (table < l1.base or table + size > l1.end):
            raise bad(ACC_TABLE, f"{n - 1} descriptor(s) of {DESCRIPTOR_BYTES} B at "
                                 f"0x{table:x}-0x{table + size:x} are not inside L1 "
                                 f"(0x{l1.base:08x}-0x{l1.end:08x}), which the streamer reads")
        words = np.frombuffer(self.sim.memory.read(table, size) if size else b"", "<u4")
        tiles = []
        for i, (array, xy, line, offset) in enumerate(words.reshape(-1, 4).tolist()):
            x, y = xy & 0xFFFF, xy >> 16
            where = f"descriptor {i} (tile {i + 1})"
            if array >= ima.n:
                raise bad(ACC_TABLE, f"{where} names array {array}; the IMA has {ima.n}")
            if line == 0:
                raise bad(ACC_TABLE, f"{where} has a line_length of 0")
            if x + width > ima.cols or y + feat * line > ima.rows:
                raise bad(ACC_TABLE, f"{where}: columns {x}..{x + width - 1}, rows "
                                     f"{y}..{y + feat * line - 1} are not inside the "
                                     f"{ima.rows}x{ima.cols} crossbar")
            tiles.append(Tile(ima.arrays[array], x, y, line, signed32(offset)))
        return tiles, (shift, low, high)

    def _inside_l1(self, bad, reg, ptr, lo, hi, njobs, what, first_line):
        """Refuse the trigger if a job's bytes ptr+lo..ptr+hi leave L1 (naming the job;
        J_SRC_STRIDE when only the stride leaves it: the first line of `first_line` bytes
        fits)."""
        l1 = self.ima.l1
        outside = np.flatnonzero((ptr + lo < l1.base) | (ptr + hi > l1.end))
        if not outside.size:
            return
        j, p = int(outside[0]), int(ptr[outside[0]])
        what = f"job {j} of {njobs}: its {what}"
        if j:
            what += " (after the ALPHA/BETA pointer updates)"
        elif reg == J_SRC_ADDR and l1.base <= p and p + first_line <= l1.end:
            reg = J_SRC_STRIDE
        raise bad(reg, f"{what} 0x{p + lo:x}-0x{p + hi:x} are not inside L1 "
                       f"(0x{l1.base:08x}-0x{l1.end:08x})")

    def _run(self, src, dst, geometry, feat, stride, weights, pcm, adc, stage, phases, acc):
        l1 = self.ima.l1
        mem = self.sim.memory.buffers[l1.name].view(np.int8)
        so, do = src - l1.base, dst - l1.base
        offs, lines, rows0 = geometry
        t0 = time.perf_counter()
        if pcm is None:
            run_ideal(mem, so, do, offs, lines, rows0, feat, stride, weights, *adc, *stage)
        else:
            weff, var = pcm
            for k in range(0, len(so), NOISE_CHUNK):
                normals = self.rng.standard_normal((len(so[k:k + NOISE_CHUNK]),
                                                    len(offs) * weights.shape[1]))
                run_noisy(mem, so[k:k + NOISE_CHUNK], do[k:k + NOISE_CHUNK], offs, lines, rows0,
                          feat, stride, weights, weff, var, normals, *adc, *stage,
                          self.noise_err)
        self.kernel_seconds += time.perf_counter() - t0
        self.regs[J_SRC_ADDR] = int(src[-1]) & MASK          # GVSoC job_update moves them
        self.regs[J_DST_ADDR] = int(dst[-1]) & MASK
        p = self.perf
        p[0] = (p[0] + phases["idle"] + phases["stream_in"]) & MASK
        p[1] = (p[1] + phases["compute"]) & MASK
        p[2] = (p[2] + phases["stream_out"]) & MASK
        c, mvms = self.counts, len(src) * len(offs)
        c["mvms"] += mvms
        if acc:
            c["accumulated_mvms"] += mvms
        c["stream_in_bytes"] += len(src) * feat * int(lines.sum())
        c["stream_out_bytes"] += len(src) * weights.shape[1]


@dataclass(frozen=True)
class Tile:
    """One row tile of a job: its crossbar, window origin, input line length and the offset
    of its input from the job's input pointer."""
    xbar: Crossbar
    x: int
    y: int
    line: int
    offset: int


class Ima(Peripheral):
    """The IMA subsystem: `arrays` crossbars, array i's registers at base + i*array_stride
    (one window of `size` bytes each), sharing the HWPE streaming port (one active at a time)."""
    accelerator = True
    energy_kind = "ima"

    PARAMS = {
        "arrays": Field(int, 1, 1, MAX_ARRAYS),
        "array_stride": Field(int, ARRAY_STRIDE, 1),      # at least `size`; windows: plugin.py
        "rows": Field(int, XBAR, 1, 4096),
        "cols": Field(int, XBAR, 1, 4096),
        "analog_ns": Field(float, ANALOG_NS, 0, MAX_NS),
        "plot_write_ns": Field(float, PLOT_WRITE_NS, 0, MAX_NS),
        "plot_read_ns": Field(float, PLOT_READ_NS, 0, MAX_NS),
        "bus_bits": Field(int, BUS_BITS, 32, 1 << 16, align=32),   # 32-bit streamer requests
        "execution": Field(str, "pipelined", choices=("pipelined", "sequential")),
        "l1": Field(str, "l1"),                                     # the streamer's memory
        "accumulate": Field(bool, False),        # partial-sum accumulation registers (0xc0-0xd0)
        "weights_file": Field(str, ""),                             # .npy codes, "": none
        "end_event": Field(int, END_EVENT, 0, 31),
        "acquire_event": Field(int, ACQUIRE_EVENT, 0, 31),
        "pcm_noise": Field(bool, False),
        "pcm_seed": Field(int, 0, 0, (1 << 64) - 1),
        "pcm_age_s": Field(float, 0.0, 0, 1e12),
        "pcm_g_max_us": Field(float, G_MAX_US, 1e-3, 1e6),         # divides: never 0
        "pcm_prog_scale": Field(float, 1.0, 0, 1e3),
        "pcm_drift_scale": Field(float, 1.0, 0, 1e3),
        "pcm_read_scale": Field(float, 1.0, 0, 1e3),
    }

    def __init__(self, sim, name, base, size, params):
        super().__init__(sim, name, base, size, params)
        self.n = self.param("arrays")
        self.stride = self.param("array_stride", lo=size)
        self.rows, self.cols = self.param("rows"), self.param("cols")
        if self.n * self.rows * self.cols > MAX_CELLS:
            raise self.bad_param("arrays", f"{self.n} arrays of {self.rows}x{self.cols} cells "
                                           f"exceed {MAX_CELLS} cells in all")
        clock = sim.platform.clock_hz
        self.compute_cycles = ns_to_cycles(self.param("analog_ns"), clock)
        self.plot_write_cycles = ns_to_cycles(self.param("plot_write_ns"), clock)
        self.plot_read_cycles = ns_to_cycles(self.param("plot_read_ns"), clock)
        self.words_per_cycle = self.param("bus_bits") // 32
        self.pipelined = self.param("execution") == "pipelined"
        self.end_event = self.param("end_event")
        self.acquire_event = self.param("acquire_event")
        self.l1 = self.memory_param("l1")
        self.accumulate = self.param("accumulate")
        self.noise = self.param("pcm_noise")
        self.seed = self.param("pcm_seed")
        self.age = self.param("pcm_age_s")
        self.g_max = self.param("pcm_g_max_us")
        self.scales = tuple(self.param(f"pcm_{k}_scale") for k in ("prog", "drift", "read"))
        self.arrays = [Crossbar(self, i) for i in range(self.n)]
        self._preload()

    def window(self, i: int) -> int:
        return self.base + i * self.stride

    def ranges(self):
        return [(self.window(i), self.size) for i in range(self.n)]

    def _preload(self):
        """Crossbar contents of the firmware image (and weights_file), programmed at time 0."""
        records = []
        image = self.sim.image
        if getattr(image, "path", None) is not None:
            records += [(str(image.path), r) for r in ima_image.elf_records(image)]
        wf = self.param("weights_file")
        if wf:
            records += [(wf, r) for r in
                        ima_image.file_records(wf, f"{self._where()}.weights_file")]
        for where, r in records:
            h, w = r.weights.shape
            if r.array >= self.n:
                raise ElfError(f"{where}: {ima_image.SECTION} record for array {r.array}, but "
                               f"the platform's IMA has {self.n} array(s)")
            if r.x + w > self.cols or r.y + h > self.rows or not w or not h:
                raise ElfError(f"{where}: {ima_image.SECTION} record for array {r.array}: "
                               f"window {w}x{h} at column {r.x}, row {r.y} is not inside the "
                               f"{self.rows}x{self.cols} crossbar")
            xbar = self.arrays[r.array]
            xbar.program(r.y, r.x, r.weights, -self.age)
            xbar.counts["preloaded_weights"] += r.weights.size

    # ---- registers: each window to its array -------------------------------------------------
    def read(self, hart, offset, size):
        i, reg = divmod(offset, self.stride)
        return self.arrays[i].read(hart, reg, size)

    def write(self, hart, offset, size, value):
        i, reg = divmod(offset, self.stride)
        self.arrays[i].write(hart, reg, size, value)

    # ---- statistics --------------------------------------------------------------------------
    def stats(self):
        out, phases = {}, {}
        for a in self.arrays:
            for k, v in a.counts.items():
                out[k] = out.get(k, 0) + v
            for k, v in a.phase_cycles.items():
                phases[k] = phases.get(k, 0) + v
        out["phase_cycles"] = phases
        out["arrays"] = self.n
        out["kernel_seconds"] = sum(a.kernel_seconds for a in self.arrays)
        if self.noise:
            e = sum(a.noise_err for a in self.arrays)
            out["noise"] = {"outputs": int(e[5]), "output_snr_db": _db(e[0], e[1]),
                            "output_error_rms_lsb": float(np.sqrt(e[1] / e[5])) if e[5] else 0.0,
                            "output_mismatch_fraction": float(e[2] / e[5]) if e[5] else 0.0,
                            "analog_snr_db": _db(e[3], e[4])}
        if self.n > 1:
            out["per_array"] = [a.stats() for a in self.arrays]
        return out

    @classmethod
    def energy_counts(cls, stats: dict) -> dict:
        return {"mvms": stats.get("mvms", 0), "ima_bytes": streamed_bytes(stats)}


def _db(signal, error):
    """10 log10(signal/error); None when there is no error (JSON has no infinity)."""
    return float(10 * np.log10(signal / error)) if error > 0 and signal > 0 else None
