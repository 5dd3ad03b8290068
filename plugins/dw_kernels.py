"""The depth-wise accelerator's datapath as one numba kernel (no Python per element).

Arithmetic of the DW engine (paper Sec. IV-C; rounding and bias are our
choices, docs/dw.md): int8 inputs and weights, int32 accumulation that wraps modulo 2^32 as
a 32-bit adder does, then ReLU, arithmetic right shift (floor, no rounding: a plain shifter)
and clip to int8.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def dw3x3_hwc(x, w, bias, out, stride, pad_top, pad_left, shift, relu):
    """out[oy, ox, c] = clip8(relu(bias[c] + sum_{ky,kx} x[iy, ix, c] * w[ky, kx, c]) >> shift)
    with iy = oy*stride + ky - pad_top, ix = ox*stride + kx - pad_left; taps outside x are
    zero padding. x: (H, W, C) int8, w: (3, 3, C) int8, bias: (C,) int32, out: (Ho, Wo, C)
    int8 (written in place: it is a view of L1)."""
    H, W, C = x.shape
    Ho, Wo = out.shape[0], out.shape[1]
    acc = np.empty(C, dtype=np.int64)
    for oy in range(Ho):
        for ox in range(Wo):
            for c in range(C):
                acc[c] = bias[c]
            for ky in range(3):
                iy = oy * stride + ky - pad_top
                if iy < 0 or iy >= H:
                    continue
                for kx in range(3):
                    ix = ox * stride + kx - pad_left
                    if ix < 0 or ix >= W:
                        continue
                    for c in range(C):
                        acc[c] += np.int64(x[iy, ix, c]) * np.int64(w[ky, kx, c])
            for c in range(C):
                # wrap to int32: the engine's accumulator is a 32-bit register
                a = ((acc[c] + 0x80000000) & 0xFFFFFFFF) - 0x80000000
                if relu and a < 0:
                    a = 0
                a >>= shift
                out[oy, ox, c] = min(max(a, -128), 127)
