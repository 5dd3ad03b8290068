"""MobileNetV2's layers (Sandler et al., Table 2, and the paper's Fig. 12 variant): the
configuration (networks, residual kernels, where the partial sums are added, mappings,
resolutions), the ops and tensor shapes, Tile&Pack of the crossbar weights, and the
lowering of the layers split over row tiles."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from .. import bottleneck as bn
from .. import tilepack

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
