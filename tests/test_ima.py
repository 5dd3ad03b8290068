"""IMA (plugins/ima.py, docs/ima.md): the GVSoC ima_v1 register protocol, weight programming
and read-back, bit-exact outputs against the independent numpy model (tests/ima_golden.py)
for pointwise and 3x3 layers, job sweeps and ADC ranges, the timing formula, multi-array
windows, weights in the firmware image, misconfiguration warnings, the PCM noise model
statistics, and the two shipped firmware apps."""
from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest

import ima_golden as golden
from iss.testing import FakeHart, FakeSim
from iss.errors import ElfError, PlatformError
from iss_plugins import ima as I
from iss_plugins.ima import Ima
from iss_plugins.ima_image import MAGIC, parse_records

# the misconfiguration warnings are log records (iss.hwpe): the tests read them on stderr,
# printed as `iss run` prints them
pytestmark = pytest.mark.usefixtures("warnings_on_stderr")

BASE, L1 = 0x10202000, 0x10000000
TRIGGER, ACQUIRE, FINISHED, STATUS, RUNNING, SOFT_CLEAR = range(0, 0x18, 4)
ERROR = 1 << 31
BUSY = 0xFFFFFFFF


class Hart(FakeHart):
    """A fake hart that advances by the cycles a peripheral stalls it."""

    def __init__(self, index):
        super().__init__(index)
        self.stalled = 0

    def stall(self, cycles):
        self.stalled += cycles
        self.t += cycles


def make(clock_hz=None, **params):
    sim = FakeSim()
    sim.harts = [Hart(i) for i in range(8)]
    if clock_hz:
        sim.platform = dataclasses.replace(sim.platform, clock_hz=clock_hz)
    return sim, Ima(sim, "ima", BASE, 0x400, params)


def wr(ima, hart, reg, value, array=0):
    ima.write(hart, array * ima.stride + reg, 4, value & 0xFFFFFFFF)


def rd(ima, hart, reg, array=0):
    return ima.read(hart, array * ima.stride + reg, 4)


def pack(codes):
    """SUBMIT_PLOT word of up to 8 codes (nibble i = column x + i), written for the tests."""
    return sum((int(c) & 0xF) << (4 * i) for i, c in enumerate(codes))


def program(ima, hart, weights, x=0, y=0, array=0):
    assert rd(ima, hart, ACQUIRE, array) == 0
    h, w = weights.shape
    for reg, v in ((I.P_START_X, x), (I.P_START_Y, y), (I.P_WIDTH, w), (I.P_HEIGHT, h)):
        wr(ima, hart, reg, v, array)
    for r in range(h):
        for c in range(0, w, 8):
            wr(ima, hart, I.SUBMIT_PLOT, pack(weights[r, c:c + 8]), array)


def configure(ima, hart, array=0, **regs):
    for name, v in regs.items():
        wr(ima, hart, getattr(I, name), v, array)


def conv_regs(src, dst, H, W, cin, cout, K=1, s=1, x=0, y=0, low=4, high=4):
    """Registers of a KxK stride-s HWC convolution, as ima.h's ima_job_conv_hwc sets them."""
    ho, wo = (H - K) // s + 1, (W - K) // s + 1
    return dict(J_START_X=x, J_START_Y=y, J_WIDTH=cout, J_HEIGHT=K * K * cin, J_SRC_ADDR=src,
                J_DST_ADDR=dst, J_SRC_STRIDE=W * cin, LINE_LENGTH=K * cin, FEAT_LENGTH=K,
                ADC_LOW=low, ADC_HIGH=high, NUM_JOBS=ho * wo, ALPHA_IN_LENGTH=wo - 1,
                ALPHA_IN_STRIDE=s * cin, BETA_IN_LENGTH=ho,
                BETA_IN_STRIDE=s * W * cin - (wo - 1) * s * cin, ALPHA_OUT_LENGTH=wo - 1,
                ALPHA_OUT_STRIDE=cout, BETA_OUT_LENGTH=ho, BETA_OUT_STRIDE=cout)


def trigger_and_finish(sim, ima, hart, array=0):
    assert rd(ima, hart, ACQUIRE, array) in (0, BUSY)
    wr(ima, hart, TRIGGER, 0, array)
    end = sim.next_event_time()
    sim.run_until(end)
    hart.t = max(hart.t, end)
    return end


def put(sim, address, data):
    sim.memory.write(address, np.asarray(data, np.int8).tobytes())


def get(sim, address, shape):
    return np.frombuffer(sim.memory.read(address, int(np.prod(shape))), np.int8).reshape(shape)


rng = np.random.default_rng(2022)


# ---------------------------------------------------------------- controller registers

def test_acquire_locks_for_the_reader_raises_event_15_and_refuses_others():
    sim, ima = make()
    h0, h3 = sim.harts[0], sim.harts[3]
    assert rd(ima, h3, RUNNING) == BUSY and rd(ima, h3, I.CHECK_STATE) == I.ST_IDLE
    h3.t = 50
    assert rd(ima, h3, ACQUIRE) == 0
    assert sim.raised == [(15, 1 << 3, 51)]
    assert rd(ima, h3, RUNNING) == 3 and rd(ima, h3, I.CHECK_STATE) == I.ST_ACQUIRE
    assert rd(ima, h0, ACQUIRE) == BUSY and rd(ima, h3, ACQUIRE) == BUSY
    wr(ima, h0, SOFT_CLEAR, 0)
    assert rd(ima, h0, RUNNING) == BUSY and rd(ima, h0, ACQUIRE) == 0


def test_writes_without_acquire_are_refused_with_a_warning_naming_the_register(capsys):
    sim, ima = make()
    h = sim.harts[0]
    wr(ima, h, I.NUM_JOBS, 7)
    wr(ima, h, TRIGGER, 0)
    err = capsys.readouterr().err
    assert "ima: NUM_JOBS = 0x7: written without ACQUIRE" in err
    assert "ima: TRIGGER = 0x0: written without ACQUIRE" in err
    assert rd(ima, h, I.NUM_JOBS) == 0 and rd(ima, h, STATUS) == ERROR
    assert not sim._events and ima.stats()["warnings"] == 2
    wr(ima, h, SOFT_CLEAR, 0)                               # clears the error
    assert rd(ima, h, STATUS) == 0


@pytest.mark.parametrize("reg", sorted(I.STORED))
def test_every_configuration_register_reads_back_what_was_written(reg):
    sim, ima = make()
    h = sim.harts[0]
    rd(ima, h, ACQUIRE)
    wr(ima, h, reg, 0xC0FFEE00 | reg)
    assert rd(ima, h, reg) == 0xC0FFEE00 | reg
    assert rd(ima, h, STATUS) == 0


def test_read_only_and_unknown_registers_warn(capsys):
    sim, ima = make()
    h = sim.harts[0]
    rd(ima, h, ACQUIRE)
    wr(ima, h, I.PR_VAL, 5)
    wr(ima, h, I.CHECK_STATE, 5)
    wr(ima, h, 0xAC, 5)
    wr(ima, h, 0x3FC, 5)
    err = capsys.readouterr().err
    assert "PR_VAL = 0x5: read-only register" in err and "CHECK_STATE = 0x5: read-only" in err
    assert "0xac = 0x5: no such register" in err and "0x3fc = 0x5: no such register" in err
    assert rd(ima, h, 0xAC) == 0 and rd(ima, h, STATUS) == ERROR


# ---------------------------------------------------------------- weights

def test_submit_plot_programs_8_packed_weights_per_write_row_by_row_and_releases():
    sim, ima = make()
    h = sim.harts[1]
    w = rng.integers(-7, 8, (3, 20))                        # 20 columns: 3 words per row
    program(ima, h, w, x=100, y=7)
    xbar = ima.arrays[0].weights
    assert (xbar[7:10, 100:120] == w).all()
    assert (xbar[7:10, 120:128] == 0).all()                 # the last word stays in the window
    assert xbar[0, 0] == 1 and xbar[200, 200] == 1          # GVSoC reset: identity elsewhere
    assert h.stalled == 9 * 501                             # 1000 ns at 500 MHz, +1 (GVSoC)
    assert ima.stats()["programmed_weights"] == 60
    assert rd(ima, h, RUNNING) == BUSY                      # released after the last word
    assert rd(ima, h, I.CHECK_STATE) == I.ST_IDLE


def test_programming_states_and_a_negative_eight_nibble():
    sim, ima = make()
    h = sim.harts[0]
    rd(ima, h, ACQUIRE)
    configure(ima, h, P_START_X=0, P_START_Y=0, P_WIDTH=16, P_HEIGHT=1)
    assert rd(ima, h, I.CHECK_STATE) == I.ST_P_WREQ
    wr(ima, h, I.SUBMIT_PLOT, 0x8)                          # nibble 8 = -8, as GVSoC
    assert rd(ima, h, I.CHECK_STATE) == I.ST_P_WR and rd(ima, h, RUNNING) == 0
    wr(ima, h, I.SUBMIT_PLOT, 0x7)
    assert ima.arrays[0].weights[0, 0] == -8 and ima.arrays[0].weights[0, 8] == 7


def test_read_back_returns_packed_weights_stalls_and_releases_after_each_read(capsys):
    sim, ima = make()
    h = sim.harts[0]
    w = rng.integers(-7, 8, (2, 16))
    program(ima, h, w, x=240, y=3)
    for x, y in ((240, 3), (248, 4)):
        h.stalled = 0
        assert rd(ima, h, ACQUIRE) == 0
        configure(ima, h, PR_ADDR_X=x, PR_ADDR_Y=y)
        assert rd(ima, h, I.CHECK_STATE) == I.ST_P_RREQ
        assert rd(ima, h, I.PR_VAL) == pack(w[y - 3, x - 240:x - 232])
        assert h.stalled == 6 and rd(ima, h, RUNNING) == BUSY    # 10 ns -> 6 cycles
    rd(ima, h, ACQUIRE)
    configure(ima, h, PR_ADDR_X=252, PR_ADDR_Y=4)           # columns past 255 read as 0
    assert rd(ima, h, I.PR_VAL) == pack(w[1, 12:16])
    assert rd(ima, h, I.PR_VAL) == 0                        # released: refused
    assert "PR_VAL = 0x0: read without ACQUIRE" in capsys.readouterr().err
    assert ima.stats()["readback_words"] == 3


def test_programming_misuse_warns_and_changes_nothing(capsys):
    sim, ima = make()
    h = sim.harts[0]
    rd(ima, h, ACQUIRE)
    wr(ima, h, I.SUBMIT_PLOT, 0x1111)
    configure(ima, h, P_START_X=250, P_START_Y=0, P_WIDTH=8, P_HEIGHT=1)
    wr(ima, h, I.SUBMIT_PLOT, 0x1111)
    configure(ima, h, P_START_X=0, P_WIDTH=8, P_START_Y=255, P_HEIGHT=2)
    wr(ima, h, I.SUBMIT_PLOT, 0x1111)
    err = capsys.readouterr().err
    assert "SUBMIT_PLOT = 0x1111: no programming window is open" in err
    assert "P_WIDTH = 0x8: programming window 250..257 is not inside the 256x256" in err
    assert "P_HEIGHT = 0x2: programming window 255..256" in err
    assert (ima.arrays[0].weights == np.eye(256)).all() and h.stalled == 0


# ---------------------------------------------------------------- jobs: bit-exact

def run_layer(sim, ima, h, regs, weights, x, y, array=0):
    program(ima, h, weights, x, y, array)
    rd(ima, h, ACQUIRE, array)
    configure(ima, h, array, **regs)
    return trigger_and_finish(sim, ima, h, array)


@pytest.mark.parametrize("H, W, cin, cout, x0, y0, low, high", [
    (4, 5, 16, 8, 0, 0, 2, 2), (3, 3, 256, 256, 0, 0, 8, 8), (6, 4, 24, 37, 201, 100, 1, 3),
    (2, 7, 3, 1, 255, 253, 5, 0)])
def test_pointwise_layer_is_bit_exact(H, W, cin, cout, x0, y0, low, high):
    sim, ima = make()
    h = sim.harts[0]
    x = rng.integers(-128, 128, (H, W, cin))
    w = rng.integers(-7, 8, (cin, cout))
    src, dst = L1 + 0x100, L1 + 0x40000 + 1                 # a misaligned output
    put(sim, src, x)
    run_layer(sim, ima, h, conv_regs(src, dst, H, W, cin, cout, x=x0, y=y0, low=low, high=high),
              w, x0, y0)
    expect = golden.conv_hwc(x, w.reshape(1, 1, cin, cout), 1, low, high)
    assert (get(sim, dst, (H, W, cout)) == expect).all()
    st = ima.stats()
    assert st["mvms"] == st["jobs"] == H * W
    assert st["stream_in_bytes"] == H * W * cin and st["stream_out_bytes"] == H * W * cout


@pytest.mark.parametrize("H, W, cin, cout, stride", [(6, 6, 8, 16, 1), (9, 7, 28, 40, 2),
                                                     (5, 12, 3, 64, 1)])
def test_3x3_convolution_through_im2col_windows_is_bit_exact(H, W, cin, cout, stride):
    sim, ima = make()
    h = sim.harts[0]
    x = rng.integers(-128, 128, (H, W, cin))
    w = rng.integers(-7, 8, (3, 3, cin, cout))
    src, dst = L1 + 3, L1 + 0x20000
    put(sim, src, x)
    run_layer(sim, ima, h, conv_regs(src, dst, H, W, cin, cout, K=3, s=stride, x=32, y=4),
              w.reshape(-1, cout), 32, 4)
    expect = golden.conv_hwc(x, w, stride, 4, 4)
    assert (get(sim, dst, expect.shape) == expect).all()


@pytest.mark.parametrize("seed", range(6))
def test_random_multi_job_sweeps_match_the_golden_register_model(seed):
    r = np.random.default_rng(seed)
    sim, ima = make()
    h = sim.harts[0]
    feat, line = int(r.integers(1, 5)), int(r.integers(1, 40))
    cols = int(r.integers(1, 60))
    regs = dict(J_START_X=int(r.integers(0, 256 - cols)), J_WIDTH=cols, J_HEIGHT=feat * line,
                J_START_Y=int(r.integers(0, 256 - feat * line)), FEAT_LENGTH=feat,
                LINE_LENGTH=line, J_SRC_STRIDE=int(r.integers(-200, 200)),
                ADC_LOW=int(r.integers(0, 6)), ADC_HIGH=int(r.integers(1, 6)),
                NUM_JOBS=int(r.integers(1, 40)))
    for d in ("IN", "OUT"):
        regs.update({f"ALPHA_{d}_LENGTH": int(r.integers(0, 5)),
                     f"ALPHA_{d}_STRIDE": int(r.integers(-64, 64)),
                     f"BETA_{d}_LENGTH": int(r.integers(0, 4)),
                     f"BETA_{d}_STRIDE": int(r.integers(-300, 300))})
    regs["J_SRC_ADDR"] = L1 + 0x10000 + int(r.integers(0, 64))
    regs["J_DST_ADDR"] = L1 + 0x10000 + int(r.integers(0, 4096))      # overlapping in/out
    sim.memory.write(L1, r.integers(0, 256, 0x30000, dtype=np.uint8).tobytes())
    weights = r.integers(-8, 8, (256, 256))
    before = sim.memory.buffers["l1"].copy()
    run_layer(sim, ima, h, regs, weights, 0, 0)
    expect = golden.run_trigger(before, L1, weights, regs)
    assert (sim.memory.buffers["l1"] == expect).all()
    last = golden.pointers(regs["J_SRC_ADDR"], regs["NUM_JOBS"], *(
        regs[k] for k in ("ALPHA_IN_LENGTH", "ALPHA_IN_STRIDE", "BETA_IN_LENGTH",
                          "BETA_IN_STRIDE")))[-1]
    assert rd(ima, h, I.J_SRC_ADDR) == last                 # GVSoC leaves the last pointer


@pytest.mark.parametrize("low, high", [(1, 1), (127, 127), (0, 1), (10, 2), (3, 300),
                                       (1000, 1000), (-2, 5)])
def test_adc_ranges_clip_scale_and_round_half_away_from_zero(low, high):
    sim, ima = make()
    h = sim.harts[0]
    # acc = x * w over one row: every reachable single-product sum, incl. the exact ties
    # (acc = +-889 with ADC 127/127 gives +-0.5)
    xs = np.arange(-128, 128)
    w = np.arange(-8, 8)[None]                              # 16 columns, one row
    put(sim, L1, xs)
    regs = dict(J_START_X=0, J_START_Y=0, J_WIDTH=16, J_HEIGHT=1, J_SRC_ADDR=L1,
                J_DST_ADDR=L1 + 0x1000, LINE_LENGTH=1, FEAT_LENGTH=1, ADC_LOW=low,
                ADC_HIGH=high, NUM_JOBS=256, ALPHA_IN_LENGTH=1000, ALPHA_IN_STRIDE=1,
                BETA_IN_LENGTH=1, ALPHA_OUT_LENGTH=1000, ALPHA_OUT_STRIDE=16, BETA_OUT_LENGTH=1)
    run_layer(sim, ima, h, regs, w, 0, 0)
    got = get(sim, L1 + 0x1000, (256, 16))
    assert (got == golden.mvm(xs[:, None], w, low, high)).all()
    if (low, high) == (127, 127):
        assert got[255, 15] == 1 and got[1, 15] == -1         # +-889/889 * 127/254 = +-0.5


# ---------------------------------------------------------------- trigger protocol

def test_trigger_runs_num_jobs_status_finished_event_14_release_and_perf():
    sim, ima = make()
    h = sim.harts[2]
    put(sim, L1, rng.integers(-128, 128, 4 * 4 * 32))
    program(ima, h, rng.integers(-7, 8, (32, 16)))
    rd(ima, h, ACQUIRE)
    configure(ima, h, **conv_regs(L1, L1 + 0x800, 4, 4, 32, 16))
    assert rd(ima, h, I.CHECK_STATE) == I.ST_J_REQ
    h.t = 1000
    wr(ima, h, TRIGGER, 0)
    end = sim.next_event_time()
    assert rd(ima, h, STATUS) == 1 and rd(ima, h, I.CHECK_STATE) == I.ST_J_EVAL
    assert rd(ima, h, ACQUIRE) == BUSY
    wr(ima, h, I.NUM_JOBS, 3)                               # writes while busy: refused
    sim.run_until(end)
    h.t = end
    assert (14, 0xFF, end) in sim.raised
    assert rd(ima, h, STATUS) == ERROR and rd(ima, h, RUNNING) == BUSY
    assert rd(ima, h, FINISHED) == 16 and rd(ima, h, FINISHED) == 0
    assert rd(ima, h, I.NUM_JOBS) == 16
    # 16 jobs: in = 2 idle + 32 B = 2 cycles + 2 FIFO, out = 16 B = 1 cycle + 2 FIFO
    assert [rd(ima, h, p) for p in I.PERF] == [16 * 6, 16 * 66, 16 * 3]
    rd(ima, h, ACQUIRE)
    wr(ima, h, I.PERF_COMPUTE, 123)                         # a write clears
    assert rd(ima, h, I.PERF_COMPUTE) == 0 and rd(ima, h, I.PERF_STREAM_IN) == 96


def test_soft_clear_aborts_the_running_job():
    sim, ima = make()
    h = sim.harts[0]
    put(sim, L1, np.ones(64))
    rd(ima, h, ACQUIRE)
    configure(ima, h, **conv_regs(L1, L1 + 0x100, 1, 1, 64, 64))
    wr(ima, h, TRIGGER, 0)
    wr(ima, h, SOFT_CLEAR, 0)
    sim.run_until(10_000)
    assert not any(line == 14 for line, _, _ in sim.raised)
    assert not sim.memory.read(L1 + 0x100, 64).strip(b"\0")
    assert rd(ima, h, STATUS) == 0 and rd(ima, h, ACQUIRE) == 0


@pytest.mark.parametrize("regs, message", [
    (dict(J_WIDTH=0), "J_WIDTH = 0x0: the job uses no column"),
    (dict(J_START_X=200, J_WIDTH=57), "J_WIDTH = 0x39: columns 200..256 are beyond the 256"),
    (dict(J_START_Y=250, J_HEIGHT=8, LINE_LENGTH=8), "J_HEIGHT = 0x8: rows 250..257"),
    (dict(FEAT_LENGTH=0), "FEAT_LENGTH = 0x0: at least one input line"),
    (dict(FEAT_LENGTH=3), "LINE_LENGTH = 0x10: FEAT_LENGTH x LINE_LENGTH = 3 x 16"),
    (dict(ADC_LOW=0, ADC_HIGH=0), "ADC_HIGH = 0x0: the ADC range [-0, 0] is empty"),
    (dict(J_SRC_ADDR=0x1C000000), "J_SRC_ADDR = 0x1c000000: job 0 of 4: its input lines "
                                  "0x1c000000-0x1c000010 are not inside L1 (0x10000000-"),
    (dict(J_DST_ADDR=L1 + 0x80000 - 40), "J_DST_ADDR = 0x1007ffd8: job 2 of 4: its output (after "
                                         "the ALPHA/BETA pointer updates) 0x1007fff8-0x10080008"),
    (dict(J_SRC_STRIDE=-16, FEAT_LENGTH=2, LINE_LENGTH=8), "J_SRC_STRIDE = 0xfffffff0: job 0 of 4: "
                                                          "its input lines 0xffffff0-0x10000008"),
    (dict(NUM_JOBS=1 << 21), "NUM_JOBS = 0x200000: more than 1048576 jobs"),
])
def test_a_misconfigured_job_is_refused_with_a_warning_and_the_run_goes_on(regs, message,
                                                                          capsys):
    sim, ima = make()
    h = sim.harts[0]
    rd(ima, h, ACQUIRE)
    configure(ima, h, **{**conv_regs(L1, L1 + 0x1000, 2, 2, 16, 16), **regs})
    wr(ima, h, TRIGGER, 0)
    err = capsys.readouterr().err
    assert f"iss: warning: ima: TRIGGER = 0x0: job rejected: {message}" in err, err
    assert rd(ima, h, STATUS) == ERROR and rd(ima, h, RUNNING) == BUSY   # released
    assert not sim._events and ima.stats()["jobs"] == 0
    wr(ima, h, SOFT_CLEAR, 0)
    rd(ima, h, ACQUIRE)                                     # the next, correct job runs
    configure(ima, h, **conv_regs(L1, L1 + 0x1000, 2, 2, 16, 16))
    trigger_and_finish(sim, ima, h)
    assert ima.stats()["jobs"] == 4 and rd(ima, h, STATUS) == 0


def test_zero_jobs_warns_and_still_ends_with_event_14(capsys):
    sim, ima = make()
    h = sim.harts[0]
    rd(ima, h, ACQUIRE)
    configure(ima, h, **{**conv_regs(L1, L1 + 0x1000, 2, 2, 16, 16), "NUM_JOBS": 0})
    end = trigger_and_finish(sim, ima, h)
    assert "NUM_JOBS = 0x0: no job to run" in capsys.readouterr().err
    assert (14, 0xFF, end) in sim.raised and rd(ima, h, FINISHED) == 0


def test_trigger_closes_an_incomplete_programming_window_with_a_warning(capsys):
    sim, ima = make()
    h = sim.harts[0]
    rd(ima, h, ACQUIRE)
    configure(ima, h, P_START_X=0, P_START_Y=0, P_WIDTH=8, P_HEIGHT=4)
    wr(ima, h, I.SUBMIT_PLOT, 0x11111111)
    configure(ima, h, **conv_regs(L1, L1 + 0x1000, 2, 2, 16, 16))
    trigger_and_finish(sim, ima, h)
    assert "P_HEIGHT = 0x4: TRIGGER closes a programming window left incomplete at row 1" \
        in capsys.readouterr().err


# ---------------------------------------------------------------- timing

def words(addr, n):
    return (addr + n + 3) // 4 - addr // 4


def ceil(a, b):
    return -(-a // b)


@pytest.mark.parametrize("clock, bus, K, cin, cout, src, dst", [
    (500_000_000, 128, 1, 256, 256, L1, L1 + 0x1000),
    (500_000_000, 128, 3, 28, 64, L1 + 1, L1 + 0x1003),
    (250_000_000, 64, 1, 100, 30, L1 + 2, L1 + 0x1001),
    (100_000_000, 32, 3, 5, 7, L1, L1 + 0x1000)])
def test_a_single_job_takes_the_documented_cycles(clock, bus, K, cin, cout, src, dst):
    sim, ima = make(clock_hz=clock, bus_bits=bus)
    h = sim.harts[0]
    W = 9
    rd(ima, h, ACQUIRE)
    configure(ima, h, **{**conv_regs(src, dst, K, W, cin, cout, K=K), "NUM_JOBS": 1})
    h.t = 500
    end = trigger_and_finish(sim, ima, h)
    wpc = bus // 32
    compute = int(130e-9 * clock + 1e-9) + 1                # GVSoC: (int)(130 ns / T) + 1
    stream_in = sum(ceil(words(src + f * W * cin, K * cin), wpc) for f in range(K))
    stream_out = ceil(words(dst, cout), wpc)
    assert end - 501 == 2 + stream_in + 2 + compute + stream_out + 2
    assert {500_000_000: 66, 250_000_000: 33, 100_000_000: 14}[clock] == compute


@pytest.mark.parametrize("execution", ["sequential", "pipelined"])
@pytest.mark.parametrize("cin, cout", [(256, 256), (16, 16), (256, 8), (4, 200)])
def test_multi_job_timing_sequential_and_pipelined(execution, cin, cout):
    sim, ima = make(execution=execution)
    h = sim.harts[0]
    n = 12
    regs = conv_regs(L1 + 1, L1 + 0x10000, 3, 4, cin, cout)
    rd(ima, h, ACQUIRE)
    configure(ima, h, **regs)
    end = trigger_and_finish(sim, ima, h)
    src = golden.pointers(L1 + 1, n, 3, cin, 3, cin)
    dst = golden.pointers(L1 + 0x10000, n, 3, cout, 3, cout)
    i_n = [2 + ceil(words(s, cin), 4) + 2 for s in src]
    o_n = [ceil(words(d, cout), 4) + 2 for d in dst]
    if execution == "sequential":
        expect = sum(i + 66 + o for i, o in zip(i_n, o_n, strict=True))
    else:            # event by event: compute n overlaps stream-out n-1 then stream-in n+1
        in_done, c_end = i_n[0], 0
        for k in range(n):
            c_start = max(in_done, c_end)
            c_end = c_start + 66
            port = c_start + (o_n[k - 1] if k else 0)
            in_done = port + (i_n[k + 1] if k + 1 < n else 0)
        expect = max(c_end, port) + o_n[-1]
    assert end - 1 == expect
    if execution == "pipelined" and cin == cout == 256:
        assert expect < n * 66 + 40                         # compute-bound: 66 cycles a job


def test_two_triggers_on_two_arrays_share_the_streaming_port():
    sim, ima = make(arrays=2)
    h0, h1 = sim.harts[0], sim.harts[1]
    for a, h in ((0, h0), (1, h1)):
        rd(ima, h, ACQUIRE, a)
        configure(ima, h, a, **conv_regs(L1, L1 + 0x1000 * (a + 1), 2, 2, 16, 16))
    wr(ima, h0, TRIGGER, 0, 0)
    wr(ima, h1, TRIGGER, 0, 1)
    ends = sorted(t for t, _, _ in sim._events)
    total = ends[0] - 1
    assert ends[1] == ends[0] + total                       # one crossbar active at a time
    sim.run_until(ends[1])
    assert [t for line, _, t in sim.raised if line == 14] == ends


# ---------------------------------------------------------------- multi-array, image

def test_each_array_has_its_own_window_lock_and_crossbar():
    sim, ima = make(arrays=3)
    assert ima.ranges() == [(BASE + i * 0x4000, 0x400) for i in range(3)]
    h = sim.harts[0]
    x = rng.integers(-128, 128, (2, 3, 40))
    put(sim, L1, x)
    ws = [rng.integers(-7, 8, (40, 24)) for _ in range(3)]
    assert rd(ima, h, ACQUIRE, 1) == 0 and rd(ima, h, ACQUIRE, 2) == 0    # independent locks
    assert rd(ima, h, ACQUIRE, 1) == BUSY and rd(ima, h, RUNNING, 0) == BUSY
    wr(ima, h, SOFT_CLEAR, 0, 1)
    wr(ima, h, SOFT_CLEAR, 0, 2)
    for a in (1, 2):
        run_layer(sim, ima, h, conv_regs(L1, L1 + 0x1000 * a, 2, 3, 40, 24), ws[a], 0, 0, a)
        expect = golden.conv_hwc(x, ws[a].reshape(1, 1, 40, 24), 1, 4, 4)
        assert (get(sim, L1 + 0x1000 * a, (2, 3, 24)) == expect).all()
    assert (ima.arrays[0].weights == np.eye(256)).all()
    st = ima.stats()
    assert st["arrays"] == 3 and st["mvms"] == 12
    assert [a["mvms"] for a in st["per_array"]] == [0, 6, 6]
    assert [a["programmed_weights"] for a in st["per_array"]] == [0, 960, 960]


@pytest.mark.parametrize("params, message", [
    (dict(arrays=2, array_stride=0x200), "array_stride = 512: expected an integer >= 1024"),
    (dict(bus_bits=100), "bus_bits = 100"),
    (dict(execution="overlapped"), "execution = 'overlapped'"),
    (dict(pcm_nosie=True), "unknown parameters pcm_nosie"),
])
def test_bad_platform_parameters_are_platform_errors(params, message):
    with pytest.raises(PlatformError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make(**params)


def test_array_windows_on_another_device_are_platform_errors():
    """Array 1 at base + 0x2000 lands on the event unit's demux alias: the window check of
    all built peripherals (iss.plugin.build_peripherals) names both windows."""
    from iss.plugin import build_peripherals
    sim = FakeSim()
    specs = [dataclasses.replace(p, params={**p.params, "arrays": 2, "array_stride": 0x2000})
             if p.plugin == "ima" else p for p in sim.platform.peripherals]
    sim.platform = dataclasses.replace(sim.platform, peripherals=tuple(specs))
    with pytest.raises(PlatformError, match=r"peripheral.event_unit window 1 \(0x10204000-"
                                            r"0x10204400\) overlaps peripheral.ima window 1"):
        build_peripherals(sim)


def test_image_records_parse_with_padding_and_refuse_garbage():
    w = rng.integers(-8, 8, (3, 11))
    words = [MAGIC, 1, 5, 6, 11, 3] + [pack(w[r, c:c + 8]) for r in range(3) for c in (0, 8)]
    data = np.array(words + [0, 0] + words, "<u4").tobytes()
    recs = parse_records(data, "fw.elf")
    assert len(recs) == 2 and (recs[1].array, recs[1].x, recs[1].y) == (1, 5, 6)
    assert (recs[0].weights == w).all()
    with pytest.raises(ElfError, match="word 0: expected a record header"):
        parse_records(np.array([0x1234], "<u4").tobytes(), "fw.elf")
    with pytest.raises(ElfError, match="truncated: 5 of 6 words"):
        parse_records(np.array(words[:-1], "<u4").tobytes(), "fw.elf")


def test_weights_file_programs_the_crossbars_at_time_zero(tmp_path):
    w = rng.integers(-8, 8, (2, 256, 256)).astype(np.int8)
    np.save(tmp_path / "w.npy", w)
    sim, ima = make(arrays=2, weights_file=str(tmp_path / "w.npy"))
    assert (ima.arrays[1].weights == w[1]).all()
    assert ima.stats()["preloaded_weights"] == 2 * 65536
    with pytest.raises(ElfError, match="record for array 1, but the platform's IMA has 1"):
        make(weights_file=str(tmp_path / "w.npy"))


# ---------------------------------------------------------------- PCM noise model

def levels_file(tmp_path):
    """256x256 codes: rows 36k..36k+35 hold level k - 7 for k in 0..6, 1..7 positive."""
    w = np.repeat(np.arange(1, 8), 37)[:256][:, None].repeat(256, 1).astype(np.int8)
    np.save(tmp_path / "levels.npy", w)
    return str(tmp_path / "levels.npy"), w


def test_programming_noise_and_drift_exponents_follow_the_formulas(tmp_path):
    path, w = levels_file(tmp_path)
    sim, ima = make(pcm_noise=True, pcm_seed=7, weights_file=path)
    pcm = ima.arrays[0].pcm
    for level in range(1, 8):
        x = level / 7
        g_t = 25.0 * x
        cells = w == level
        err = pcm.g_prog[0][cells] * 25 / 7 - g_t          # weight units -> uS
        sigma = 0.26348 + 1.9650 * x - 1.1731 * x * x         # aihwkit PCMLikeNoiseModel, uS
        assert abs(err.mean()) < 4 * sigma / np.sqrt(err.size)
        assert err.std() == pytest.approx(sigma, rel=0.05)
        nu = pcm.nu[0][cells]
        mu = np.clip(-0.0155 * np.log(x) + 0.0244, 0.049, 0.1)
        sd = np.clip(-0.0125 * np.log(x) - 0.0059, 0.008, 0.045)
        assert nu.mean() == pytest.approx(mu, rel=0.02) and nu.std() == pytest.approx(sd, rel=0.05)
    g_minus = pcm.g_prog[1] * 25 / 7                        # target 0: clamped at 0
    assert (g_minus >= 0).all() and g_minus.mean() == pytest.approx(0.26348 / np.sqrt(2 * np.pi),
                                                                   rel=0.05)


def test_drift_and_read_noise_at_a_given_age(tmp_path):
    path, w = levels_file(tmp_path)
    sim, ima = make(pcm_noise=True, pcm_age_s=3600.0, weights_file=path)
    pcm = ima.arrays[0].pcm
    weff, var = pcm.effective(slice(None), slice(None), 0.0)
    t = 3600.0 + 20.0
    g = pcm.g_prog * (t / 20.0) ** -pcm.nu
    assert np.allclose(weff, g[0] - g[1])                   # weight units
    q = np.minimum(0.0088 / np.maximum((pcm.g_prog / 7) ** 0.65, 1e-3), 0.2)
    sig = g * q * np.sqrt(np.log((t + 250e-9) / 500e-9))
    assert np.allclose(var, sig[0] ** 2 + sig[1] ** 2)
    assert 0.7 < (weff / w).mean() < 0.8                    # ~ (180)^-0.055: drifted down


def test_read_noise_of_repeated_mvms_has_the_model_variance(tmp_path):
    sim, ima = make(pcm_noise=True, pcm_seed=3, pcm_prog_scale=0.0, pcm_drift_scale=0.0,
                    weights_file=levels_file(tmp_path)[0])
    h = sim.harts[0]
    put(sim, L1, [127])
    row = 100                                               # level 3: v = 3/7
    n, cols = 2048, 64
    regs = dict(J_START_X=0, J_START_Y=row, J_WIDTH=cols, J_HEIGHT=1, J_SRC_ADDR=L1,
                J_DST_ADDR=L1 + 0x100, LINE_LENGTH=1, FEAT_LENGTH=1, ADC_LOW=0, ADC_HIGH=1,
                NUM_JOBS=n, BETA_OUT_LENGTH=1, ALPHA_OUT_LENGTH=n, ALPHA_OUT_STRIDE=cols)
    rd(ima, h, ACQUIRE)
    configure(ima, h, **regs)
    trigger_and_finish(sim, ima, h)
    out = get(sim, L1 + 0x100, (n, cols)).astype(float)
    _, var = ima.arrays[0].pcm.effective(slice(row, row + 1), slice(0, cols), 0.0)
    lsb_var = var[0] * (127 * 127 / 889) ** 2 + 1 / 12     # y = 127 v; + quantisation
    assert out.mean() == pytest.approx(127 * 3 / 7, abs=0.2)
    assert out.var(axis=0).mean() == pytest.approx(lsb_var.mean(), rel=0.08)
    noise = ima.stats()["noise"]
    assert noise["outputs"] == n * cols and 20 < noise["output_snr_db"] < 40
    assert noise["output_mismatch_fraction"] > 0.5


def test_noise_model_without_noise_reproduces_ideal_results_and_is_seeded():
    def layer(**params):
        sim, ima = make(**params)
        h = sim.harts[0]
        r = np.random.default_rng(5)
        put(sim, L1, r.integers(-128, 128, 5 * 5 * 64))
        run_layer(sim, ima, h, conv_regs(L1, L1 + 0x4000, 5, 5, 64, 64),
                  r.integers(-7, 8, (64, 64)), 0, 0)
        return get(sim, L1 + 0x4000, 25 * 64).copy(), ima.stats()

    ideal, st = layer()
    assert "noise" not in st
    zero, st = layer(pcm_noise=True, pcm_prog_scale=0.0, pcm_drift_scale=0.0, pcm_read_scale=0.0)
    assert (zero == ideal).all() and st["noise"]["output_snr_db"] is None
    a, st_a = layer(pcm_noise=True, pcm_seed=1)
    b, _ = layer(pcm_noise=True, pcm_seed=1)
    c, _ = layer(pcm_noise=True, pcm_seed=2)
    assert (a == b).all() and (a != c).any() and (a != ideal).any()
    assert st_a["noise"]["output_snr_db"] > 10


# ---------------------------------------------------------------- firmware

def run_app(firmware_elf, name, platform=None):
    from iss.elf import load_elf
    from iss.simulator import Simulator
    elf = firmware_elf(name)
    out = io.StringIO()
    sim = Simulator(elf, platform=platform, output=out)
    result = sim.run(max_instructions=50_000_000)
    return sim, result, out.getvalue(), load_elf(elf).symbols


def lcg(seed, n, a, c, shift):
    s, out = seed, []
    for _ in range(n):
        s = (s * a + c) & 0xFFFFFFFF
        out.append((s >> shift) & 0xFF)
    return np.array(out, np.uint8).view(np.int8)


def test_ima_pointwise_app(firmware_elf):
    sim, result, out, sym = run_app(firmware_elf, "ima_pointwise")
    assert result.exit_code == 0 and "ima_pointwise: OK" in out, (result.stop, out)
    H, W, cin, cout = 8, 8, 72, 44
    x = lcg(12345, H * W * cin, 1103515245, 12345, 16).reshape(H, W, cin)
    ci, co = np.meshgrid(np.arange(cin), np.arange(cout), indexing="ij")
    w = (ci * 7 + co * 13 + (ci * co) % 5) % 15 - 7
    expect = golden.conv_hwc(x, w.reshape(1, 1, cin, cout), 1, 6, 6)
    assert (get(sim, sym["y"], expect.shape) == expect).all()
    st = result.stats["peripherals"]["ima"]
    assert st["mvms"] == 64 and st["programmed_weights"] == cin * cout and st["warnings"] == 0
    assert st["busy_cycles"] == 64 * 66 + 9 + 5 + 1          # compute-bound pipeline
    assert result.stats["harts"][0]["stalls"]["peripheral"] >= 72 * 6 * 501


def test_ima_conv3x3_app_with_weights_in_the_elf(firmware_elf):
    sim, result, out, sym = run_app(firmware_elf, "ima_conv3x3")
    assert result.exit_code == 0 and "ima_conv3x3: OK" in out, (result.stop, out)
    x = lcg(777, 10 * 10 * 16, 1664525, 1013904223, 24).reshape(10, 10, 16)
    r, c = np.meshgrid(np.arange(144), np.arange(32), indexing="ij")
    w = ((r * 5 + c * 3 + ((r * c) >> 2)) % 15 - 7).reshape(3, 3, 16, 32)
    for name, stride in (("y1", 1), ("y2", 2)):
        expect = golden.conv_hwc(x, w, stride, 8, 8)
        assert (get(sim, sym[name], expect.shape) == expect).all(), name
    st = result.stats["peripherals"]["ima"]
    assert st["preloaded_weights"] == 144 * 32 and st["programmed_weights"] == 0
    assert st["mvms"] == 64 + 16 and st["triggers"] == 2


def test_firmware_misuse_is_reported_and_a_refused_job_ends_in_a_deadlock_report(tmp_path,
                                                                               capfd):
    from iss import toolchain
    from iss.simulator import Simulator
    src = tmp_path / "bad.c"
    src.write_text("#include <ima.h>\n#include <stdio.h>\nint main(void) {\n"
                   "    ima_trigger_job();                      /* no ACQUIRE */\n"
                   "    printf(\"status %x\\n\", ima_get_status());\n"
                   "    ima_soft_clear();\n"
                   "    ima_job_t j;\n"
                   "    ima_job_conv_hwc(&j, 0x10000000, 0x10001000, 4, 4, 300, 8, 1, 1, 0, 0, 1, 1);\n"
                   "    return ima_run(0, &j);                  /* 300 rows: refused */\n}\n")
    elf = toolchain.compile_firmware([src], tmp_path / "bad.elf")
    out = io.StringIO()
    result = Simulator(elf, output=out).run(max_instructions=5_000_000)
    err = capfd.readouterr().err
    assert "status 80000000" in out.getvalue()
    assert "ima: TRIGGER = 0x0: written without ACQUIRE (ignored)" in err
    assert "J_HEIGHT = 0x12c: rows 0..299 are beyond the 256 rows" in err
    assert result.stop.reason == "deadlock"


def test_multi_array_platform_runs_the_shipped_app(firmware_elf, tmp_path):
    from importlib.resources import files
    toml = files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()
    (tmp_path / "p.toml").write_text(toml.replace("arrays = 1 ", "arrays = 34"))
    sim, result, out, _ = run_app(firmware_elf, "ima_conv3x3", str(tmp_path / "p.toml"))
    assert result.exit_code == 0, out
    ima = next(p for p in sim.peripherals if p.name == "ima")
    assert ima.ranges()[33] == (0x10202000 + 33 * 0x4000, 0x400)       # MobileNetV2's 34
    assert result.stats["peripherals"]["ima"]["arrays"] == 34
