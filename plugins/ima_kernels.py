"""The IMA's per-trigger work as numba kernels on the L1 buffer: pointer sweeps and the
crossbar MVMs of all jobs, with no Python per job or per element (docs/ima.md).

Ideal arithmetic (the exact integer form of GVSoC ima_v1 `exec_job` + `adc_clipping`):
  acc = sum_r in[r] * w[r][c]           in: int8 DAC codes, w: 4-bit crossbar codes
  v   = acc / 889                         889 = 127 * 7: the DAC maps in -> in/127, a cell w -> w/7
  v   = clip(v, -ADC_LOW, +ADC_HIGH)
  y   = v * 127 / (ADC_HIGH + ADC_LOW)    8-bit ADC, 127 = 2^(8-1) - 1
  out = round half away from zero of y, saturated to [-127, 127]
computed on integers: a = clip(acc, -889*ADC_LOW, 889*ADC_HIGH), num = 127*a,
den = 889*(ADC_HIGH + ADC_LOW), |out| = min((2|num| + den) // (2 den), 127), sign of num.
GVSoC evaluates the same chain in float32, so it can differ from this only at exact ties.

A trigger runs T >= 1 row tiles per job (T > 1: partial-sum accumulation, docs/ima.md): tile t
reads FEAT_LENGTH lines of lines[t] bytes at the job's input + offs[t], uses rows
rows0[t]..rows0[t+1]-1 of the stacked weights w, and gives p_t = out of its column sums; the
job writes clip(sum_t p_t >> shift, -low, high). A plain trigger is T = 1, shift 0 and the
range [-128, 127], which leaves its ADC outputs as they are.
"""
from __future__ import annotations

import numpy as np
from numba import njit

DAC_FULL = 127                 # GVSoC archi/ima/ima_v1.h DAC_PRECISION 8: 2^7 - 1
W_FULL = 7                     # GVSoC STOR_DWIDTH 4: cells hold w/7, w in [-7, 7]
ADC_FULL = 127                 # GVSoC ADC_PRECISION 8: outputs in [-127, 127]
SCALE = DAC_FULL * W_FULL      # 889: v = acc / 889


@njit(cache=True, nogil=True)
def job_pointers(first, njobs, alpha_len, alpha_stride, beta_len, beta_stride):
    """Address of each job's input (or output) under the two-level update of GVSoC
    ima_v1 `job_update`: before every job but the first, if the beta counter is below
    BETA_LEN the pointer moves by ALPHA_STRIDE (alpha counter below ALPHA_LEN, which it
    then increments) or else by BETA_STRIDE (alpha counter back to 0, beta counter + 1,
    wrapping at BETA_LEN). BETA_LEN = 0 leaves the pointer in place."""
    out = np.empty(njobs, np.int64)
    p = np.int64(first)
    a = 0
    b = 0
    for j in range(njobs):
        out[j] = p
        if b < beta_len:
            if a < alpha_len:
                p += alpha_stride
                a += 1
            else:
                p += beta_stride
                a = 0
                b += 1
                if b == beta_len:
                    b = 0
    return out


@njit(cache=True, nogil=True)
def adc_exact(acc, adc_low, adc_high):
    """The ideal ADC of one column (module docstring), on int64."""
    hi = adc_high * SCALE
    lo = -adc_low * SCALE
    a = acc
    if a >= hi:                 # GVSoC tests the high bound first
        a = hi
    elif a <= lo:
        a = lo
    num = a * ADC_FULL
    den = SCALE * (adc_high + adc_low)
    q = (2 * abs(num) + den) // (2 * den)
    if q > ADC_FULL:
        q = ADC_FULL
    return q if num >= 0 else -q


@njit(cache=True, nogil=True)
def adc_real(acc, adc_low, adc_high):
    """The same ADC on a real-valued column sum acc (noisy path), in the same order of
    operations, so that an integer-valued acc gives exactly the ideal result: 127*acc and
    the denominator are exact, and their quotient is correctly rounded."""
    if acc >= adc_high * SCALE:
        acc = adc_high * SCALE
    elif acc <= -adc_low * SCALE:
        acc = -adc_low * SCALE
    y = acc * ADC_FULL / (SCALE * (adc_high + adc_low))
    q = np.floor(abs(y) + 0.5)
    if q > ADC_FULL:
        q = ADC_FULL
    return np.int64(q) if y >= 0 else -np.int64(q)


@njit(cache=True, nogil=True)
def _gather(mem, base, feat, line, stride, x, k):
    """The virtual im2col window: FEAT_LENGTH lines of LINE_LENGTH bytes, SRC_STRIDE apart,
    into x from index k."""
    for f in range(feat):
        p = base + f * stride
        for b in range(line):
            x[k] = mem[p + b]
            k += 1


@njit(cache=True, nogil=True)
def _requantize(s, shift, low, high):
    """The digital output stage: clip(s >> shift, -low, high)."""
    v = s >> shift
    return high if v > high else -low if v < -low else v


@njit(cache=True, nogil=True)
def run_ideal(mem, src, dst, offs, lines, rows0, feat, stride, w, adc_low, adc_high, shift,
              low, high):
    """All jobs of a trigger, in order (job n's outputs are in L1 before job n+1 reads).
    mem: L1 as int8; src, dst: per-job offsets in mem; offs, lines, rows0: the tiles (module
    docstring); w: int16 [rows, cols], the tiles' sub-arrays of their crossbars, stacked
    (int16 rows into an int32 accumulator vectorise best)."""
    rows, cols = w.shape
    x = np.empty(rows, np.int32)
    acc = np.empty(cols, np.int32)
    total = np.empty(cols, np.int64)
    for j in range(src.size):
        for t in range(offs.size):
            _gather(mem, src[j] + offs[t], feat, lines[t], stride, x, rows0[t])
        total[:] = 0
        for t in range(offs.size):
            acc[:] = 0
            for r in range(rows0[t], rows0[t + 1]):
                xr = x[r]
                if xr != 0:
                    wr = w[r]
                    for c in range(cols):
                        acc[c] += xr * wr[c]
            for c in range(cols):
                total[c] += adc_exact(np.int64(acc[c]), adc_low, adc_high)
        d = dst[j]
        for c in range(cols):
            mem[d + c] = _requantize(total[c], shift, low, high)


@njit(cache=True, nogil=True)
def run_noisy(mem, src, dst, offs, lines, rows0, feat, stride, w, weff, var, normals, adc_low,
              adc_high, shift, low, high, err):
    """run_ideal with PCM non-idealities: a tile's column sees sum in*weff plus read noise, a
    normal of variance sum in^2 * var (the sum of independent per-device noises, drawn
    once per column, tile and job: normals [jobs, tiles * cols] are standard normals).
    weff, var: float64 [rows, cols] in weight units, stacked as w. The ideal ADC output is
    computed alongside for the error statistics, accumulated in err: [sum ideal^2,
    sum (out - ideal)^2, outputs that differ, sum acc^2, sum (noisy acc - acc)^2, outputs],
    over the tiles' ADC outputs."""
    rows, cols = w.shape
    x = np.empty(rows, np.int32)
    acc = np.empty(cols, np.int32)
    mu = np.empty(cols, np.float64)
    s2 = np.empty(cols, np.float64)
    total = np.empty(cols, np.int64)
    for j in range(src.size):
        for t in range(offs.size):
            _gather(mem, src[j] + offs[t], feat, lines[t], stride, x, rows0[t])
        total[:] = 0
        for t in range(offs.size):
            acc[:] = 0
            mu[:] = 0.0
            s2[:] = 0.0
            for r in range(rows0[t], rows0[t + 1]):
                xr = x[r]
                if xr != 0:
                    xf = np.float64(xr)
                    wr, er, vr = w[r], weff[r], var[r]
                    for c in range(cols):
                        acc[c] += xr * wr[c]
                        mu[c] += xf * er[c]
                        s2[c] += xf * xf * vr[c]
            for c in range(cols):
                a = mu[c] + np.sqrt(s2[c]) * normals[j, t * cols + c]
                y = adc_real(a, adc_low, adc_high)
                ideal = adc_exact(np.int64(acc[c]), adc_low, adc_high)
                total[c] += y
                err[0] += ideal * ideal
                err[1] += (y - ideal) * (y - ideal)
                err[2] += y != ideal
                err[3] += np.float64(acc[c]) * acc[c]           # analog: before the ADC
                err[4] += (a - acc[c]) * (a - acc[c])
                err[5] += 1
        d = dst[j]
        for c in range(cols):
            mem[d + c] = _requantize(total[c], shift, low, high)
