"""The int8 kernel library (firmware/kernels) and the xpulp.h helpers, executed.

Apps: kernels_selftest (every optimized kernel vs its plain-C reference, on the firmware),
xpulp_selftest (every xpulp.h helper vs a C model of the CORE-V semantics) and
bench_matmul_xpulp (XpulpV2 vs RV32IMC instruction counts).  The printed checksums are
compared with numpy golden models written here from the apps' documented LCG, shapes and
requantization -- not with values taken from the simulator.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest

from iss import toolchain
from iss.simulator import Simulator

FW = toolchain.firmware_dir()
KERNELS = FW / "kernels"
CACHE = Path(__file__).resolve().parent / ".fwcache"


def build(app: str, isa: str = "corev") -> Path:
    """Build firmware/apps/<app> (its kernels_lib.c pulls in firmware/kernels/*.c); rebuilt
    when the app, the kernel library or the runtime changes."""
    app_dir = FW / "apps" / app
    srcs = toolchain.app_sources(app)
    deps = sorted(p for p in KERNELS.iterdir() if p.suffix in (".c", ".h"))
    deps += sorted(p for p in app_dir.iterdir() if p.suffix == ".h")
    out = CACHE / isa / "kernel_apps" / f"{app}.elf"
    try:
        return toolchain.build_cached(srcs, out, isa=isa, extra_args=["-I", str(app_dir)],
                                      extra_deps=deps)
    except toolchain.ToolchainError as exc:
        pytest.fail(f"build of {app} ({isa}) failed: {exc}\n{exc.output}")


def run(elf: Path, max_instructions: int = 1_000_000_000):
    out = io.StringIO()
    sim = Simulator(elf, output=out, cores=1)
    result = sim.run(max_instructions=max_instructions)
    assert result.stop.reason == "exit", (result.stop, out.getvalue())
    return result.exit_code, out.getvalue(), result.stats["instructions"]


# ---------------------------------------------------------------------------------------
# golden model: LCG, requantization, kernels
# ---------------------------------------------------------------------------------------
class Lcg:
    def __init__(self, seed: int):
        self.s = seed & 0xFFFFFFFF

    def next(self) -> int:
        self.s = (self.s * 1664525 + 1013904223) & 0xFFFFFFFF
        return self.s

    def i8(self, n: int) -> np.ndarray:
        return np.array([((self.next() >> 24) ^ 0x80) - 0x80 for _ in range(n)], dtype=np.int64)

    def bias(self, n: int) -> np.ndarray:
        # (int32_t)state >> 20
        return np.array([(((self.next() ^ 0x80000000) - 0x80000000) >> 20) for _ in range(n)],
                        dtype=np.int64)


def wrap32(x: np.ndarray) -> np.ndarray:
    return ((np.asarray(x, dtype=np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def requant(acc: np.ndarray, mult: int, shift: int) -> np.ndarray:
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    t = wrap32(wrap32(acc) * mult + rnd)
    return np.clip(t >> shift, -128, 127)


def checksum(values: np.ndarray) -> int:
    v = np.asarray(values, dtype=np.int64).ravel() & 0xFFFFFFFF
    return int((v * np.arange(1, v.size + 1, dtype=np.int64) & 0xFFFFFFFF).sum()) & 0xFFFFFFFF


def windows3x3(x: np.ndarray, stride: int) -> np.ndarray:
    """x[H][W][C] -> [Ho][Wo][3][3][C] with zero padding 1."""
    H, W, C = x.shape
    Ho, Wo = (H - 1) // stride + 1, (W - 1) // stride + 1
    p = np.zeros((H + 2, W + 2, C), dtype=np.int64)
    p[1:-1, 1:-1] = x
    out = np.empty((Ho, Wo, 3, 3, C), dtype=np.int64)
    for ky in range(3):
        for kx in range(3):
            out[:, :, ky, kx, :] = p[ky:ky + stride * (Ho - 1) + 1:stride,
                                     kx:kx + stride * (Wo - 1) + 1:stride]
    return out


# case tables: a copy of firmware/apps/kernels_selftest/main.c
DOT_N = [1, 3, 4, 7, 16, 33, 64, 255]
MM = [(4, 2, 4), (8, 6, 32), (5, 3, 7), (7, 5, 13), (12, 10, 36), (1, 1, 1), (9, 7, 64)]
C1 = [(4, 4, 8, 8, 3, 10), (3, 5, 7, 5, 5, 11), (2, 3, 16, 12, 1, 8), (1, 1, 3, 1, 7, 6),
      (3, 3, 32, 9, 2, 11)]
C3 = [(5, 5, 4, 4, 1, 3, 12), (6, 7, 3, 5, 1, 5, 12), (7, 6, 8, 6, 2, 1, 10),
      (5, 4, 1, 3, 2, 9, 10), (8, 8, 16, 8, 2, 1, 11), (1, 1, 2, 2, 1, 1, 5)]
DW = [(5, 5, 4, 1, 3, 9), (6, 7, 3, 2, 5, 10), (8, 8, 16, 1, 1, 8), (7, 9, 5, 2, 7, 10),
      (1, 1, 2, 1, 1, 4), (2, 3, 1, 2, 1, 6)]
ADD = [(1, 1, 1, 0), (7, 16384, 8192, 14), (33, 23170, -11585, 15), (64, 32767, 32767, 15),
       (255, 517, 30001, 14), (16, -32767, 1, 8), (5, 3, 5, 0)]


def golden_selftest() -> dict[tuple[str, int], tuple[int, np.ndarray]]:
    """(group, case) -> (checksum, output) of the numpy model."""
    g = {}
    for i, n in enumerate(DOT_N):
        r = Lcg(1000 + i)
        a, b = r.i8(n), r.i8(n)
        v = wrap32((a * b).sum())
        g["dot", i] = (int(v) & 0xFFFFFFFF, np.array([v]))
    for i, (M, N, K) in enumerate(MM):
        r = Lcg(2000 + i)
        A = r.i8(M * K).reshape(M, K)
        BT = r.i8(N * K).reshape(N, K)
        C = wrap32(A @ BT.T)
        g["matmul", i] = (checksum(C), C)
    for i, (H, W, Ci, Co, mult, shift) in enumerate(C1):
        r = Lcg(3000 + i)
        x = r.i8(H * W * Ci).reshape(H, W, Ci)
        w = r.i8(Co * Ci).reshape(Co, Ci)
        b = r.bias(Co)
        out = requant(np.einsum("hwc,oc->hwo", x, w) + b, mult, shift)
        g["conv1x1", i] = (checksum(out), out)
    for i, (H, W, Ci, Co, s, mult, shift) in enumerate(C3):
        r = Lcg(4000 + i)
        x = r.i8(H * W * Ci).reshape(H, W, Ci)
        w = r.i8(Co * 9 * Ci).reshape(Co, 3, 3, Ci)
        b = r.bias(Co)
        out = requant(np.einsum("hwyxc,oyxc->hwo", windows3x3(x, s), w) + b, mult, shift)
        g["conv3x3", i] = (checksum(out), out)
    for i, (H, W, C, s, mult, shift) in enumerate(DW):
        r = Lcg(5000 + i)
        x = r.i8(H * W * C).reshape(H, W, C)
        w = r.i8(C * 9).reshape(C, 3, 3)
        b = r.bias(C)
        out = requant(np.einsum("hwyxc,cyx->hwc", windows3x3(x, s), w) + b, mult, shift)
        g["dwconv3x3", i] = (checksum(out), out)
    for i, (n, m1, m2, d) in enumerate(ADD):
        # PULP-NN's requantizing add (pulp_nn_add_quant_u8), signed: floor shift, no rounding
        r = Lcg(6000 + i)
        a, b = r.i8(n), r.i8(n)
        out = np.clip((a * m1 + b * m2) >> d, -128, 127)
        g["add", i] = (checksum(out), out)
    return g


LINE = re.compile(r"^(\w+) (\d+) chk=([0-9a-f]{8}) (ok|MISMATCH)$", re.M)


@pytest.mark.parametrize("isa", ["corev", "rv32imc"])
def test_kernels_selftest_matches_numpy(isa):
    code, text, _ = run(build("kernels_selftest", isa))
    got = {(m[1], int(m[2])): (int(m[3], 16), m[4]) for m in LINE.finditer(text)}
    golden = golden_selftest()
    assert set(got) == set(golden), text
    bad = [(k, f"{got[k][0]:08x}", f"{golden[k][0]:08x}", got[k][1])
           for k in golden if got[k][0] != golden[k][0] or got[k][1] != "ok"]
    assert not bad, f"(case, firmware, numpy, self-check): {bad}\n{text}"
    assert "kernels_selftest: OK" in text
    assert code == 0


def test_golden_model_outputs_are_not_degenerate():
    # the requantization parameters must leave most outputs unsaturated, or the checksums
    # would not test much
    for (group, _), (_, out) in golden_selftest().items():
        if group in ("conv1x1", "conv3x3", "dwconv3x3") and out.size >= 16:
            frac = np.mean(np.abs(out) >= 127)
            assert frac < 0.5, (group, frac)
            assert len(np.unique(out)) > out.size // 8


def test_xpulp_header_helpers():
    code, text, _ = run(build("xpulp_selftest"))
    groups = dict(re.findall(r"^(\w+) (ok|MISMATCH.*)$", text, re.M))
    assert set(groups) >= {"dot", "alu", "shuffle", "pack", "clip", "extract_insert", "postinc",
                           "hwloop"}, text
    assert all(v == "ok" for v in groups.values()), text
    assert code == 0 and "xpulp_selftest: OK" in text


BENCH_M, BENCH_K, BENCH_N, BENCH_REPS = 64, 256, 64, 48


def bench_golden() -> int:
    r = Lcg(12345)
    A = r.i8(BENCH_M * BENCH_K).reshape(BENCH_M, BENCH_K)
    BT = r.i8(BENCH_N * BENCH_K).reshape(BENCH_N, BENCH_K)
    return checksum(wrap32(A @ BT.T))


def test_bench_matmul_xpulp_vs_rv32imc(record_property):
    golden = bench_golden()
    res = {}
    for isa in ("corev", "rv32imc"):
        code, text, instructions = run(build("bench_matmul_xpulp", isa))
        assert code == 0, text
        assert f"{BENCH_M}x{BENCH_K}x{BENCH_N} x{BENCH_REPS}" in text, text
        m = re.search(r"checksum=([0-9a-f]{8})", text)
        assert m and int(m[1], 16) == golden, (text, f"{golden:08x}")
        kernel = int(re.search(r"kernel_instructions=(\d+)", text)[1])
        res[isa] = (instructions, kernel)
    total_ratio = res["rv32imc"][0] / res["corev"][0]
    kernel_ratio = res["rv32imc"][1] / res["corev"][1]
    record_property("instructions_corev", res["corev"][0])
    record_property("instructions_rv32imc", res["rv32imc"][0])
    record_property("kernel_ratio", round(kernel_ratio, 2))
    print(f"bench_matmul_xpulp: corev {res['corev']}, rv32imc {res['rv32imc']}, "
          f"total ratio {total_ratio:.2f}, kernel ratio {kernel_ratio:.2f}")
    # 4x2 sdotsp kernel: 14 instructions per 32 MACs (0.44/MAC); plain C needs > 3/MAC
    macs = BENCH_M * BENCH_K * BENCH_N * BENCH_REPS
    assert res["corev"][1] < 0.5 * macs
    assert kernel_ratio > 6.0
    assert total_ratio > 5.0
    assert 20_000_000 <= res["corev"][0] <= 50_000_000
