"""`iss run --profile` (iss/profile.py): per-function instructions, cycles and stalls that add
up exactly to the run's totals, hottest functions, per-source-line view."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from iss.profile import UNATTRIBUTED, collect, enable
from iss.simulator import Simulator


def profiled(elf, lines_of=None, **kw):
    out = io.StringIO()
    sim = Simulator(elf, output=out, **kw)
    enable(sim)
    result = sim.run()
    assert result.stop.reason == "exit" and result.exit_code == 0, (result.stop, out.getvalue())
    return sim, result.stats, collect(sim, lines_of), out.getvalue()


def assert_adds_up(stats, profile):
    """Per hart, the function rows add up to the hart's instructions, cycles, sleep cycles
    and stall cycles by cause, with nothing left unattributed; the totals too."""
    for hart, ph in zip(stats["harts"], profile["harts"], strict=True):
        rows = ph["functions"]
        assert UNATTRIBUTED not in [r["function"] for r in rows]
        assert sum(r["instructions"] for r in rows) == hart["instructions"]
        assert sum(r["cycles"] for r in rows) == hart["cycles"]
        assert sum(r["sleep_cycles"] for r in rows) == hart["sleep_cycles"]
        assert sum(r["active_cycles"] for r in rows) == hart["active_cycles"]
        for cause, value in hart["stalls"].items():
            assert sum(r["stalls"][cause] for r in rows) == value, cause
    total = profile["functions"]
    assert sum(r["instructions"] for r in total) == stats["instructions"]
    assert sum(r["cycles"] for r in total) == sum(h["cycles"] for h in stats["harts"])


@pytest.mark.parametrize("app,cores,timing", [("trace_demo", 8, "fast"),
                                              ("trace_demo", 8, "accurate"),
                                              ("matmul_parallel", 8, "fast"),
                                              ("dma_copy", 4, "fast")])
def test_profile_adds_up_to_the_run_totals(firmware_elf, app, cores, timing):
    _, stats, profile, _ = profiled(firmware_elf(app), cores=cores, timing=timing)
    assert_adds_up(stats, profile)
    causes = {c for h in stats["harts"] for c, v in h["stalls"].items() if v}
    assert {"branch", "load_use"} <= causes             # dynamic and static causes both seen
    if timing == "accurate":
        assert "tcdm" in causes                        # bank conflicts of the 8 kernels


def test_profile_xpulpv2_and_hardware_loops(firmware_elf):
    """An XpulpV2 kernel (cv.* via the trap and the NOP paths, hardware loops whose
    back-edges change load-use stalls, div): still exact."""
    _, stats, profile, out = profiled(firmware_elf("kernels_selftest"), cores=1)
    assert_adds_up(stats, profile)


def test_hottest_function_is_the_matmul_kernel(firmware_elf):
    """bench_matmul_xpulp measures its kernel with minstret: the profile's hottest function is
    matmul_int8 and its instructions are what the firmware counted (the firmware's count also
    takes in the call and the counter reads around the 48 calls)."""
    _, stats, profile, out = profiled(firmware_elf("bench_matmul_xpulp"), cores=1)
    hottest = profile["functions"][0]
    assert hottest["function"] == "matmul_int8"
    measured = int(re.search(r"kernel_instructions=(\d+)", out).group(1))
    assert 0 <= measured - hottest["instructions"] <= 48 * 20
    assert_adds_up(stats, profile)


def test_hottest_function_per_core(firmware_elf):
    """trace_demo: every core spends its active time in kernel(); the workers sleep in the
    runtime's worker loop or in entry() (barrier)."""
    _, stats, profile, _ = profiled(firmware_elf("trace_demo"), cores=8)
    assert profile["functions"][0]["function"] == "kernel"
    for h in profile["harts"][1:]:
        assert h["functions"][0]["function"] == "kernel"
        sleepy = max(h["functions"], key=lambda r: r["sleep_cycles"])
        assert sleepy["function"] in ("__pulp_worker_loop", "entry")
    main = next(r for r in profile["functions"] if r["function"] == "main")
    assert main["stalls"]["div"] > 0                      # a div in main's check loop


def test_profile_lines(firmware_elf):
    _, _, profile, _ = profiled(firmware_elf("trace_demo"), lines_of="kernel", cores=2)
    lines = profile["lines"]
    assert lines["function"] == "kernel"
    function = next(r for r in profile["functions"] if r["function"] == "kernel")
    for key in ("instructions", "cycles"):
        assert sum(r[key] for r in lines["rows"]) == function[key]
    assert {r["file"] for r in lines["rows"]} == {"main.c"}
    hot = max(lines["rows"], key=lambda r: r["cycles"])
    assert hot["line"] > 0


def test_profile_is_off_by_default(firmware_elf):
    sim = Simulator(firmware_elf("hello"), output=io.StringIO(), cores=2)
    assert all(h.native.profile_table == 0 and h.dynamic is None for h in sim.harts)
    stats = sim.run().stats
    assert "profile" not in stats


def test_profile_does_not_change_the_run(firmware_elf):
    elf = firmware_elf("trace_demo")
    plain = Simulator(elf, output=io.StringIO()).run().stats
    _, stats, _, _ = profiled(elf)
    for key in ("instructions", "cycles"):
        assert stats[key] == plain[key]
    assert [h["stalls"] for h in stats["harts"]] == [h["stalls"] for h in plain["harts"]]


def test_cli_profile_table_and_json(firmware_elf):
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(firmware_elf("trace_demo")),
                        "--profile", "--profile-lines", "kernel", "--json", "-"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)                          # stdout stays pure JSON
    assert stats["profile"]["functions"][0]["function"] == "kernel"
    assert "lines" in stats["profile"]
    assert "profile: all 8 cores" in r.stderr and "per core" in r.stderr
    assert "source lines of kernel" in r.stderr
    assert_adds_up(stats, stats["profile"])


def test_cli_profile_lines_unknown_function(firmware_elf):
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(firmware_elf("hello")),
                        "--profile-lines", "no_such_function"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "no function named 'no_such_function'" in r.stderr
