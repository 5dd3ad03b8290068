"""IMA partial-sum accumulation (docs/ima.md, "Partial-sum accumulation"; platform option
`accumulate = true`): one trigger runs T row tiles per job (tile 0 = the triggered array's own
job window, tiles 1..T-1 = 16-byte descriptors in L1), adds their ADC outputs in int32 and
writes clip(sum >> ACC_SHIFT, -ACC_LOW, ACC_HIGH) once.

One firmware program (generated below, with the crossbar contents of 4 arrays as
`.ima_weights` image records, the input tensor and the descriptor tables written into the
source from Python) holds every case; the test selects the case(s) a run executes by poking
the globals `first_case` / `last_case` before the run. Expected values come from the
independent exact model (tests/ima_golden.py, `run_trigger_acc`, itself cross-checked against
a tensor-level im2col computation here) and from the timing formulas of docs/ima.md,
re-derived in this file (not from plugins/ima.py)."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import re
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import ima_golden as golden
from fwbuild import build_c

L1 = 0x10000000
L1_SIZE = 0x80000
ARRAYS = 4
XBAR = 256
XN, YN = 0x4000, 0x1800                 # input / output buffers (bytes, in L1)
CLOCK_HZ = 500_000_000                  # pulp_imc_cluster.toml
WPC = 128 // 32                         # bus_bits = 128: 4 words per cycle
ERROR = 1 << 31

_rng = np.random.default_rng(0xACC)
XBARS = _rng.integers(-8, 8, (ARRAYS, XBAR, XBAR))          # codes, incl. -8 (nibble 0x8)
XIN = _rng.integers(-128, 128, XN).astype(np.int8)


# ---------------------------------------------------------------- cases

@dataclasses.dataclass
class Case:
    name: str
    array: int                          # triggered array (tile 0)
    layer: tuple                        # (H, W, cin, cout, K, s)
    x0: int                             # tile 0: first column, first row, bytes per line
    y0: int
    line0: int
    tiles: list                         # descriptors: (array, start_x, start_y, line, src_offset)
    shift: int
    low: int
    high: int
    adc: tuple = (8, 8)
    x_off: int = 0                      # the HWC tensor's offset in xin
    c0: int = 0                         # tile 0's first byte within each input line
    dst_off: int = 0                    # output offset in yout
    mode: int = 0                       # 0 ima_run_acc, 1 refused (no wait), 2 manual + plain,
                                        # 3 reprogram a tile while running
    T: int | None = None                # ACC_TILES, default len(tiles) + 1
    table: str | None = None            # table symbol, default tab_<name>
    table_adj: int = 0                  # added to the table address
    dst2_off: int = 0                   # mode 2: the plain trigger's output
    dst_in_xin: bool = False            # the output goes to xin + dst_off (in place)
    prog: tuple = (0, 0, 0)             # mode 3: (array, x, y) of 8x2 cells set to 7 while
                                        # the trigger runs
    tail_end: int = 0                   # if set, the firmware sets the last descriptor's
                                        # src_offset: job 0's tile starts tail_end bytes
                                        # before the end of L1

    @property
    def tiles_n(self):
        return len(self.tiles) + 1 if self.T is None else self.T

    @property
    def table_sym(self):
        return self.table or f"tab_{self.name}"

    def regs(self, sym):
        """The job registers (as ima_job_conv_hwc sets them, tile 0's line overridden)."""
        H, W, cin, cout, K, s = self.layer
        ho, wo = (H - K) // s + 1, (W - K) // s + 1
        return dict(J_START_X=self.x0, J_START_Y=self.y0, J_WIDTH=cout, J_HEIGHT=K * self.line0,
                    J_SRC_ADDR=sym["xin"] + self.x_off + self.c0,
                    J_DST_ADDR=sym["xin" if self.dst_in_xin else "yout"] + self.dst_off,
                    J_SRC_STRIDE=W * cin,
                    LINE_LENGTH=self.line0, FEAT_LENGTH=K, ADC_LOW=self.adc[0],
                    ADC_HIGH=self.adc[1], NUM_JOBS=ho * wo, ALPHA_IN_LENGTH=wo - 1,
                    ALPHA_IN_STRIDE=s * cin, BETA_IN_LENGTH=ho,
                    BETA_IN_STRIDE=s * W * cin - (wo - 1) * s * cin, ALPHA_OUT_LENGTH=wo - 1,
                    ALPHA_OUT_STRIDE=cout, BETA_OUT_LENGTH=ho, BETA_OUT_STRIDE=cout)

    @property
    def jobs(self):
        H, W, _, _, K, s = self.layer
        return ((H - K) // s + 1) * ((W - K) // s + 1)


# T = 2, 1x1, Cin = 300 = 200 + 100, tile 1 on array 1 at column 16, row 30, misaligned input
A = Case("t2_shift", 0, (3, 4, 300, 40, 1, 1), 0, 0, 200, [(1, 16, 30, 100, 200)],
         shift=1, low=50, high=60, x_off=1)
LAYERS = [
    A,
    # T = 3, Cin = 600: tile 1 in the triggered array 2 at other columns, ReLU-like range
    Case("t3_relu_same_array", 2, (2, 3, 600, 64, 1, 1), 0, 0, 256,
         [(2, 128, 0, 200, 256), (3, 5, 100, 144, 456)], shift=2, low=0, high=127,
         adc=(12, 12), x_off=0x402, dst_off=0x203),
    # T = 3, Cin = 400: tile 0 holds the last 100 channels, the others negative offsets;
    # nonzero start_x/start_y everywhere, asymmetric ADC range, clipping at +-127/128
    Case("t3_negative_offsets", 1, (2, 2, 400, 24, 1, 1), 200, 150, 100,
         [(0, 3, 7, 150, -300), (3, 100, 50, 150, -150)], shift=0, low=128, high=127,
         adc=(6, 10), x_off=0x1003, c0=300, dst_off=0x401),
    # T = 1: one tile, requantized (shift and a narrow range)
    Case("t1_requantize", 3, (2, 5, 100, 50, 1, 1), 150, 60, 100, [], shift=1, low=20,
         high=30, adc=(3, 3), x_off=0x1800, dst_off=0x600),
    # 3x3 conv, FEAT_LENGTH = 3, 360 rows: each 120-byte line split 80 + 40
    Case("conv3x3_t2", 0, (5, 6, 40, 32, 3, 1), 64, 0, 80, [(2, 200, 16, 40, 80)], shift=1,
         low=100, high=100, x_off=0x2001, dst_off=0x800),
    # 3x3 stride-2 conv, 270 rows: lines of 90 split 60 + 30
    Case("conv3x3_s2_t2", 1, (7, 7, 30, 20, 3, 2), 0, 0, 60, [(1, 100, 160, 30, 60)], shift=2,
         low=128, high=127, adc=(10, 6), x_off=0x2802, dst_off=0xA00),
    # T = 16 (the maximum), 20 rows each, spread over the 4 arrays
    Case("t16", 0, (1, 3, 320, 16, 1, 1), 0, 0, 20,
         [(t % 4, 8 * t, 12 * t, 20, 20 * t) for t in range(1, 16)], shift=3, low=128,
         high=127, adc=(2, 2), x_off=0x3000, dst_off=0xC00),
    # the largest shift: every sum becomes 0 or -1
    Case("t2_shift31", 3, (2, 2, 260, 8, 1, 1), 8, 0, 130, [(0, 240, 126, 130, 130)],
         shift=31, low=128, high=127, adc=(4, 4), x_off=0x3800, dst_off=0xD00),
    # a range of positive values only: ACC_LOW = -5, ACC_HIGH = 10 -> [5, 10]
    Case("t2_positive_range", 1, (2, 3, 280, 24, 1, 1), 32, 16, 140, [(2, 64, 100, 140, 140)],
         shift=1, low=-5, high=10, adc=(5, 5), x_off=0xA03, dst_off=0xD80),
]
# in place: job n writes its outputs over the inputs job n + 2 reads (outputs are in L1
# before the next job reads, docs/ima.md "Jobs")
INPLACE = dataclasses.replace(A, name="in_place", dst_in_xin=True, dst_off=1 + 600,
                              table="tab_t2_shift")
MANUAL = dataclasses.replace(A, name="manual_then_plain", mode=2, dst_off=0x1000,
                             dst2_off=0x1400, table="tab_t2_shift")


def refused(name, base=A, **changes):
    return dataclasses.replace(base, **{"name": name, "mode": 1, "table": f"tab_{base.name}",
                                        **changes})


# (case, words the warning line must contain: the reason, loosely)
ERRORS = [
    (refused("err_t17", T=17, table=None, tiles=[(1, 16, 30, 100, 200)] * 16), [r"ACC_TILES"]),
    (refused("err_table_in_l2", table="tab_l2"), [r"ACC_TABLE", r"L1"]),
    (refused("err_table_misaligned", table_adj=2), [r"ACC_TABLE", r"align"]),
    (refused("err_missing_array", table=None, tiles=[(4, 16, 30, 100, 200)]), [r"array"]),
    (refused("err_columns_outside", table=None, tiles=[(1, 230, 30, 100, 200)]),
     [r"column|crossbar"]),
    (refused("err_rows_outside", table=None, tiles=[(1, 16, 200, 100, 200)]),
     [r"row|crossbar"]),
    (refused("err_line_length_0", table=None, tiles=[(1, 16, 30, 0, 200)]),
     [r"(?i)line.?length"]),
    (refused("err_input_outside_l1", table=None, tiles=[(1, 16, 30, 100, -0x200000)]),
     [r"L1"]),
    # job 0's tile input is inside L1, job 11's (after the pointer sweep) ends 50 B past it
    (refused("err_last_job_input_outside_l1", table=None, tiles=[(1, 16, 30, 100, 0)],
             tail_end=11 * 300 + 100 - 50), [r"L1"]),
    # 3x3: start_y + line_length fits, start_y + FEAT_LENGTH x line_length does not
    (refused("err_rows_outside_feat", base=LAYERS[4], table=None,
             tiles=[(2, 200, 200, 40, 80)]), [r"row|crossbar"]),
    (refused("err_shift_32", shift=32), [r"ACC_SHIFT"]),
    (refused("err_low_129", low=129), [r"ACC_(LOW|HIGH)", r"range|128"]),
    (refused("err_high_128", high=128), [r"ACC_(LOW|HIGH)", r"range|127"]),
    (refused("err_empty_range", low=-10, high=5), [r"ACC_(LOW|HIGH)", r"empty"]),
]
AFTER_ERRORS = dataclasses.replace(A, name="after_errors", dst_off=0x1000,
                                   table="tab_t2_shift")
DEADLOCK = dataclasses.replace(ERRORS[0][0], name="err_t17_waits", mode=0, table="tab_err_t17")
# mode 3: the core reprograms 2x8 cells of tile 1's window while the trigger runs
REPROGRAM = dataclasses.replace(A, name="reprogram_while_running", mode=3, prog=(1, 16, 30),
                                table="tab_t2_shift")
CASES = LAYERS + [MANUAL, INPLACE, REPROGRAM] + [c for c, _ in ERRORS] + [AFTER_ERRORS, DEADLOCK]
INDEX = {c.name: i for i, c in enumerate(CASES)}


# ---------------------------------------------------------------- the firmware

JOB_FIELDS = [("start_x", "J_START_X"), ("start_y", "J_START_Y"), ("width", "J_WIDTH"),
              ("height", "J_HEIGHT"), ("src_stride", "J_SRC_STRIDE"),
              ("line_length", "LINE_LENGTH"), ("feat_length", "FEAT_LENGTH"),
              ("adc_low", "ADC_LOW"), ("adc_high", "ADC_HIGH"), ("num_jobs", "NUM_JOBS")] + [
    (f"{g}_{d}_{k}", f"{g.upper()}_{d.upper()}_{k.upper()}")
    for g in ("alpha", "beta") for d in ("in", "out") for k in ("length", "stride")]

FIRMWARE = r"""
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <ima.h>

#define L1_END 0x%(L1_END)xu

typedef struct {
    int array, mode;
    int32_t src_off, dst_off, dst2_off, table_adj, dst_in_xin, tail_end;
    int32_t prog_array, prog_x, prog_y;
    ima_job_t job;
    ima_acc_t acc;
} case_t;

L1_DATA int8_t xin[%(XN)d] __attribute__((aligned(16))) = {%(xin)s};
L1_BSS int8_t yout[%(YN)d] __attribute__((aligned(16)));
%(tables)s
const ima_acc_tile_t tab_l2[1] = {{1, 16, 30, 100, 200}};       /* in L2: refused */
%(records)s
const case_t cases[] = {
%(cases)s
};
/* set by the test before the run (initialised: .data is loaded from the ELF, .bss zeroed) */
volatile int first_case = -1, last_case = -1;

static void acc_registers(int a, const ima_acc_t *acc)
{
    ima_arr_write(a, IMA_ACC_TILES, acc->tiles);
    ima_arr_write(a, IMA_ACC_TABLE, (uint32_t)acc->table);
    ima_arr_write(a, IMA_ACC_SHIFT, acc->shift);
    ima_arr_write(a, IMA_ACC_LOW, (uint32_t)acc->low);
    ima_arr_write(a, IMA_ACC_HIGH, (uint32_t)acc->high);
}

int main(void)
{
    if (first_case < 0)
        return 1;
    for (int k = first_case; k <= last_case; k++) {
        const case_t *c = &cases[k];
        int a = c->array;
        ima_job_t j = c->job;
        ima_acc_t acc = c->acc;
        j.src = (uint32_t)xin + c->src_off;
        j.dst = (uint32_t)(c->dst_in_xin ? xin : yout) + c->dst_off;
        acc.table = (const ima_acc_tile_t *)((uint32_t)acc.table + c->table_adj);
        if (c->tail_end)      /* the last tile of the last job ends past L1 by line - tail */
            ((ima_acc_tile_t *)acc.table)[acc.tiles - 2].src_offset =
                (int32_t)(L1_END - (uint32_t)c->tail_end - j.src);
        if (c->mode == 0) {
            uint32_t st = ima_run_acc(a, &j, &acc);
            uint32_t tiles = ima_arr_read(a, IMA_ACC_TILES);
            printf("case %%d run status %%x acc_tiles %%d finished %%d perf_in %%d perf_compute "
                   "%%d perf_out %%d\n", k, st, tiles, ima_arr_read(a, IMA_FINISHED_JOBS),
                   ima_arr_read(a, IMA_PERF_STREAM_IN), ima_arr_read(a, IMA_PERF_COMPUTE),
                   ima_arr_read(a, IMA_PERF_STREAM_OUT));
        } else if (c->mode == 1) {             /* refused: no end event, do not wait */
            ima_lock(a);
            ima_configure(a, &j);
            acc_registers(a, &acc);
            ima_arr_write(a, IMA_TRIGGER, 0);
            uint32_t st = ima_arr_read(a, IMA_STATUS);
            int running = (int)ima_arr_read(a, IMA_RUNNING_TASK);
            int finished = ima_arr_read(a, IMA_FINISHED_JOBS);
            ima_arr_write(a, IMA_SOFT_CLEAR, 0);
            printf("case %%d refused status %%x running %%d finished %%d cleared %%x\n", k, st,
                   running, finished, ima_arr_read(a, IMA_STATUS));
        } else if (c->mode == 3) {             /* program a tile's array while it runs */
            static const int8_t sevens[16] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
            ima_lock(a);
            ima_configure(a, &j);
            acc_registers(a, &acc);
            ima_arr_write(a, IMA_TRIGGER, 0);
            uint32_t busy = ima_arr_read(a, IMA_STATUS);
            ima_program(c->prog_array, c->prog_x, c->prog_y, 8, 2, sevens, 8);
            uint32_t still = ima_arr_read(a, IMA_STATUS);
            ima_wait();
            uint32_t st = ima_arr_read(a, IMA_STATUS);
            printf("case %%d reprogram busy %%x still %%x status %%x readback %%x\n", k, busy,
                   still, st, ima_read_weights(c->prog_array, c->prog_x, c->prog_y + 1));
        } else {                               /* the registers by hand, then a plain run */
            ima_lock(a);
            ima_configure(a, &j);
            acc_registers(a, &acc);
            uint32_t pre = ima_arr_read(a, IMA_ACC_TILES);
            ima_arr_write(a, IMA_TRIGGER, 0);
            ima_wait();
            uint32_t post = ima_arr_read(a, IMA_ACC_TILES);
            uint32_t st = ima_arr_read(a, IMA_STATUS);
            j.dst = (uint32_t)yout + c->dst2_off;
            uint32_t st2 = ima_run(a, &j);
            printf("case %%d manual pre %%d post %%d status %%x plain %%x after %%d shift %%d "
                   "low %%d high %%d table %%x\n", k, pre, post, st, st2,
                   ima_arr_read(a, IMA_ACC_TILES), ima_arr_read(a, IMA_ACC_SHIFT),
                   ima_arr_read(a, IMA_ACC_LOW), ima_arr_read(a, IMA_ACC_HIGH),
                   ima_arr_read(a, IMA_ACC_TABLE));
        }
    }
    return 0;
}
"""


def pack_row(codes):
    """SUBMIT_PLOT / image words of a row (nibble i = column 8k + i), written for the test."""
    return [sum((int(c) & 0xF) << (4 * i) for i, c in enumerate(codes[k:k + 8]))
            for k in range(0, len(codes), 8)]


def c_tile(t):
    a, x, y, line, off = t
    return f"{{{a}, {x}, {y}, {line}, {off}}}"


def firmware_source() -> str:
    tables = []
    for c in CASES:
        if c.table is None:
            entries = c.tiles or [(0, 0, 0, 1, 0)]           # T = 1: a table nobody reads
            tables.append(f"L1_DATA ima_acc_tile_t tab_{c.name}[{len(entries)}] = "
                          f"{{{', '.join(c_tile(t) for t in entries)}}};")
    records = []
    for a in range(ARRAYS):
        words = [w for row in XBARS[a] for w in pack_row(row)]
        body = ",".join(f"0x{w:x}" for w in words)
        records.append(f"IMA_IMAGE_SECTION const IMA_IMAGE_T({XBAR}, {XBAR}) w{a} = "
                       f"{{IMA_IMAGE_MAGIC, {a}, 0, 0, {XBAR}, {XBAR}, {{{body}}}}};")
    cases = []
    fake = {"xin": 0, "yout": 0}
    for c in CASES:
        r = c.regs(fake)
        job = ", ".join(f".{f} = {int(r[k])}" for f, k in JOB_FIELDS)
        cases.append(f"    {{.array = {c.array}, .mode = {c.mode}, .src_off = {c.x_off + c.c0}, "
                     f".dst_off = {c.dst_off}, .dst2_off = {c.dst2_off}, "
                     f".table_adj = {c.table_adj}, .dst_in_xin = {int(c.dst_in_xin)}, "
                     f".tail_end = {c.tail_end}, .prog_array = {c.prog[0]}, "
                     f".prog_x = {c.prog[1]}, .prog_y = {c.prog[2]}, .job = {{{job}}}, "
                     f".acc = {{.tiles = {c.tiles_n}, .table = {c.table_sym}, "
                     f".shift = {c.shift}, .low = {c.low}, .high = {c.high}}}}},  /* {c.name} */")
    return FIRMWARE % dict(L1_END=L1 + L1_SIZE, XN=XN, YN=YN, xin=",".join(str(int(v)) for v in XIN),
                           tables="\n".join(tables), records="\n".join(records),
                           cases="\n".join(cases))


@functools.cache
def elf_and_symbols():
    from iss.elf import load_elf
    elf = build_c("ima_accumulate", "acc", firmware_source())
    return elf, load_elf(elf).symbols


def platform_text(accumulate=True, execution="pipelined", analog_ns=130, pcm="") -> str:
    """The default platform with a 4-array IMA (and the accumulation option)."""
    text = resources.files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()
    text = re.sub(r"(?m)^accumulate\s*=.*\n", "", text)        # the default may name it
    arrays = f"arrays = {ARRAYS}" + ("\naccumulate = true" if accumulate else "")
    for pattern, repl in ((r"(?m)^arrays\s*=\s*\d+", arrays),
                          (r'(?m)^execution\s*=\s*"\w+"', f'execution = "{execution}"'),
                          (r"(?m)^analog_ns\s*=\s*\d+", f"analog_ns = {analog_ns}"),
                          (r"(?m)^pcm_noise\s*=\s*\w+", f"pcm_noise = {'true' if pcm else 'false'}"
                                                        f"{pcm}")):
        text, n = re.subn(pattern, repl, text)
        assert n == 1, pattern
    return text


VARIANTS = {"pipelined": dict(), "sequential": dict(execution="sequential"),
            "pipelined_fast_analog": dict(analog_ns=10),       # C = 6: stream-bound jobs
            "no_accumulate": dict(accumulate=False),
            "pcm_zero": dict(pcm="\npcm_prog_scale = 0.0\npcm_drift_scale = 0.0"
                                 "\npcm_read_scale = 0.0"),
            "pcm": dict(pcm="\npcm_seed = 11")}


@dataclasses.dataclass
class Run:
    result: object
    stdout: str
    warnings: list
    l1_before: np.ndarray
    l1_after: np.ndarray
    sym: dict

    @property
    def ima(self):
        return self.result.stats["peripherals"]["ima"]

    def lines(self):
        """case index -> {key: value} of the firmware's report lines."""
        out = {}
        for m in re.finditer(r"(?m)^case (\d+) (\w+) (.*)$", self.stdout):
            words = m.group(3).split()
            out[int(m.group(1))] = dict(zip(words[::2], words[1::2], strict=False), kind=m.group(2))
        return out


@functools.cache
def run(first: str, last: str | None = None, variant: str = "pipelined") -> Run:
    """Cases first..last (by name) in one run of the firmware on a platform variant."""
    from iss.log import warnings_on_stderr
    from iss.simulator import Simulator
    elf, sym = elf_and_symbols()
    d = Path(tempfile.mkdtemp(prefix="ima_acc_"))
    (d / "p.toml").write_text(platform_text(**VARIANTS[variant]))
    out, err = io.StringIO(), io.StringIO()
    sim = Simulator(elf, platform=str(d / "p.toml"), output=out)
    for name, value in (("first_case", INDEX[first]), ("last_case", INDEX[last or first])):
        sim.memory.write(sym[name], value.to_bytes(4, "little"))
    before = np.frombuffer(sim.memory.read(L1, L1_SIZE), np.uint8).copy()
    with contextlib.redirect_stderr(err), warnings_on_stderr():     # as `iss run` prints them
        result = sim.run(max_instructions=20_000_000)
    after = np.frombuffer(sim.memory.read(L1, L1_SIZE), np.uint8).copy()
    warnings = [line for line in err.getvalue().splitlines() if "warning: ima" in line]
    return Run(result, out.getvalue(), warnings, before, after, sym)


# ---------------------------------------------------------------- independent references

def expected_l1(case: Case, l1: np.ndarray, sym, xbars=XBARS) -> np.ndarray:
    return golden.run_trigger_acc(l1, L1, xbars, case.array, case.regs(sym), case.tiles,
                                  case.shift, case.low, case.high)


# the noise model programs a code -8 as -7 (docs/ima.md, "Register map", device range)
XBARS_PCM = np.maximum(XBARS, -7)


def tensor_reference(case: Case) -> np.ndarray:
    """The layer's accumulated outputs [jobs, cout] from the HWC tensor (im2col by hand):
    tile t takes bytes c0 + off_t .. + line_t of each of the K window lines."""
    H, W, cin, cout, K, s = case.layer
    x = XIN[case.x_off:case.x_off + H * W * cin].reshape(H, W, cin)
    ho, wo = (H - K) // s + 1, (W - K) // s + 1
    cols = np.stack([x[oy * s:oy * s + K, ox * s:ox * s + K].reshape(K, K * cin)
                     for oy in range(ho) for ox in range(wo)])
    xs, ws = [], []
    for a, x0, y0, line, off in [(case.array, case.x0, case.y0, case.line0, 0)] + case.tiles:
        start = case.c0 + off
        assert 0 <= start and start + line <= K * cin
        xs.append(cols[:, :, start:start + line].reshape(len(cols), K * line))
        ws.append(XBARS[a, y0:y0 + K * line, x0:x0 + cout])
    return golden.mvm_acc(xs, ws, *case.adc, case.shift, case.low, case.high)


def words(addr, n):
    return (addr + n + 3) // 4 - addr // 4


def cycles(addr, n):
    return -(-words(addr, n) // WPC)


def expected_timing(case: Case, sym, execution="pipelined", analog_ns=130, accumulate=True):
    """docs/ima.md "Timing" and "Partial-sum accumulation": per job n,
    I_n = 2 + sum over tiles t and lines f of ceil(words(src_n + off_t + f*stride, line_t)/wpc)
    + 2, compute T*C, O_n = ceil(words(dst_n, J_WIDTH)/wpc) + 2; the T-1 descriptors cost
    ceil(words(ACC_TABLE, 16(T-1))/wpc) once, at the start (stream_in phase).
    Returns (total cycles, phase cycles)."""
    r = case.regs(sym)
    c = int(analog_ns * CLOCK_HZ // 10**9) + 1
    tiles = [(r["LINE_LENGTH"], 0)]
    table = 0
    if accumulate:
        tiles += [(line, off) for _, _, _, line, off in case.tiles]
        t = case.tiles_n
        table = cycles(sym[case.table_sym] + case.table_adj, 16 * (t - 1))
        c *= t
    src = golden.pointers(r["J_SRC_ADDR"], r["NUM_JOBS"], r["ALPHA_IN_LENGTH"],
                          r["ALPHA_IN_STRIDE"], r["BETA_IN_LENGTH"], r["BETA_IN_STRIDE"])
    dst = golden.pointers(r["J_DST_ADDR"], r["NUM_JOBS"], r["ALPHA_OUT_LENGTH"],
                          r["ALPHA_OUT_STRIDE"], r["BETA_OUT_LENGTH"], r["BETA_OUT_STRIDE"])
    i_n = [2 + sum(cycles(s + off + f * r["J_SRC_STRIDE"], line)
                   for line, off in tiles for f in range(r["FEAT_LENGTH"])) + 2 for s in src]
    o_n = [cycles(d, r["J_WIDTH"]) + 2 for d in dst]
    n = len(src)
    if execution == "sequential":
        total = sum(i + c + o for i, o in zip(i_n, o_n, strict=True))
    else:
        total = i_n[0] + sum(max(c, (o_n[k - 1] if k else 0) + (i_n[k + 1] if k + 1 < n else 0))
                             for k in range(n)) + o_n[-1]
    phases = {"idle": 2 * n, "stream_in": table + sum(i_n) - 2 * n, "compute": c * n,
              "stream_out": sum(o_n)}
    return table + total, phases


def outputs(l1, case: Case, sym, dst_off=None):
    cout = case.layer[3]
    start = sym["yout"] - L1 + (case.dst_off if dst_off is None else dst_off)
    return l1[start:start + case.jobs * cout].view(np.int8).reshape(case.jobs, cout)


# ---------------------------------------------------------------- the golden model itself

def test_golden_accumulator_rule():
    # floor shift of the integer sum, then the [-low, high] clip
    assert golden.accumulate([[-3, 5, 127, 1], [-4, 0, 127, -2]], 1, 0, 100).tolist() == \
        [0, 2, 100, 0]
    got = golden.accumulate([[-3, 5, 127, 1], [-4, 0, 127, -2]], 1, 128, 100)
    assert got.tolist() == [-4, 2, 100, -1]                  # -7 >> 1 = -4, -1 >> 1 = -1
    assert golden.accumulate([[-3], [-4]], 1, 0, 100).tolist() == [0]       # ReLU-like
    assert golden.accumulate([[127]] * 16, 0, 128, 127).tolist() == [127]   # int32 sum, clip
    assert golden.accumulate([[-127]] * 16, 4, 128, 127).tolist() == [-127]  # -2032 >> 4
    # tiles through the exact ADC: acc = 889 -> +-0.5 with ADC 127/127 rounds away from 0
    x = [np.array([[127]]), np.array([[-127]])]
    w = [np.array([[7]]), np.array([[7]])]
    assert golden.mvm_acc(x, w, 127, 127, 0, 128, 127).tolist() == [[0]]    # 1 + (-1)
    assert golden.mvm_acc(x[:1] * 2, w, 127, 127, 1, 128, 127).tolist() == [[1]]  # 2 >> 1


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_golden_register_model_matches_the_tensor_level_layer(case):
    """The test's own construction: the register-level model (pointer sweep, descriptor
    offsets) gives the layer computed from the tensor."""
    sym = {"xin": L1 + 0x100, "yout": L1 + 0x8000}
    l1 = np.zeros(L1_SIZE, np.uint8)
    l1[0x100:0x100 + XN] = XIN.view(np.uint8)
    got = outputs(expected_l1(case, l1, sym), case, sym)
    assert (got == tensor_reference(case)).all()


# ---------------------------------------------------------------- firmware: outputs

@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_accumulating_trigger_is_bit_exact(case):
    r = run(case.name)
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    line = r.lines()[INDEX[case.name]]
    assert line["status"] == "0" and not r.warnings, (line, r.warnings)
    assert int(line["finished"]) == case.jobs
    expect = expected_l1(case, r.l1_before, r.sym)
    got, want = outputs(r.l1_after, case, r.sym), outputs(expect, case, r.sym)
    assert (got == want).all(), f"{(got != want).sum()} of {got.size} outputs differ"
    # nothing else in the output buffer was written
    y = slice(r.sym["yout"] - L1, r.sym["yout"] - L1 + YN)
    assert (r.l1_after[y] == expect[y]).all()


def test_acc_tiles_is_consumed_by_trigger_and_the_next_trigger_is_plain():
    case = MANUAL
    r = run(case.name)
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    line = r.lines()[INDEX[case.name]]
    assert int(line["pre"]) == 2                             # written: reads back
    assert int(line["post"]) == 0 and int(line["after"]) == 0   # consumed by TRIGGER
    assert line["status"] == "0" and line["plain"] == "0" and not r.warnings
    # only ACC_TILES is consumed: the other accumulation registers keep their values
    assert (int(line["shift"]), int(line["low"]), int(line["high"])) == (A.shift, A.low, A.high)
    assert int(line["table"], 16) == r.sym["tab_t2_shift"]
    acc = expected_l1(case, r.l1_before, r.sym)
    regs = {**case.regs(r.sym), "J_DST_ADDR": r.sym["yout"] + case.dst2_off}
    plain = golden.run_trigger(acc, L1, XBARS[case.array], regs)      # tile 0 alone, ADC only
    y = slice(r.sym["yout"] - L1, r.sym["yout"] - L1 + YN)
    assert (r.l1_after[y] == plain[y]).all()
    assert (outputs(plain, case, r.sym, case.dst2_off) != outputs(acc, case, r.sym)).any()
    st = r.ima
    assert st["triggers"] == 2 and st["jobs"] == 2 * case.jobs
    assert st["mvms"] == 3 * case.jobs and st["accumulated_mvms"] == 2 * case.jobs


def test_outputs_written_over_later_jobs_inputs_are_read_by_those_jobs():
    case = INPLACE
    r = run(case.name)
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    expect = expected_l1(case, r.l1_before, r.sym)
    x = slice(r.sym["xin"] - L1, r.sym["xin"] - L1 + XN)
    assert (r.l1_after[x] == expect[x]).all()
    # the case matters: reading every input before writing gives other outputs
    ahead = golden.run_trigger_acc(r.l1_before, L1, XBARS, case.array,
                                   {**case.regs(r.sym), "J_DST_ADDR": L1 + 0x70000},
                                   case.tiles, case.shift, case.low, case.high)
    first = r.l1_after[case.regs(r.sym)["J_DST_ADDR"] - L1:][:case.jobs * 40]
    assert (first != ahead[0x70000:0x70000 + case.jobs * 40]).any()


def test_crossbar_contents_are_taken_at_trigger():
    """docs/ima.md: "The crossbar contents of all tiles are taken at TRIGGER": cells of tile
    1's array programmed while the accumulating trigger runs do not change its outputs."""
    case = REPROGRAM
    r = run(case.name)
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    line = r.lines()[INDEX[case.name]]
    assert not r.warnings, r.warnings
    # running when the programming started and still after it; the cells were programmed
    assert int(line["busy"], 16) == 1 and int(line["still"], 16) == 1, line
    assert line["status"] == "0" and line["readback"] == "77777777", line
    got = outputs(r.l1_after, case, r.sym)
    assert (got == outputs(expected_l1(case, r.l1_before, r.sym), case, r.sym)).all()
    a, x, y = case.prog
    new = XBARS.copy()
    new[a, y:y + 2, x:x + 8] = 7
    assert (got != outputs(expected_l1(case, r.l1_before, r.sym, new), case, r.sym)).any()


def test_ima_run_acc_reports_acc_tiles_zero_after_the_run():
    r = run(A.name)
    assert int(r.lines()[INDEX[A.name]]["acc_tiles"]) == 0


# ---------------------------------------------------------------- timing

@pytest.mark.parametrize("variant", ["pipelined", "sequential", "pipelined_fast_analog"])
@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_accumulating_trigger_takes_the_documented_cycles(case, variant):
    r = run(case.name, variant=variant)
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    params = VARIANTS[variant]
    total, phases = expected_timing(case, r.sym, **params)
    st = r.ima
    assert st["triggers"] == 1
    assert st["busy_cycles"] == total + 1            # starts the cycle after TRIGGER
    assert st["stream_cycles"] == total              # holds the port the whole run
    assert st["phase_cycles"] == phases
    line = r.lines()[INDEX[case.name]]               # PERF_* registers: the same phases
    assert int(line["perf_in"]) == phases["idle"] + phases["stream_in"]
    assert int(line["perf_compute"]) == phases["compute"]
    assert int(line["perf_out"]) == phases["stream_out"]
    # the run's outputs do not depend on the timing model
    want = outputs(expected_l1(case, r.l1_before, r.sym), case, r.sym)
    assert (outputs(r.l1_after, case, r.sym) == want).all()


def test_the_timing_cases_cover_stream_bound_and_compute_bound_jobs():
    """Self-check of the case set: with analog_ns = 10 (C = 6) the pipelined max() picks the
    streaming side, with 130 ns the compute side; the descriptor fetch is not 0."""
    sym = {"xin": L1 + 0x101, "yout": L1 + 0x8000, **{f"tab_{c.name}": L1 + 0x9004
                                                       for c in LAYERS}}
    for case in (A, LAYERS[6]):
        slow = expected_timing(case, sym)[0]
        fast = expected_timing(case, sym, analog_ns=10)[0]
        seq = expected_timing(case, sym, execution="sequential", analog_ns=10)[0]
        assert slow > fast and seq > fast
    assert expected_timing(LAYERS[6], sym)[1]["stream_in"] > 0


# ---------------------------------------------------------------- stats

@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_stats_count_every_tile_mvm_on_the_triggered_array(case):
    r = run(case.name)
    st = r.ima
    t, n = case.tiles_n, case.jobs
    cout, K = case.layer[3], case.layer[4]
    assert st["jobs"] == n and st["warnings"] == 0
    assert st["mvms"] == t * n and st["accumulated_mvms"] == t * n
    lines = case.line0 + sum(line for _, _, _, line, _ in case.tiles)
    assert st["stream_in_bytes"] == n * K * lines
    assert st["stream_out_bytes"] == n * cout
    per = [a["mvms"] for a in st["per_array"]]
    assert per == [t * n if a == case.array else 0 for a in range(ARRAYS)]


# ---------------------------------------------------------------- PCM noise model

@pytest.mark.parametrize("case", [LAYERS[1], LAYERS[4]], ids=lambda c: c.name)
def test_noise_model_without_noise_gives_the_exact_accumulation(case):
    r = run(case.name, variant="pcm_zero")
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    want = outputs(expected_l1(case, r.l1_before, r.sym, XBARS_PCM), case, r.sym)
    assert (outputs(r.l1_after, case, r.sym) == want).all()
    noise = r.ima["noise"]
    # the noise statistics are those of the tiles' ADC outputs p_t: T per job and column
    assert noise["outputs"] == case.tiles_n * case.jobs * case.layer[3]
    # (output_snr_db is not None here: the stats' ideal keeps the -8 codes the device holds
    # as -7, as for a plain trigger)
    assert r.ima["mvms"] == r.ima["accumulated_mvms"] == case.tiles_n * case.jobs


@pytest.mark.parametrize("case", [LAYERS[1], LAYERS[4]], ids=lambda c: c.name)
def test_noisy_accumulation_stays_close_to_the_ideal_one(case):
    r = run(case.name, variant="pcm")
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    want = outputs(expected_l1(case, r.l1_before, r.sym, XBARS_PCM), case, r.sym).astype(float)
    got = outputs(r.l1_after, case, r.sym).astype(float)
    assert (got != want).any()
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.9
    noise = r.ima["noise"]
    assert noise["outputs"] == case.tiles_n * case.jobs * case.layer[3]
    assert noise["output_snr_db"] is not None and noise["output_snr_db"] > 5


# ---------------------------------------------------------------- without the option

def test_without_accumulate_the_registers_are_unknown_and_the_trigger_is_plain():
    r = run(A.name, variant="no_accumulate")
    assert r.result.exit_code == 0, (r.result.stop, r.stdout)
    line = r.lines()[INDEX[A.name]]
    assert int(line["status"], 16) == ERROR               # the refused writes set bit 31
    assert int(line["acc_tiles"]) == 0 and int(line["finished"]) == A.jobs
    assert len(r.warnings) == 5, r.warnings
    names = ("TILES", "TABLE", "SHIFT", "LOW", "HIGH")
    for off, name, w in zip((0xc0, 0xc4, 0xc8, 0xcc, 0xd0), names, r.warnings, strict=True):
        assert re.search(rf"(0x{off:02x}|ACC_{name}) = ", w) and "no such register" in w, w
    plain = golden.run_trigger(r.l1_before, L1, XBARS[A.array], A.regs(r.sym))
    y = slice(r.sym["yout"] - L1, r.sym["yout"] - L1 + YN)
    assert (r.l1_after[y] == plain[y]).all()
    st = r.ima
    assert st["mvms"] == A.jobs and st.get("accumulated_mvms", 0) == 0
    assert st["stream_in_bytes"] == A.jobs * A.line0
    total, phases = expected_timing(A, r.sym, accumulate=False)
    assert st["busy_cycles"] == total + 1 and st["phase_cycles"] == phases


# ---------------------------------------------------------------- errors

def test_misconfigured_accumulation_is_refused_with_one_warning_each():
    r = run(ERRORS[0][0].name, AFTER_ERRORS.name)
    assert r.result.exit_code == 0, (r.result.stop, r.stdout, r.warnings)
    lines = r.lines()
    assert len(r.warnings) == len(ERRORS), "\n".join(r.warnings)
    for (case, reasons), warning in zip(ERRORS, r.warnings, strict=True):
        line = lines[INDEX[case.name]]
        assert line["kind"] == "refused"
        assert int(line["status"], 16) == ERROR, (case.name, line)     # not running, bit 31
        assert int(line["running"]) == -1, (case.name, line)           # released
        assert int(line["finished"]) == 0 and line["cleared"] == "0", (case.name, line)
        assert "ima" in warning and "TRIGGER" in warning, (case.name, warning)
        for reason in reasons:
            assert re.search(reason, warning), (case.name, reason, warning)
    # refused triggers wrote nothing; the next, correct one runs
    after = lines[INDEX[AFTER_ERRORS.name]]
    assert after["status"] == "0" and int(after["finished"]) == A.jobs
    expect = expected_l1(AFTER_ERRORS, r.l1_before, r.sym)
    y = slice(r.sym["yout"] - L1, r.sym["yout"] - L1 + YN)
    assert (r.l1_after[y] == expect[y]).all()
    st = r.ima
    assert st["triggers"] == 1 and st["jobs"] == A.jobs and st["warnings"] == len(ERRORS)
    assert st["mvms"] == 2 * A.jobs


def test_a_refused_accumulating_trigger_waited_for_is_a_deadlock():
    r = run(DEADLOCK.name)
    assert r.result.stop.reason == "deadlock", (r.result.stop, r.stdout)
    assert len(r.warnings) == 1 and "ACC_TILES" in r.warnings[0], r.warnings
    assert r.ima["jobs"] == 0 and r.ima["mvms"] == 0
