"""The cluster core: harts, simulated time, stats invariants, perf-counter CSRs,
deadlock detection, determinism (docs/cluster.md)."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from iss.simulator import Simulator


def _run(elf, **kw):
    sim = Simulator(elf, output=io.StringIO(), **kw)
    return sim, sim.run()


def _words(sim, symbol, n):
    data = sim.memory.read(sim.image.symbols[symbol], 4 * n)
    return [int.from_bytes(data[4 * i:4 * i + 4], "little") for i in range(n)]


@pytest.mark.parametrize("isa", ["corev", "xpulpv2"])
def test_perf_counter_csrs(firmware_elf, isa):
    sim = Simulator(firmware_elf("perf_csr"), output=io.StringIO(), isa=isa, cores=1)
    if isa == "xpulpv2":
        sim.memory.write(sim.image.symbols["flavour_is_ri5cy"], (1).to_bytes(4, "little"))
    result = sim.run()
    assert result.stop.reason == "exit" and result.exit_code == 0, result.stop
    # hand counts in firmware/isa_tests/perf_csr.S
    instr, cycles, ri5cy, inhibited = _words(sim, "perf_results", 4)
    if isa == "corev":
        assert (instr, cycles, ri5cy, inhibited) == (11, 14, 0xFFFFFFFF, 0)
    else:
        assert (instr, cycles, ri5cy, inhibited) == (0xFFFFFFFF, 0xFFFFFFFF, 13, 0xFFFFFFFF)


def test_single_core_cycles_are_instructions_plus_stalls(firmware_elf):
    _, result = _run(firmware_elf("matmul_int8"), cores=1)
    hart = result.stats["harts"][0]
    assert result.stop.reason == "exit"
    assert hart["cycles"] == hart["instructions"] + sum(hart["stalls"].values()) + hart["sleep_cycles"]
    assert hart["active_cycles"] == hart["cycles"] - hart["sleep_cycles"]
    assert result.stats["cycles"] == hart["cycles"]
    assert result.stats["time_seconds"] == pytest.approx(hart["cycles"] / 500e6)
    # every taken branch costs 2 more than a not-taken one (CV32E40P manual)
    assert hart["stalls"]["branch"] >= 2 * hart["events"]["btaken"]


def test_stats_are_deterministic(firmware_elf):
    elf = firmware_elf("cluster_barrier")
    runs = [_run(elf, cores=8)[1].stats for _ in range(2)]
    for stats in runs:
        stats.pop("wall_seconds"), stats.pop("mips")
    assert runs[0] == runs[1]
    assert runs[0]["stop_reason"] == "exit"


def test_deadlock_is_reported(firmware_elf, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--cores", "2",
                           str(firmware_elf("deadlock")), "--json", str(tmp_path / "s.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert "deadlock" in proc.stderr and "Traceback" not in proc.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["stop_reason"] == "deadlock"
    assert all(h["state"] == "sleeping" for h in stats["harts"])


@pytest.mark.parametrize("cores", ["0", "17"])
def test_bad_core_count_is_a_usage_error(firmware_elf, cores):
    proc = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--cores", cores,
                           str(firmware_elf("hello"))], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "cores" in proc.stderr and "Traceback" not in proc.stderr


def test_cycle_limit_stops_runaway_firmware(firmware_elf, tmp_path):
    """`--max-cycles`: a guard against firmware that never ends (exit code 4, stats kept)."""
    elf = firmware_elf("bench_compute")           # ~340 M cycles to its end
    proc = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--max-cycles", "100000",
                           str(elf), "--json", str(tmp_path / "s.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4, proc.stderr
    assert "cycle limit (100000) reached" in proc.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["stop_reason"] == "limit"
    # the limit is checked at block starts: at most one block past it
    assert 100_000 <= stats["cycles"] < 100_000 + 200
