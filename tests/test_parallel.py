"""The parallel int8 matrix multiply (firmware/apps/matmul_parallel) on 1, 2, 4 and 8 cores:
results against a numpy golden model, and the speed-up in simulated cycles."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from golden import hash_int8

from iss.simulator import Simulator

M = K = N = 128
B_SEED = 0x40000
_runs: dict = {}


def golden_checksum() -> int:
    i, k = np.meshgrid(np.arange(M), np.arange(K), indexing="ij")
    a = hash_int8(i * K + k).astype(np.int64)
    k, j = np.meshgrid(np.arange(K), np.arange(N), indexing="ij")
    b = hash_int8(B_SEED + k * N + j).astype(np.int64)
    c = (a @ b).ravel()
    weights = np.arange(1, M * N + 1, dtype=np.int64)
    return int(((c & 0xFFFFFFFF) * weights).sum()) & 0xFFFFFFFF


def run(firmware_elf, cores, isa="corev"):
    key = (cores, isa)
    if key not in _runs:
        out = io.StringIO()
        sim = Simulator(firmware_elf("matmul_parallel", isa=isa), output=out, cores=cores)
        result = sim.run(max_instructions=100_000_000)
        _runs[key] = (result, out.getvalue())
    return _runs[key]


@pytest.mark.parametrize("cores", [1, 2, 4, 8])
def test_result_matches_numpy_on_every_core_count(firmware_elf, cores):
    result, out = run(firmware_elf, cores)
    assert result.stop.reason == "exit" and result.exit_code == 0, (result.stop, out)
    assert f"on {cores} cores: OK" in out                       # the in-firmware check
    assert f"checksum={golden_checksum():08x}" in out            # the numpy golden model
    assert result.stats["cores"] == cores


def test_plain_c_build_gives_the_same_result(firmware_elf):
    result, out = run(firmware_elf, 8, isa="rv32imc")
    assert result.exit_code == 0 and "OK" in out
    assert f"checksum={golden_checksum():08x}" in out


def test_eight_cores_are_at_least_six_times_faster(firmware_elf):
    one, out1 = run(firmware_elf, 1)
    eight, out8 = run(firmware_elf, 8)
    speedup = one.stats["cycles"] / eight.stats["cycles"]
    assert speedup >= 6, speedup
    # the kernel alone, from the firmware's performance counters (core 0 has 1/8 of the rows)
    k1, k8 = (int(re.search(r"kernel core 0: cycles=(\d+)", o).group(1)) for o in (out1, out8))
    assert k1 / k8 >= 7.5, (k1, k8)
    # every core worked: each ran about as many instructions as the others
    instr = [h["instructions"] for h in eight.stats["harts"]]
    assert min(instr) > 0.9 * max(instr), instr
