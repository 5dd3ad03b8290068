"""MobileNetV2's generated firmware tables and data, pure functions of the model and the
memory plan: the op table, the IMA jobs and their accumulation descriptors, the depth-wise
layers and the cores' conv and depth-wise layers (mn_net.h), the crossbar records
(.ima_weights) and the data blobs' assembly file (mn_data.S)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .. import bottleneck as bn
from .memory import ALIGN, FC_CHUNK, plane_bytes, row_stride
from .model import Model
from .network import CLASSES, CORES, LAST, Op, row_tiles

KINDS = {"conv": 1, "dw": 2, "sum": 3, "add": 4, "pool": 5, "fc": 6}
SW_KINDS = {"conv": 7, "dw": 8}       # conv / dw on the cores (mapping "cores")


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



def header_text(model: Model, t: dict, arena: int) -> str:
    """mn_net.h: the op table, the IMA jobs and the depth-wise layers (addresses in the
    arena as MN_A(offset))."""
    names = [op.name for op in model.ops]
    A = lambda off: f"MN_A({off})"
    out = ["/* Generated by experiments/paper/mobilenetv2/header.py: do not edit. */\n",
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
        "/* Generated by experiments/paper/mobilenetv2/header.py: do not edit. */",
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

