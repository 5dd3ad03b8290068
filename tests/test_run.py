"""End-to-end runs of firmware on the simulator (Python API and the `iss run` CLI).

Every firmware here is built for plain RV32IMC (isa='rv32imc'): it must not depend
on the custom CORE-V/XpulpV2 instructions.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from golden import matmul_int8_checksum
import pytest

from iss.simulator import Simulator
from iss.toolchain import firmware_dir

FW = firmware_dir()
ISA = "rv32imc"
RV32_TESTS = sorted(p.stem for p in (FW / "isa_tests").glob("rv32*.S"))
COUNT_TESTS = sorted(p.stem for p in (FW / "isa_tests").glob("count_*.S"))
EOC_ADDRESS = 0x1A1040A0
STATS_KEYS = {"schema", "firmware", "platform", "isa", "stop_reason", "exit_code", "message",
              "instructions", "wall_seconds", "mips", "harts", "peripherals", "timing", "cores",
              "clock_hz", "stop_hart", "cycles", "time_seconds", "energy"}
FAULT_LINE = re.compile(r"^iss: hart 0 fault at 0x([0-9a-f]{8})( <[^>]+>)?: (.+)$")


# ---------------------------------------------------------------- helpers

def iss(*args, timeout=300):
    """`iss ...` in a subprocess (the installed console script's module)."""
    return subprocess.run([sys.executable, "-m", "iss.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def cc(tmp_path: Path, name: str, source: str, *extra) -> Path:
    """Assemble/compile one source with `iss cc --isa rv32imc` (runtime crt0 + link.ld)."""
    src = tmp_path / name
    src.write_text(source)
    out = tmp_path / (src.stem + ".elf")
    r = iss("cc", "--isa", ISA, *extra, src, "-o", out)
    assert r.returncode == 0, r.stderr
    return out


def link_bare(tmp_path: Path, name: str, source: str) -> Path:
    """Link an assembly file that provides its own _start (no crt0, no libc)."""
    src = tmp_path / name
    src.write_text(source)
    out = tmp_path / (src.stem + ".elf")
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "riscv32-freestanding-none",
           "-mcpu=generic_rv32+m+c", "-nostdlib", "-Wl,-T," + str(FW / "runtime" / "link.ld"),
           str(src), "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def run(elf, **kw):
    out = io.StringIO()
    kw.setdefault("cores", 1)      # single-hart semantics; the cluster has its own tests
    sim = Simulator(elf, output=out, **{k: v for k, v in kw.items() if k != "max_instructions"})
    result = sim.run(max_instructions=kw.get("max_instructions"))
    return sim, result, out.getvalue()


def symbols_of(elf) -> dict[str, int]:
    from iss.elf import load_elf
    return load_elf(elf).symbols


def main_body(body: str) -> str:
    return ("    .option norelax\n    .text\n    .globl main\n    .type main, @function\nmain:\n"
            + body + "\n    .size main, . - main\n")


def single_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# ---------------------------------------------------------------- (a) ISA self-checks

@pytest.mark.parametrize("name", RV32_TESTS)
def test_isa_selfcheck_exits_zero(firmware_elf, name):
    sim, result, _ = run(firmware_elf(name, isa=ISA))
    assert result.stop.reason == "exit", sim.describe_stop(result.stop)
    assert result.exit_code == 0, f"{name}: first failing check number {result.exit_code}"


def test_rv32_tests_found():
    assert len(RV32_TESTS) >= 7 and COUNT_TESTS


# ---------------------------------------------------------------- (b) instruction counts

def expected_main_count(name: str) -> int:
    text = (FW / "isa_tests" / f"{name}.S").read_text()
    return int(re.search(r"EXPECTED_MAIN_INSTRUCTIONS:\s*(\d+)", text).group(1))


@pytest.fixture(scope="module")
def empty_main_total(tmp_path_factory):
    """Total retired by the runtime around a main of exactly 2 instructions (li, ret)."""
    tmp = tmp_path_factory.mktemp("empty_main")
    elf = cc(tmp, "empty.S", main_body("    li a0, 0\n    ret"))
    _, result, _ = run(elf)
    assert result.stop.reason == "exit" and result.exit_code == 0
    return result.stats["instructions"]


@pytest.mark.parametrize("name", COUNT_TESTS)
def test_main_count_by_difference(firmware_elf, empty_main_total, name):
    """total(program) - total(empty main) + 2 == hand-counted instructions of main."""
    _, result, _ = run(firmware_elf(name, isa=ISA))
    assert result.stop.reason == "exit" and result.exit_code == 0
    measured = result.stats["instructions"] - empty_main_total + 2
    assert measured == expected_main_count(name)


@pytest.mark.parametrize("name", COUNT_TESTS)
def test_main_count_by_single_stepping(firmware_elf, name):
    """Step one instruction at a time: count from main's entry to the return to ra."""
    elf = firmware_elf(name, isa=ISA)
    sim = Simulator(elf, output=io.StringIO(), cores=1)
    main = sim.image.symbols["main"]
    hart = sim.harts[0]
    n = entry = ret_to = None
    for n in range(1, 10_000):
        result = sim.run(max_instructions=n)
        assert result.stop.reason == "limit" and result.stats["instructions"] == n
        pc = result.stats["harts"][0]["pc"]
        if entry is None and pc == main:
            entry, ret_to, sp = n, hart.reg(1), hart.reg(2)
        elif entry is not None and pc == ret_to and hart.reg(2) == sp:
            break
    assert entry is not None
    assert n - entry == expected_main_count(name)


def test_bare_program_total_count(tmp_path):
    """Own _start, no runtime: every retired instruction is counted by hand."""
    elf = link_bare(tmp_path, "bare.S", """
    .option norelax
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    li      t0, 3                 # 1
1:  addi    t0, t0, -1            # 2, 4, 6
    bnez    t0, 1b                # 3, 5, 7
    c.li    a0, 5                 # 8  (16-bit)
    mul     a0, a0, a0            # 9  a0 = 25
    lui     t1, 0x1A104           # 10
    lui     t2, 0x80000           # 11
    or      t2, t2, a0            # 12 status 25 | EOC
    .globl  eoc
eoc:
    sw      t2, 0xA0(t1)          # 13 EOC store to 0x1A1040A0 (retires)
2:  j       2b
    .size _start, . - _start
""")
    sim, result, _ = run(elf)
    assert result.stop.reason == "exit"
    assert result.exit_code == 25
    assert result.stats["instructions"] == 13
    assert symbols_of(elf)["_start"] == sim.image.entry
    # the EOC store retired: the hart stopped on the next instruction
    assert result.stop.pc == symbols_of(elf)["eoc"]
    assert result.stats["harts"][0]["pc"] == symbols_of(elf)["eoc"] + 4


# ---------------------------------------------------------------- (c) apps

def test_hello_output(firmware_elf):
    _, result, out = run(firmware_elf("hello", isa=ISA))
    assert result.stop.reason == "exit" and result.exit_code == 0
    assert out == "Hello from core 0!\ncluster 0, L2 base 0x1c000000, answer 42\n"
    assert result.stats["peripherals"]["stdout"]["characters"] == len(out)


def test_matmul_int8_checksum(firmware_elf):
    _, result, out = run(firmware_elf("matmul_int8", isa=ISA))
    assert result.stop.reason == "exit" and result.exit_code == 0, out
    assert "matmul_int8 16x32x16: OK\n" in out
    assert f"checksum={matmul_int8_checksum():08x}\n" in out


def bench_compute_crc(n=48, rounds=250) -> int:
    """Reference of firmware/apps/bench_compute/main.c (numpy, int32 wrap-around)."""
    import zlib
    s, v = 2024, []
    for _ in range(2 * n * n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        v.append((s - (1 << 32) if s & 0x80000000 else s) >> 20)
    a = np.array(v[:n * n], dtype=np.int64).reshape(n, n)
    b = np.array(v[n * n:], dtype=np.int64).reshape(n, n)
    crc = 0
    for r in range(rounds):
        c = ((a @ b) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
        crc = zlib.crc32(c.astype("<i4").tobytes(), crc)
        col = r % n
        a[:, col] = ((a[:, col] + (c[:, col].astype(np.int64) >> 7)) & 0xFFFFFFFF).astype(
            np.uint32).view(np.int32)
    return crc


def test_bench_compute_crc(firmware_elf):
    _, result, out = run(firmware_elf("bench_compute", isa=ISA))
    assert result.stop.reason == "exit" and result.exit_code == 0
    assert out == f"bench_compute: rounds=250 crc={bench_compute_crc():08x}\n"


# ---------------------------------------------------------------- (d) instruction limit

@pytest.mark.parametrize("n", [1, 2, 3, 17, 33, 34, 1000, 12_345])
def test_limit_exact_small(firmware_elf, n):
    _, result, _ = run(firmware_elf("matmul_int8", isa=ISA), max_instructions=n)
    assert result.stop.reason == "limit"
    assert result.stats["instructions"] == n
    assert result.stats["harts"][0]["instructions"] == n


def test_limit_pc_matches_single_stepping(firmware_elf):
    """A fresh run stopped at N is at the same PC as N single steps."""
    elf = firmware_elf("count_loop", isa=ISA)
    stepper = Simulator(elf, output=io.StringIO(), cores=1)
    pcs = {}
    for n in range(1, 70):
        r = stepper.run(max_instructions=n)
        pcs[n] = r.stats["harts"][0]["pc"]
    for n in (1, 5, 33, 36, 40, 50, 69):
        sim, result, _ = run(elf, max_instructions=n)
        assert result.stats["instructions"] == n
        assert result.stats["harts"][0]["pc"] == pcs[n] == sim.harts[0].pc


def test_limit_large_and_around_exit(firmware_elf):
    elf = firmware_elf("matmul_int8", isa=ISA)
    _, full, _ = run(elf)
    total = full.stats["instructions"]
    assert full.stop.reason == "exit" and total > 100_000
    for n in (total // 2, total - 1):
        _, result, out = run(elf, max_instructions=n)
        assert result.stop.reason == "limit" and result.stats["instructions"] == n
    for n in (total, total + 1, 10 ** 12):
        _, result, _ = run(elf, max_instructions=n)
        assert result.stop.reason == "exit" and result.stats["instructions"] == total


def test_limit_across_slices(firmware_elf):
    """More than one 50 M-instruction slice of Simulator.run."""
    from iss.scheduler import SLICE_INSTRUCTIONS
    n = SLICE_INSTRUCTIONS + 1_234_567
    _, result, _ = run(firmware_elf("bench_compute", isa=ISA), max_instructions=n)
    assert result.stop.reason == "limit" and result.stats["instructions"] == n


@pytest.mark.parametrize("n", [1, 77, 4_000_000])
def test_limit_cli(firmware_elf, tmp_path, n):
    js = tmp_path / "s.json"
    r = iss("run", firmware_elf("bench_compute", isa=ISA), "--max-instructions", n,
            "--json", js, "--quiet")
    assert r.returncode == 4, r.stderr
    line = single_error_line(r.stderr)
    assert line.startswith("iss: hart 0 stopped at 0x") and f"({n})" in line
    stats = json.loads(js.read_text())
    assert stats["stop_reason"] == "limit" and stats["instructions"] == n
    assert stats["exit_code"] is None


@pytest.mark.parametrize("bad", ["0", "-5", "abc"])
def test_limit_cli_bad_value(firmware_elf, bad):
    r = iss("run", firmware_elf("count_loop", isa=ISA), "--max-instructions", bad)
    assert r.returncode == 2 and "Traceback" not in r.stderr


# ---------------------------------------------------------------- (e) error paths (CLI)

@pytest.fixture(scope="module")
def hello_bytes(firmware_elf_module):
    return firmware_elf_module.read_bytes()


@pytest.fixture(scope="module")
def firmware_elf_module(firmware_elf):
    return firmware_elf("hello", isa=ISA)


def expect_bad_input(*args, contains=""):
    r = iss("run", *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    line = single_error_line(r.stderr)
    assert line.startswith("iss: error: ")
    assert contains.lower() in line.lower(), line
    assert r.stdout == ""
    return line


def test_missing_file(tmp_path):
    expect_bad_input(tmp_path / "nope.elf", contains="no such file")


def test_directory(tmp_path):
    expect_bad_input(tmp_path, contains="directory")


def test_not_an_elf(tmp_path):
    p = tmp_path / "x.elf"
    p.write_text("#!/bin/sh\necho not an elf\n")
    expect_bad_input(p, contains="not an ELF")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.elf"
    p.write_bytes(b"")
    expect_bad_input(p, contains="not an ELF")


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_truncated_elf(tmp_path, hello_bytes, cut):
    p = tmp_path / "cut.elf"
    p.write_bytes(hello_bytes[: int(len(hello_bytes) * cut)])
    expect_bad_input(p)


def test_header_only_elf(tmp_path, hello_bytes):
    p = tmp_path / "hdr.elf"
    p.write_bytes(hello_bytes[:20])
    expect_bad_input(p)


def patched(tmp_path, raw: bytes, offset: int, value: bytes) -> Path:
    b = bytearray(raw)
    b[offset:offset + len(value)] = value
    p = tmp_path / "patched.elf"
    p.write_bytes(bytes(b))
    return p


def test_elf64(tmp_path, hello_bytes):
    expect_bad_input(patched(tmp_path, hello_bytes, 4, b"\x02"))        # EI_CLASS = ELFCLASS64


def test_big_endian(tmp_path, hello_bytes):
    expect_bad_input(patched(tmp_path, hello_bytes, 5, b"\x02"))        # EI_DATA = ELFDATA2MSB


def test_wrong_machine(tmp_path, hello_bytes):
    line = expect_bad_input(patched(tmp_path, hello_bytes, 18, (62).to_bytes(2, "little")))
    assert "machine" in line


def test_real_elf64_of_the_host(tmp_path):
    host = Path(sys.executable).resolve()
    with open(host, "rb") as f:
        head = f.read(5)
    if head[:4] != b"\x7fELF":
        pytest.skip("host interpreter is not an ELF")
    expect_bad_input(host)


TINY_L2 = """
name = "tiny"
[[memory]]
name = "l1"
base = 0x10000000
size = 0x80000
[[memory]]
name = "l2"
base = 0x1C000000
size = 0x1000
[[peripheral]]
name = "soc_ctrl"
plugin = "soc_ctrl"
base = 0x1A104000
size = 0x1000
"""


def test_segment_outside_memory(tmp_path, firmware_elf_module):
    plat = tmp_path / "tiny.toml"
    plat.write_text(TINY_L2)
    expect_bad_input(firmware_elf_module, "--platform", plat, contains="outside every memory")


@pytest.mark.parametrize("text,contains", [
    ("name = [\n", "invalid TOML"),
    ("name = 'x'\n", "no [[memory]]"),
    ("bogus = 1\n[[memory]]\nbase = 0\nsize = 4096\n", "unknown keys"),
    ("[[memory]]\nbase = 0x10000000\nsize = 100\n", "multiples of 4096"),
    ("[[memory]]\nbase = 0x10000000\nsize = 0x1000\n[[memory]]\nbase = 0x10000000\nsize = 0x1000\n",
     "overlaps"),
])
def test_bad_platform(tmp_path, firmware_elf_module, text, contains):
    plat = tmp_path / "bad.toml"
    plat.write_text(text)
    expect_bad_input(firmware_elf_module, "--platform", plat, contains=contains)


def test_missing_platform(tmp_path, firmware_elf_module):
    expect_bad_input(firmware_elf_module, "--platform", tmp_path / "none.toml", contains="cannot read")


def test_unknown_plugin(tmp_path, firmware_elf_module):
    plat = tmp_path / "plug.toml"
    plat.write_text(TINY_L2.replace("size = 0x1000\n[[peripheral]]", "size = 0x400000\n[[peripheral]]")
                    .replace('plugin = "soc_ctrl"', 'plugin = "no_such_plugin"'))
    expect_bad_input(firmware_elf_module, "--platform", plat, contains="no_such_plugin")


FAULTS = {
    # name: (main body, message fragment); `fault_here` labels the faulting instruction
    "load": ("    lui t0, 0x40000\n    .globl fault_here\nfault_here:\n    lw a0, 8(t0)\n    ret",
             "load from unmapped address 0x40000008"),
    "store": ("    lui t0, 0x40000\n    .globl fault_here\nfault_here:\n    sw a0, 12(t0)\n    ret",
              "store to unmapped address 0x4000000c"),
    "store_byte_mmio_hole": ("    lui t0, 0x30000\n    .globl fault_here\nfault_here:\n    sb a0, 0(t0)\n"
                             "    ret", "store to unmapped address 0x30000000"),
    "illegal": ("    nop\n    .globl fault_here\nfault_here:\n    .word 0xffffffff\n    ret",
                "illegal instruction"),
    "ecall": ("    nop\n    .globl fault_here\nfault_here:\n    ecall\n    ret", "ecall without handler"),
    "ebreak": ("    nop\n    .option push\n    .option norvc\n    .globl fault_here\nfault_here:\n"
               "    ebreak\n    .option pop\n    ret", "ebreak"),
    "c_ebreak": ("    nop\n    .globl fault_here\nfault_here:\n    c.ebreak\n    ret", "ebreak"),
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_fault_cli(tmp_path, kind):
    body, what = FAULTS[kind]
    elf = cc(tmp_path, f"{kind}.S", main_body(body))
    syms = symbols_of(elf)
    r = iss("run", elf, "--quiet")
    assert r.returncode == 3, r.stderr
    line = single_error_line(r.stderr)
    m = FAULT_LINE.match(line)
    assert m, line
    assert int(m.group(1), 16) == syms["fault_here"], line
    assert what in m.group(3), line
    assert m.group(2) == f" <main+0x{syms['fault_here'] - syms['main']:x}>"
    # without --quiet: the fault line, then the summary
    r2 = iss("run", elf)
    assert r2.returncode == 3 and "Traceback" not in r2.stderr
    assert r2.stderr.splitlines()[0] == line
    assert r2.stderr.splitlines()[1].startswith("iss: fault: ")


def test_fault_fetch_unmapped(tmp_path):
    elf = cc(tmp_path, "fetch.S", main_body(
        "    lui t0, 0x40000\n    .globl jump_here\njump_here:\n    jalr ra, 0(t0)\n    ret"))
    r = iss("run", elf, "--quiet")
    assert r.returncode == 3
    line = single_error_line(r.stderr)
    m = FAULT_LINE.match(line)
    assert m and int(m.group(1), 16) == 0x40000000, line
    assert "instruction fetch from unmapped address 0x40000000" in line


def steps_to_main(elf) -> int:
    sim = Simulator(elf, output=io.StringIO(), cores=1)
    for n in range(1, 1000):
        if sim.run(max_instructions=n).stats["harts"][0]["pc"] == sim.image.symbols["main"]:
            return n
    raise AssertionError("main never reached")


def test_fault_api_counts_and_state(tmp_path):
    """A faulting instruction does not retire; the registers hold the state before it."""
    elf = cc(tmp_path, "ld.S", main_body(
        "    li a1, 77\n    lui t0, 0x40000\n    .globl fault_here\nfault_here:\n    lw a0, 0(t0)\n    ret"))
    sim, result, _ = run(elf)
    assert result.stop.reason == "fault"
    assert result.stop.pc == symbols_of(elf)["fault_here"] == result.stats["harts"][0]["pc"]
    assert sim.harts[0].reg(11) == 77
    assert sim.harts[0].reg(5) == 0x40000000
    assert result.stop.fault_address == 0x40000000
    assert result.stats["exit_code"] is None
    assert result.stats["instructions"] == steps_to_main(elf) + 2


def test_exit_status_nonzero_and_negative(tmp_path):
    for status, code in ((7, 7), (300, 300 & 0xFF), (-1, 255)):
        elf = cc(tmp_path, f"st{code}.S", main_body(f"    li a0, {status}\n    ret"))
        r = iss("run", elf, "--quiet")
        assert r.returncode == code and r.stderr == ""
        _, result, _ = run(elf)
        assert result.exit_code == status


# ---------------------------------------------------------------- (f) JSON stats

def test_json_file(firmware_elf, tmp_path):
    elf = firmware_elf("hello", isa=ISA)
    js = tmp_path / "stats.json"
    r = iss("run", elf, "--json", js)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from core 0!\ncluster 0, L2 base 0x1c000000, answer 42\n"
    summary = single_error_line(r.stderr)
    stats = json.loads(js.read_text())
    assert set(stats) == STATS_KEYS
    assert stats["schema"] == "iss-stats/1"
    assert Path(stats["firmware"]).resolve() == Path(elf).resolve()
    assert stats["platform"] == "pulp-imc-cluster"
    assert stats["isa"] in ("corev", "xpulpv2")
    assert stats["stop_reason"] == "exit" and stats["exit_code"] == 0
    assert stats["message"] == "exit status 0"
    assert isinstance(stats["instructions"], int) and stats["instructions"] > 0
    assert stats["wall_seconds"] > 0
    assert stats["mips"] == pytest.approx(stats["instructions"] / stats["wall_seconds"] / 1e6)
    assert stats["cores"] == len(stats["harts"]) == 8          # the platform's cluster
    assert [h["hartid"] for h in stats["harts"]] == list(range(8))   # cluster 0, cores 0..7
    assert sum(h["instructions"] for h in stats["harts"]) == stats["instructions"]
    h = stats["harts"][0]
    assert set(h) == {"hart", "hartid", "core_id", "instructions", "cycles", "active_cycles",
                      "sleep_cycles", "stalls", "events", "traps", "state", "pc"}
    assert h["traps"] == {"exceptions": 0, "interrupts": 0, "interrupt_lines": {},
                          "overhead_cycles": 0}
    assert h["hart"] == 0 and h["hartid"] == 0
    assert stats["cycles"] == max(h["cycles"] for h in stats["harts"])
    assert {"stdout", "soc_ctrl", "event_unit", "cluster_dma"} <= set(stats["peripherals"])
    assert stats["peripherals"]["stdout"]["characters"] == len(r.stdout)
    assert f"{stats['instructions']:,} instructions" in summary
    # the same numbers as the Python API
    _, result, _ = run(elf)          # one core: the same as hart 0 of the cluster
    assert result.stats["instructions"] == stats["harts"][0]["instructions"]


def test_json_stdout(firmware_elf):
    r = iss("run", firmware_elf("count_loop", isa=ISA), "--json", "-", "--quiet")
    assert r.returncode == 0 and r.stderr == ""
    stats = json.loads(r.stdout)
    assert set(stats) == STATS_KEYS and stats["instructions"] == stats["harts"][0]["instructions"]


def test_json_fault(tmp_path):
    elf = cc(tmp_path, "f.S", main_body("    nop\n    .globl fault_here\nfault_here:\n    ecall\n    ret"))
    js = tmp_path / "f.json"
    r = iss("run", elf, "--json", js, "--quiet")
    assert r.returncode == 3
    stats = json.loads(js.read_text())
    assert stats["stop_reason"] == "fault" and stats["exit_code"] is None
    assert stats["harts"][0]["pc"] == symbols_of(elf)["fault_here"]
    assert "ecall" in stats["message"]


def test_json_unwritable(firmware_elf, tmp_path):
    r = iss("run", firmware_elf("count_loop", isa=ISA), "--json", tmp_path / "no" / "dir.json", "--quiet")
    assert r.returncode == 2
    assert single_error_line(r.stderr).startswith("iss: error: cannot write")


# ---------------------------------------------------------------- (g) determinism

def _stable(stats):
    return {k: v for k, v in stats.items() if k not in ("wall_seconds", "mips")}


@pytest.mark.parametrize("name", ["matmul_int8", "hello"])
def test_deterministic_api(firmware_elf, name):
    elf = firmware_elf(name, isa=ISA)
    (_, r1, o1), (_, r2, o2) = run(elf), run(elf)
    assert _stable(r1.stats) == _stable(r2.stats) and o1 == o2


def test_deterministic_cli(firmware_elf, tmp_path):
    elf = firmware_elf("matmul_int8", isa=ISA)
    outs = []
    for i in range(2):
        js = tmp_path / f"{i}.json"
        r = iss("run", elf, "--json", js, "--quiet")
        assert r.returncode == 0
        outs.append((r.stdout, _stable(json.loads(js.read_text()))))
    assert outs[0] == outs[1]


# ---------------------------------------------------------------- (h) disassembler CLI

def test_disasm_cli(firmware_elf):
    elf = firmware_elf("count_call", isa=ISA)
    r = iss("disasm", elf)
    assert r.returncode == 0 and "Traceback" not in r.stderr
    out = r.stdout
    syms = symbols_of(elf)
    assert f"{syms['main']:08x} <main>:" in out
    assert f"{syms['_start']:08x} <_start>:" in out
    rows = re.findall(r"^([0-9a-f]{8}):\t([0-9a-f]{4,8})\s+(\S+)", out, re.M)
    mnemonics = {m for _, _, m in rows}
    assert {"auipc", "addi", "csrr", "mul", "bnez", "sw", "lw"} <= mnemonics, mnemonics
    assert mnemonics & {"jal", "call", "c.jal"}
    assert "ret" in mnemonics or "c.jr" in mnemonics
    assert mnemonics & {"c.li", "c.addi", "c.mv", "c.j"}      # RVC build
    # every listed instruction starts at the address of the previous one plus its length
    addrs = [(int(a, 16), len(enc) // 2) for a, enc, _ in rows]
    main = syms["main"]
    listing_main = [a for a, _ in addrs if main <= a < main + 60]
    assert listing_main[0] == main
    main_lines = out.split("<main>:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [ln.split()[2] for ln in main_lines] == [
        "c.addi", "c.swsp", "c.li", "c.jal", "c.jal", "c.jal", "c.addi", "c.lwsp", "c.addi", "c.jr"]


def test_disasm_function(firmware_elf):
    elf = firmware_elf("count_loop", isa=ISA)
    r = iss("disasm", elf, "--function", "main")
    assert r.returncode == 0
    assert "<main>:" in r.stdout and "<_start>:" not in r.stdout
    assert "bnez" in r.stdout and "addi" in r.stdout


def test_disasm_bad_input(tmp_path):
    r = iss("disasm", tmp_path / "missing.elf")
    assert r.returncode == 2
    single_error_line(r.stderr)


def test_progress_is_silent_when_stderr_is_not_a_terminal(firmware_elf):
    """`iss run` only draws its progress line on a terminal (here stderr is a pipe)."""
    proc = subprocess.run([sys.executable, "-m", "iss.cli", "run",
                           str(firmware_elf("bench_compute", isa=ISA))],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0
    assert "\r" not in proc.stderr and "Ctrl-C" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1     # the summary only


def test_progress_callback_reports_growing_counts(firmware_elf):
    sim = Simulator(firmware_elf("bench_compute", isa=ISA), output=io.StringIO(), cores=1)
    seen = []
    # progress_seconds=0: a call after every slice, however fast the machine
    result = sim.run(progress=lambda s, elapsed: seen.append(s.harts[0].instret),
                     progress_seconds=0)
    assert result.exit_code == 0
    assert seen and seen == sorted(seen) and seen[-1] < result.stats["instructions"]


def test_disasm_function_without_size(tmp_path):
    """Assembly functions often lack .size: list up to the next function symbol."""
    src = tmp_path / "f.S"
    src.write_text(".globl main\n.type main, @function\nmain:\n  li a0, 0\n  ret\n"
                   ".globl other\n.type other, @function\nother:\n  ret\n")
    elf = tmp_path / "f.elf"
    subprocess.run([sys.executable, "-m", "iss.cli", "cc", "--isa", "rv32imc", "-o", str(elf),
                    str(src)], check=True)
    out = subprocess.run([sys.executable, "-m", "iss.cli", "disasm", str(elf), "--function", "main"],
                         capture_output=True, text=True, check=True).stdout
    mnemonics = [line.split("\t")[1].split()[1] for line in out.splitlines() if "\t" in line]
    assert mnemonics == ["c.li", "c.jr"] or mnemonics == ["li", "ret"], out
