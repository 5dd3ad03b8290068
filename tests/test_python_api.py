"""The documented Python API (docs/python-api.md): exports, the worked example of the doc
(executed from the doc itself, so they cannot drift), run_to, registers, memory,
overrides."""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

import iss
from iss import IssError, PlatformError, Simulator, load_platform

DOC = Path(__file__).resolve().parent.parent / "docs" / "python-api.md"

SOURCE = r"""
__attribute__((noinline)) int twice(int x) { return 2 * x; }

int main(void)
{
    int s = 0;
    for (int i = 1; i <= 3; i++)
        s += twice(i);
    return s;                    /* 2 + 4 + 6 = 12 */
}
"""


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    from iss.toolchain import cc_main
    d = tmp_path_factory.mktemp("api")
    (d / "t.c").write_text(SOURCE)
    assert cc_main(["--isa", "rv32imc", "-O1", "-o", str(d / "t.elf"), str(d / "t.c")]) == 0
    return d / "t.elf"


def test_exports():
    assert set(iss.__all__) == {"Simulator", "RunResult", "Stop", "load_platform", "Peripheral",
                                "register_plugin", "IssError", "ElfError", "PlatformError",
                                "PeripheralError", "__version__"}
    namespace = {}
    exec("from iss import *", namespace)
    assert all(name in namespace for name in iss.__all__)
    from iss.hart import Stop
    from iss.simulator import RunResult
    assert namespace["Stop"] is Stop and namespace["RunResult"] is RunResult
    # `import iss` alone loads neither numba nor Unicorn (iss --version stays fast)
    code = "import sys, iss; print('numba' in sys.modules, 'unicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]


def test_doc_worked_example_runs():
    blocks = re.findall(r"```python example\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    sizes, cycles = namespace["sizes"], namespace["cycles"]
    # sum of i * i for i < n = (n - 1) n (2n - 1) / 6; exit status = sum & 0x7f
    expected = {n: (n - 1) * n * (2 * n - 1) // 6 for n in sizes}
    assert namespace["sums"] == expected
    assert namespace["exits"] == {n: s & 0x7F for n, s in expected.items()}
    # the loop body costs the same each iteration: cycles grow linearly with n
    step = cycles[32] - cycles[16]
    assert step > 0 and cycles[64] - cycles[32] == 2 * step and cycles[128] - cycles[64] == 4 * step


def test_run_to_registers_and_the_rest_of_the_run(elf):
    sim = Simulator(str(elf), cores=1, output=io.StringIO())
    address = sim.image.symbols["twice"]
    for argument in (1, 2, 3):                       # each call, in order
        stop = sim.run_to("twice")
        assert (stop.reason, stop.pc, sim.stop_hart) == ("breakpoint", address, 0)
        assert sim.harts[0].reg(10) == argument      # a0: its argument
    sim.harts[0].set_reg(10, 100)                    # the third call doubles 100 instead
    result = sim.run()
    assert result.stop.reason == "exit" and result.exit_code == 2 + 4 + 200


def test_run_to_errors_and_the_end(elf):
    sim = Simulator(str(elf), cores=1, output=io.StringIO())
    with pytest.raises(IssError, match=r"^run_to: no symbol 'nope' in "):
        sim.run_to("nope")
    stop = sim.run_to("twice", max_instructions=5)   # not reached in 5 instructions
    assert stop.reason == "limit" and sim.instructions == 5
    assert sim.run_to("_exit").reason == "breakpoint"


def test_run_to_past_the_code_hook_sample(firmware_elf):
    """Past the --code-hooks auto sample (5 M instructions) with a breakpoint set."""
    sim = Simulator(str(firmware_elf("bench_matmul_xpulp")), output=io.StringIO())
    stop = sim.run_to("_exit")
    assert stop.reason == "breakpoint" and sim.instructions > 5_000_000


def test_limits(elf):
    result = Simulator(str(elf), cores=1, output=io.StringIO()).run(max_instructions=10)
    assert result.stop.reason == "limit" and result.stats["instructions"] == 10
    result = Simulator(str(elf), cores=1, output=io.StringIO()).run(max_cycles=20)
    assert result.stop.reason == "limit" and result.stats["cycles"] >= 20


def test_memory_and_symbols(elf):
    sim = Simulator(str(elf), cores=1, output=io.StringIO())
    main = sim.image.symbols["main"]
    assert sim.image.symbolize(main + 2) == "main+0x2"
    data = sim.memory.read(main, 4)
    assert len(data) == 4 and int.from_bytes(data, "little") == sim.memory.read_u32(main)


def test_platform_overrides(elf):
    platform = load_platform(None, {"clock_hz": 250_000_000, "cores": 2,
                                    "peripheral.ima.bus_bits": 64})
    assert (platform.clock_hz, platform.cores) == (250_000_000, 2)
    result = Simulator(str(elf), platform, output=io.StringIO()).run()
    assert result.stats["clock_hz"] == 250_000_000 and result.stats["cores"] == 2
    assert result.stats["time_seconds"] == result.stats["cycles"] / 250e6
    with pytest.raises(PlatformError, match=r"unknown parameters: peripheral\.ima\.bus_bit "):
        load_platform(None, {"peripheral.ima.bus_bit": 64})
    with pytest.raises(PlatformError, match=r"isa is not a platform parameter"):
        load_platform(None, {"isa": "corev"})
    with pytest.raises(PlatformError) as e:
        load_platform(None, {"clock_hz": 0})
    assert "\n" not in str(e.value) and "clock_hz" in str(e.value)


def test_pricing_a_run_and_a_sum_of_runs(elf, tmp_path):
    """docs/python-api.md "Building firmware and pricing a run": iss.energy.energy prices a
    stats dictionary as the run itself did, and iss.toolchain.build_cached skips a build
    whose output is up to date."""
    from iss.energy import energy
    from iss.toolchain import build_cached
    sim = Simulator(str(elf), cores=1, output=io.StringIO())
    result = sim.run()
    block = re.search(r"## Building firmware and pricing a run.*?```python\n(.*?)```",
                      DOC.read_text(), re.DOTALL).group(1)
    exec(block, {"result": result, "sim": sim})
    assert energy(result.stats, sim.platform)["total_uj"] == result.stats["energy"]["total_uj"] > 0
    (tmp_path / "t.c").write_text(SOURCE)
    out = build_cached([tmp_path / "t.c"], tmp_path / "t.elf", isa="rv32imc")
    first = out.stat().st_mtime_ns
    assert build_cached([tmp_path / "t.c"], tmp_path / "t.elf", isa="rv32imc").stat().st_mtime_ns == first
