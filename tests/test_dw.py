"""Depth-wise accelerator (plugins/dw_accel.py): registers, outputs bit-exact against an
independent numpy model, timing against the formula of docs/dw.md, misconfiguration
warnings, the shared streaming port; then the shipped firmware app.

Register offsets, the arithmetic and the timing formula are written out here from
docs/dw.md, not imported from the plugin."""
from __future__ import annotations

import io
import logging

import numpy as np
import pytest

from iss.testing import FakeSim
from golden import hash_int8
from iss_plugins.dw_accel import DwAccel

# the misconfiguration warnings are log records (iss.hwpe): the tests read them on stderr,
# printed as `iss run` prints them
pytestmark = pytest.mark.usefixtures("warnings_on_stderr")

BASE, L1, L2 = 0x10201000, 0x10000000, 0x1C100000
TRIGGER, ACQUIRE, FINISHED, STATUS, RUNNING_JOB, SOFT_CLEAR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
IN_ADDR, WEIGHT_ADDR, BIAS_ADDR, OUT_ADDR = 0x18, 0x1C, 0x20, 0x24
HEIGHT, WIDTH, CHANNELS, STRIDE, PADDING, SHIFT, RELU = 0x28, 0x2C, 0x30, 0x34, 0x38, 0x3C, 0x40
BUSY, ERROR = 0xFFFFFFFF, 1 << 31
EVENT = 12
ALL_CORES = 0xFF


# ---------------------------------------------------------------- the reference model

def golden(x, w, bias, stride, pads, shift, relu):
    """docs/dw.md "Arithmetic" in numpy: zero-padded input, nine shifted slices, int32
    wrap, ReLU, arithmetic shift, clip."""
    pt, pb, pl, pr = pads
    xp = np.pad(x.astype(np.int64), ((pt, pb), (pl, pr), (0, 0)))
    ho = (xp.shape[0] - 3) // stride + 1
    wo = (xp.shape[1] - 3) // stride + 1
    acc = np.zeros((ho, wo, x.shape[2]), dtype=np.int64) + (0 if bias is None else bias)
    for ky in range(3):
        for kx in range(3):
            acc += xp[ky:ky + stride * (ho - 1) + 1:stride,
                      kx:kx + stride * (wo - 1) + 1:stride] * w[ky, kx]
    acc = acc.astype(np.int32)                      # a 32-bit accumulator wraps
    if relu:
        acc = np.maximum(acc, 0)
    return np.clip(acc >> shift, -128, 127).astype(np.int8)


def formula_cycles(ho, wo, c, stride, bias):
    """docs/dw.md "Timing": per 16-channel block 9 weight beats (+4 bias beats), per output
    column 9 window beats, per output pixel 3*stride loads + 1 store."""
    blocks = (c + 15) // 16
    return blocks * (9 + 4 * bias + wo * (9 + ho * (3 * stride + 1)))


# ---------------------------------------------------------------- driving the plugin

def make(cores=8, **params):
    sim = FakeSim(cores)
    return sim, DwAccel(sim, "dw", BASE, 0x400, params)


def rd(dw, hart, offset):
    return dw.read(hart, offset, 4)


def wr(dw, hart, offset, value):
    dw.write(hart, offset, 4, value)


class Layer:
    """Random tensors placed in L1 (input, weights, bias, output one after the other)."""

    def __init__(self, sim, h, w, c, stride=1, pads=(1, 1, 1, 1), shift=7, relu=True,
                 bias=True, seed=0, bias_range=1 << 12, at=L1 + 0x100):
        rng = np.random.default_rng(seed)
        self.x = rng.integers(-128, 128, (h, w, c), dtype=np.int8)
        self.w = rng.integers(-128, 128, (3, 3, c), dtype=np.int8)
        self.bias = rng.integers(-bias_range, bias_range, c).astype(np.int32) if bias else None
        self.h, self.w_, self.c, self.stride, self.pads = h, w, c, stride, pads
        self.shift, self.relu = shift, relu
        self.ho = (h + pads[0] + pads[1] - 3) // stride + 1
        self.wo = (w + pads[2] + pads[3] - 3) // stride + 1
        self.in_addr = at
        self.w_addr = self.in_addr + self.x.size + 16
        self.b_addr = self.w_addr + self.w.size + 16 if bias else 0
        self.out_addr = self.w_addr + self.w.size + 16 + 4 * c + 16
        sim.memory.write(self.in_addr, self.x.tobytes())
        sim.memory.write(self.w_addr, self.w.tobytes())
        if bias:
            sim.memory.write(self.b_addr, self.bias.astype("<i4").tobytes())
        self.sim = sim

    def registers(self):
        pt, pb, pl, pr = self.pads
        return {IN_ADDR: self.in_addr, WEIGHT_ADDR: self.w_addr, BIAS_ADDR: self.b_addr,
                OUT_ADDR: self.out_addr, HEIGHT: self.h, WIDTH: self.w_, CHANNELS: self.c,
                STRIDE: self.stride, PADDING: pt | pb << 8 | pl << 16 | pr << 24,
                SHIFT: self.shift, RELU: int(self.relu)}

    def program(self, dw, hart, override=None):
        for reg, value in {**self.registers(), **(override or {})}.items():
            wr(dw, hart, reg, value)

    def output(self):
        n = self.ho * self.wo * self.c
        raw = self.sim.memory.read(self.out_addr, n)
        return np.frombuffer(raw, dtype=np.int8).reshape(self.ho, self.wo, self.c)

    def expected(self):
        return golden(self.x, self.w, self.bias, self.stride, self.pads, self.shift, self.relu)

    def cycles(self):
        return formula_cycles(self.ho, self.wo, self.c, self.stride, self.bias is not None)


def run_job(sim, dw, layer, hart=None, t=100, override=None):
    """ACQUIRE, program, TRIGGER at cycle t; returns the cycle the job ends at."""
    hart = hart or sim.harts[0]
    hart.t = t
    assert rd(dw, hart, ACQUIRE) == 0
    layer.program(dw, hart, override)
    wr(dw, hart, TRIGGER, 0)
    end = t + 1 + layer.cycles()
    sim.run_until(end)
    return end


# ---------------------------------------------------------------- registers

def test_acquire_locks_the_engine_for_the_reading_core():
    sim, dw = make()
    h0, h3 = sim.harts[0], sim.harts[3]
    assert rd(dw, h3, RUNNING_JOB) == BUSY and rd(dw, h3, STATUS) == 0
    assert rd(dw, h3, ACQUIRE) == 0
    assert rd(dw, h3, RUNNING_JOB) == 3
    assert rd(dw, h0, ACQUIRE) == BUSY                  # held by core 3
    assert sim.raised == []                             # DW has no acquire event


def test_job_registers_read_back_and_trigger_reads_zero():
    sim, dw = make()
    h = sim.harts[0]
    rd(dw, h, ACQUIRE)
    values = {IN_ADDR: L1 + 4, WEIGHT_ADDR: L1 + 8, BIAS_ADDR: 0, OUT_ADDR: L1 + 12,
              HEIGHT: 7, WIDTH: 9, CHANNELS: 33, STRIDE: 2, PADDING: 0x01000100, SHIFT: 31,
              RELU: 1}
    for reg, v in values.items():
        wr(dw, h, reg, v)
    assert {reg: rd(dw, h, reg) for reg in values} == values
    assert rd(dw, h, TRIGGER) == 0 and rd(dw, h, SOFT_CLEAR) == 0
    assert rd(dw, h, 0x44) == 0 and rd(dw, h, STATUS) == 0


def test_a_job_runs_in_simulated_time_and_reports_its_end(capsys):
    sim, dw = make()
    h = sim.harts[2]
    layer = Layer(sim, 12, 10, 24)
    h.t = 1000
    assert rd(dw, h, ACQUIRE) == 0
    layer.program(dw, h)
    wr(dw, h, TRIGGER, 0)
    end = 1000 + 1 + layer.cycles()                     # starts the cycle after TRIGGER
    h.t = end - 1
    assert rd(dw, h, STATUS) == 1 and rd(dw, h, RUNNING_JOB) == 2
    assert rd(dw, h, ACQUIRE) == BUSY
    sim.run_until(end - 1)
    assert not layer.output().any() and sim.raised == []
    sim.run_until(end)
    assert sim.raised == [(EVENT, ALL_CORES, end)]
    h.t = end
    assert rd(dw, h, STATUS) == 0 and rd(dw, h, RUNNING_JOB) == BUSY     # released
    assert rd(dw, h, FINISHED) == 1 and rd(dw, h, FINISHED) == 0         # cleared on read
    assert (layer.output() == layer.expected()).all()
    assert capsys.readouterr().err == ""


def test_the_event_line_is_a_platform_parameter():
    sim, dw = make(event=13)
    layer = Layer(sim, 6, 6, 8)
    end = run_job(sim, dw, layer)
    assert sim.raised == [(13, ALL_CORES, end)]


def test_soft_clear_aborts_the_job_releases_and_clears_the_error():
    sim, dw = make()
    h = sim.harts[0]
    layer = Layer(sim, 10, 10, 16)
    h.t = 0
    rd(dw, h, ACQUIRE)
    layer.program(dw, h)
    wr(dw, h, TRIGGER, 0)
    h.t = 10
    wr(dw, h, SHIFT, 3)                                 # busy: error bit
    assert rd(dw, h, STATUS) == 1 | ERROR
    wr(dw, h, SOFT_CLEAR, 0)
    assert rd(dw, h, STATUS) == 0 and rd(dw, h, RUNNING_JOB) == BUSY
    sim.run_until(10 * layer.cycles())
    assert sim.raised == [] and not layer.output().any()
    assert rd(dw, h, FINISHED) == 0 and dw.stats()["layers"] == 0
    assert rd(dw, h, ACQUIRE) == 0                      # usable again


# ---------------------------------------------------------------- outputs

CASES = [  # h, w, c, stride, pads, shift, relu, bias
    (8, 8, 16, 1, (1, 1, 1, 1), 7, True, True),
    (9, 7, 40, 1, (1, 1, 1, 1), 8, False, True),       # partial last block
    (9, 11, 3, 2, (1, 1, 1, 1), 6, True, False),       # fewer channels than a block
    (10, 10, 32, 2, (0, 1, 0, 1), 8, False, False),    # TensorFlow "SAME" at stride 2
    (7, 9, 17, 2, (1, 1, 1, 1), 0, False, True),       # shift 0: clipping dominates
    (6, 6, 16, 1, (0, 0, 0, 0), 31, False, True),      # no padding, extreme shift
    (5, 8, 20, 1, (2, 0, 1, 2), 5, True, True),        # asymmetric, 2-pixel padding
    (3, 3, 1, 1, (0, 0, 0, 0), 4, False, False),       # a single output
    (1, 1, 48, 1, (1, 1, 1, 1), 6, True, True),        # 1x1 input, all taps but one padding
    (13, 6, 64, 2, (2, 2, 0, 1), 9, True, True),
]


@pytest.mark.parametrize("h, w, c, stride, pads, shift, relu, bias", CASES)
def test_outputs_are_bit_exact(h, w, c, stride, pads, shift, relu, bias):
    sim, dw = make()
    layer = Layer(sim, h, w, c, stride, pads, shift, relu, bias, seed=h * 100 + c)
    end = run_job(sim, dw, layer)
    assert sim.raised == [(EVENT, ALL_CORES, end)]
    assert (layer.output() == layer.expected()).all()


def test_the_accumulator_wraps_at_32_bits():
    sim, dw = make()
    layer = Layer(sim, 4, 4, 16, shift=24, relu=False, bias_range=1 << 31, seed=3)
    layer.bias[:8] = 0x7FFFFFF0                         # + positive products: wraps negative
    layer.x[:] = 100
    layer.w[:] = 100
    sim.memory.write(layer.b_addr, layer.bias.astype("<i4").tobytes())
    sim.memory.write(layer.in_addr, layer.x.tobytes())
    sim.memory.write(layer.w_addr, layer.w.tobytes())
    run_job(sim, dw, layer)
    got = layer.output()
    assert (got == layer.expected()).all()
    assert (got[:, :, :8] == -128).all()                # wrapped: -2^31 + ... >> 24 = -128


def test_an_output_touching_the_input_is_allowed_and_the_bias_may_be_unaligned():
    sim, dw = make()
    layer = Layer(sim, 6, 6, 16, at=L1 + 0x1001)
    layer.b_addr += 1                                   # odd addresses everywhere
    sim.memory.write(layer.b_addr, layer.bias.astype("<i4").tobytes())
    layer.out_addr = layer.in_addr - layer.ho * layer.wo * layer.c   # ends where the input starts
    run_job(sim, dw, layer)
    assert (layer.output() == layer.expected()).all()


# ---------------------------------------------------------------- timing

@pytest.mark.parametrize("h, w, c, stride, bias", [
    (48, 48, 96, 1, False), (56, 56, 64, 2, True), (28, 28, 192, 1, True),   # fit 512 kB
    (7, 7, 960, 1, False), (5, 9, 17, 2, False), (3, 3, 1, 1, True)])
def test_a_single_job_takes_the_documented_cycles(h, w, c, stride, bias):
    sim, dw = make()
    layer = Layer(sim, h, w, c, stride, bias=bias)
    end = run_job(sim, dw, layer, t=777)
    assert end == 777 + 1 + formula_cycles(layer.ho, layer.wo, c, stride, bias)
    assert sim.raised == [(EVENT, ALL_CORES, end)]
    s = dw.stats()
    assert s["busy_cycles"] == end - 777 and s["stream_cycles"] == end - 778
    assert sum(s["phase_cycles"].values()) == end - 778


@pytest.mark.parametrize("h, w, c, stride, rate", [
    (48, 48, 96, 1, None), (56, 56, 64, 2, None), (7, 7, 960, 1, 12.5), (5, 9, 17, 2, 1)])
def test_the_papers_constant_rate_model_is_an_option(h, w, c, stride, rate):
    """timing = "constant": every layer at the paper's average 29.7 MAC/cycle (Sec. IV-C),
    or at mac_per_cycle: ceil(9 Ho Wo C / rate) cycles, whatever the stride."""
    from fractions import Fraction
    params = {"timing": "constant"} | ({} if rate is None else {"mac_per_cycle": rate})
    sim, dw = make(**params)
    layer = Layer(sim, h, w, c, stride)
    hart = sim.harts[0]
    hart.t = 500
    assert rd(dw, hart, ACQUIRE) == 0
    layer.program(dw, hart)
    wr(dw, hart, TRIGGER, 0)
    macs = 9 * layer.ho * layer.wo * c
    cycles = -(-macs // Fraction(str(rate or 29.7)))        # ceil
    end = 500 + 1 + cycles
    sim.run_until(end - 1)
    assert sim.raised == []
    sim.run_until(end)
    assert sim.raised == [(EVENT, ALL_CORES, end)]
    assert (layer.output() == layer.expected()).all()
    assert dw.stats()["phase_cycles"] == {"constant_rate": cycles}


def test_the_timing_option_is_checked():
    from iss.errors import PlatformError
    with pytest.raises(PlatformError, match="timing"):
        make(timing="paper")
    with pytest.raises(PlatformError, match="mac_per_cycle"):
        make(timing="constant", mac_per_cycle=0)


def test_typical_mobilenet_v2_layers_land_near_the_papers_mac_rate():
    # docs/dw.md reports these; the paper's average is 29.7 MAC/cycle (Sec. IV-C)
    rates = {}
    for h, c, s in [(56, 144, 1), (28, 192, 1), (14, 384, 1), (56, 144, 2), (28, 192, 2)]:
        ho = (h - 1) // s + 1
        rates[h, c, s] = 9 * ho * ho * c / formula_cycles(ho, ho, c, s, False)
    assert 33 < rates[56, 144, 1] < 36 and 30 < rates[14, 384, 1] < 34
    assert 17 < rates[56, 144, 2] < 21                  # stride 2: the port is the bottleneck


def test_hwpes_stream_one_at_a_time_on_the_shared_port():
    sim, dw = make()
    other = DwAccel(sim, "dw2", BASE + 0x400, 0x400, {"event": 13})   # stands in for the IMA
    a, b = Layer(sim, 8, 8, 16), Layer(sim, 6, 6, 32, at=L1 + 0x8000)
    h0, h1 = sim.harts[0], sim.harts[1]
    h0.t = h1.t = 50
    assert rd(dw, h0, ACQUIRE) == 0 and rd(other, h1, ACQUIRE) == 0   # configured in parallel
    a.program(dw, h0)
    b.program(other, h1)
    wr(dw, h0, TRIGGER, 0)
    h1.t = 60
    wr(other, h1, TRIGGER, 0)
    end_a = 51 + a.cycles()
    end_b = end_a + b.cycles()                          # waits for the port
    sim.run_until(end_b)
    assert sim.raised == [(EVENT, ALL_CORES, end_a), (13, ALL_CORES, end_b)]
    assert (a.output() == a.expected()).all() and (b.output() == b.expected()).all()


# ---------------------------------------------------------------- stats

def test_stats_count_macs_streamed_bytes_and_layers():
    sim, dw = make()
    layer = Layer(sim, 7, 9, 20, stride=2, pads=(1, 0, 2, 1), bias=True)
    run_job(sim, dw, layer)
    # bytes the streamer reads: weights, bias, and per output column the window's in-bounds
    # input pixels down the whole column (the window is reloaded per column)
    pt, _, pl, _ = layer.pads
    pixels = 0
    for j in range(layer.wo):
        covered = {(layer.stride * i + ky - pt, layer.stride * j + kx - pl)
                   for i in range(layer.ho) for ky in range(3) for kx in range(3)}
        pixels += sum(0 <= y < layer.h and 0 <= x < layer.w_ for y, x in covered)
    s = dw.stats()
    assert s["layers"] == 1 and s["jobs"] == 1 and s["triggers"] == 1
    assert s["macs"] == 9 * layer.ho * layer.wo * 20
    assert s["stream_in_bytes"] == 9 * 20 + 4 * 20 + 20 * pixels
    assert s["stream_out_bytes"] == layer.ho * layer.wo * 20
    blocks = 2
    assert s["phase_cycles"] == {"weight_load": blocks * 13,
                                 "window_preload": blocks * layer.wo * 9,
                                 "inner_loop": blocks * layer.wo * layer.ho * 7}
    assert s["warnings"] == 0


# ---------------------------------------------------------------- misconfiguration

def check_refused(sim, dw, layer, capsys, *words):
    h = sim.harts[0]
    assert rd(dw, h, STATUS) & ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("iss: warning: dw: "), err
    for w in words:
        assert w in err, err
    sim.run_until(10 ** 7)
    assert sim.raised == [] and not layer.output().any()
    wr(dw, h, SOFT_CLEAR, 0)
    assert rd(dw, h, STATUS) == 0


def test_trigger_without_acquire_is_refused(capsys):
    sim, dw = make()
    layer = Layer(sim, 6, 6, 16)
    h = sim.harts[0]
    layer.program(dw, h)                                # also refused: not acquired
    wr(dw, h, TRIGGER, 0)
    err = capsys.readouterr().err
    assert "dw: IN_ADDR = 0x10000100: written without ACQUIRE" in err
    assert "dw: TRIGGER = 0x0: written without ACQUIRE" in err
    assert rd(dw, h, STATUS) == ERROR
    sim.run_until(10 ** 6)
    assert sim.raised == [] and not layer.output().any()


def test_writes_while_busy_are_refused_and_name_the_register(capsys):
    sim, dw = make()
    layer = Layer(sim, 8, 8, 16)
    h = sim.harts[0]
    h.t = 0
    rd(dw, h, ACQUIRE)
    layer.program(dw, h)
    wr(dw, h, TRIGGER, 0)
    h.t = 20
    wr(dw, h, STRIDE, 2)
    wr(dw, h, TRIGGER, 0)
    err = capsys.readouterr().err
    assert "dw: STRIDE = 0x2: written while the engine is busy" in err
    assert "dw: TRIGGER = 0x0: written while the engine is busy" in err
    assert rd(dw, h, STRIDE) == 1
    sim.run_until(1 + layer.cycles())
    assert len(sim.raised) == 1 and dw.stats()["jobs"] == 1


def test_an_unknown_register_is_reported(capsys):
    sim, dw = make()
    h = sim.harts[0]
    rd(dw, h, ACQUIRE)
    wr(dw, h, 0x80, 5)
    assert "dw: 0x80 = 0x5: no such register" in capsys.readouterr().err
    assert rd(dw, h, STATUS) == ERROR


def test_warnings_are_log_records_and_only_the_first_20_are_logged(caplog):
    sim, dw = make()
    h = sim.harts[0]
    rd(dw, h, ACQUIRE)
    for _ in range(25):
        wr(dw, h, 0x80, 5)
    records = [r for r in caplog.records if r.name == "iss.hwpe"]
    assert len(records) == 20 and {r.levelno for r in records} == {logging.WARNING}
    assert records[0].getMessage() == "dw: 0x80 = 0x5: no such register (ignored)"
    assert dw.stats()["warnings"] == 25                    # the others are counted


@pytest.mark.parametrize("reg, value, why", [
    (STRIDE, 3, "STRIDE = 0x3: must be 1 or 2"),
    (STRIDE, 0, "STRIDE = 0x0: must be 1 or 2"),
    (PADDING, 0x03, "PADDING = 0x3: each side's padding must be 0..2"),
    (PADDING, 0x01010105, "PADDING = 0x1010105: each side's padding"),
    (SHIFT, 32, "SHIFT = 0x20: must be 0..31"),
    (RELU, 2, "RELU = 0x2: must be 0 or 1"),
    (HEIGHT, 0, "HEIGHT = 0x0: must be at least 1"),
    (WIDTH, 0, "WIDTH = 0x0: must be at least 1"),
    (CHANNELS, 0, "CHANNELS = 0x0: must be at least 1"),
    (IN_ADDR, L2, "IN_ADDR = 0x1c100000: 576 bytes from there are not inside L1"),
    (WEIGHT_ADDR, 0x0FFFFFFF, "WEIGHT_ADDR = 0xfffffff: 144 bytes"),
    (BIAS_ADDR, L1 + 0x80000 - 8, "BIAS_ADDR = 0x1007fff8: 64 bytes"),
    (OUT_ADDR, 0xFFFFFFF0, "OUT_ADDR = 0xfffffff0: 576 bytes"),
    (OUT_ADDR, L1 + 0x100 + 100, "OUT_ADDR = 0x10000164: the output (576 bytes) overlaps IN_ADDR"),
    (CHANNELS, 0x10000000, "IN_ADDR = 0x10000100: 9663676416 bytes"),
])
def test_a_bad_job_is_refused_with_the_register_and_value(capsys, reg, value, why):
    sim, dw = make()
    layer = Layer(sim, 6, 6, 16)
    h = sim.harts[0]
    rd(dw, h, ACQUIRE)
    layer.program(dw, h, {reg: value})
    wr(dw, h, TRIGGER, 0)
    assert rd(dw, h, RUNNING_JOB) == BUSY               # released: the firmware may retry
    check_refused(sim, dw, layer, capsys, "dw: TRIGGER = 0x0: job rejected: " + why)


@pytest.mark.parametrize("h, w, pads, reg", [(2, 5, (0, 0, 1, 1), "HEIGHT = 0x2"),
                                             (4, 1, (1, 1, 0, 1), "WIDTH = 0x1")])
def test_a_window_that_does_not_fit_is_refused(capsys, h, w, pads, reg):
    sim, dw = make()
    layer = Layer(sim, max(h, 3), max(w, 3), 16)
    hart = sim.harts[0]
    rd(dw, hart, ACQUIRE)
    layer.program(dw, hart, {HEIGHT: h, WIDTH: w,
                             PADDING: pads[0] | pads[1] << 8 | pads[2] << 16 | pads[3] << 24})
    wr(dw, hart, TRIGGER, 0)
    check_refused(sim, dw, layer, capsys, reg, "the 3x3 window does not fit")


# ---------------------------------------------------------------- platform and firmware

def test_the_default_platform_has_the_dw_accelerator_in_the_hwpe_slot():
    from iss.platform import load_platform
    (spec,) = [p for p in load_platform().peripherals if p.plugin == "dw_accel"]
    assert (spec.base, spec.size, spec.params["event"]) == (0x10201000, 0x400, 12)


def test_the_dw_layer_app_runs_self_checking_on_the_accelerator(firmware_elf, capsys):
    from iss.elf import load_elf
    from iss.simulator import Simulator
    elf = firmware_elf("dw_layer")
    out = io.StringIO()
    sim = Simulator(elf, output=out, cores=8)
    result = sim.run(max_instructions=50_000_000)
    text, err = out.getvalue(), capsys.readouterr().err
    assert result.stop.reason == "exit" and result.exit_code == 0, (result.stop, text)
    assert "dw_layer: OK" in text
    # the two refused misconfigurations: one warning line each, the run went on
    assert "dw: TRIGGER = 0x0: written without ACQUIRE (ignored)" in err
    assert "dw: TRIGGER = 0x0: job rejected: IN_ADDR = 0x1c" in err
    assert "not inside L1" in err

    # outputs against numpy, from the app's documented data
    sym = load_elf(elf).symbols
    a_in = hash_int8(np.arange(20 * 20 * 40)).reshape(20, 20, 40)
    a_w = hash_int8(0x10000 + np.arange(9 * 40)).reshape(3, 3, 40)
    a_b = hash_int8(0x20000 + np.arange(40)).astype(np.int32) * 97
    b_in = hash_int8(0x30000 + np.arange(20 * 20 * 32)).reshape(20, 20, 32)
    b_w = hash_int8(0x40000 + np.arange(9 * 32)).reshape(3, 3, 32)
    a = golden(a_in, a_w, a_b, 1, (1, 1, 1, 1), 7, True)
    b = golden(b_in, b_w, None, 2, (0, 1, 0, 1), 8, False)
    for name, want in (("a_out", a), ("b_out", b)):
        got = np.frombuffer(sim.memory.read(sym[name], want.size), dtype=np.int8)
        assert (got == want.ravel()).all(), name

    # timer cycles around dw_run = the job's cycles + a few dozen of configuration
    for line, (ho, wo, c, s, bias) in zip([l for l in text.splitlines() if l.startswith("layer")],
                                          [(20, 20, 40, 1, True), (10, 10, 32, 2, False)], strict=True):
        cycles = int(line.split(", ")[1].split()[0])
        job = formula_cycles(ho, wo, c, s, bias)
        assert f"(job {job})" in line
        assert job < cycles < job + 100, line
    stats = result.stats["peripherals"]["dw"]
    assert stats["layers"] == 2 and stats["warnings"] == 2
    assert stats["macs"] == 9 * (20 * 20 * 40 + 10 * 10 * 32)
    assert stats["stream_out_bytes"] == 20 * 20 * 40 + 10 * 10 * 32
    hart0 = result.stats["harts"][0]
    assert hart0["sleep_cycles"] > formula_cycles(20, 20, 40, 1, True)   # slept through it


def test_waiting_for_a_refused_job_ends_in_a_clear_deadlock_report(tmp_path):
    import subprocess
    import sys
    src = tmp_path / "bad.c"
    src.write_text("#include <dw.h>\nint main(void) { dw_trigger(); dw_wait(); return 0; }\n")
    elf = tmp_path / "bad.elf"
    subprocess.run([sys.executable, "-m", "iss.cli", "cc", "-o", str(elf), str(src)], check=True)
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 3
    assert "iss: warning: dw: TRIGGER = 0x0: written without ACQUIRE (ignored)" in r.stderr
    assert "deadlock" in r.stderr and "Traceback" not in r.stderr
