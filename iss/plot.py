"""`iss plot STATS.json [-o DIR]`: PNG charts from the stats of `iss run --json`.

Files (each only when the stats have what it shows):
  utilisation.png   per core: cycles executing, stalled and asleep (share of the core's cycles)
  stalls.png        per core: stall cycles by cause
  accelerators.png  busy share of the run for every peripheral reporting `busy_cycles`
                    (accelerators, DMA), split by phase when it reports `phase_cycles`
  energy.png        the `energy` key's breakdown (numeric leaves; `total*` leaves left out)
  profile.png       the busiest functions of a `--profile` run (executing / stalled / asleep)
"""
from __future__ import annotations

import json
from pathlib import Path

from .errors import IssError

STALL_ORDER = ("load_use", "jump", "branch", "mulh", "div", "csr", "elw", "misaligned", "tcdm",
               "peripheral", "sync")


def plot_stats(stats_path: str, out_dir: str = ".") -> list[Path]:
    try:
        stats = json.loads(Path(stats_path).read_text())
    except OSError as e:
        raise IssError(f"cannot read {stats_path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise IssError(f"{stats_path}: not JSON ({e})") from None
    if not isinstance(stats, dict) or "harts" not in stats:
        raise IssError(f"{stats_path}: not the stats of `iss run --json` (no 'harts')")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    title = f"{Path(stats.get('firmware', '?')).name}: {stats.get('cycles', 0):,} cycles"
    written = []
    for name, draw in (("utilisation", _utilisation), ("stalls", _stalls),
                       ("accelerators", _accelerators), ("energy", _energy),
                       ("profile", _profile)):
        fig = draw(plt, stats, title)
        if fig is None:
            continue
        path = out / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def _cores(stats):
    return [f"core {h['hart']}" for h in stats["harts"]]


def _utilisation(plt, stats, title):
    harts = stats["harts"]
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(harts) + 3), 4))
    total = [max(h["cycles"], 1) for h in harts]
    stalled = [sum(h["stalls"].values()) for h in harts]
    asleep = [h.get("sleep_cycles", 0) for h in harts]
    executing = [h.get("active_cycles", h["cycles"]) - s for h, s in zip(harts, stalled, strict=True)]
    bottom = [0.0] * len(harts)
    for label, values, color in (("executing", executing, "tab:green"),
                                 ("stalled", stalled, "tab:orange"),
                                 ("asleep", asleep, "tab:gray")):
        share = [100 * v / t for v, t in zip(values, total, strict=True)]
        ax.bar(_cores(stats), share, bottom=bottom, label=label, color=color)
        bottom = [b + s for b, s in zip(bottom, share, strict=True)]
    ax.set_ylabel("% of the core's cycles")
    ax.set_ylim(0, 100)
    ax.set_title(f"core utilisation — {title}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize="small")
    return fig


def _stalls(plt, stats, title):
    harts = stats["harts"]
    causes = [c for c in STALL_ORDER if any(h["stalls"].get(c, 0) for h in harts)]
    causes += sorted({c for h in harts for c, v in h["stalls"].items() if v} - set(causes))
    if not causes:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(harts) + 3), 4))
    bottom = [0] * len(harts)
    cmap = plt.get_cmap("tab10")
    for i, cause in enumerate(causes):
        values = [h["stalls"].get(cause, 0) for h in harts]
        ax.bar(_cores(stats), values, bottom=bottom, label=cause, color=cmap(i % 10))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("stall cycles")
    ax.set_title(f"stalls by cause — {title}")
    ax.legend(fontsize="small")
    return fig


def _accelerators(plt, stats, title):
    busy = {name: p for name, p in stats.get("peripherals", {}).items()
            if isinstance(p, dict) and "busy_cycles" in p}
    if not busy:
        return None
    cycles = max(stats.get("cycles", 0), 1)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.6 * len(busy)))
    cmap = plt.get_cmap("tab10")
    colors: dict[str, object] = {}
    for row, (name, p) in enumerate(busy.items()):
        phases = {k: v for k, v in (p.get("phase_cycles") or {}).items() if v}
        if not phases:
            phases = {"busy": p["busy_cycles"]}
        scale = p["busy_cycles"] / max(sum(phases.values()), 1)   # phases may overlap
        left = 0.0
        for phase, v in phases.items():
            color = colors.setdefault(phase, cmap(len(colors) % 10))
            width = 100 * v * scale / cycles
            ax.barh(name, width, left=left, color=color,
                    label=phase if phase not in ax.get_legend_handles_labels()[1] else None)
            left += width
        ax.text(left + 0.5, row, f"{100 * p['busy_cycles'] / cycles:.1f} %", va="center",
                fontsize="small")
    ax.set_xlim(0, 105)
    ax.set_xlabel("% of the run's cycles busy")
    ax.set_title(f"accelerators and DMA — {title}")
    ax.legend(fontsize="small", loc="lower right")
    return fig


def _leaves(value, prefix=""):
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [(prefix, float(value))]
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += _leaves(v, f"{prefix}/{k}" if prefix else str(k))
        return out
    return []


def _energy(plt, stats, title):
    energy = stats.get("energy")
    if not isinstance(energy, dict):
        return None
    for key in ("breakdown", "components", "by_component"):
        if isinstance(energy.get(key), dict):
            energy = energy[key]
            break
    parts = [(k, v) for k, v in _leaves(energy)
             if v > 0 and not k.split("/")[-1].lower().startswith("total")]
    if not parts:
        return None
    unit = stats["energy"].get("unit") or ("uJ" if "total_uj" in stats["energy"] else "")
    parts.sort(key=lambda kv: -kv[1])
    fig, (pie, bars) = plt.subplots(1, 2, figsize=(11, 0.5 + max(4, 0.35 * len(parts))))
    wedges, _, _ = pie.pie([v for _, v in parts], autopct=lambda p: f"{p:.1f}%" if p >= 3 else "",
                           textprops={"fontsize": "small"}, startangle=90, counterclock=False)
    total = sum(v for _, v in parts)
    pie.legend(wedges, [f"{k} ({100 * v / total:.1f}%)" for k, v in parts], fontsize="small",
               loc="center left", bbox_to_anchor=(-0.45, 0.5))
    pie.set_title("energy breakdown")
    bars.barh([k for k, _ in parts][::-1], [v for _, v in parts][::-1], color="tab:blue")
    bars.set_xlabel(f"energy{f' ({unit})' if unit else ''}")
    bars.set_title(title, fontsize="small")
    return fig


def busiest(rows: list, n: int) -> list:
    """The n profile rows with the most cycles (executing + asleep), most first: the order
    of what the per-core column of the profile table and the chart show (shares and bars
    of all their cycles). Here, not in iss.profile, which loads the native hooks."""
    return sorted(rows, key=lambda r: (-r["cycles"], -r["instructions"]))[:n]


def _profile(plt, stats, title, top: int = 15):
    profile = stats.get("profile")
    if not isinstance(profile, dict) or not profile.get("functions"):
        return None
    rows = busiest(profile["functions"], top)[::-1]      # longest bar at the top
    names = [r["function"] for r in rows]
    stalled = [sum(r["stalls"].values()) for r in rows]
    executing = [r["cycles"] - r["sleep_cycles"] - s for r, s in zip(rows, stalled, strict=True)]
    asleep = [r["sleep_cycles"] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.35 * len(rows)))
    left = [0] * len(rows)
    for label, values, color in (("executing", executing, "tab:green"),
                                 ("stalled", stalled, "tab:orange"),
                                 ("asleep", asleep, "tab:gray")):
        ax.barh(names, values, left=left, label=label, color=color)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("cycles (all cores)")
    ax.set_title(f"busiest functions — {title}")
    ax.legend(fontsize="small", loc="lower right")
    return fig
