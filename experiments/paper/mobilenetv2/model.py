"""The numpy golden model of MobileNetV2: deterministic synthetic weights and inputs, the
quantization calibrated on input 0 (ADC ranges, depth-wise shifts, residual multipliers),
and every tensor of an inference (the firmware must match it bit for bit)."""
from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from .. import bottleneck as bn
from .network import (ADD_KERNEL, ADD_KERNELS, ADD_MULT_MAX, CLASSES, LAST, MAPPING, MAPPINGS,
                      NETWORK, PSUM, PSUMS, RES, SEED, WMAX, lower, packing, row_tiles,
                      structure)


def _stream(name: str) -> int:
    return zlib.crc32(name.encode())


def im2col(x, k: int, s: int) -> np.ndarray:
    """[Ho, Wo, K*K*C] windows of an HWC tensor (no padding), rows ordered (ky, kx, c): the
    order of the IMA's virtual im2col (docs/ima.md)."""
    h, w, _ = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    cols = [x[ky:ky + s * (ho - 1) + 1:s, kx:kx + s * (wo - 1) + 1:s]
            for ky in range(k) for kx in range(k)]
    return np.concatenate(cols, axis=2)


def dw_acc(y, w, s: int) -> np.ndarray:
    """Depth-wise 3x3 sums, zero padding 1, stride s: y [H, W, C], w [3, 3, C]."""
    p = np.pad(np.asarray(y, np.int64), ((1, 1), (1, 1), (0, 0)))
    ho = (y.shape[0] - 1) // s + 1
    wo = (y.shape[1] - 1) // s + 1
    return sum(p[ky:ky + s * (ho - 1) + 1:s, kx:kx + s * (wo - 1) + 1:s] * w[ky, kx]
               for ky in range(3) for kx in range(3))


@dataclass
class Model:
    res: int
    seed: int
    ops: list                       # lowered ops, quantization filled in
    shapes: dict                    # tensor -> (h, w, c)
    placements: list                # tilepack.Placement of every IMA tile
    weights: dict                   # conv: [rows, cols] codes; dw: [3, 3, C]; fc: [1000, 1280]
    golden: dict                    # tensor -> int8 HWC (logits: int32), for input 0
    network: str = NETWORK
    add: str = ADD_KERNEL           # residual kernel: "requant" (PULP-NN) or "sat"
    psum: str = PSUM                # row tiles' partial sums: added in the "ima" / by the "cores"
    mapping: str = MAPPING          # "hetero" (accelerators) or "cores" (all software)
    scales: dict = field(default_factory=dict)   # tensor -> real value of one code (input: 1)

    @property
    def crossbars(self) -> int:
        return 1 + max(p.array for p in self.placements)


def image(res: int, seed: int = SEED, index: int = 0) -> np.ndarray:
    """Synthetic input `index` (uniform int8 HWC), zero-padded by 1 for the first conv."""
    img = bn.uniform_int(seed, _stream(f"input{index or ''}"), (res, res, 3), -128, 127)
    return np.pad(img, ((1, 1), (1, 1), (0, 0))).astype(np.int8)


def add_params(s0: float, s1: float, so: float) -> tuple[int, int, int]:
    """(m1, m2, d) of the requantizing residual add out = clip8((x0 * m1 + x1 * m2) >> d)
    for inputs of scales s0, s1 (real value of one code) and an output of scale so:
    m_i = round(s_i / so * 2^d) with the largest d <= 31 that keeps both multipliers within
    pulp_nn_add's 16 bits (<= 32767), i.e. the most precise 16-bit fixed-point ratios."""
    for d in range(31, -1, -1):
        m1, m2 = round(s0 / so * 2 ** d), round(s1 / so * 2 ** d)
        if max(m1, m2) <= ADD_MULT_MAX:
            return m1, m2, d
    raise ValueError(f"residual scales out of range: {s0}, {s1} -> {so}")


def weight_scale(w) -> float:
    """Real value of one weight code of a layer with weights w [fan-in, outputs]:
    1 / (std(codes) * sqrt(fan-in)), so that the layer preserves the variance of its input
    (LeCun normalisation; a trained network's batch norm, folded, plays this role). With
    the codes themselves as weights (scale 1) a block's residual branch would outgrow its
    skip input by ~4 orders of magnitude and a requantizing add would drop the skip."""
    w = np.asarray(w, np.float64)
    return 1.0 / (float(np.std(w)) * math.sqrt(w.shape[0]))


def forward(model: Model, x, calibrate: bool = False) -> dict:
    """Every tensor of the golden model for the padded input x. With `calibrate`, first set
    each layer's ADC range R / shift S from its sums on this data (3 standard deviations),
    layer after layer, and each residual's m1, m2, d. The scale of every tensor (the real
    value of one code; input: 1) follows from the layer's weight scale and its output rule:
    ADC step SCALE * (low + high) / 127 of the sums, 2^S for a depth-wise shift. A weight
    code w of a layer stands for the real weight w / (std(codes) * sqrt(fan-in)): the
    variance-preserving (LeCun) normalisation a trained network's folded batch norm gives
    (`weight_scale`). A residual's output scale is 3 standard deviations of its real sum
    s0 x0 + s1 x1 over 127, the rule of every other layer (`add_params`)."""
    g = {"input": np.asarray(x, np.int8)}
    sc = model.scales
    if calibrate:
        sc["input"] = 1.0
    for op in model.ops:
        x = [g[n].astype(np.int64) for n in op.ins]
        w = model.weights.get(op.name)
        if op.kind == "conv":
            cols = im2col(x[0], op.k, op.s)
            acc = cols @ w
            if calibrate:
                op.rng = bn.clip_range(acc)
            tiles = row_tiles(model.placements, op.name)
            if calibrate:
                low = 0 if op.relu and len(tiles) == 1 else op.rng
                sc[op.out] = (sc[op.ins[0]] * weight_scale(w) * bn.SCALE * (low + op.rng)
                              / bn.ADC_FULL)
            if len(tiles) == 1:
                y = bn.adc(acc, 0 if op.relu else op.rng, op.rng)
            else:
                parts = [bn.adc(cols[..., r0:r0 + n] @ w[r0:r0 + n], op.rng, op.rng)
                         for r0, n in tiles]
                y = (np.concatenate(parts, axis=0) if model.psum == "cores"
                     else np.clip(np.sum(parts, axis=0, dtype=np.int64), op.lo, op.hi))
        elif op.kind == "sum":
            p = x[0].reshape(op.k, -1, *x[0].shape[1:])
            y = np.clip(p.sum(axis=0), op.lo, op.hi)
            if calibrate:
                sc[op.out] = sc[op.ins[0]]
        elif op.kind == "dw":
            acc = dw_acc(x[0], w, op.s)
            if calibrate:
                op.rng = max(0, round(float(np.log2(bn.CLIP_SIGMAS * np.std(acc) / 127))))
            y = bn.dw_shift(acc, op.rng)
            if calibrate:
                sc[op.out] = sc[op.ins[0]] * weight_scale(w.reshape(9, -1)) * 2.0 ** op.rng
        elif op.kind == "add" and model.add == "sat":
            y = np.clip(x[0] + x[1], -128, 127)
            if calibrate:
                sc[op.out] = sc[op.ins[0]]
        elif op.kind == "add":
            if calibrate:
                s0, s1 = sc[op.ins[0]], sc[op.ins[1]]
                real = s0 * x[0].astype(np.float64) + s1 * x[1].astype(np.float64)
                sc[op.out] = bn.CLIP_SIGMAS * float(np.std(real)) / 127
                op.m1, op.m2, op.d = add_params(s0, s1, sc[op.out])
            y = np.clip((x[0] * op.m1 + x[1] * op.m2) >> op.d, -128, 127)
        elif op.kind == "pool":
            n = x[0].shape[0] * x[0].shape[1]
            assert x[0].min() >= 0 and n * 127 < 1 << 16    # the firmware's 16-bit lanes
            y = ((x[0].sum(axis=(0, 1)) + n // 2) // n).reshape(1, 1, -1)
            if calibrate:
                sc[op.out] = sc[op.ins[0]]
        else:                                               # fc: int32 logits
            g[op.out] = (x[0].reshape(-1) @ w.T).astype(np.int32).reshape(1, 1, -1)
            continue
        g[op.out] = y.astype(np.int8)
    return g


@functools.cache
def make_model(res: int = RES, seed: int = SEED, network: str = NETWORK,
               add: str = ADD_KERNEL, psum: str = PSUM, mapping: str = MAPPING) -> Model:
    """Weights (4-bit crossbar codes for the IMA layers, int8 for the depth-wise layers and
    the classifier), per-layer ranges calibrated on input 0, and its golden tensors.
    mapping "cores" runs the same network, arithmetic included (each row tile's ADC rule,
    their sum), on the 8 cores: its golden tensors are those of psum "ima"."""
    if add not in ADD_KERNELS:
        raise ValueError(f"add must be one of {ADD_KERNELS}, got {add!r}")
    if psum not in PSUMS:
        raise ValueError(f"psum must be one of {PSUMS}, got {psum!r}")
    if mapping not in MAPPINGS:
        raise ValueError(f"mapping must be one of {MAPPINGS}, got {mapping!r}")
    if mapping == "cores":
        psum = "ima"                  # no partial outputs: the conv kernel adds the tiles
    ops, shapes = structure(res, network)
    _, placements, _, _ = packing(network)
    ops = lower(ops, shapes, placements, psum)
    for op in ops:
        op.cores = mapping == "cores" and op.kind in ("conv", "dw")
    wts = {}
    for op in ops:
        cin = shapes[op.ins[0]][2]
        if op.kind == "conv":
            wts[op.name] = bn.uniform_int(seed, _stream(op.name),
                                          (op.k * op.k * cin, shapes[op.name][2]), -WMAX, WMAX)
        elif op.kind == "dw":
            wts[op.name] = bn.uniform_int(seed, _stream(op.name), (3, 3, cin), -128, 127)
        elif op.kind == "fc":
            wts[op.name] = bn.uniform_int(seed, _stream(op.name), (CLASSES, LAST), -128, 127)
    model = Model(res, seed, ops, shapes, placements, wts, {}, network, add, psum, mapping)
    model.golden = forward(model, image(res, seed), calibrate=True)
    return model
