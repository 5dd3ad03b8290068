"""The energy model (iss/energy.py, docs/energy.md): its constants against their published
sources, hand-computed energies of synthetic stats, [energy] overrides in the platform TOML,
and the energy section of real runs."""
from __future__ import annotations

import dataclasses
import io
import math
from importlib import resources
from types import SimpleNamespace

import pytest

from iss.energy import DEFAULTS, energy
from iss.errors import PlatformError
from iss.platform import PeripheralSpec, load_platform
from iss.simulator import Simulator

COMPONENTS = {"cores_active", "cores_sleep", "l1", "dma", "ima", "dw", "static"}
ROUND = {"core_active_pj": 10.0, "core_sleep_pj": 1.0, "l1_access_pj": 2.0, "dma_byte_pj": 5.0,
         "ima_mvm_pj": 1000.0, "ima_stream_byte_pj": 0.5, "dw_mac_pj": 0.1,
         "dw_stream_byte_pj": 0.25, "static_mw": 2.0}


def hart(active, sleep, ld, st):
    return {"active_cycles": active, "sleep_cycles": sleep, "cycles": active + sleep,
            "events": {"ld": ld, "st": st}}


def synthetic_stats():
    return {"cycles": 1000, "time_seconds": 2e-6,
            "harts": [hart(1000, 0, 100, 50), hart(400, 500, 10, 0)],
            "peripherals": {"cluster_dma": {"transfers": 1, "bytes": 256, "busy_cycles": 32},
                            "acc0": {"jobs": 3, "mvms": 3, "stream_in_bytes": 768,
                                     "stream_out_bytes": 96},
                            "acc1": {"macs": 900, "stream_in_bytes": 400, "stream_out_bytes": 100},
                            "stdout": {"characters": 5}}}


# the synthetic stats' peripherals and their plugins: each plugin says what it costs
# (Peripheral.energy_counts)
SPECS = tuple(PeripheralSpec(name, plugin, 0, 0x400) for name, plugin in
              (("cluster_dma", "cluster_dma"), ("acc0", "ima"), ("acc1", "dw_accel"),
               ("stdout", "stdout")))


def platform_with(energy_table=None, peripherals=SPECS):
    return SimpleNamespace(energy=energy_table or {}, peripherals=peripherals, source="test.toml")


# ---- constants -----------------------------------------------------------------------------

def test_defaults_follow_their_published_sources():
    scale = 22 / 45 * (0.8 / 0.9) ** 2                          # 45 nm 0.9 V -> 22 nm 0.8 V
    vega_hz = 32.2e9 / (9 * 8)                                   # 447 MHz
    vega_pj = 49.4e-3 / vega_hz / 9 * 1e12                       # per core-cycle, all in
    l1 = math.sqrt(10.0 * 20.0) / 2 * scale                      # 16 kB bank, 32-bit word
    static_mw = 0.05 * 49.4
    core = vega_pj - 6 / 14 * l1 - static_mw * 1e-3 / vega_hz / 9 * 1e12
    expected = {"core_active_pj": core, "core_sleep_pj": 0.05 * core, "l1_access_pj": l1,
                "dma_byte_pj": 100.0 / 8 * scale + l1 / 4, "ima_mvm_pj": 2 * 256 * 256 / 10.5,
                "ima_stream_byte_pj": l1 / 4, "dw_mac_pj": (0.2 + 0.1) * scale,
                "dw_stream_byte_pj": l1 / 4, "static_mw": static_mw}
    assert set(DEFAULTS) == set(expected)
    for name, value in expected.items():
        assert DEFAULTS[name].value == pytest.approx(value, rel=1e-3), name
        assert DEFAULTS[name].unit and DEFAULTS[name].source
    # ballpark: ~10.5 pJ per active core-cycle, 12.5 nJ per MVM, 2.7 pJ per L1 word
    assert 10 < DEFAULTS["core_active_pj"].value < 11
    assert 12_000 < DEFAULTS["ima_mvm_pj"].value < 13_000


# ---- synthetic stats -----------------------------------------------------------------------

def test_hand_computed_energy_of_synthetic_stats():
    e = energy(synthetic_stats(), platform_with(ROUND))
    c = e["components"]
    # by hand, in pJ (1 uJ = 1e6 pJ)
    assert c["cores_active"] == pytest.approx((1000 + 400) * 10 / 1e6)          # 14000 pJ
    assert c["cores_sleep"] == pytest.approx((0 + 600) * 1 / 1e6)               # hart 1: 1000-400
    assert c["l1"] == pytest.approx((150 + 10) * 2 / 1e6)                       # 320 pJ
    assert c["dma"] == pytest.approx(256 * 5 / 1e6)                             # 1280 pJ
    assert c["ima"] == pytest.approx((3 * 1000 + 864 * 0.5) / 1e6)             # 3432 pJ
    assert c["dw"] == pytest.approx((900 * 0.1 + 500 * 0.25) / 1e6)            # 215 pJ
    assert c["static"] == pytest.approx(2e-3 * 2e-6 * 1e6)                      # 4000 pJ
    assert e["total_uj"] == pytest.approx(0.023847)
    assert e["average_power_mw"] == pytest.approx(0.023847e-6 / 2e-6 * 1e3)    # 11.92 mW
    assert e["constants"]["static_mw"] == {"value": 2.0, "unit": "mW",
                                           "source": "[energy] of test.toml"}


def test_default_constants_without_platform():
    """No platform: the default one's peripherals (ima, dw, cluster_dma) and constants."""
    stats = synthetic_stats()
    p = stats["peripherals"]
    p["ima"], p["dw"] = p.pop("acc0"), p.pop("acc1")
    e = energy(stats)
    k = {name: c.value for name, c in DEFAULTS.items()}
    assert e["components"]["cores_active"] == pytest.approx(1400 * k["core_active_pj"] / 1e6)
    assert e["components"]["ima"] == pytest.approx(
        (3 * k["ima_mvm_pj"] + 864 * k["ima_stream_byte_pj"]) / 1e6)
    assert e["constants"]["ima_mvm_pj"]["source"] == DEFAULTS["ima_mvm_pj"].source


def test_peripherals_priced_by_their_plugin_not_their_stats_keys():
    stats = synthetic_stats()
    stats["peripherals"] = {"dma0": {"bytes": 100},                  # no "transfers" key
                            "xbar": {"jobs": 2},                     # IMA that ran nothing
                            "other": {"bytes": 7},                   # not a DMA
                            "dw": {"macs": 10, "stream_in_bytes": 4, "stream_out_bytes": 0}}
    spec = lambda name, plugin: PeripheralSpec(name, plugin, 0, 0x400)
    plat = platform_with(ROUND, (spec("dma0", "cluster_dma"), spec("xbar", "ima"),
                                 spec("other", "stdout"), spec("dw", "dw_accel")))
    c = energy(stats, plat)["components"]
    assert c["dma"] == pytest.approx(100 * 5 / 1e6)
    assert c["ima"] == 0
    assert c["dw"] == pytest.approx((10 * 0.1 + 4 * 0.25) / 1e6)


def test_a_plugin_of_your_own_declares_what_it_costs():
    """A third-party accelerator (registered in this process) charges the model's
    components through energy_kind / energy_counts, as the shipped ones do."""
    from iss.plugin import Peripheral, register_plugin

    class Systolic(Peripheral):
        energy_kind = "dw"

        @classmethod
        def energy_counts(cls, stats):
            return {"macs": stats["products"], "dw_bytes": stats["words"] * 4}

    register_plugin("test_systolic", Systolic)
    stats = synthetic_stats()
    stats["peripherals"] = {"sa": {"products": 1000, "words": 10}}
    plat = platform_with(ROUND, (PeripheralSpec("sa", "test_systolic", 0, 0x400),))
    assert energy(stats, plat)["components"]["dw"] == pytest.approx((1000 * 0.1 + 40 * 0.25) / 1e6)


def test_missing_accelerators_contribute_nothing():
    stats = synthetic_stats()
    stats["peripherals"] = {"stdout": {"characters": 1}}
    e = energy(stats, platform_with(ROUND))
    assert e["components"]["ima"] == e["components"]["dw"] == e["components"]["dma"] == 0
    assert e["total_uj"] == pytest.approx(sum(e["components"].values()))


# ---- platform overrides --------------------------------------------------------------------

def default_toml() -> str:
    return resources.files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()


def test_platform_energy_table_overrides_constants(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(default_toml() + "\n[energy]\ncore_active_pj = 20\nstatic_mw = 0.5\n")
    plat = load_platform(path)
    assert plat.energy == {"core_active_pj": 20.0, "static_mw": 0.5}
    e = energy(synthetic_stats(), plat)
    assert e["components"]["cores_active"] == pytest.approx(1400 * 20 / 1e6)
    assert e["components"]["static"] == pytest.approx(0.5e-3 * 2e-6 * 1e6)
    assert e["constants"]["core_active_pj"]["source"] == f"[energy] of {path}"
    assert e["constants"]["l1_access_pj"]["value"] == DEFAULTS["l1_access_pj"].value
    assert load_platform().energy == {}                       # the default has no overrides


@pytest.mark.parametrize("table, message", [
    ("core_active_pj = 1\ncore_idle_pj = 2\nbogus = 3", "unknown keys: bogus, core_idle_pj"),
    ("l1_access_pj = -1", "'l1_access_pj' must be a non-negative number"),
    ("dw_mac_pj = \"0.1\"", "'dw_mac_pj' must be a non-negative number"),
    ("static_mw = true", "'static_mw' must be a non-negative number"),
])
def test_platform_energy_table_rejects_bad_entries(tmp_path, table, message):
    path = tmp_path / "p.toml"
    path.write_text(default_toml() + f"\n[energy]\n{table}\n")
    with pytest.raises(PlatformError, match=message) as info:
        load_platform(path)
    assert "[energy]" in str(info.value) and str(path) in str(info.value)


def test_energy_must_be_a_table(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("energy = 3\n" + default_toml())
    with pytest.raises(PlatformError, match=r"\[energy\]: must be a table"):
        load_platform(path)


# ---- real runs -----------------------------------------------------------------------------

def without_accelerators():
    plat = load_platform()
    return dataclasses.replace(plat, peripherals=tuple(
        p for p in plat.peripherals if p.plugin not in ("ima", "dw_accel")))


def run(elf, platform=None):
    result = Simulator(elf, platform=platform, output=io.StringIO()).run(max_instructions=50_000_000)
    assert result.stop.reason == "exit" and result.exit_code == 0, result.stop
    return result.stats


def check_consistent(stats):
    e = stats["energy"]
    k = {name: c["value"] for name, c in e["constants"].items()}
    c = e["components"]
    assert set(c) == COMPONENTS and set(k) == set(DEFAULTS)
    assert e["total_uj"] == pytest.approx(sum(c.values()))
    assert e["average_power_mw"] == pytest.approx(e["total_uj"] * 1e-3 / stats["time_seconds"])
    harts = stats["harts"]
    active = sum(h["active_cycles"] for h in harts)
    assert c["cores_active"] == pytest.approx(active * k["core_active_pj"] / 1e6)
    assert c["cores_sleep"] == pytest.approx(
        (len(harts) * stats["cycles"] - active) * k["core_sleep_pj"] / 1e6)
    assert c["l1"] == pytest.approx(
        sum(h["events"]["ld"] + h["events"]["st"] for h in harts) * k["l1_access_pj"] / 1e6)
    assert c["static"] == pytest.approx(k["static_mw"] * 1e-3 * stats["time_seconds"] * 1e6)
    return e


def test_real_run_without_accelerators_has_a_consistent_energy_section(firmware_elf):
    plat = without_accelerators()
    hello = run(firmware_elf("hello"), plat)
    short = check_consistent(hello)
    stats = run(firmware_elf("dma_copy"), plat)
    e = check_consistent(stats)
    c = e["components"]
    assert c["ima"] == c["dw"] == 0
    assert c["dma"] == pytest.approx(
        stats["peripherals"]["cluster_dma"]["bytes"] * e["constants"]["dma_byte_pj"]["value"] / 1e6)
    assert c["dma"] > 0 and c["cores_active"] > 0 and c["static"] > 0
    # core energy scales with the active cycles: the longer run costs proportionally more
    active = lambda s: sum(h["active_cycles"] for h in s["harts"])
    assert active(stats) > active(hello)
    assert (c["cores_active"] / short["components"]["cores_active"]
            == pytest.approx(active(stats) / active(hello)))


def test_real_run_charges_the_dw_accelerator(firmware_elf):
    plat = load_platform()
    if not any(p.plugin == "dw_accel" for p in plat.peripherals):
        pytest.skip("the default platform has no DW accelerator")
    stats = run(firmware_elf("dw_layer"), plat)
    e = check_consistent(stats)
    k = {name: c["value"] for name, c in e["constants"].items()}
    dw = next(s for name, s in stats["peripherals"].items() if "macs" in s)
    assert dw["macs"] > 0
    assert e["components"]["dw"] == pytest.approx(
        (dw["macs"] * k["dw_mac_pj"]
         + (dw["stream_in_bytes"] + dw["stream_out_bytes"]) * k["dw_stream_byte_pj"]) / 1e6)
