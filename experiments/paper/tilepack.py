"""Tile&Pack (paper Sec. VI): the crossbar count of a multi-array IMA.

Tile: each layer's weight matrix (rows = inputs K*K*Cin, columns = outputs Cout) is cut
into a grid of tiles of at most `size` x `size` cells. Pack: the tiles are bin-packed as
rectangles (no rotation: rows stay inputs, columns outputs) into size x size crossbars.
Any non-overlapping placement works on the IMA: a job selects its own rows
(J_START_Y..) and columns (J_START_X..), so tiles of different layers may share a
crossbar's rows or columns (docs/ima.md "Jobs").

The packer is MaxRects with the best-short-side-fit rule (J. Jylanki, "A Thousand Ways to
Pack the Bin", 2010), first-fit over the open crossbars, tiles taken tallest first. The
paper does not publish its packing heuristic; docs/mobilenetv2.md compares the counts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

SIZE = 256          # paper Sec. III-A: 256 x 256 PCM crossbar


@dataclass(frozen=True)
class Tile:
    layer: str
    r0: int         # first row (input) of the layer's matrix the tile holds
    c0: int         # first column (output)
    rows: int
    cols: int


@dataclass(frozen=True)
class Placement:
    tile: Tile
    array: int      # crossbar index
    x: int          # first crossbar column (J_START_X)
    y: int          # first crossbar row (J_START_Y)


def split(n: int, size: int = SIZE, policy: str = "even") -> list[int]:
    """Part lengths of n cut into ceil(n/size) parts: 'even' = as equal as possible in
    multiples of 8 (960 -> 4 x 240), 'greedy' = full parts first (960 -> 256, 256, 256, 192)."""
    k = math.ceil(n / size)
    if policy == "greedy":
        return [size] * (k - 1) + [n - size * (k - 1)]
    q = -(-n // k)                                   # ceil(n / k)
    part = min(size, -(-q // 8) * 8) if k > 1 else n  # rounded up to a multiple of 8
    parts = [part] * (k - 1)
    return parts + [n - sum(parts)]


def tile(layers: dict[str, tuple[int, int]], size: int = SIZE, policy: str = "even") -> list[Tile]:
    """Tiles of every layer; layers: name -> (rows, cols)."""
    out = []
    for name, (rows, cols) in layers.items():
        r0 = 0
        for h in split(rows, size, policy):
            c0 = 0
            for w in split(cols, size, policy):
                out.append(Tile(name, r0, c0, h, w))
                c0 += w
            r0 += h
    return out


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _contains(a, b) -> bool:
    """a (x, y, w, h) contains b."""
    return (a[0] <= b[0] and a[1] <= b[1] and b[0] + b[2] <= a[0] + a[2]
            and b[1] + b[3] <= a[1] + a[3])


def _place(free: list, r) -> list:
    """MaxRects update: cut the used rectangle r out of every free rectangle it overlaps
    (up to 4 maximal remainders each), then drop the free rectangles inside others."""
    out = []
    x, y, w, h = r
    for f in free:
        if not _overlap(f, r):
            out.append(f)
            continue
        fx, fy, fw, fh = f
        if x > fx:
            out.append((fx, fy, x - fx, fh))
        if x + w < fx + fw:
            out.append((x + w, fy, fx + fw - x - w, fh))
        if y > fy:
            out.append((fx, fy, fw, y - fy))
        if y + h < fy + fh:
            out.append((fx, y + h, fw, fy + fh - y - h))
    return [f for i, f in enumerate(out)
            if not any(j != i and _contains(g, f) and (g != f or j < i) for j, g in enumerate(out))]


def pack(tiles: list[Tile], size: int = SIZE) -> list[Placement]:
    """Place every tile in a size x size crossbar (a new one when none has room); tiles
    are taken tallest first (then widest), each put where the leftover short side of the
    free rectangle it fills is smallest over all open crossbars (ties: the earliest
    crossbar, then the lowest position)."""
    order = sorted(tiles, key=lambda t: (-t.rows, -t.cols, t.layer, t.r0, t.c0))
    bins: list[list] = []
    out = []
    for t in order:
        best = None
        for b, free in enumerate(bins):
            for fx, fy, fw, fh in free:
                if t.cols <= fw and t.rows <= fh:
                    dx, dy = fw - t.cols, fh - t.rows
                    score = (min(dx, dy), max(dx, dy), b, fy, fx)
                    if best is None or score < best:
                        best = score
        if best is None:
            bins.append([(0, 0, size, size)])
            b, x, y = len(bins) - 1, 0, 0
        else:
            b, y, x = best[2:]
        bins[b] = _place(bins[b], (x, y, t.cols, t.rows))
        out.append(Placement(t, b, x, y))
    return out


def lower_bound(tiles: list[Tile], size: int = SIZE) -> int:
    """No packing can use fewer crossbars than the cells divided by a crossbar's cells."""
    return math.ceil(sum(t.rows * t.cols for t in tiles) / size ** 2)


def best_packing(layers: dict[str, tuple[int, int]], size: int = SIZE):
    """Both tiling policies, packed; the one with fewer crossbars (ties: 'even').
    Returns (policy, placements, {policy: crossbars})."""
    results = {p: pack(tile(layers, size, p), size) for p in ("even", "greedy")}
    count = {p: 1 + max(pl.array for pl in r) for p, r in results.items()}
    policy = min(count, key=lambda p: (count[p], p != "even"))
    return policy, results[policy], count
