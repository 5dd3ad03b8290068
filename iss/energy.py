"""Energy model: per-event energies and static power of the cluster, applied to a run's stats.

Every constant is a published number or is derived from one with the arithmetic below; the
sources, derivations and what the model leaves out are in docs/energy.md. No constant is
fitted to the results of the paper the simulator reproduces (Garofalo et al., arXiv
2201.01089): those stay an independent check.

Target operating point: GF 22FDX, 0.8 V, 500 MHz (the paper's cluster, arXiv 2201.01089).
A platform TOML may override any constant in an `[energy]` table (`check_overrides`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import PlatformError
from .schema import Field

# ---- published numbers the defaults come from (docs/energy.md, "Sources") ---------------
# Vega (Rossi et al., IEEE JSSC 2022, abstract): 9-core PULP cluster, 32.2 GOPS peak at 49.4 mW.
VEGA_GOPS, VEGA_POWER_MW, VEGA_CORES = 32.2, 49.4, 9
# Its peak counts a 4 x 8-bit SIMD dot product (4 MAC = 8 ops) per core and cycle, so it
# runs 32.2e9 / (9 * 8) = 447 MHz: the 8-bit matmul at the top of its voltage range.
VEGA_OPS_PER_CORE_CYCLE = 8
# PULP-NN's 4x2 int8 matmul inner loop (pulp-nn kernels/pulp_nn_matmul_4x2_int8.c): 6 loads
# per 14 instructions, the data-access rate of that peak benchmark.
MATMUL_ACCESSES_PER_CYCLE = 6 / 14
# Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm at 0.9 V (pJ): 64-bit reads of
# an 8 kB / 32 kB / 1 MB SRAM, an 8-bit multiply, a 32-bit add.
SRAM_8K_64B, SRAM_32K_64B, SRAM_1M_64B = 10.0, 20.0, 100.0
MUL8, ADD32 = 0.2, 0.1
# Dynamic energy ~ C V^2 with C ~ feature size: 45 nm / 0.9 V -> 22 nm / 0.8 V.
TECH_SCALE = (22 / 45) * (0.8 / 0.9) ** 2
# HERMES core (Khaddam-Aljameh et al., IEEE JSSC 2022): 256x256 PCM, 10.5 TOPS/W (14 nm, 0.8 V).
HERMES_OPS_PER_MVM, HERMES_TOPS_PER_W = 2 * 256 * 256, 10.5
# The paper's TCDM: 512 kB in 32 banks of 16 kB, 32-bit words (paper Sec. III-B).
TCDM_BANK_KB = 512 / 32


@dataclass(frozen=True)
class Constant:
    name: str
    value: float
    unit: str
    source: str


def _sig(x: float) -> float:
    return float(f"{x:.4g}")


def _defaults() -> tuple[Constant, ...]:
    vega_hz = VEGA_GOPS * 1e9 / (VEGA_CORES * VEGA_OPS_PER_CORE_CYCLE)
    vega_core_cycle_pj = VEGA_POWER_MW * 1e-3 / vega_hz / VEGA_CORES * 1e12
    # 16 kB bank: between the 8 kB and 32 kB rows (geometric mean), half for a 32-bit word
    bank_64b = SRAM_8K_64B * (SRAM_32K_64B / SRAM_8K_64B) ** math.log(TCDM_BANK_KB / 8, 32 / 8)
    l1 = bank_64b / 2 * TECH_SCALE
    static_mw = 0.05 * VEGA_POWER_MW
    core = vega_core_cycle_pj - MATMUL_ACCESSES_PER_CYCLE * l1 - static_mw * 1e-3 / vega_hz / VEGA_CORES * 1e12
    return (
        Constant("core_active_pj", _sig(core), "pJ/cycle",
                 "Vega 49.4 mW at 32.2 GOPS (9 cores, 447 MHz) per core-cycle, minus its L1 "
                 "accesses and static share (derived)"),
        Constant("core_sleep_pj", _sig(0.05 * core), "pJ/cycle",
                 "assumption: a clock-gated core keeps 5% of an active cycle (clock stub, "
                 "event unit); its leakage is in static_mw"),
        Constant("l1_access_pj", _sig(l1), "pJ/access",
                 "Horowitz 2014 45 nm SRAM 8-32 kB 64-bit read, 16 kB bank, 32-bit word, "
                 "scaled to 22 nm 0.8 V (derived)"),
        Constant("dma_byte_pj", _sig((SRAM_1M_64B / 8) * TECH_SCALE + l1 / 4), "pJ/byte",
                 "L2 side: Horowitz 1 MB SRAM 64-bit read per byte, scaled; L1 side: "
                 "l1_access_pj / 4 (derived)"),
        Constant("ima_mvm_pj", _sig(HERMES_OPS_PER_MVM / (HERMES_TOPS_PER_W * 1e12) * 1e12),
                 "pJ/MVM", "HERMES core 10.5 TOPS/W: 2*256*256 ops per MVM (14 nm figure, "
                 "not rescaled)"),
        Constant("ima_stream_byte_pj", _sig(l1 / 4), "pJ/byte",
                 "one TCDM word access per 4 streamed bytes: l1_access_pj / 4 (derived)"),
        Constant("dw_mac_pj", _sig((MUL8 + ADD32) * TECH_SCALE), "pJ/MAC",
                 "Horowitz 2014 8-bit multiply + 32-bit add, scaled to 22 nm 0.8 V (derived)"),
        Constant("dw_stream_byte_pj", _sig(l1 / 4), "pJ/byte",
                 "one TCDM word access per 4 streamed bytes: l1_access_pj / 4 (derived)"),
        Constant("static_mw", _sig(static_mw), "mW",
                 "assumption: cluster leakage = 5% of Vega's 49.4 mW peak (no public 22FDX "
                 "cluster leakage figure found)"),
    )


CONSTANTS = _defaults()
DEFAULTS = {c.name: c for c in CONSTANTS}

_CONSTANT = Field(float, lo=0)       # an override: a finite number >= 0, never a boolean


def check_overrides(table, where: str) -> dict:
    """The platform TOML's [energy] table: known constant names, non-negative numbers."""
    if not isinstance(table, dict):
        raise PlatformError(f"{where}: must be a table of constants")
    unknown = sorted(set(table) - set(DEFAULTS))
    if unknown:
        raise PlatformError(f"{where}: unknown keys: {', '.join(unknown)} "
                            f"(known: {', '.join(DEFAULTS)})")
    for key, value in table.items():
        if not _CONSTANT.accepts(value):
            raise PlatformError(f"{where}: '{key}' must be a non-negative number, got {value!r}")
    return {key: float(value) for key, value in table.items()}


def constants(platform=None) -> dict[str, float]:
    """The constants of a platform: the defaults with its [energy] overrides."""
    overrides = getattr(platform, "energy", None) or {}
    return {name: overrides.get(name, c.value) for name, c in DEFAULTS.items()}


# the events the model charges; a peripheral's come from its plugin's `energy_counts`
COUNTS = ("active", "gated", "accesses", "dma", "mvms", "ima_bytes", "macs", "dw_bytes", "seconds")


def plugin_classes(platform=None) -> dict:
    """Peripheral name -> plugin class of a platform (the default platform when None: the
    stats of a run on it), for `Peripheral.energy_counts`."""
    from .plugin import find_plugin
    from .platform import load_platform
    specs = getattr(platform, "peripherals", None)
    if specs is None:
        specs = load_platform(None).peripherals
    out = {}
    for spec in specs:
        try:
            out[spec.name] = find_plugin(spec.plugin)
        except PlatformError:
            continue                  # an unknown plugin: the platform check reports it
    return out


def components_pj(count: dict, k: dict) -> dict:
    """Energy per component (pJ) of event counts (keys of COUNTS; missing ones are 0): core
    cycles active / clock-gated, L1 accesses, DMA bytes, IMA MVMs and streamed bytes, DW MACs
    and streamed bytes, seconds of static power."""
    c = {name: count.get(name, 0) for name in COUNTS}
    return {
        "cores_active": c["active"] * k["core_active_pj"],
        "cores_sleep": c["gated"] * k["core_sleep_pj"],
        "l1": c["accesses"] * k["l1_access_pj"],
        "dma": c["dma"] * k["dma_byte_pj"],
        "ima": c["mvms"] * k["ima_mvm_pj"] + c["ima_bytes"] * k["ima_stream_byte_pj"],
        "dw": c["macs"] * k["dw_mac_pj"] + c["dw_bytes"] * k["dw_stream_byte_pj"],
        "static": k["static_mw"] * 1e-3 * c["seconds"] * 1e12,
    }


def energy(stats: dict, platform=None) -> dict:
    """Energy of a run from Simulator.stats output: per component and total, in uJ."""
    overrides = getattr(platform, "energy", None) or {}
    k = constants(platform)
    plugins = plugin_classes(platform)
    cycles = stats["cycles"]
    harts = stats["harts"]
    active = sum(h["active_cycles"] for h in harts)
    # every cluster cycle a core does not execute it is clock-gated: asleep in the event
    # unit, halted, or done before the last core
    gated = sum(max(0, cycles - h["active_cycles"]) for h in harts)
    accesses = sum(h["events"]["ld"] + h["events"]["st"] for h in harts)
    count = {"active": active, "gated": gated, "accesses": accesses,
             "dma": 0, "mvms": 0, "ima_bytes": 0, "macs": 0, "dw_bytes": 0,
             "seconds": stats["time_seconds"]}
    for name, s in stats.get("peripherals", {}).items():
        if name in plugins:
            for key, value in plugins[name].energy_counts(s).items():
                count[key] += value
    pj = components_pj(count, k)
    components = {name: v * 1e-6 for name, v in pj.items()}
    total = sum(components.values())
    seconds = stats["time_seconds"]
    source = getattr(platform, "source", "platform")
    return {
        "total_uj": total,
        "average_power_mw": total * 1e-3 / seconds if seconds > 0 else 0.0,
        "components": components,
        "constants": {name: {"value": k[name], "unit": c.unit,
                             "source": f"[energy] of {source}" if name in overrides else c.source}
                      for name, c in DEFAULTS.items()},
    }
