#!/usr/bin/env python3
"""Reproduce the paper: the MobileNetV2 bottleneck in five mappings and MobileNetV2 end to end.

usage: python tools/paper.py [--json PATH|-] [--plot PNG] [--quick] [--noise-images N]
                             [--network paper|torchvision] [--add requant|sat]
                             [--psum ima|cores] [--no-software]

Builds the firmware (firmware/bottleneck, firmware/mobilenetv2), runs the bottleneck block in
the paper's five mappings (experiments/paper/bottleneck.py) and MobileNetV2 on the simulated
cluster (experiments/paper/mobilenetv2/: ideal IMA, every layer checked bit-exact against the
numpy golden model, then the PCM noise model on N inputs), and prints the results next to the
paper's (Sec. V, VI). --quick: no bottleneck energy runs, MobileNetV2 at 64x64 instead of
224x224, one noisy input (for the tests). --network: the paper's MobileNetV2 variant (Fig. 12:
a 32 -> 32 pointwise layer before the first depth-wise; the default) or torchvision's;
--add: the residual kernel, PULP-NN's requantizing add (default) or the saturating SIMD add.
--psum: where the partial sums of the layers split over several crossbars' rows are added: in
the IMA's digital output stage (default; docs/ima.md) or by the cores; the other one also
runs (ideal) and is reported beside it. The same network also runs all in software on the 8
cores (PULP-NN-style kernels, bit-exact against the same golden model) for the heterogeneous
vs all-software ratios next to the paper's Vega claim; --no-software skips that run.
Progress goes to stderr. Exit status 1 if a bit-exact check fails. Details: docs/paper.md.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time

try:
    from iss.energy import DEFAULTS
    from iss.jsonout import write_json
    from iss_experiments.paper import bottleneck as bn
    from iss_experiments.paper.mobilenetv2 import build as mn_build
    from iss_experiments.paper.mobilenetv2 import network as mn_net
    from iss_experiments.paper.mobilenetv2 import report as mn_report
    from iss_experiments.paper.mobilenetv2 import run as mn_run
except ModuleNotFoundError as e:  # iss_experiments is experiments/, mapped by the install
    if e.name not in ("iss", "iss_experiments"):
        raise
    sys.exit(f"{e}: install the checkout first: python -m pip install -e '.[test]' (README)")

TTY = sys.stderr.isatty()
NETWORK_DESC = {"paper": "the paper's Fig. 12 variant: 63 layers, a 32 -> 32 pointwise layer "
                         "before the first depth-wise, 2,190,784 conv weights",
                "torchvision": "Sandler et al. Table 2 as torchvision: 62 layers, "
                               "2,189,760 conv weights"}
PSUM_DESC = {"ima": "in the IMA's digital output stage (one trigger per column tile)",
             "cores": "by the cores, from one partial output per row tile"}
ADD_DESC = {"requant": "PULP-NN's requantizing add clip8((x*m1 + y*m2) >> d), scalar, "
                       "split by rows",
            "sat": "saturating add sat8(x + y), 4 lanes a word"}


def say(msg: str, end: str = "\n") -> None:
    print(("\r\033[K" if TTY else "") + msg, end=end if TTY or end == "\n" else "\n",
          file=sys.stderr, flush=True)


def run_bottleneck(energy: bool) -> dict:
    out = {}
    for i, m in enumerate(bn.MAPPINGS, 1):
        t = time.perf_counter()
        say(f"[bottleneck {i}/{len(bn.MAPPINGS)}] {m}{' (+2 energy runs)' if energy else ''} ...")
        out[m] = bn.run(m, energy=energy)
        say(f"[bottleneck {i}/{len(bn.MAPPINGS)}] {m}: {out[m].total} cycles, "
            f"{'ok' if out[m].ok else 'NOT bit-exact'} ({time.perf_counter() - t:.1f} s)")
    return out


def run_mobilenet(res: int, noise: bool = False, index: int = 0,
                  network: str = mn_net.NETWORK, add: str = mn_net.ADD_KERNEL,
                  psum: str = mn_net.PSUM, mapping: str = mn_net.MAPPING) -> mn_run.Result:
    label = (f"MobileNetV2 ({network}"
             f"{'' if psum == mn_net.PSUM else ', partial sums: ' + psum}"
             f"{', all software' if mapping == 'cores' else ''}) {res}x{res} "
             f"{'PCM noise, input ' + str(index) if noise else 'ideal'}")
    last = [0.0]

    def progress(i, n, name):
        now = time.perf_counter()
        if TTY and now - last[0] > 0.2:
            last[0] = now
            say(f"[{label}] op {i}/{n} {name}", end="")

    t = time.perf_counter()
    say(f"[{label}] running ...")
    r = mn_run.run(res, noise=noise, progress=progress, index=index, network=network,
                   add=add, psum=psum, mapping=mapping)
    say(f"[{label}] {r.total} cycles, " + (f"{'bit-exact' if r.ok else 'NOT bit-exact'}"
        if not noise else f"logits SNR {r.noise_metrics()['logits_snr_db']:.1f} dB")
        + f" ({time.perf_counter() - t:.1f} s)")
    return r


def pct(ours: float, paper: float) -> str:
    return f"{100 * (ours / paper - 1):+.0f} %"


def psum_variant(r: mn_run.Result) -> dict:
    """One partial-sum variant's figures: the network, and the layers split over row tiles
    (their IMA ops and, with the cores adding, their `sum` ops)."""
    split = {op.name for op in r.model().ops if op.kind == "conv" and op.hi}
    ops = [o for o in r.ops if o.name in split or o.name.removesuffix(".sum") in split]
    cycles = sum(o.cycles for o in ops)
    clock = r.stats["clock_hz"]
    return {"psum": r.psum, "cycles": r.total, "latency_ms": r.total / clock * 1e3,
            "energy_uj": r.energy.get("total"), "bit_exact": r.ok, "split_layers": len(split),
            "split_layers_cycles": cycles, "split_layers_ms": cycles / clock * 1e3,
            "split_layers_energy_uj": sum(o.energy.get("total", 0.0) for o in ops)}


def software_comparison(net: mn_run.Result, sw: mn_run.Result) -> dict:
    """The heterogeneous run against the all-software one (same network, same outputs), and
    the paper's claim against Vega beside it."""
    clock = net.stats["clock_hz"]
    return {"cycles": sw.total, "latency_ms": sw.total / clock * 1e3,
            "energy_uj": sw.energy.get("total"), "bit_exact": sw.ok,
            "mac_per_cycle": mn_report.network_macs(sw.model()) / sw.total,
            "latency_ratio": sw.total / net.total,
            "energy_ratio": sw.energy["total"] / net.energy["total"],
            "paper_vs_vega": mn_report.PAPER_VS_VEGA}


def report(bres: dict, net: mn_run.Result, other: mn_run.Result, sw: mn_run.Result | None,
           noisy: list, wall: float, quick: bool) -> tuple[str, dict]:
    lines = []
    w = lines.append
    ref = bres["cores"]
    clock = ref.stats["clock_hz"]
    # ---- bottleneck ----
    d, b = bn.device_counts(), bn.make_block()
    w(f"== Bottleneck {bn.H}x{bn.W}x{bn.C} -> {bn.CH} -> {bn.C} (docs/bottleneck.md), "
      f"{clock / 1e6:.0f} MHz ==")
    w(f"{'mapping':11s} {'cycles':>9s} {'us':>8s} {'speed-up':>8s} {'paper':>6s} {'uJ':>7s} "
      f"{'E ratio':>7s} {'paper':>6s}  bit-exact")
    bj = {}
    for m, r in bres.items():
        e = r.energy.get("total")
        er = ref.energy["total"] / e if e and ref.energy else None
        w(f"{m:11s} {r.total:9d} {r.total / clock * 1e6:8.1f} {ref.total / r.total:8.2f} "
          f"{bn.PAPER_SPEEDUP[m]:6.2f} {f'{e:7.2f}' if e else '      -'} "
          f"{f'{er:7.2f}' if er else '      -'} {bn.PAPER_ENERGY_RATIO[m]:6.2f}  "
          f"{'yes' if r.ok else 'NO'}")
        bj[m] = {"cycles": r.total, "time_us": r.total / clock * 1e6, "layers": r.layers,
                 "speedup": ref.total / r.total, "paper_speedup": bn.PAPER_SPEEDUP[m],
                 "energy_uj": e, "energy_ratio": er,
                 "paper_energy_ratio": bn.PAPER_ENERGY_RATIO[m], "ok": r.ok,
                 "mips": r.stats.get("mips")}
    macs = bn.N * bn.C * bn.CH
    pw = [macs / ref.layers[k] for k in ("expand", "project")]
    w(f"software pointwise on 8 cores: {pw[0]:.1f} / {pw[1]:.1f} MAC/cycle (expand / project; "
      f"PULP-NN: up to 15.5); simulated {ref.stats['mips']:.1f} MIPS during `cores`")
    # ---- MobileNetV2 ----
    _, _, counts, bound = mn_net.packing(net.network)
    model = net.model()
    lat = net.latency_s()
    e = net.energy["total"]
    w("")
    w(f"== MobileNetV2 {net.res}x{net.res} end to end (docs/mobilenetv2.md) ==")
    w(f"network: {net.network} ({NETWORK_DESC[net.network]}); residual: {ADD_DESC[net.add]}; "
      f"partial sums of split layers: {PSUM_DESC[net.psum]}")
    w(f"{'':24s} {'ours':>10s} {'paper':>10s}")
    rows = [("latency (ms)", f"{lat * 1e3:.2f}", "10.1", lat * 1e3, 10.1),
            ("energy (uJ)", f"{e:.1f}", "482", e, 482.0),
            ("inferences/s", f"{1 / lat:.1f}", "99", 1 / lat, 99.0),
            ("crossbars (Tile&Pack)", f"{net.crossbars}", "34", net.crossbars, 34)]
    for name, ours, paper, a, p in rows:
        diff = pct(a, p) if net.res == mn_net.RES else "(reduced input)"
        w(f"{name:24s} {ours:>10s} {paper:>10s}   {diff}")
    w(f"Tile&Pack: {counts['greedy']} crossbars with full 256-row/column tiles, {counts['even']} "
      f"with even splits; lower bound (cells / 65536) {bound}")
    w(f"L1: {net.l1['need'] / 1024:.0f} kB needed (activations {net.l1['arena'] / 1024:.0f} kB, "
      f"depth-wise weights {net.l1['dw_weights'] / 1024:.0f} kB, IMA accumulation descriptors "
      f"{net.l1['descriptors']} B, stacks 32 kB) -> platform L1 "
      f"{net.l1['l1'] // 1024} kB; output "
      f"{'bit-exact in every layer' if net.ok else 'NOT bit-exact'} vs the golden model")
    comp = "  ".join(f"{k} {v:.1f}" for k, v in net.energy.items() if k != "total")
    w(f"energy by component (uJ): {comp}")
    by = collections.defaultdict(lambda: [0, 0.0])
    for o in net.ops:
        by[o.engine][0] += o.cycles
        by[o.engine][1] += o.energy.get("total", 0.0)
    w("by engine: " + ", ".join(f"{k} {c / clock * 1e3:.2f} ms ({100 * c / net.total:.0f} %) "
                                f"{u:.1f} uJ" for k, (c, u) in by.items()))
    ima = net.stats["peripherals"]["ima"]
    use = mn_report.ima_usage(model)
    mvm_uj = DEFAULTS["ima_mvm_pj"].value * 1e-6
    busy = ima["phase_cycles"]["compute"] / net.total
    w(f"IMA: {ima['mvms']} MVMs, computing {100 * busy:.0f} % of the time; energy "
      f"{use['mvms'] * mvm_uj:.0f} uJ at a full HERMES MVM per job (docs/energy.md). "
      f"Sensitivity, not used: an MVM costing its share of the 256 columns "
      f"{use['column_mvms'] * mvm_uj:.0f} uJ, of the 65536 cells {use['cell_mvms'] * mvm_uj:.0f} uJ")
    variants = {r.psum: psum_variant(r) for r in (net, other)}
    vi, vc = variants["ima"], variants["cores"]
    w(f"partial sums of the {vi['split_layers']} layers split over row tiles: added in the IMA "
      f"{vi['split_layers_ms']:.2f} ms, {vi['split_layers_energy_uj']:.1f} uJ (network "
      f"{vi['latency_ms']:.2f} ms, {vi['energy_uj']:.1f} uJ); by the cores "
      f"{vc['split_layers_ms']:.2f} ms, {vc['split_layers_energy_uj']:.1f} uJ (network "
      f"{vc['latency_ms']:.2f} ms, {vc['energy_uj']:.1f} uJ); both "
      f"{'bit-exact' if vi['bit_exact'] and vc['bit_exact'] else 'NOT bit-exact'} "
      f"(docs/ima.md)")
    soft = software_comparison(net, sw) if sw else None
    if soft:
        v = soft["paper_vs_vega"]
        w(f"all software on the 8 cores (PULP-NN-style kernels, {soft['mac_per_cycle']:.1f} "
          f"MAC/cycle, {'bit-exact' if soft['bit_exact'] else 'NOT bit-exact'}): "
          f"{soft['latency_ms']:.2f} ms, {soft['energy_uj']:.0f} uJ; heterogeneous: "
          f"{soft['latency_ratio']:.1f}x lower latency, {soft['energy_ratio']:.1f}x lower energy "
          f"(paper vs Vega's {v['vega_latency_ms']:.0f} ms, {v['vega_energy_uj']:.0f} uJ: "
          f"{v['latency_ratio']:.0f}x, {v['energy_ratio']}x; docs/paper.md)")
    dwm = mn_report.dw_timing_models(model, net)
    w("DW accelerator: our Fig. 5 schedule " + ", ".join(
        f"stride {k} {v['schedule_mac_per_cycle']:.1f} MAC/cycle ({v['layers']} layers)"
        for k, v in sorted(dwm["by_stride"].items()))
      + f", all {dwm['all']['schedule_mac_per_cycle']:.1f}: {dwm['schedule_ms']:.2f} ms; the "
      f"paper's model, every layer at {dwm['paper_mac_per_cycle']} MAC/cycle: "
      f"{dwm['constant_ms']:.2f} ms (network {dwm['network_latency_ms_constant']:.2f} ms with it; "
      "docs/dw.md)")
    w("")
    w(f"{'#':>3s} {'layer':18s} {'engine':6s} {'cycles':>9s} {'us':>8s} {'time%':>6s} "
      f"{'uJ':>7s} {'E%':>5s}  exact")
    for i, o in enumerate(net.ops):
        u = o.energy.get("total", 0.0)
        w(f"{i:3d} {o.name:18s} {o.engine:6s} {o.cycles:9d} {o.cycles / clock * 1e6:8.1f} "
          f"{100 * o.cycles / net.total:6.2f} {u:7.2f} {100 * u / e:5.1f}  "
          f"{'yes' if not o.mismatches else o.mismatches}")
    fig = mn_report.fig12(model, net)
    w("")
    w("Per layer in the form of the paper's Fig. 12 (a layer split over row tiles with the "
      "cores' sum of its partial outputs when the cores add them; pool and classifier not in "
      "it, as in the paper)")
    w(f"{'layer':16s} {'input HxC':>10s} {'#params':>9s} {'MMAC':>8s} {'lat. ms':>8s} "
      f"{'energy mJ':>10s} {'GMAC/s/W':>9s}  engine")

    def fmt(r, extra=""):
        g = f"{r['gmac_s_w']:9.1f}" if r["gmac_s_w"] is not None else f"{'-':>9s}"
        return (f"{r['layer'][:16]:16s} {r.get('input', ''):>10s} {r['params']:9d} "
                f"{r['mmac']:8.3f} {r['latency_ms']:8.4f} {r['energy_mj']:10.5f} {g}  {extra}")
    for r in fig["rows"]:
        w(fmt(r, r["engine"]))
    for k in ("table", "between", "whole"):
        r = fig["totals"][k]
        w(f"total: {r['layer']}: {r['params']:,} params"
          + (f" (+ classifier {r['params_fc']:,})" if "params_fc" in r else "")
          + f", {r['mmac']:.1f} MMAC, {r['latency_ms']:.3f} ms, {r['energy_mj']:.4f} mJ, "
          f"{r['gmac_s_w']:.1f} GMAC/s/W")
    if noisy:
        w("")
        w(f"PCM noise model on (docs/ima.md; {len(noisy)} input(s)): logits vs the ideal "
          "golden model")
        for r in noisy:
            m = r.noise_metrics()
            w(f"  input {r.image}: logits SNR {m['logits_snr_db']:.1f} dB, correlation "
              f"{m['logits_corr']:.3f}, top-1 {'agrees' if m['top1_agree'] else 'differs'} "
              f"({m['top1_ideal']} vs {m['top1_noisy']}), top-5 overlap {m['top5_overlap']}/5; "
              f"IMA outputs SNR {m['ima']['output_snr_db']:.1f} dB, "
              f"{100 * m['ima']['output_mismatch_fraction']:.0f} % differ")
    w("")
    w(f"wall time of this job: {wall:.1f} s{' (--quick)' if quick else ''}; MobileNetV2 ideal "
      f"run: {net.stats['wall_seconds']:.1f} s simulated at {net.stats['mips']:.1f} MIPS")
    doc = {"schema": "paper-report/1", "quick": quick, "wall_seconds": wall, "clock_hz": clock,
           "bottleneck": {"dims": {"H": bn.H, "W": bn.W, "C": bn.C, "CH": bn.CH},
                          "devices": d, "ranges": {"r1": b.r1, "s2": b.s2, "r2": b.r2, "r3": b.r3},
                          "pointwise_mac_per_cycle": pw, "cores_mips": ref.stats["mips"],
                          "mappings": bj},
           "mobilenetv2": {
               "network": net.network, "add_kernel": net.add, "dw_timing": dwm,
               "psum": net.psum, "psum_variants": variants, "all_software": soft,
               "resolution": net.res, "cycles": net.total, "latency_ms": lat * 1e3,
               "energy_uj": e, "energy_components_uj": net.energy, "inferences_per_s": 1 / lat,
               "crossbars": net.crossbars, "tilepack": {"counts": counts, "lower_bound": bound},
               "l1": net.l1, "bit_exact": net.ok, "paper": mn_report.PAPER,
               "mvms": ima["mvms"], "ima_usage": use, "wall_seconds": net.stats["wall_seconds"],
               "mips": net.stats["mips"],
               "by_engine": {k: {"cycles": c, "energy_uj": u} for k, (c, u) in by.items()},
               "layers": [{"name": o.name, "kind": o.kind, "engine": o.engine,
                           "cycles": o.cycles, "energy_uj": o.energy, "mismatches": o.mismatches}
                          for o in net.ops],
               "fig12": fig,
               "noise": [{"input": r.image, **r.noise_metrics()} for r in noisy]}}
    return "\n".join(lines), doc


def plot(doc: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    net = doc["mobilenetv2"]
    layers = net["layers"]
    colors = {"ima": "tab:blue", "dw": "tab:orange", "cores": "tab:green"}
    fig = plt.figure(figsize=(16, 10))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.2, 1])
    x = range(len(layers))
    names = [l["name"] for l in layers]
    c = [colors[l["engine"]] for l in layers]
    for row, (key, label) in enumerate((("cycles", "latency (us)"), ("energy_uj", "energy (uJ)"))):
        ax = fig.add_subplot(grid[0, row])
        v = [l["cycles"] / doc["clock_hz"] * 1e6 if key == "cycles"
             else l["energy_uj"].get("total", 0) for l in layers]
        ax.bar(x, v, color=c)
        ax.set_xticks(list(x), names, rotation=90, fontsize=5)
        ax.set_ylabel(label)
        total = f"{net['latency_ms']:.2f} ms (paper 10.1)" if key == "cycles" else \
            f"{net['energy_uj']:.0f} uJ (paper 482)"
        ax.set_title(f"MobileNetV2 ({net['network']}) {net['resolution']}x{net['resolution']}, "
                     f"per layer: {total}")
        ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=v) for v in colors.values()],
                  labels=list(colors), fontsize=8)
    maps = doc["bottleneck"]["mappings"]
    for col, (ours, paper, label) in enumerate((("speedup", "paper_speedup", "speed-up vs cores"),
                                                ("energy_ratio", "paper_energy_ratio",
                                                 "energy efficiency vs cores"))):
        ax = fig.add_subplot(grid[1, col])
        ms = list(maps)
        xs = range(len(ms))
        ax.bar([i - 0.2 for i in xs], [maps[m][ours] or 0 for m in ms], 0.4, label="ours")
        ax.bar([i + 0.2 for i in xs], [maps[m][paper] for m in ms], 0.4, label="paper")
        for i, m in enumerate(ms):
            if maps[m][ours]:
                ax.text(i - 0.2, maps[m][ours], f"{maps[m][ours]:.2f}", ha="center", va="bottom",
                        fontsize=7)
            ax.text(i + 0.2, maps[m][paper], f"{maps[m][paper]:.2f}", ha="center", va="bottom",
                    fontsize=7)
        ax.set_xticks(list(xs), ms)
        ax.set_title(f"bottleneck: {label}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    ap.add_argument("--plot", metavar="PNG", help="per-layer breakdown and speed-ups (matplotlib)")
    ap.add_argument("--quick", action="store_true",
                    help="reduced MobileNetV2 (64x64), no bottleneck energy runs, one noisy input")
    ap.add_argument("--noise-images", type=int, metavar="N",
                    help="inputs run with the PCM noise model (default 3, --quick 1)")
    ap.add_argument("--network", choices=mn_net.NETWORKS, default=mn_net.NETWORK,
                    help="MobileNetV2 variant: the paper's Fig. 12 (default) or torchvision's")
    ap.add_argument("--add", choices=mn_net.ADD_KERNELS, default=mn_net.ADD_KERNEL,
                    help="residual kernel: PULP-NN's requantizing add (default) or the "
                         "saturating SIMD add")
    ap.add_argument("--psum", choices=mn_net.PSUMS, default=mn_net.PSUM,
                    help="partial sums of the layers split over row tiles: added in the IMA "
                         "(default) or by the cores; the other variant is reported beside it")
    ap.add_argument("--no-software", action="store_true",
                    help="skip the all-software MobileNetV2 run (the heterogeneous vs "
                         "all-software ratios)")
    args = ap.parse_args(argv)
    res = mn_net.RES_TEST if args.quick else mn_net.RES
    n_noise = args.noise_images if args.noise_images is not None else 1 if args.quick else 3
    log = sys.stderr if args.json == "-" else sys.stdout
    t0 = time.perf_counter()
    say("[build] firmware: bottleneck (5 mappings), MobileNetV2 ...")
    for m in bn.MAPPINGS:
        bn.build(m)
    bn.write_platform()
    other = next(p for p in mn_net.PSUMS if p != args.psum)
    b = mn_build.build(res, network=args.network, add=args.add, psum=args.psum)
    mn_build.build(res, network=args.network, add=args.add, psum=other)
    if not args.no_software:
        mn_build.build(res, network=args.network, add=args.add, mapping="cores")
    say(f"[build] done ({time.perf_counter() - t0:.1f} s); MobileNetV2 platform {b['platform']}")
    bres = run_bottleneck(energy=not args.quick)
    net = run_mobilenet(res, network=args.network, add=args.add, psum=args.psum)
    alt = run_mobilenet(res, network=args.network, add=args.add, psum=other)
    sw = (None if args.no_software else
          run_mobilenet(res, network=args.network, add=args.add, mapping="cores"))
    noisy = [run_mobilenet(res, noise=True, index=i, network=args.network, add=args.add,
                           psum=args.psum) for i in range(n_noise)]
    text, doc = report(bres, net, alt, sw, noisy, time.perf_counter() - t0, args.quick)
    print(text, file=log)
    if args.plot:
        plot(doc, args.plot)
        say(f"[plot] {args.plot}")
    if args.json:
        write_json(doc, args.json, indent=1)
    ok = net.ok and alt.ok and (sw is None or sw.ok) and all(r.ok for r in bres.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
