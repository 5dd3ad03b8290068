"""MobileNetV2's L1 memory plan: each tensor's lifetime and arena offset (first fit), the
cores' scratch buffers (all-software mapping), the platform's L1 size."""
from __future__ import annotations

from .model import Model
from .network import CORES, LAST

FC_CHUNK = 64             # classifier rows per DMA transfer (64 x 1280 B = 80 KiB)
ALIGN = 16
L1_MAX = 0x200000          # L1 (at 0x10000000) may grow up to the cluster peripherals
STACKS = 8 * 0x1000                       # crt0 / link.ld: 4 KiB per core at the top of L1


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
