"""MobileNetV2 end to end (experiments/paper/mobilenetv2/, experiments/paper/tilepack.py,
firmware/mobilenetv2, docs/mobilenetv2.md) and the main job (tools/paper.py): Tile&Pack
properties, the golden model's pieces against direct loops, the L1 plan, the reduced-input
network (64x64, the same layers) bit-exact on the simulator, the PCM noise run, and the
main job's --quick report. The full 224x224 network runs in the main job only."""
from __future__ import annotations

import importlib.util
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from iss_experiments.paper import bottleneck as bn
from iss_experiments.paper import tilepack as tp
from iss_experiments.paper.mobilenetv2.build import l1_need
from iss_experiments.paper.mobilenetv2.memory import ALIGN, FC_CHUNK, memory_plan, tensor_bytes
from iss_experiments.paper.mobilenetv2.model import make_model, weight_scale
from iss_experiments.paper.mobilenetv2.network import (ADD_KERNEL, CLASSES, CORES, LAST, MAPPING,
                                                       NETWORK, NETWORKS, PSUM, RES, RES_TEST,
                                                       conv_matrices, packing, row_tiles,
                                                       structure)
from iss_experiments.paper.mobilenetv2.report import dw_timing_models
from iss_experiments.paper.mobilenetv2.run import Result
from iss_experiments.paper.mobilenetv2.run import run as run_network

OUT = Path(__file__).resolve().parent / ".fwcache" / "mobilenetv2"
_runs: dict = {}


def run(noise: bool = False, network: str = NETWORK, add: str = ADD_KERNEL,
        psum: str = PSUM, mapping: str = MAPPING) -> Result:
    key = (noise, network, add, psum, mapping)
    if key not in _runs:
        _runs[key] = run_network(RES_TEST,
                                 OUT / f"{network}-{add}-{psum}-{mapping}" / str(RES_TEST),
                                 noise=noise, network=network, add=add, psum=psum,
                                 mapping=mapping)
    return _runs[key]


# ---- Tile&Pack -------------------------------------------------------------------------------
def check_packing(layers: dict, placements: list, size: int = tp.SIZE) -> int:
    """Every tile placed once inside a crossbar, no two overlapping, the tiles of each
    layer cover its matrix exactly; returns the crossbar count."""
    seen = [p.tile for p in placements]
    assert len(set(seen)) == len(seen)
    for name, (rows, cols) in layers.items():
        cover = np.zeros((rows, cols), int)
        for t in (t for t in seen if t.layer == name):
            assert 0 < t.rows <= size and 0 < t.cols <= size
            cover[t.r0:t.r0 + t.rows, t.c0:t.c0 + t.cols] += 1
        assert (cover == 1).all(), name
    n = 1 + max(p.array for p in placements)
    used = np.zeros((n, size, size), int)
    for p in placements:
        assert 0 <= p.x and p.x + p.tile.cols <= size and 0 <= p.y and p.y + p.tile.rows <= size
        used[p.array, p.y:p.y + p.tile.rows, p.x:p.x + p.tile.cols] += 1
    assert used.max() == 1                                  # no overlap
    assert all(used[a].any() for a in range(n))             # no empty crossbar
    return n


@pytest.mark.parametrize("network", NETWORKS)
def test_tilepack_mobilenetv2(network):
    ops, shapes = structure(RES, network)
    layers = conv_matrices(ops, shapes)
    assert len(layers) == (36 if network == "paper" else 35)
    assert layers["conv0"] == (27, 32) and layers["last"] == (320, 1280)
    assert (layers.get("b1.expand") == (32, 32)) == (network == "paper")
    policy, placements, counts, bound = packing(network)
    n = check_packing(layers, placements)
    assert n == counts[policy] == min(counts.values())
    cells = sum(r * c for r, c in layers.values())
    assert bound == -(-cells // 256 ** 2) == 33 and n >= bound
    print(f"\nTile&Pack: {counts} crossbars (policy {policy}), lower bound {bound}; paper 34")
    assert n <= 36                                          # a sane packing, within 10 %


# the inverted-residual table of Sandler et al. (CVPR 2018, Table 2): t, c, n, s
SANDLER = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1))


def fig12_layers() -> list[tuple[str, int]]:
    """The paper's Fig. 12 rows (kind, conv weights), written here from the layer shapes:
    2D_0 (3x3, 3 -> 32), a 32 -> 32 pointwise, the 17 blocks (expand when t > 1, 3x3
    depth-wise, project; ADD when stride 1 and channels unchanged), 2D_1 (1x1, 320 -> 1280)."""
    rows = [("conv", 3 * 3 * 3 * 32), ("conv", 32 * 32)]
    cin = 32
    for t, c, n, _s in SANDLER:
        for i in range(n):
            hidden = cin * t
            if t > 1:
                rows.append(("conv", cin * hidden))
            rows += [("dw", 9 * hidden), ("conv", hidden * c)]
            if i > 0 and cin == c:
                rows.append(("add", 0))
            cin = c
    return rows + [("conv", 320 * 1280)]


def test_paper_variant_parameter_count():
    """Fig. 12 of the paper: 63 layers, #params (conv weights only) summing to 2,190,784;
    computed from the layer shapes, then the same from our network's structure."""
    rows = fig12_layers()
    assert len(rows) == 63 and sum(n for _, n in rows) == 2_190_784
    assert sum(1 for k, _ in rows if k == "add") == 10
    ops, shapes = structure(RES, "paper")
    params = [(op.kind, op.k * op.k * shapes[op.ins[0]][2] * shapes[op.out][2] if op.kind == "conv"
               else 9 * shapes[op.out][2] if op.kind == "dw" else 0)
              for op in ops if op.kind in ("conv", "dw", "add")]
    assert params == rows
    tv = structure(RES, "torchvision")[0]
    assert len([op for op in tv if op.kind in ("conv", "dw", "add")]) == 62


@pytest.mark.parametrize("seed", range(5))
def test_tilepack_random_rectangles(seed):
    rng = np.random.default_rng(seed)
    layers = {f"l{i}": (int(rng.integers(1, 700)), int(rng.integers(1, 700))) for i in range(25)}
    for policy in ("even", "greedy"):
        tiles = tp.tile(layers, policy=policy)
        n = check_packing(layers, tp.pack(tiles))
        assert n >= tp.lower_bound(tiles)


def test_split():
    assert tp.split(960, policy="greedy") == [256, 256, 256, 192]
    assert tp.split(960) == [240] * 4 and tp.split(576) == [192] * 3 and tp.split(100) == [100]
    for n in range(1, 1300):
        for policy in ("even", "greedy"):
            parts = tp.split(n, policy=policy)
            assert sum(parts) == n and max(parts) <= 256 and min(parts) > 0
            assert len(parts) == -(-n // 256)


# ---- golden model pieces ---------------------------------------------------------------------
def test_golden_pieces_against_direct_loops():
    m = make_model(RES_TEST)
    g = m.golden
    conv0 = m.ops[0]
    x = g["input"].astype(int)
    w = m.weights["conv0"]
    oy, ox, co = 5, 0, 7          # left border: the padded input supplies the zeros
    acc = sum(int(x[2 * oy + ky, 2 * ox + kx, c]) * int(w[(ky * 3 + kx) * 3 + c, co])
              for ky in range(3) for kx in range(3) for c in range(3))
    assert g["conv0"][oy, ox, co] == bn.adc(acc, 0, conv0.rng)
    # a stride-2 depth-wise layer, at the bottom-right border
    dw = next(op for op in m.ops if op.kind == "dw" and op.s == 2)
    y = g[dw.ins[0]].astype(int)
    h = y.shape[0]
    oy = ox = g[dw.out].shape[0] - 1
    acc = sum(y[2 * oy + ky - 1, 2 * ox + kx - 1, 3] * int(m.weights[dw.name][ky, kx, 3])
              for ky in range(3) for kx in range(3) if 2 * oy + ky - 1 < h and 2 * ox + kx - 1 < h)
    assert g[dw.out][oy, ox, 3] == min(max(acc, 0) >> dw.rng, 127)
    # a layer split over row tiles: the tiles' ADC outputs added, in the IMA (the default
    # model: the conv op's own output) or by the cores (a `sum` op over T partial outputs)
    cores = make_model(RES_TEST, psum="cores")
    op = next(op for op in cores.ops if op.kind == "sum" and op.k == 4)
    conv = next(o for o in cores.ops if o.out == op.ins[0])
    xin = g[conv.ins[0]][0, 0].astype(int)
    tiles = row_tiles(m.placements, conv.name)
    assert [n for _, n in tiles] == [256, 256, 256, 192]
    parts = [bn.adc(xin[r0:r0 + n] @ m.weights[conv.name][r0:r0 + n], conv.rng, conv.rng)
             for r0, n in tiles]
    want = np.clip(np.sum(parts, axis=0), -64, 64)
    assert np.array_equal(cores.golden[op.out][0, 0], want)
    assert op.out == conv.name and not any(o.kind == "sum" for o in m.ops)
    assert np.array_equal(g[conv.name][0, 0], want)
    assert np.array_equal(cores.golden["logits"], g["logits"])
    for op in m.ops:                                       # not degenerate
        if op.kind in ("conv", "dw", "add"):
            assert len(np.unique(g[op.out])) > 20, op.name
    # the requantizing residual (PULP-NN's add): clip8((x * m1 + y * m2) >> d), floor shift
    add = [op for op in m.ops if op.kind == "add"]
    assert len(add) == 10
    for op in add:
        x, y = g[op.ins[0]].astype(int), g[op.ins[1]].astype(int)
        v = (x * op.m1 + y * op.m2) // 2 ** op.d
        assert np.array_equal(g[op.out], np.clip(v, -128, 127))
        # 16-bit multipliers, the most precise shift: one more bit would overflow 16 bits
        assert 0 < op.m1 <= 32767 and 0 < op.m2 <= 32767 and max(op.m1, op.m2) > 16383
        # both inputs matter (neither branch drops out) and the ratio is the scales'
        s0, s1, so = (m.scales[n] for n in (*op.ins, op.out))
        assert abs(op.m1 / 2 ** op.d - s0 / so) <= 2 ** -op.d / 2 + 1e-12
        assert abs(op.m2 / 2 ** op.d - s1 / so) <= 2 ** -op.d / 2 + 1e-12
        assert 0.1 < op.m1 / op.m2 < 10
    sat = make_model(RES_TEST, add="sat")
    op = next(op for op in sat.ops if op.kind == "add")
    assert np.array_equal(sat.golden[op.out], np.clip(sat.golden[op.ins[0]].astype(int)
                                                      + sat.golden[op.ins[1]], -128, 127))


def test_weight_scale_preserves_variance():
    """weight_scale: real weights w / (std(w) sqrt(fan-in)) keep a layer's output variance
    at its input's (random unit-variance input, the layer's own codes)."""
    m = make_model(RES_TEST)
    w = m.weights["b2.expand"].astype(float)
    x = np.random.default_rng(0).standard_normal((4000, w.shape[0]))
    y = x @ (w * weight_scale(w))
    assert 0.9 < y.var() < 1.1


def test_cores_sum_clamp_trick_is_exact():
    """The firmware's 2-partial sum: clamp p0 to [lo - p1, hi - max(p1, 0)] (int8 bounds),
    then a wrapping byte add, equals clip(p0 + p1, lo, hi) for every pair in [-64, 64]."""
    p0, p1 = np.meshgrid(np.arange(-64, 65), np.arange(-64, 65))
    for lo in (0, -64):
        a = np.maximum(np.minimum(p0, 64 - np.maximum(p1, 0)), lo - p1)
        assert (lo - p1).min() >= -128 and (64 - np.maximum(p1, 0)).max() <= 127
        wrapped = ((a + p1 + 128) % 256) - 128
        assert np.array_equal(wrapped, np.clip(p0 + p1, lo, 64))


def test_memory_plan():
    for res in (RES_TEST, RES):
        m = make_model(res)
        offsets, arena = memory_plan(m)
        assert offsets["input"] == 0 and all(o % ALIGN == 0 for o in offsets.values())
        life = {"input": (-1, 0), "fc.buf": (len(m.ops) - 1,) * 2}
        for i, op in enumerate(m.ops):
            life[op.out] = (i, life.get(op.out, (i, i))[1])
            for n in op.ins:
                life[n] = (life[n][0], i)
        life["logits"] = (life["logits"][0], len(m.ops))
        size = {n: (2 * FC_CHUNK * LAST if n == "fc.buf" else tensor_bytes(m, n))
                for n in life}
        names = list(life)
        for i, a in enumerate(names):
            assert offsets[a] + size[a] <= arena
            for b in names[i + 1:]:
                if not (life[a][1] < life[b][0] or life[b][1] < life[a][0]):
                    assert (offsets[a] + size[a] <= offsets[b]
                            or offsets[b] + size[b] <= offsets[a]), (a, b)
    need = l1_need(make_model(RES))
    assert need["l1"] == 2 << 20 and need["need"] <= need["l1"]     # 224x224: 2 MiB of L1


# ---- on the simulator ------------------------------------------------------------------------
@pytest.mark.parametrize("network,add,psum", [("paper", "requant", "ima"),
                                              ("torchvision", "requant", "ima"),
                                              ("paper", "sat", "ima"),
                                              ("paper", "requant", "cores")])
def test_reduced_network_is_bit_exact(network, add, psum):
    r = run(network=network, add=add, psum=psum)
    assert r.exit_code == 0, r.output[-2000:]
    assert "mn errors=0" in r.output
    bad = {o.name: o.mismatches for o in r.ops if o.mismatches}
    assert not bad, bad
    assert r.ok and r.crossbars == 34
    m = make_model(RES_TEST, network=network, add=add, psum=psum)
    split = 11 if psum == "cores" else 0                     # the cores' `sum` ops
    assert len(r.ops) == len(m.ops) == (65 if network == "paper" else 64) + split
    assert np.array_equal(r.logits, m.golden["logits"].ravel())
    assert sum(o.cycles for o in r.ops) == r.total
    # IMA layers: one 130 ns MVM (66 cycles at 500 MHz) per pixel and tile, pipelined, plus
    # per trigger (a tile, or a column tile of a layer whose row tiles the IMA accumulates)
    # the stream-in of its first job's rows and the stream-out of its last job's columns
    # (16 B per cycle, 2 + 2 + 2 cycles of idle and FIFOs, 2 of descriptors) and core 0's
    # work: 20-25 register writes of about 6 instructions each (ima_configure's loop), the
    # lock, trigger, wait and status
    for o, op in zip(r.ops, m.ops, strict=True):
        if op.kind == "conv":
            h, w, _ = m.shapes[op.name]
            tiles = [p.tile for p in m.placements if p.tile.layer == op.name]
            jobs = h * w * len(tiles)
            if psum == "ima" and op.hi:                      # one trigger per column tile
                groups = [[t for t in tiles if t.c0 == c0] for c0 in {t.c0 for t in tiles}]
            else:
                groups = [[t] for t in tiles]
            edges = sum(-(-sum(t.rows for t in g) // 16) + -(-g[0].cols // 16) + 8
                        for g in groups)
            most = jobs * 66 * 1.05 + edges + 170 * len(groups)
            assert jobs * 66 <= o.cycles <= most, (op.name, o.cycles, most)
    # PULP-NN's add: 7 single-cycle instructions per element in a hardware loop (two byte
    # loads, mul, cv.mac, sra, cv.clip, byte store; no load-use stall), rows split over 8
    # cores in chunks of ceil(rows / 8): the busiest core's elements times 7, plus the fork
    if add == "requant":
        for o, op in zip(r.ops, m.ops, strict=True):
            if op.kind == "add":
                h, w, c = m.shapes[op.out]
                busy = -(-h // 8) * w * c * 7
                assert busy <= o.cycles <= busy + 400, (op.name, o.cycles, busy)
    # depth-wise layers: the accelerator's Fig. 5 schedule (docs/dw.md: per 16-channel
    # block 9 weight beats, per output column 9 window beats, per pixel 3S + 1), and the
    # paper's model beside it: every layer at 29.7 MAC/cycle, substituted into the total
    sched, const = {1: 0, 2: 0}, {1: 0, 2: 0}
    for o, op in zip(r.ops, m.ops, strict=True):
        if op.kind == "dw":
            ho, wo, c = m.shapes[op.out]
            job = -(-c // 16) * (9 + wo * (9 + ho * (3 * op.s + 1)))
            assert job < o.cycles <= job + 400, (op.name, o.cycles, job)
            sched[op.s] += job
            const[op.s] += -(-9 * ho * wo * c // Fraction("29.7"))
    models = dw_timing_models(m, r)
    for stride in (1, 2):
        got = models["by_stride"][stride]
        assert (got["schedule_cycles"], got["constant_cycles"]) == (sched[stride], const[stride])
    clock = r.stats["clock_hz"]
    expected = (r.total - sum(sched.values()) + sum(const.values())) / clock * 1e3
    assert abs(models["network_latency_ms_constant"] - expected) < 1e-12
    # per-op energies add up to the network's
    assert abs(sum(o.energy["total"] for o in r.ops) - r.energy["total"]) < 1e-6
    assert r.energy["ima"] > 0 and r.energy["dw"] > 0 and r.energy["dma"] > 0


def test_reduced_network_all_software_is_bit_exact():
    """The same network on the 8 cores alone (mapping "cores"): every op's output equals the
    golden model's (the IMA's ADC rule per row tile and the DW rule, computed on the cores);
    no accelerator runs; each layer's weights come from L2 by DMA; a conv layer cannot beat
    the 4x2 kernel's inner loop (32 MACs per 14 instructions per core)."""
    r = run(mapping="cores")
    assert r.exit_code == 0 and "mn errors=0" in r.output, r.output[-2000:]
    assert r.ok and not {o.name: o.mismatches for o in r.ops if o.mismatches}
    m = make_model(RES_TEST, mapping="cores")
    hetero = make_model(RES_TEST)
    assert [op.name for op in m.ops] == [op.name for op in hetero.ops]
    assert all(np.array_equal(m.golden[k], hetero.golden[k]) for k in hetero.golden)
    assert {o.engine for o in r.ops} == {"cores"}
    st = r.stats["peripherals"]
    assert st["ima"]["mvms"] == 0 and st["dw"]["jobs"] == 0
    weights = sum(m.shapes[op.out][2] * ((op.k * op.k * m.shapes[op.ins[0]][2] + 3) & ~3)
                  for op in m.ops if op.kind == "conv")
    assert st["cluster_dma"]["bytes"] == weights + CLASSES * LAST
    for o, op in zip(r.ops, m.ops, strict=True):
        if op.kind == "conv":
            ho, wo, _ = m.shapes[op.out]
            macs = ho * wo * m.weights[op.name].size
            assert o.cycles >= macs * 14 / (32 * CORES), op.name


def test_reduced_network_with_pcm_noise():
    r = run(noise=True)
    assert r.stats["stop_reason"] == "exit" and r.total == run().total
    m = r.noise_metrics()
    assert m["logits_snr_db"] is not None and 5 < m["logits_snr_db"] < 60
    assert m["ima"]["output_mismatch_fraction"] > 0
    print(f"\nPCM noise, {RES_TEST}x{RES_TEST}: {m}")


def test_main_job_quick(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "paper_tool", Path(__file__).resolve().parent.parent / "tools" / "paper.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    js, png = tmp_path / "paper.json", tmp_path / "paper.png"
    assert tool.main(["--quick", "--json", str(js), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    for text in ("speed-up", "ima-dw", "latency (ms)", "crossbars (Tile&Pack)", "b17.project",
                 "partial sums of the 11 layers split over row tiles: added in the IMA",
                 "all software on the 8 cores",
                 "PCM noise", "wall time", "network: paper", "requantizing add", "GMAC/s/W",
                 "2D_0", "2D_1", "rows between 2D_0 and 2D_1", "b1.expand",
                 "DW accelerator: our Fig. 5 schedule"):
        assert text in out, text
    doc = json.loads(js.read_text())
    assert set(doc["bottleneck"]["mappings"]) == set(bn.MAPPINGS)
    assert all(v["ok"] for v in doc["bottleneck"]["mappings"].values())
    net = doc["mobilenetv2"]
    assert net["bit_exact"] and net["crossbars"] == 34 and net["resolution"] == RES_TEST
    assert len(net["layers"]) == len(make_model(RES_TEST).ops) and len(net["noise"]) == 1
    assert png.stat().st_size > 10_000
    # the Fig. 12 table: the paper's 63 rows with their #params (computed here from shapes)
    assert net["network"] == "paper" and net["add_kernel"] == "requant"
    assert net["dw_timing"]["paper_mac_per_cycle"] == 29.7
    # the partial sums: added in the IMA (this run) and by the cores (the other run), both
    # bit-exact; the cores' variant costs its `sum` ops on top of the same MVMs (at least
    # one 66-cycle MVM per pixel, row tile and column tile)
    assert net["psum"] == "ima"
    v = net["psum_variants"]
    assert v["ima"]["cycles"] == net["cycles"] and v["ima"]["bit_exact"] and v["cores"]["bit_exact"]
    assert v["ima"]["split_layers"] == v["cores"]["split_layers"] == 11
    assert v["cores"]["cycles"] > v["ima"]["cycles"]
    # the all-software run: bit-exact, slower and costlier than the heterogeneous one
    soft = net["all_software"]
    assert soft["bit_exact"] and soft["latency_ratio"] > 1 and soft["energy_ratio"] > 1
    assert soft["latency_ratio"] == soft["cycles"] / net["cycles"]
    assert soft["paper_vs_vega"]["latency_ratio"] == 10
    m = make_model(RES_TEST)
    mvm = sum(66 * m.shapes[p.tile.layer][0] * m.shapes[p.tile.layer][1] for p in m.placements
              if next(op for op in m.ops if op.name == p.tile.layer).hi)
    assert mvm <= v["ima"]["split_layers_cycles"] < v["cores"]["split_layers_cycles"]
    fig = net["fig12"]
    assert [(r["kind"], r["params"]) for r in fig["rows"]] == fig12_layers()
    tot = fig["totals"]
    assert tot["table"]["params"] == 2_190_784 and tot["table"]["rows"] == 63
    assert tot["between"]["rows"] == 61
    assert tot["between"]["params"] == 2_190_784 - 864 - 320 * 1280
    assert tot["whole"]["cycles"] == net["cycles"]
    assert abs(tot["whole"]["energy_uj"] - net["energy_uj"]) < 1e-6
    assert sum(r["cycles"] for r in fig["rows"]) == tot["table"]["cycles"]
    r = fig["rows"][0]
    assert r["layer"] == "2D_0" and r["input"] == f"{RES_TEST}x3"
    assert r["macs"] == (RES_TEST // 2) ** 2 * 27 * 32
    assert abs(r["gmac_s_w"] - r["mmac"] / r["energy_mj"]) < 1e-9
