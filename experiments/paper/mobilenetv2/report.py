"""MobileNetV2's figures for the report, from a model and a run: MACs, the IMA's MVMs and
their use of the crossbars, the per-layer table in the form of the paper's Fig. 12, the
depth-wise layers under our schedule and under the paper's constant-rate model; and the
paper's own figures to compare with."""
from __future__ import annotations

from .. import tilepack
from .model import Model
from .network import CLASSES, LAST
from .run import Result

# paper Sec. VI: MobileNetV2 224x224 end to end
PAPER = {"latency_ms": 10.1, "energy_uj": 482.0, "inf_per_s": 99, "crossbars": 34}
# the paper's claim against the all-digital Vega SoC (Table I: 10 inf/s, 1.19 mJ): 10x lower
# latency, 2.5x lower energy (paper Sec. VI)
PAPER_VS_VEGA = {"vega_latency_ms": 100.0, "vega_energy_uj": 1190.0, "latency_ratio": 10.0,
                 "energy_ratio": 2.5}


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
