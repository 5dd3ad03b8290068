"""The MobileNetV2 bottleneck block in the paper's five mappings (firmware/bottleneck,
experiments/paper/bottleneck.py, docs/bottleneck.md): every layer of every mapping bit-exact
against the numpy golden model, the golden model's arithmetic against independent
references, and the cycle counts for sanity (never against the paper's numbers)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from iss_experiments.paper import bottleneck as bn

from ima_golden import adc as adc_fractions

OUT = Path(__file__).resolve().parent / ".fwcache" / "bottleneck"
_runs: dict = {}


def run(mapping: str, energy: bool = False) -> bn.Result:
    key = (mapping, energy)
    if key not in _runs:
        _runs[key] = bn.run(mapping, OUT, energy=energy)
    return _runs[key]


# ---- the choice of dimensions ---------------------------------------------------------------
def test_dimensions_meet_the_papers_constraints():
    d = bn.device_counts()
    assert round(100 * d["dw_fraction"]) == 4                   # "~4 % of the block's weights"
    assert round(100 * d["cjob8_extra_devices"]) == 25          # "+25 % devices, 8-channel jobs"
    assert round(100 * d["cjob16_extra_devices"]) == 54         # "+54 %, 16-channel jobs"
    # each pointwise layer fits one 256x256 crossbar: no partial sums across arrays
    assert bn.C <= 256 and bn.CH <= 256
    # everything of the largest mapping in L1 (512 kB) with the 8 stacks (32 kB): cores mapping
    # = x, weights, padded CHW expand output, y2, y3, out
    plane = (bn.H + 2) * (bn.W + 2)
    l1 = (bn.N * bn.C + 2 * bn.C * bn.CH + 9 * bn.CH + 12 * bn.CH + bn.CH * plane + 4
          + bn.N * bn.CH + 2 * bn.N * bn.C)
    assert l1 + 8 * 4096 <= 512 * 1024
    # 16-channel blocks for the DW accelerator, 8/16-channel jobs, 4x2 blocking of the cores
    assert bn.CH % 16 == 0 and bn.C % 4 == 0 and bn.N % 16 == 0


def test_data_is_deterministic_and_in_range():
    b = bn.make_block()
    assert b.x.dtype == np.int8 and b.x.shape == (bn.H, bn.W, bn.C)
    for w in (b.w1, b.w2, b.w3):
        assert w.min() == -bn.WMAX and w.max() == bn.WMAX      # 4-bit crossbar codes
    again = bn.uniform_int(bn.SEED, 1, (bn.H, bn.W, bn.C), -128, 127)
    assert np.array_equal(again, b.x)
    assert not np.array_equal(bn.uniform_int(bn.SEED + 1, 1, (16,), -128, 127), again.ravel()[:16])


# ---- the golden model's arithmetic -------------------------------------------------------------
@pytest.mark.parametrize("low, high", [(0, 1), (0, 12), (7, 7), (3, 5), (1, 1)])
def test_adc_matches_the_exact_rational_model(low, high):
    rng = np.random.default_rng(low * 100 + high)
    acc = np.concatenate([rng.integers(-300_000, 300_000, 4000),
                          np.arange(-3 * 889, 3 * 889),
                          # exact ties of the rounding: v * 127 / (low + high) = k + 1/2
                          (2 * np.arange(-130, 130) + 1) * 889 * (low + high) // 254])
    assert np.array_equal(bn.adc(acc, low, high), adc_fractions(acc, low, high))


def test_cores_reproduce_the_adc_rule_for_every_sum():
    """The firmware's clip / multiply / add / shift equals the IMA's rule on every sum the
    block's layers can produce (int32 without overflow: core_adc asserts it), for every
    range up to 23; beyond, a 32-bit multiplier is not always exact: a clear error."""
    span = np.arange(-128 * 7 * bn.CH, 128 * 7 * bn.CH + 1)
    for r in range(1, 24):
        assert np.array_equal(bn.core_adc(span, 0, r), bn.adc(span, 0, r)), r
        assert np.array_equal(bn.core_adc(span, r, r), bn.adc(span, r, r)), r
    with pytest.raises(ValueError, match="no 32-bit multiplier"):
        bn.core_requant(40, 40)


def test_golden_layers():
    b = bn.make_block()
    for rule in ("shift", "adc"):
        g = bn.golden(b, rule)
        assert g["expand"].min() == 0 and g["dw"].min() == 0    # ReLU by the ADC / shift rule
        assert np.abs(g["project"]).max() <= 64                  # symmetric range: 127 codes
        assert (g["out"] == np.clip(b.x.astype(int) + g["project"], -128, 127)).all()
        for layer in ("expand", "dw", "project"):               # not degenerate
            assert len(np.unique(g[layer])) > 30, (rule, layer)
    # the depth-wise layer by hand at one pixel and channel
    y1 = bn.golden(b, "shift")["expand"].astype(int)
    oy, ox, c = 5, 0, 17                                         # left border: zero padding
    acc = sum(y1[oy + ky - 1, ox + kx - 1, c] * b.w2[ky, kx, c]
              for ky in range(3) for kx in range(3) if ox + kx - 1 >= 0)
    assert bn.golden(b, "shift")["dw"][oy, ox, c] == min(max(acc, 0) >> b.s2, 127)
    assert bn.golden(b, "adc")["dw"][oy, ox, c] == bn.adc(acc, 0, b.r2)


def test_diagonal_blocks_compute_the_depthwise_sums():
    b = bn.make_block()
    y1 = bn.golden(b, "shift")["expand"].astype(np.int64)
    acc = bn.dw_acc(y1, b.w2)
    p = np.pad(y1, ((1, 1), (1, 1), (0, 0)))
    for k in (8, 16):
        xbar = bn.diagonal_blocks(b.w2, k)
        assert xbar.shape == (9 * k, bn.CH) and np.count_nonzero(xbar) <= 9 * bn.CH
        oy, ox = 3, 9
        for g in range(bn.CH // k):                # the job's input: 3 lines of 3 pixels x k
            window = p[oy:oy + 3, ox:ox + 3, g * k:(g + 1) * k].reshape(-1)
            got = window @ xbar[:, g * k:(g + 1) * k]
            assert np.array_equal(got, acc[oy, ox, g * k:(g + 1) * k])


# ---- the five mappings on the simulator ----------------------------------------------------------
@pytest.mark.parametrize("mapping", bn.MAPPINGS)
def test_mapping_is_bit_exact(mapping):
    r = run(mapping)
    assert r.exit_code == 0, r.output
    assert r.errors == 0, r.output
    for layer, (got, want) in r.checks.items():
        assert got == want, (layer, r.output)
    assert set(r.checks) == {"expand", "dw", "project", "out"}
    assert r.mismatches == {"expand": 0, "dw": 0, "project": 0, "out": 0}
    assert r.total > 0 and abs(sum(r.layers.values()) - r.total) == 0
    print(f"\n{mapping}: {r.total} cycles: " + ", ".join(f"{k} {v}" for k, v in r.layers.items()))


def test_speedups_vs_cores():
    """Ordered as in the paper; printed next to its numbers (not asserted)."""
    res = {m: run(m) for m in bn.MAPPINGS}
    ref = res["cores"].total
    print()
    for m, r in res.items():
        print(f"{m:11s} {r.total:8d} cycles  speed-up {ref / r.total:6.2f}  "
              f"(paper {bn.PAPER_SPEEDUP[m]})")
    t = {m: r.total for m, r in res.items()}
    assert t["ima-dw"] < t["hybrid"] < t["ima-cjob16"] < t["ima-cjob8"] < t["cores"]


def test_layer_cycles_are_sane():
    cores, imadw = run("cores"), run("ima-dw")
    macs = bn.N * bn.C * bn.CH
    for layer in ("expand", "project"):            # PULP-NN-class software pointwise
        assert 12 <= macs / cores.layers[layer] <= 2.29 * 8, (layer, cores.layers)
    # IMA pointwise: one 130 ns MVM (66 cycles at 500 MHz) per pixel, pipelined streaming
    for layer in ("expand", "project"):
        assert bn.N * 66 <= imadw.layers[layer] <= bn.N * 66 * 1.05, imadw.layers
    # DW accelerator: its documented job length (docs/dw.md) plus configuration
    job = -(-bn.CH // 16) * (9 + bn.W * (9 + bn.H * 4))
    assert job <= imadw.layers["dw"] <= job + 200, imadw.layers
    # the depth-wise layer on the IMA: one MVM per pixel and group of k channels
    for k in (8, 16):
        dw = run(f"ima-cjob{k}").layers["dw"]
        assert bn.N * bn.CH // k * 66 <= dw <= bn.N * bn.CH // k * 66 * 1.05
    # the same residual code in every mapping: the same cycles within a few
    residual = [run(m).layers["residual"] for m in bn.MAPPINGS]
    assert max(residual) - min(residual) < 50, residual


def test_energy_of_the_block():
    cores, imadw = run("cores", energy=True), run("ima-dw", energy=True)
    assert cores.energy["ima"] == 0 and cores.energy["dw"] == 0
    assert imadw.energy["ima"] > 0 and imadw.energy["dw"] > 0
    assert imadw.energy["total"] < cores.energy["total"]
    print(f"\nenergy: cores {cores.energy['total']:.1f} uJ, ima-dw {imadw.energy['total']:.1f} uJ, "
          f"ratio {cores.energy['total'] / imadw.energy['total']:.2f} (paper 9.2)")
