"""MobileNetV2 end to end on the heterogeneous cluster (paper Sec. VI):
network, deterministic synthetic int8 weights, Tile&Pack crossbar placement, numpy golden
model, L1 memory plan, the firmware's generated tables and data, build, run, checks.
Why these choices: docs/mobilenetv2.md.

    conv0 3x3/2 (IMA, im2col)  -> 17 bottlenecks: expand 1x1 (IMA) -> depth-wise 3x3 (DW
    accelerator) -> project 1x1 (IMA) [-> residual add (cores)] -> last 1x1 320->1280 (IMA)
    -> global average pool (cores) -> classifier 1280->1000 (cores, weights DMA'd from L2)

Arithmetic (the bottleneck's rules, iss/paper/bottleneck.py):
  IMA layer, one row tile:   y = adc(acc; 0, R) (ReLU) or adc(acc; R, R) (linear)
  IMA layer, T > 1 row tiles (inputs > 256 rows): each tile t gives p_t = adc(acc_t; R, R)
      (the ADC of its partial sum, same step as the unsplit linear layer), and
      y = clip(sum_t p_t, 0 or -64, 64), added by the IMA's digital output stage in one
      trigger per column tile (psum="ima", the default: docs/ima.md, "Partial-sum
      accumulation") or by the cores from T partial outputs (psum="cores")
  depth-wise:   clip(relu(acc) >> S, -128, 127)   (DW accelerator, pad 1)
  residual:     clip8((x * m1 + y * m2) >> d) (PULP-NN's requantizing add, the default) or
                sat8(x + y) (the 4-lane saturating add, add="sat");
  pool: (sum + n/2) // n;  classifier: int32 logits
Ranges R and shifts S: 3 standard deviations of each layer's sums on this data; the
residual's m1, m2, d from the scales of its two inputs and of its output (`add_params`).

Networks: "paper" (the default: the variant of the paper's Fig. 12, with a 32 -> 32
pointwise layer before the first depth-wise) and "torchvision" (Sandler et al.'s Table 2 as
torchvision builds it: the first block has no expansion layer).
"""
from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import bottleneck as bn
from . import tilepack

# MobileNetV2 (Sandler et al., CVPR 2018, Table 2): expansion t, channels c, repeats n, stride s
SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
            (6, 160, 3, 2), (6, 320, 1, 1))
STEM, LAST, CLASSES = 32, 1280, 1000
NETWORKS = ("paper", "torchvision")
NETWORK = "paper"         # the default: the paper's Fig. 12 variant (63 layers, 2,190,784 params)
ADD_KERNELS = ("requant", "sat")
ADD_KERNEL = "requant"    # PULP-NN's pulp_nn_add arithmetic; "sat": the 4-lane saturating add
ADD_MULT_MAX = (1 << 15) - 1   # pulp_nn_add's 16-bit multipliers
PSUMS = ("ima", "cores")
PSUM = "ima"              # row tiles' partial sums: added in the IMA (default) or by the cores
MAPPINGS = ("hetero", "cores")
MAPPING = "hetero"        # IMA + DW accelerator + cores (default), or everything on the 8 cores
CORES = 8
RES = 224                 # the paper's input resolution
RES_TEST = 64             # the reduced network of the test suite (same layers, final 2x2)
SEED = bn.SEED
WMAX = bn.WMAX            # crossbar weight codes [-7, 7]
FC_CHUNK = 64             # classifier rows per DMA transfer (64 x 1280 B = 80 KiB)
ALIGN = 16
L1_MAX = 0x200000          # L1 (at 0x10000000) may grow up to the cluster peripherals
STACKS = 8 * 0x1000                       # crt0 / link.ld: 4 KiB per core at the top of L1

# paper Sec. VI: MobileNetV2 224x224 end to end
PAPER = {"latency_ms": 10.1, "energy_uj": 482.0, "inf_per_s": 99, "crossbars": 34}
# the paper's claim against the all-digital Vega SoC (Table I: 10 inf/s, 1.19 mJ): 10x lower
# latency, 2.5x lower energy (paper Sec. VI)
PAPER_VS_VEGA = {"vega_latency_ms": 100.0, "vega_energy_uj": 1190.0, "latency_ratio": 10.0,
                 "energy_ratio": 2.5}

KINDS = {"conv": 1, "dw": 2, "sum": 3, "add": 4, "pool": 5, "fc": 6}
SW_KINDS = {"conv": 7, "dw": 8}       # conv / dw on the cores (mapping "cores")
ENGINE = {"conv": "ima", "dw": "dw", "sum": "cores", "add": "cores", "pool": "cores",
          "fc": "cores"}


@dataclass
class Op:
    name: str
    kind: str                  # conv | dw | sum | add | pool | fc
    ins: tuple
    out: str
    k: int = 1                 # conv / dw kernel, stride
    s: int = 1
    relu: bool = False
    rng: int = 0               # conv: ADC range R;  dw: shift S
    lo: int = 0                # sum, conv over T > 1 row tiles: clip range of the partials' sum
    hi: int = 0
    m1: int = 0                # add (requant): out = clip8((in0 * m1 + in1 * m2) >> d)
    m2: int = 0
    d: int = 0
    cores: bool = False        # conv / dw run on the cores (mapping "cores")

    @property
    def engine(self) -> str:
        return "cores" if self.cores else ENGINE[self.kind]


# ---- the network ---------------------------------------------------------------------------
def structure(res: int, network: str = NETWORK) -> tuple[list[Op], dict]:
    """Ops and tensor shapes (h, w, c) before lowering; `input` is zero-padded by 1 (the
    IMA streamer has no padding: the first conv reads the padded image). network "paper"
    has an expansion layer (32 -> 32, ReLU) in the first block, "torchvision" none."""
    if network not in NETWORKS:
        raise ValueError(f"network must be one of {NETWORKS}, got {network!r}")
    if res % 32:
        raise ValueError(f"the resolution must be a multiple of 32, got {res}")
    shapes = {"input": (res + 2, res + 2, 3)}
    h = res // 2
    ops = [Op("conv0", "conv", ("input",), "conv0", k=3, s=2, relu=True)]
    shapes["conv0"] = (h, h, STEM)
    x, cin, b = "conv0", STEM, 0
    for t, c, n, s in SETTINGS:
        for i in range(n):
            b += 1
            stride, hidden, name = (s if i == 0 else 1), cin * t, f"b{b}"
            y = x
            if t != 1 or (network == "paper" and b == 1):
                ops.append(Op(f"{name}.expand", "conv", (y,), f"{name}.expand", relu=True))
                shapes[f"{name}.expand"] = (h, h, hidden)
                y = f"{name}.expand"
            ho = (h + 2 - 3) // stride + 1
            ops.append(Op(f"{name}.dw", "dw", (y,), f"{name}.dw", k=3, s=stride, relu=True))
            shapes[f"{name}.dw"] = (ho, ho, hidden)
            ops.append(Op(f"{name}.project", "conv", (f"{name}.dw",), f"{name}.project"))
            shapes[f"{name}.project"] = (ho, ho, c)
            out = f"{name}.project"
            if stride == 1 and cin == c:
                ops.append(Op(f"{name}.add", "add", (x, out), f"{name}.add"))
                shapes[f"{name}.add"] = (ho, ho, c)
                out = f"{name}.add"
            x, cin, h = out, c, ho
    ops.append(Op("last", "conv", (x,), "last", relu=True))
    shapes["last"] = (h, h, LAST)
    ops.append(Op("pool", "pool", ("last",), "pool"))
    shapes["pool"] = (1, 1, LAST)
    ops.append(Op("fc", "fc", ("pool",), "logits"))
    shapes["logits"] = (1, 1, CLASSES)
    return ops, shapes


def conv_matrices(ops, shapes) -> dict[str, tuple[int, int]]:
    """Every IMA layer's crossbar matrix: rows = K*K*Cin inputs, columns = Cout outputs."""
    return {op.name: (op.k * op.k * shapes[op.ins[0]][2], shapes[op.out][2])
            for op in ops if op.kind == "conv"}


@functools.cache
def packing(network: str = NETWORK):
    """Tile&Pack of MobileNetV2's IMA layers (the same for every resolution):
    (policy, placements, {policy: crossbars}, lower bound)."""
    ops, shapes = structure(RES, network)
    layers = conv_matrices(ops, shapes)
    policy, placements, counts = tilepack.best_packing(layers)
    return policy, placements, counts, tilepack.lower_bound(tilepack.tile(layers, policy=policy))


def row_tiles(placements, layer: str) -> list[tuple[int, int]]:
    return sorted({(p.tile.r0, p.tile.rows) for p in placements if p.tile.layer == layer})


def lower(ops, shapes, placements, psum: str = PSUM) -> list[Op]:
    """A conv whose inputs span T > 1 row tiles adds its partial sums into
    clip(sum, lo, hi): in the IMA (psum "ima": the conv op itself), or (psum "cores") it
    writes T partial outputs (tensor NAME.part, T x h x w x c) and a `sum` op on the cores
    adds them into NAME."""
    out = []
    for op in ops:
        out.append(op)
        if op.kind == "conv":
            t = len(row_tiles(placements, op.name))
            if t > 1:
                op.lo, op.hi = (0 if op.relu else -64), 64
            if t > 1 and psum == "cores":
                assert t <= 4, "the cores' sum kernel adds up to 4 partial outputs"
                h, w, c = shapes[op.out]
                part = f"{op.name}.part"
                shapes[part] = (t * h, w, c)
                op.out = part
                out.append(Op(f"{op.name}.sum", "sum", (part,), op.name, lo=op.lo, hi=op.hi,
                              k=t))
    return out


# ---- golden model ------------------------------------------------------------------------------
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
                op.rng = bn._clip_range(acc)
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


def network_macs(model: Model) -> int:
    """Multiply-accumulates of one inference: the convolutions, the depth-wise layers and
    the classifier."""
    macs = 0
    for op in model.ops:
        ho, wo, c = model.shapes[op.out]
        if op.kind == "conv":
            macs += ho * wo * model.weights[op.name].size
        elif op.kind == "dw":
            macs += 9 * ho * wo * c
        elif op.kind == "fc":
            macs += model.weights[op.name].size
    return macs


def ima_usage(model: Model) -> dict:
    """MVMs of the network, and the same weighted by the share of the crossbar's 256
    columns (ADCs) or 65536 cells each job uses: the inputs of docs/paper.md's energy
    sensitivity (the energy model charges a full MVM per job, docs/energy.md)."""
    out = {"mvms": 0, "column_mvms": 0.0, "cell_mvms": 0.0}
    for p in model.placements:
        h, w, _ = model.shapes[p.tile.layer]
        out["mvms"] += h * w
        out["column_mvms"] += h * w * p.tile.cols / tilepack.SIZE
        out["cell_mvms"] += h * w * p.tile.cols * p.tile.rows / tilepack.SIZE ** 2
    return out


# ---- L1 memory plan ---------------------------------------------------------------------------
def tensor_bytes(model: Model, name: str) -> int:
    h, w, c = model.shapes[name]
    return h * w * c * (4 if name == "logits" else 1)


def plane_bytes(h: int, w: int) -> int:
    """One core's zero-padded channel plane for the cores' depth-wise kernel, + 4 bytes its
    last word loads read past the plane, word-aligned."""
    return ((h + 2) * (w + 2) + 4 + 3) & ~3


def row_stride(rows: int) -> int:
    """Bytes per weight row and im2col row of the cores' conv: word-aligned."""
    return (rows + 3) & ~3


def scratch(model: Model) -> dict[str, tuple[int, int]]:
    """L1 buffers of the cores' conv and depth-wise ops (mapping "cores"), each living during
    its op: {name: (op index, bytes)}. NAME.w: the layer's weights [Cout][rows], DMA'd from
    L2 (rows padded to a word); NAME.cols: the im2col rows of two pixels per core (K > 1);
    NAME.plane: one padded
    channel plane per core."""
    out = {}
    for i, op in enumerate(model.ops):
        if not op.cores:
            continue
        h, w, c = model.shapes[op.ins[0]]
        if op.kind == "conv":
            ld = row_stride(op.k * op.k * c)
            out[f"{op.name}.w"] = (i, ld * model.shapes[op.out][2])
            if op.k > 1:
                out[f"{op.name}.cols"] = (i, CORES * 2 * ld)
        else:
            out[f"{op.name}.plane"] = (i, CORES * plane_bytes(h, w))
    return out


def memory_plan(model: Model) -> tuple[dict, int]:
    """Arena offsets of every tensor (+ `fc.buf`, the classifier's two DMA buffers, and the
    cores' scratch buffers): each tensor lives from the op that writes it to the last op
    that reads it (the input from the start, the logits to the end); first fit at the
    lowest offset free for the whole lifetime, in order of definition. Returns (offsets,
    arena bytes)."""
    ops = model.ops
    life = {"input": [-1, 0]}
    size = {"input": tensor_bytes(model, "input")}
    for i, op in enumerate(ops):
        for n in op.ins:
            life[n][1] = i
        life[op.out] = [i, i]
        size[op.out] = tensor_bytes(model, op.out)
    for name, (i, n) in scratch(model).items():
        life[name], size[name] = [i, i], n
    life["logits"][1] = len(ops)
    life["fc.buf"] = [len(ops) - 1] * 2
    size["fc.buf"] = 2 * FC_CHUNK * LAST
    placed, offsets = [], {}
    for name in sorted(life, key=lambda n: life[n][0]):
        a, b = life[name]
        n = -(-size[name] // ALIGN) * ALIGN
        busy = sorted((o, o + m) for o, m, s, e in placed if not (e < a or b < s))
        off = 0
        for lo, hi in busy:
            if off + n <= lo:
                break
            off = max(off, hi)
        placed.append((off, n, a, b))
        offsets[name] = off
    return offsets, max(o + n for o, n, _, _ in placed)


def l1_size(need: int) -> int:
    """The platform's L1: the smallest power of two >= need, at least the paper's 512 kB,
    at most the 2 MiB below the cluster peripherals (0x10200000)."""
    size = max(0x80000, 1 << (need - 1).bit_length())
    if size > L1_MAX:
        raise ValueError(f"MobileNetV2 needs {need} B of L1: more than the {L1_MAX} B the "
                         "memory map has below the cluster peripherals")
    return size


# ---- firmware tables and data ------------------------------------------------------------------
def ima_job(op: Op, shapes, pl, in_off: int, out_off: int, nrow: int,
            stacked: bool) -> list[int]:
    """The ima_job_t (ima.h, field order) of one tile: a KxK / stride-s convolution over the
    HWC input, one job per output pixel, rows r0.. of the layer's matrix (an input-channel
    slice for 1x1), columns c0.. written from channel c0 of the output (of its partial
    output when the `stacked` output holds the partials of nrow row tiles). A layer of
    nrow > 1 row tiles has the ADC range [-R, R]."""
    t = pl.tile
    h, w, cin = shapes[op.ins[0]]
    oh, wo, cout = shapes[op.out]
    ho = oh // nrow if stacked else oh
    assert op.k == 1 or (t.r0 == 0 and t.rows == op.k * op.k * cin)
    lo = 0 if op.relu and nrow == 1 else op.rng
    return [pl.x, pl.y, t.cols, t.rows, in_off + t.r0, out_off + t.c0, w * cin, t.rows // op.k,
            op.k, lo, op.rng, ho * wo, wo - 1, ho, wo - 1, ho, op.s * cin,
            op.s * w * cin - (wo - 1) * op.s * cin, cout, cout]


def sw_conv(model: Model, op: Op, offsets: dict, w_l2: int) -> dict:
    """The cores' conv of one layer (mn_swconv_t, mobilenetv2.c): every output pixel and
    channel computes each row tile's sum with its ADC rule (bottleneck.core_requant: a
    clip, a multiply, an add and a shift) and, over T > 1 row tiles, clips their sum."""
    h, w, cin = model.shapes[op.ins[0]]
    ho, wo, cout = model.shapes[op.out]
    tiles = row_tiles(model.placements, op.name)
    assert len(tiles) <= 4 and cout % 4 == 0
    low = 0 if op.relu and len(tiles) == 1 else op.rng
    rule = bn.core_requant(low, op.rng)
    r0 = [r for r, _ in tiles] + [0] * (4 - len(tiles))
    n = [k for _, k in tiles] + [0] * (4 - len(tiles))
    return {"in": offsets[op.ins[0]], "out": offsets[op.out], "w": offsets[f"{op.name}.w"],
            "cols": offsets.get(f"{op.name}.cols", 0), "w_l2": w_l2,
            "geometry": [op.k, op.s, w, cin, ho, wo, cout, row_stride(op.k * op.k * cin),
                         len(tiles)],
            "r0": r0, "n": n, "rule": [int(low != 0), rule["hi"], rule["mul"], rule["add"],
                                       rule["shift"]],
            "clip": [op.lo, op.hi]}


def tables(model: Model, offsets: dict) -> dict:
    """Everything the firmware needs, as plain numbers (tested in Python, printed as C)."""
    shapes, pls = model.shapes, model.placements
    jobs, accs, dws, rows, swconvs, swdws = [], [], [], [], [], []
    dw_w_off, dw_blob, sw_blob = {}, bytearray(), bytearray()
    for op in model.ops:
        kind, first, count, a, b, out, n, lo, hi, d = KINDS[op.kind], 0, 0, 0, 0, 0, 0, 0, 0, 0
        if op.cores and op.kind == "conv":
            kind, first, count = SW_KINDS["conv"], len(swconvs), 1
            swconvs.append(sw_conv(model, op, offsets, len(sw_blob)))
            wt = model.weights[op.name].T.astype(np.int8)            # [Cout][rows]
            sw_blob += np.pad(wt, ((0, 0), (0, row_stride(wt.shape[1]) - wt.shape[1]))).tobytes()
            sw_blob += bytes(-len(sw_blob) % ALIGN)
        elif op.cores:                                         # depth-wise on the cores
            h, w, c = shapes[op.ins[0]]
            kind, first, count = SW_KINDS["dw"], len(swdws), 1
            dw_w_off[op.name] = len(dw_blob)
            dw_blob += model.weights[op.name].astype(np.int8).tobytes()
            dw_blob += bytes(-len(dw_blob) % ALIGN)
            swdws.append((offsets[op.ins[0]], offsets[op.out], offsets[f"{op.name}.plane"],
                          dw_w_off[op.name], h, w, c, op.s, op.rng, plane_bytes(h, w)))
        elif op.kind == "conv":
            tiles = sorted((p for p in pls if p.tile.layer == op.name),
                           key=lambda p: (p.tile.r0, p.tile.c0))
            rt = row_tiles(pls, op.name)
            oh, ow, oc = shapes[op.out]
            first = len(jobs)
            if model.psum == "ima" and len(rt) > 1:
                # one trigger per column tile: its first row tile's array runs all row tiles
                for c0 in sorted({p.tile.c0 for p in tiles}):
                    group = [p for p in tiles if p.tile.c0 == c0]
                    assert [(p.tile.r0, p.tile.rows) for p in group] == rt and op.k == 1
                    job = ima_job(op, shapes, group[0], offsets[op.ins[0]], offsets[op.out],
                                  len(rt), stacked=False)
                    jobs.append((group[0].array, job, len(accs)))
                    accs.append(([(p.array, p.x, p.y, p.tile.rows, p.tile.r0)
                                  for p in group[1:]], op.lo, op.hi))
            else:
                for p in tiles:            # row tile i writes partial output i
                    i = rt.index((p.tile.r0, p.tile.rows))
                    part = offsets[op.out] + i * oh // len(rt) * ow * oc
                    jobs.append((p.array, ima_job(op, shapes, p, offsets[op.ins[0]], part,
                                                  len(rt), stacked=True), -1))
            count = len(jobs) - first
        elif op.kind == "dw":
            h, w, c = shapes[op.ins[0]]
            dw_w_off[op.name] = len(dw_blob)
            dw_blob += model.weights[op.name].astype(np.int8).tobytes()
            dw_blob += bytes(-len(dw_blob) % ALIGN)
            first, count = len(dws), 1
            dws.append((offsets[op.ins[0]], dw_w_off[op.name], offsets[op.out], h, w, c, op.s,
                        op.rng))
        elif op.kind == "sum":
            h, w, c = shapes[op.out]
            a, out, n, count = offsets[op.ins[0]], offsets[op.out], h * w * c, op.k
            lo, hi = op.lo, op.hi
        elif op.kind == "add":
            h, w, c = shapes[op.out]
            a, b, out, n = offsets[op.ins[0]], offsets[op.ins[1]], offsets[op.out], h * w * c
            if model.add == "requant":       # first = 1: PULP-NN's add over `count` rows
                first, count, lo, hi, d = 1, h, op.m1, op.m2, op.d
        elif op.kind == "pool":
            h, w, c = shapes[op.ins[0]]
            a, out, n, count = offsets[op.ins[0]], offsets[op.out], c, h * w
        else:
            a, b, out = offsets["pool"], offsets["fc.buf"], offsets["logits"]
            n, count = LAST, CLASSES
        rows.append((kind, first, count, a, b, out, n, lo, hi, d))
    return {"jobs": jobs, "accs": accs, "dw": dws, "ops": rows, "dw_blob": bytes(dw_blob),
            "swconv": swconvs, "swdw": swdws, "sw_blob": bytes(sw_blob)}


def xbar_blob(model: Model) -> bytes:
    """.ima_weights records (docs/ima.md): one per placed tile."""
    from iss_plugins.ima_image import MAGIC, pack_words
    out = bytearray()
    for p in model.placements:
        t = p.tile
        w = model.weights[t.layer][t.r0:t.r0 + t.rows, t.c0:t.c0 + t.cols]
        out += np.array([MAGIC, p.array, p.x, p.y, t.cols, t.rows], "<u4").tobytes()
        out += pack_words(w).astype("<u4").tobytes()
    return bytes(out)


def _write(path: Path, data) -> Path:
    """Write only when the content changes (keeps builds cached)."""
    data = data.encode() if isinstance(data, str) else bytes(data)
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def header_text(model: Model, t: dict, arena: int) -> str:
    """mn_net.h: the op table, the IMA jobs and the depth-wise layers (addresses in the
    arena as MN_A(offset))."""
    names = [op.name for op in model.ops]
    A = lambda off: f"MN_A({off})"
    out = ["/* Generated by iss/paper/mobilenetv2.py: do not edit. */\n",
           "#ifndef MN_NET_H\n#define MN_NET_H\n#include <stdint.h>\n#include <ima.h>\n"
           "#include <dw.h>\n\n",
           f"#define MN_RES {model.res}\n#define MN_SEED {model.seed}u\n",
           f"#define MN_ARENA_BYTES {arena}\n#define MN_NOPS {len(model.ops)}\n",
           f"#define MN_CLASSES {CLASSES}\n",
           f"#define MN_CORES {CORES}\n",
           f"#define MN_FC_IN {LAST}\n#define MN_FC_CHUNK {FC_CHUNK}\n",
           f"#define MN_CROSSBARS {model.crossbars}\n",
           f"#define MN_TOP1 {int(np.argmax(model.golden['logits']))}\n\n",
           "extern int8_t mn_arena[];          /* L1: activations (mn_data.S) */\n",
           "extern int8_t mn_dw_weights[];     /* L1: depth-wise weights [3][3][C] */\n",
           "extern const int8_t mn_fc_weights[]; /* L2: classifier [1000][1280] */\n",
           "extern const int8_t mn_sw_weights[]; /* L2: the cores' conv weights [Cout][rows] */\n",
           "extern const int32_t mn_expected[]; /* L2: the golden logits */\n",
           "#define MN_A(off) ((uint32_t)(mn_arena + (off)))\n\n"]
    jobs = t["jobs"]                   # any table may be empty (an empty C array, as GNU C)
    out.append("static const uint8_t mn_job_array[] = {" +
               ", ".join(str(a) for a, _, _ in jobs) + "};\n")
    out.append("/* the IMA's partial-sum accumulation of each job: mn_accs[i], -1 none */\n"
               "static const int8_t mn_job_acc[] = {" +
               ", ".join(str(i) for _, _, i in jobs) + "};\n")
    descs = [d for tiles, _, _ in t["accs"] for d in tiles]
    out.append("static L1_DATA ima_acc_tile_t mn_acc_tiles[] = {\n")
    for a, x, y, line, off in descs:
        out.append(f"    {{{a}, {x}, {y}, {line}, {off}}},\n")
    out.append("};\n")
    out.append("static const ima_acc_t mn_accs[] = {\n")
    k = 0
    for tiles, lo, hi in t["accs"]:
        out.append(f"    {{{len(tiles) + 1}, mn_acc_tiles + {k}, 0, {-lo}, {hi}}},\n")
        k += len(tiles)
    out.append("};\n")
    out.append("static const ima_job_t mn_jobs[] = {\n")
    for _, j, _ in jobs:
        v = [str(x) for x in j]
        v[4], v[5] = A(j[4]), A(j[5])
        out.append("    {" + ", ".join(v) + "},\n")
    out.append("};\n\nstatic const dw_layer_t mn_dw[] = {\n")
    for a, w, o, h, wd, c, s, sh in t["dw"]:
        out.append(f"    {{(const int8_t *){A(a)}, mn_dw_weights + {w}, 0, (int8_t *){A(o)}, "
                   f"{h}, {wd}, {c}, {s}, DW_PAD_ALL(1), {sh}, 1}},\n")
    out.append("};\n\n/* the cores' conv layers (mapping \"cores\"): in, out, w, cols, w_l2, k, s, "
               "w_in, cin, ho, wo, cout, ld, tiles, r0, n, sym, hi, mul, add, shift, lo, top */\n"
               "static const mn_swconv_t mn_swconv[] = {\n")
    for c in t["swconv"]:
        v = ([A(c["in"]), A(c["out"]), A(c["w"]), A(c["cols"]), f"mn_sw_weights + {c['w_l2']}"]
             + [str(x) for x in c["geometry"]] + ["{" + ", ".join(map(str, c["r0"])) + "}",
                                                 "{" + ", ".join(map(str, c["n"])) + "}"]
             + [str(x) for x in c["rule"] + c["clip"]])
        out.append("    {" + ", ".join(v) + "},\n")
    out.append("};\n\n/* the cores' depth-wise layers: in, out, planes, weights, h, w, c, s, "
               "shift, plane bytes */\nstatic const mn_swdw_t mn_swdw[] = {\n")
    for a, o, pl, w, h, wd, c, s, sh, pb in t["swdw"]:
        out.append(f"    {{{A(a)}, {A(o)}, {A(pl)}, mn_dw_weights + {w}, {h}, {wd}, {c}, {s}, "
                   f"{sh}, {pb}}},\n")
    out.append("};\n\n/* kind, first, count, a, b, out, n, lo, hi, d (mobilenetv2.c) */\n"
               "static const mn_op_t mn_ops[MN_NOPS] = {\n")
    for (kind, first, count, a, b, o, n, lo, hi, d), name in zip(t["ops"], names, strict=True):
        out.append(f"    {{{kind}, {first}, {count}, {A(a)}, {A(b)}, {A(o)}, {n}, {lo}, {hi}, {d}}},"
                   f" /* {name} */\n")
    out.append("};\n\nstatic const char *const mn_op_names[MN_NOPS] = {\n    " +
               ", ".join(f'"{n}"' for n in names) + "};\n\n#endif\n")
    return "".join(out)


def data_asm(d: Path, arena: int) -> str:
    """mn_data.S: the binary blobs (.incbin), each in its memory. A comment carries the
    blobs' hash: the compiler (zig cc) caches an assembled file by its own text, not by the
    files it .incbin's, so new data in unchanged paths would keep a stale object."""
    inp = (d / "input.bin").stat().st_size
    blobs = hashlib.sha256(b"".join((d / f).read_bytes() for f in
                                    ("input.bin", "dw.bin", "fc.bin", "logits.bin", "xbar.bin",
                                     "sw.bin")))
    return "\n".join([
        "/* Generated by iss/paper/mobilenetv2.py: do not edit. */",
        f"/* data sha256 {blobs.hexdigest()} */",
        '    .section .l1_data, "aw", @progbits',
        "    .balign 16", "    .globl mn_arena", "mn_arena:",
        f'    .incbin "{d / "input.bin"}"', f"    .zero {arena - inp}",
        "    .balign 16", "    .globl mn_dw_weights", "mn_dw_weights:",
        f'    .incbin "{d / "dw.bin"}"',
        '    .section .rodata.mn, "a", @progbits',
        "    .balign 16", "    .globl mn_fc_weights", "mn_fc_weights:",
        f'    .incbin "{d / "fc.bin"}"',
        "    .balign 16", "    .globl mn_sw_weights", "mn_sw_weights:",
        f'    .incbin "{d / "sw.bin"}"', "    .byte 0",
        "    .balign 4", "    .globl mn_expected", "mn_expected:",
        f'    .incbin "{d / "logits.bin"}"',
        '    .section .ima_weights, "aR", @progbits', "    .balign 4",
        f'    .incbin "{d / "xbar.bin"}"', ""])


# ---- build -------------------------------------------------------------------------------------
def default_out_dir(res: int = RES, network: str = NETWORK, add: str = ADD_KERNEL,
                    psum: str = PSUM, mapping: str = MAPPING) -> Path:
    from iss import toolchain
    variant = (network + ("" if add == ADD_KERNEL else f"-{add}add")
               + ("" if psum == PSUM else f"-{psum}psum")
               + ("" if mapping == MAPPING else f"-{mapping}"))
    return toolchain.firmware_dir() / "build" / "mobilenetv2" / variant / str(res)


def l1_need(model: Model) -> dict:
    """L1 bytes: the activation arena, the depth-wise weights, the IMA's accumulation
    descriptors, the 8 stacks (the linker script checks that they fit)."""
    offsets, arena = memory_plan(model)
    dw = sum(-(-model.weights[op.name].size // ALIGN) * ALIGN
             for op in model.ops if op.kind == "dw")
    descriptors = 16 * sum(len(tiles) for tiles, _, _ in tables(model, offsets)["accs"])
    need = arena + dw + descriptors + STACKS
    return {"arena": arena, "dw_weights": dw, "descriptors": descriptors, "stacks": STACKS,
            "need": need, "l1": l1_size(need), "offsets": offsets}


def write_platform(out_dir: Path, l1: int, arrays: int, noise: bool = False,
                   accumulate: bool = False) -> Path:
    """The default platform with an L1 of `l1` bytes and an `arrays`-crossbar IMA
    (PCM noise model on or off, partial-sum accumulation on or off)."""
    from importlib import resources
    text = resources.files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()
    subs = ((r'(?m)^name = "pulp-imc-cluster"',
             f'name = "pulp-imc-cluster-mobilenetv2{"-pcm" if noise else ""}"'),
            (r"(?m)^size = 0x80000(\s*#.*)?$",
             f"size = 0x{l1:X}            # L1 holding every activation (docs/mobilenetv2.md)"),
            (r"(?m)^arrays\s*=\s*\d+", f"arrays = {arrays}"),
            (r"(?m)^pcm_noise\s*=\s*\w+", f"pcm_noise = {'true' if noise else 'false'}"),
            (r"(?m)^accumulate\s*=\s*\w+", f"accumulate = {'true' if accumulate else 'false'}"))
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text)
        assert n == 1, f"the default platform has no line matching {pattern!r}"
    return _write(Path(out_dir) / f"platform{'_pcm' if noise else ''}.toml", text)


def write_linker_script(out_dir: Path, l1: int) -> Path:
    from iss import toolchain
    text = (toolchain.runtime_dir() / toolchain.LINKER_SCRIPT).read_text()
    for old in ("__l1_size      = 0x00080000;", "LENGTH = 0x00080000 - 8 * 0x1000"):
        assert old in text, f"link.ld changed: {old!r} not found"
        text = text.replace(old, old.replace("0x00080000", f"0x{l1:08X}"))
    return _write(Path(out_dir) / "link.ld", text)


def build(res: int = RES, out_dir: Path | None = None, seed: int = SEED,
          network: str = NETWORK, add: str = ADD_KERNEL, psum: str = PSUM,
          mapping: str = MAPPING) -> dict:
    """Generate the data and tables, the platform files and the linker script, compile
    firmware/mobilenetv2/mobilenetv2.c (cached). Returns the paths and the L1 figures."""
    from iss import toolchain
    model = make_model(res, seed, network, add, psum, mapping)
    d = Path(out_dir or default_out_dir(res, network, add, psum, mapping))
    mem = l1_need(model)
    offsets, arena = mem["offsets"], mem["arena"]
    t = tables(model, offsets)
    files = [
        _write(d / "input.bin", model.golden["input"].tobytes()),
        _write(d / "dw.bin", t["dw_blob"]),
        _write(d / "fc.bin", model.weights["fc"].astype(np.int8).tobytes()),
        _write(d / "logits.bin", model.golden["logits"].astype("<i4").tobytes()),
        _write(d / "xbar.bin", xbar_blob(model) if mapping == "hetero" else b""),
        _write(d / "sw.bin", t["sw_blob"]),
        _write(d / "mn_net.h", header_text(model, t, arena)),
    ]
    files.append(_write(d / "mn_data.S", data_asm(d, arena)))
    ld = write_linker_script(d, mem["l1"])
    acc = psum == "ima"
    plat = write_platform(d, mem["l1"], model.crossbars, accumulate=acc)
    plat_pcm = write_platform(d, mem["l1"], model.crossbars, noise=True, accumulate=acc)
    src = toolchain.firmware_dir() / "mobilenetv2" / "mobilenetv2.c"
    elf = d / "mobilenetv2.elf"
    rt = toolchain.runtime_dir()
    kernels = [toolchain.firmware_dir() / "kernels" / f for f in ("kernels.c", "kernels.h")]
    deps = [src, *kernels, ld, *files, *toolchain.runtime_files()]
    sig = hashlib.sha256(b"".join(p.read_bytes() for p in deps)).hexdigest()
    stamp = d / "mobilenetv2.elf.sha256"
    if not elf.exists() or not stamp.exists() or stamp.read_text() != sig:
        args = ["-I", str(d), str(src), str(d / "mn_data.S"),
                *(str(rt / s) for s in toolchain.RUNTIME_SOURCES), "-T", str(ld)]
        cmd = toolchain.compiler_command(args, elf, link=False)
        rc, so, se = toolchain.run_compiler(cmd)
        if rc != 0:
            raise toolchain.ToolchainError(f"compilation of {elf.name} failed (exit {rc})",
                                           so + se)
        stamp.write_text(sig)
    return {"elf": elf, "platform": plat, "platform_pcm": plat_pcm, "dir": d, **mem}


# ---- run ---------------------------------------------------------------------------------------
@dataclass
class OpResult:
    name: str
    kind: str
    engine: str
    cycles: int
    energy: dict = field(default_factory=dict)     # uJ per component + "total"
    mismatches: int = 0                            # wrong output bytes (ideal runs)


@dataclass
class Result:
    res: int
    noise: bool
    ops: list
    total: int                                     # cycles of the network (timer)
    energy: dict                                   # uJ per component + "total"
    logits: np.ndarray
    exit_code: int | None
    output: str
    stats: dict
    crossbars: int
    l1: dict
    golden_logits: np.ndarray                      # the ideal model's, for this input
    image: int = 0
    network: str = NETWORK
    add: str = ADD_KERNEL
    psum: str = PSUM
    mapping: str = MAPPING

    def model(self) -> Model:
        """The network this run ran (make_model is cached: the same object)."""
        return make_model(self.res, network=self.network, add=self.add, psum=self.psum,
                          mapping=self.mapping)

    @property
    def ok(self) -> bool:
        """Every op's output and the logits bit-exact (the firmware checks the logits of
        input 0 itself: its exit status)."""
        return (self.exit_code == (0 if self.image == 0 else 1)
                and self.stats["stop_reason"] == "exit"
                and not any(o.mismatches for o in self.ops)
                and np.array_equal(self.logits, self.golden_logits))

    def latency_s(self) -> float:
        return self.total / self.stats["clock_hz"]

    def noise_metrics(self) -> dict:
        """Output error against the ideal golden logits."""
        ideal = self.golden_logits.astype(np.float64)
        got = self.logits.astype(np.float64)
        err = float(((got - ideal) ** 2).sum())
        top5 = set(np.argsort(-ideal)[:5]) & set(np.argsort(-got)[:5])
        return {"logits_snr_db": 10 * math.log10((ideal ** 2).sum() / err) if err else None,
                "top1_ideal": int(np.argmax(ideal)), "top1_noisy": int(np.argmax(got)),
                "top1_agree": bool(np.argmax(ideal) == np.argmax(got)),
                "top5_overlap": len(top5),
                "logits_corr": float(np.corrcoef(ideal, got)[0, 1]),
                "ima": self.stats["peripherals"]["ima"].get("noise")}


def _snapshot(sim, hart) -> dict:
    """Energy-relevant counts of the run so far (as Simulator.stats), at hart's current
    cycle; the difference of two snapshots is the energy of what ran in between."""
    from iss.energy import energy
    now = hart.now()
    harts = []
    for h in sim.harts:
        s = sim.hart_stats(h)
        if h is hart:
            s["active_cycles"] = now - s["sleep_cycles"]
        harts.append(s)
    stats = {"cycles": now, "time_seconds": now / sim.platform.clock_hz, "harts": harts,
             "peripherals": {p.name: p.stats() for p in sim.peripherals}}
    e = energy(stats, sim.platform)
    return {**e["components"], "total": e["total_uj"], "cycle": now}


def run(res: int = RES, out_dir: Path | None = None, noise: bool = False, progress=None,
        index: int = 0, pcm_seed: int | None = None, network: str = NETWORK,
        add: str = ADD_KERNEL, psum: str = PSUM, mapping: str = MAPPING) -> Result:
    """Build and run the network on input `index` (0: the one in the ELF; others are written
    into L1 before the run). Each op is a trace span (trace.h); at every span end the run's
    energy counts are snapshot (per-op energy = difference of snapshots) and, in an ideal
    run, the op's output tensor is read from L1 and compared with the golden model.
    progress(i, n, name) is called as ops end."""
    from dataclasses import replace as dc_replace

    from iss.platform import load_platform
    from iss.simulator import Simulator
    b = build(res, out_dir, network=network, add=add, psum=psum, mapping=mapping)
    model = make_model(res, network=network, add=add, psum=psum, mapping=mapping)
    platform = load_platform(b["platform_pcm" if noise else "platform"])
    if pcm_seed is not None:
        periph = tuple(dc_replace(p, params={**p.params, "pcm_seed": pcm_seed})
                       if p.plugin == "ima" else p for p in platform.peripherals)
        platform = dc_replace(platform, peripherals=periph)
    out = io.StringIO()
    sim = Simulator(b["elf"], platform=platform, output=out)
    offsets = b["offsets"]
    arena = sim.image.symbols["mn_arena"]
    golden = model.golden
    if index:
        x = image(res, model.seed, index)
        sim.memory.write(arena + offsets["input"], x.tobytes())
        golden = forward(model, x)
    snaps, mism = [], {}

    def on_mark(hart, kind, value, cycle):
        """Core 0 marks each op (trace.h): a snapshot where op 0 begins and at every end,
        and, in an ideal run, the op's output compared with the golden model."""
        if hart.index == 0 and kind == "begin_id" and value == 0:
            snaps.append(_snapshot(sim, hart))
        elif hart.index == 0 and kind == "end":
            i = len(snaps) - 1
            snaps.append(_snapshot(sim, hart))
            op = model.ops[i]
            if not noise:
                want = golden[op.out]
                got = np.frombuffer(bytes(sim.memory.read(arena + offsets[op.out], want.nbytes)),
                                    want.dtype).reshape(want.shape)
                mism[op.name] = int((got != want).sum())
            if progress:
                progress(i + 1, len(model.ops), op.name)

    sim.service("trace_marks").listen(on_mark)
    res_ = sim.run(max_instructions=2_000_000_000)
    text = out.getvalue()
    cycles = {int(m[1]): int(m[2])
              for m in re.finditer(r"^mn op=(\d+) \S+ cycles=(\d+)$", text, re.M)}
    total = re.search(r"^mn total cycles=(\d+)$", text, re.M)
    ops = []
    for i, op in enumerate(model.ops):
        e = ({k: snaps[i + 1][k] - snaps[i][k] for k in snaps[i] if k != "cycle"}
             if i + 1 < len(snaps) else {})
        ops.append(OpResult(op.name, op.kind, op.engine, cycles.get(i, 0), e, mism.get(op.name, 0)))
    energy = ({k: snaps[-1][k] - snaps[0][k] for k in snaps[0] if k != "cycle"}
              if len(snaps) > 1 else {})
    logits = np.frombuffer(bytes(sim.memory.read(arena + offsets["logits"], 4 * CLASSES)), "<i4")
    l1 = {k: v for k, v in b.items()
          if k in ("arena", "dw_weights", "descriptors", "stacks", "need", "l1")}
    return Result(res, noise, ops, int(total[1]) if total else 0, energy, logits.copy(),
                  res_.exit_code, text, res_.stats, model.crossbars, l1,
                  golden["logits"].ravel().copy(), index, network, add, model.psum, mapping)


# ---- the paper's per-layer table (Fig. 12) ---------------------------------------------------
def fig12(model: Model, result: Result) -> dict:
    """The per-layer table in the form of the paper's Fig. 12: one row per layer (conv0 as
    2D_0, the last 1x1 as 2D_1, each IMA layer (with the cores' sum of its row tiles when
    they add the partial sums), each
    depth-wise layer, each ADD; not the pool and the classifier, as the paper's table):
    input H x C, #params (conv weights: K*K*Cin*Cout, depth-wise 9*C, ADD 0), MMAC,
    latency (ms), energy (mJ) and GMAC/s/W (= MAC per joule / 1e9 = MMAC / mJ). Totals: all
    rows, the rows strictly between 2D_0 and 2D_1, and the whole inference (+ pool, fc)."""
    clock = result.stats["clock_hz"]
    shapes = model.shapes
    rows = []
    for op, r in zip(model.ops, result.ops, strict=True):
        if op.kind == "sum":                         # the cores' part of the layer above
            rows[-1]["cycles"] += r.cycles
            rows[-1]["energy_uj"] += r.energy.get("total", 0.0)
            rows[-1]["engine"] += "+cores"
            continue
        if op.kind not in ("conv", "dw", "add"):
            continue
        name = op.name
        h, w, c = shapes[op.ins[0]]
        if op.name == "conv0":
            h, w = h - 2, w - 2                      # the unpadded image
        ho, wo, co = shapes[name]                    # a split layer's summed output
        if op.kind == "conv":
            params = op.k * op.k * c * co
            macs = ho * wo * params
        elif op.kind == "dw":
            params, macs = 9 * c, ho * wo * 9 * c
        else:
            params = macs = 0
        label = {"conv0": "2D_0", "last": "2D_1"}.get(name, name)
        rows.append({"layer": label, "op": name, "kind": op.kind, "engine": op.engine,
                     "input": f"{h}x{c}", "params": params, "macs": macs,
                     "cycles": r.cycles, "energy_uj": r.energy.get("total", 0.0)})
    for row in rows:
        _fig12_derived(row, clock)

    def total(sel, label):
        t = {"layer": label, "rows": len(sel), "params": sum(r["params"] for r in sel),
             "macs": sum(r["macs"] for r in sel), "cycles": sum(r["cycles"] for r in sel),
             "energy_uj": sum(r["energy_uj"] for r in sel)}
        return _fig12_derived(t, clock)

    i0 = next(i for i, r in enumerate(rows) if r["layer"] == "2D_0")
    i1 = next(i for i, r in enumerate(rows) if r["layer"] == "2D_1")
    whole = total(rows, "whole network (inference: + pool, classifier)")
    rest = [r for o, r in zip(model.ops, result.ops, strict=True) if o.kind in ("pool", "fc")]
    whole["cycles"] += sum(r.cycles for r in rest)
    whole["energy_uj"] += sum(r.energy.get("total", 0.0) for r in rest)
    whole["macs"] += LAST * CLASSES                  # the classifier (the pool: additions)
    whole["params_fc"] = LAST * CLASSES
    _fig12_derived(whole, clock)
    return {"rows": rows,
            "totals": {"table": total(rows, f"all {len(rows)} rows of the table"),
                       "between": total(rows[i0 + 1:i1], "rows between 2D_0 and 2D_1 (exclusive)"),
                       "whole": whole}}


def dw_timing_models(model: Model, result: Result) -> dict:
    """The depth-wise layers under our Fig. 5 schedule (what ran) and under the paper's
    end-to-end model, every layer at its reported average 29.7 MAC/cycle (plugin option
    timing = "constant"), per stride, and the network latency with the paper's model in
    place of ours: exact, because the op table runs the engines one after the other, so a
    layer's accelerator cycles add to the total as they are."""
    from iss_plugins.dw_accel import PAPER_MAC_PER_CYCLE, constant_rate_cycles, job_cycles

    strides: dict[int, dict] = {}
    for op in model.ops:
        if op.kind != "dw":
            continue
        ho, wo, c = model.shapes[op.out]
        s = strides.setdefault(op.s, {"layers": 0, "macs": 0, "schedule_cycles": 0,
                                      "constant_cycles": 0})
        s["layers"] += 1
        s["macs"] += 9 * ho * wo * c
        s["schedule_cycles"] += job_cycles(ho, wo, c, op.s, False)    # no bias (tables())
        s["constant_cycles"] += constant_rate_cycles(ho, wo, c, PAPER_MAC_PER_CYCLE)
    total = {k: sum(s[k] for s in strides.values())
             for k in ("layers", "macs", "schedule_cycles", "constant_cycles")}
    for s in (*strides.values(), total):
        s["schedule_mac_per_cycle"] = s["macs"] / s["schedule_cycles"]
    clock = result.stats["clock_hz"]
    network = result.total - total["schedule_cycles"] + total["constant_cycles"]
    return {"paper_mac_per_cycle": PAPER_MAC_PER_CYCLE, "by_stride": strides, "all": total,
            "schedule_ms": total["schedule_cycles"] / clock * 1e3,
            "constant_ms": total["constant_cycles"] / clock * 1e3,
            "network_latency_ms_constant": network / clock * 1e3}


def _fig12_derived(row: dict, clock: float) -> dict:
    row["mmac"] = row["macs"] / 1e6
    row["latency_ms"] = row["cycles"] / clock * 1e3
    row["energy_mj"] = row["energy_uj"] / 1e3
    row["gmac_s_w"] = row["mmac"] / row["energy_mj"] if row["energy_mj"] else None
    return row
