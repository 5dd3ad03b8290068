"""An independent numpy model of the IMA's ideal arithmetic and job sweep, written from
docs/ima.md and the GVSoC ima_v1 model (not from plugins/ima*.py), for the bit-exact tests.

ADC rule, evaluated with exact rationals (fractions.Fraction):
  v = clip(acc / (127*7), -ADC_LOW, ADC_HIGH); y = v * 127 / (ADC_LOW + ADC_HIGH);
  y saturated to [-127, 127]; rounded half away from zero.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def adc(acc, adc_low: int, adc_high: int) -> np.ndarray:
    """int8 outputs for an array of column sums."""
    acc = np.asarray(acc, dtype=np.int64)

    def one(a: int) -> int:
        v = Fraction(a, 127 * 7)
        v = min(max(v, Fraction(-adc_low)), Fraction(adc_high))
        y = v * 127 / (adc_low + adc_high)
        y = min(max(y, Fraction(-127)), Fraction(127))
        magnitude = math.floor(abs(y) + Fraction(1, 2))
        return magnitude if y >= 0 else -magnitude

    values, inverse = np.unique(acc, return_inverse=True)
    table = np.array([one(int(a)) for a in values], dtype=np.int8)
    return table[inverse].reshape(acc.shape)


def mvm(inputs, weights, adc_low: int, adc_high: int) -> np.ndarray:
    """inputs [jobs, rows] int8, weights [rows, cols] int codes -> outputs [jobs, cols]."""
    acc = np.asarray(inputs, np.int64) @ np.asarray(weights, np.int64)
    return adc(acc, adc_low, adc_high)


def conv_hwc(x, w, stride: int, adc_low: int, adc_high: int) -> np.ndarray:
    """KxK convolution, no padding, of x [H, W, Cin] with w [K, K, Cin, Cout]: the im2col
    matrix built from the tensor (window rows ordered ky, kx, ci)."""
    H, W, cin = x.shape
    K, cout = w.shape[0], w.shape[3]
    ho, wo = (H - K) // stride + 1, (W - K) // stride + 1
    cols = np.stack([x[oy * stride:oy * stride + K, ox * stride:ox * stride + K].reshape(-1)
                     for oy in range(ho) for ox in range(wo)])
    return mvm(cols, w.reshape(K * K * cin, cout), adc_low, adc_high).reshape(ho, wo, cout)


def pointers(first: int, njobs: int, alpha_len: int, alpha_stride: int, beta_len: int,
             beta_stride: int) -> list[int]:
    """Per-job pointer under the ALPHA/BETA rule (GVSoC ima_v1 job_update)."""
    out, p, a, b = [], first, 0, 0
    for _ in range(njobs):
        out.append(p)
        if b >= beta_len:
            continue
        if a < alpha_len:
            p, a = p + alpha_stride, a + 1
        else:
            p, a, b = p + beta_stride, 0, b + 1
            if b == beta_len:
                b = 0
    return out


def run_trigger(l1: np.ndarray, l1_base: int, crossbar, r: dict) -> np.ndarray:
    """All jobs of one trigger on a copy of L1 (uint8), one job after the other; r holds the
    register values by name (strides signed). Returns the new L1."""
    mem = l1.copy()
    w = np.asarray(crossbar, np.int64)[r["J_START_Y"]:r["J_START_Y"] + r["J_HEIGHT"],
                                       r["J_START_X"]:r["J_START_X"] + r["J_WIDTH"]]
    src = pointers(r["J_SRC_ADDR"], r["NUM_JOBS"], r["ALPHA_IN_LENGTH"], r["ALPHA_IN_STRIDE"],
                   r["BETA_IN_LENGTH"], r["BETA_IN_STRIDE"])
    dst = pointers(r["J_DST_ADDR"], r["NUM_JOBS"], r["ALPHA_OUT_LENGTH"], r["ALPHA_OUT_STRIDE"],
                   r["BETA_OUT_LENGTH"], r["BETA_OUT_STRIDE"])
    for s, d in zip(src, dst, strict=True):
        lines = [mem[s - l1_base + f * r["J_SRC_STRIDE"]:][:r["LINE_LENGTH"]]
                 for f in range(r["FEAT_LENGTH"])]
        x = np.concatenate(lines).view(np.int8)
        y = mvm(x[None], w, r["ADC_LOW"], r["ADC_HIGH"])[0]
        mem[d - l1_base:d - l1_base + len(y)] = y.view(np.uint8)
    return mem


# ---------------------------------------------------------------- partial-sum accumulation
# docs/ima.md, "Partial-sum accumulation": per job, each row tile's ordinary ADC output
# p_t = adc(sum_r x_t[r] w_t[r][c]), s = sum_t p_t (integers), out = clip(s >> shift,
# -low, high) with >> the arithmetic (floor) shift.

def accumulate(partials, shift: int, low: int, high: int) -> np.ndarray:
    """The digital output stage: partials [T, ..., cols] (ADC outputs) -> int8 outputs."""
    s = np.sum(np.asarray(partials, np.int64), axis=0)
    return np.clip(s >> shift, -low, high).astype(np.int8)


def mvm_acc(tile_inputs, tile_weights, adc_low: int, adc_high: int, shift: int, low: int,
            high: int) -> np.ndarray:
    """tile_inputs: T arrays [jobs, rows_t] int8, tile_weights: T arrays [rows_t, cols] ->
    accumulated outputs [jobs, cols]: each tile through `mvm` (its own ADC), then
    `accumulate`."""
    partials = [mvm(x, w, adc_low, adc_high) for x, w in zip(tile_inputs, tile_weights, strict=True)]
    return accumulate(partials, shift, low, high)


def run_trigger_acc(l1: np.ndarray, l1_base: int, crossbars, array: int, r: dict, tiles,
                    shift: int, low: int, high: int) -> np.ndarray:
    """All jobs of one accumulating trigger on a copy of L1 (uint8). `crossbars[a]` holds
    array a's codes; `array` is the triggered array, whose job window (J_START_X, J_START_Y,
    LINE_LENGTH, offset 0) is tile 0; `tiles` the descriptors (array, start_x, start_y,
    line_length, src_offset) of tiles 1..T-1. Every tile uses the trigger's J_WIDTH,
    FEAT_LENGTH, J_SRC_STRIDE, ADC range and pointer sweep. Returns the new L1."""
    mem = l1.copy()
    all_tiles = [(array, r["J_START_X"], r["J_START_Y"], r["LINE_LENGTH"], 0)] + list(tiles)
    feat, stride, cols = r["FEAT_LENGTH"], r["J_SRC_STRIDE"], r["J_WIDTH"]
    src = pointers(r["J_SRC_ADDR"], r["NUM_JOBS"], r["ALPHA_IN_LENGTH"], r["ALPHA_IN_STRIDE"],
                   r["BETA_IN_LENGTH"], r["BETA_IN_STRIDE"])
    dst = pointers(r["J_DST_ADDR"], r["NUM_JOBS"], r["ALPHA_OUT_LENGTH"], r["ALPHA_OUT_STRIDE"],
                   r["BETA_OUT_LENGTH"], r["BETA_OUT_STRIDE"])
    for s, d in zip(src, dst, strict=True):
        xs, ws = [], []
        for a, x0, y0, line, off in all_tiles:
            starts = [s + off + f * stride - l1_base for f in range(feat)]
            assert all(0 <= p and p + line <= len(mem) for p in starts), "input outside L1"
            xs.append(np.concatenate([mem[p:p + line] for p in starts]).view(np.int8)[None])
            ws.append(np.asarray(crossbars[a], np.int64)[y0:y0 + feat * line, x0:x0 + cols])
        y = mvm_acc(xs, ws, r["ADC_LOW"], r["ADC_HIGH"], shift, low, high)[0]
        mem[d - l1_base:d - l1_base + cols] = y.view(np.uint8)
    return mem
