"""Malformed firmware and platform files are one-line errors, never tracebacks or hangs
(issue 14, item 5; README "Exit codes" and "Platform description (TOML)").

Each reproducer runs `iss run` in-process through `iss.cli.main` (the command's own code
path, without a Python start-up per case) and checks: exit code 2, exactly one stderr line
`iss: error: ...` naming the file and the key or segment, no traceback. The FIFO cases and
one smoke case run the real command in a subprocess with a timeout (a hang fails the test).

Then a seeded malformed-input fuzz: mutants of the default platform's text and of a real
firmware ELF (truncation, byte flips, header and program-header fields set to edge values,
numbers and types swapped) go through the loaders in-process (load_platform and every
plugin's constructor with the window check, load_elf and the memory loader; a few all the
way through Simulator construction). Each must be accepted or raise IssError, never
anything else. tests/test_fuzz.py fuzzes the instruction engine, not the input files.
"""
from __future__ import annotations

import io
import os
import random
import re
import struct
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from iss.testing import FakeSim
from iss.cli import main
from iss.elf import load_elf
from iss.errors import IssError
from iss.memory import SharedMemory
from iss.platform import load_platform
from iss.plugin import build_peripherals

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TOML = resources.files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()
MINIMAL_TOML = '[[memory]]\nname = "l2"\nbase = 0x1C000000\nsize = 0x400000\n'

# Elf32 layout: e_entry at 24, program headers of 32 bytes at e_phoff, fields in this order
E_ENTRY = 24
PHDR_FIELDS = ("p_type", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz", "p_flags",
               "p_align")


@pytest.fixture(scope="module")
def hello(firmware_elf) -> Path:
    return firmware_elf("hello")


def expect_error(capsys, *args) -> str:
    """Run `iss run ARGS` in-process: exit 2, one stderr line `iss: error: ...`."""
    code = main(["run", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("iss: error: "), err
    return lines[0]


def edited(old: str, new: str, text: str = DEFAULT_TOML) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ---------------------------------------------------------------- platform reproducers

PLATFORM_CASES = {
    "non_utf8": ('name = "caf\xe9"\n'.encode("latin-1") + DEFAULT_TOML.encode(),
                 ["line 1", "not UTF-8"]),
    "memory_not_an_array": ("memory = 5\n", ["memory = 5", "array of tables"]),
    "memory_one_table": ("[memory]\nbase = 0\nsize = 4096\n", ["memory = {", "array of tables"]),
    "memory_of_numbers": ("memory = [1, 2]\n", ["memory[0] = 1", "table"]),
    "peripheral_a_string": ('peripheral = "stdout"\n' + MINIMAL_TOML,
                            ['peripheral = \'stdout\'', "array of tables"]),
    "memory_name_a_number": (edited('name = "l2" ', "name = 2 "), ["memory[1].name = 2"]),
    "memory_size_2_63": (edited("size = 0x400000", "size = 0x8000000000000000"),
                         ["memory.l2.size = 9223372036854775808"]),
    "memory_base_beyond_4_gib": (edited("base = 0x1C000000", "base = 0x100000000"),
                                 ["memory.l2.base = 4294967296"]),
    "memory_end_beyond_4_gib": (edited("base = 0x1C000000", "base = 0xFFFFF000"),
                                ["memory.l2", "beyond the 32-bit address space"]),
    "memory_unaligned": (edited("size = 0x400000", "size = 0x400100"),
                         ["memory.l2.size", "multiples of 4096"]),
    "memory_unknown_key": (edited('name = "l2" ', 'name = "l2"\nsise = 1 '),
                           ["memory[1]", "unknown keys: sise"]),
    "two_memories_one_name": (edited('name = "l2" ', 'name = "l1" '),
                              ["two [[memory]] tables named 'l1'"]),
    "two_peripherals_one_name": (edited('name = "trace_marker" ', 'name = "stdout" '),
                                 ["two [[peripheral]] tables named 'stdout'"]),
    "clock_hz_0": (edited("clock_hz = 500_000_000", "clock_hz = 0"), ["clock_hz = 0"]),
    "cores_17": (edited("cores = 8", "cores = 17"), ["cores = 17", "1..16"]),
    "cores_a_float": (edited("cores = 8", "cores = 8.0"), ["cores = 8.0"]),
    "cluster_id_64": (edited("cluster_id = 0", "cluster_id = 64"), ["cluster_id = 64"]),
    "dma_latency_a_string": (edited("latency = 10 ", 'latency = "10" '),
                             ["peripheral.cluster_dma.latency = '10'", "integer"]),
    "dma_latency_negative": (edited("latency = 10 ", "latency = -1 "),
                             ["peripheral.cluster_dma.latency = -1"]),
    "dma_bandwidth_0": (edited("bandwidth = 8 ", "bandwidth = 0 "),
                        ["peripheral.cluster_dma.bandwidth = 0"]),
    "dma_unknown_parameter": (edited("bandwidth = 8 ", "bandwith = 4 "),
                              ["peripheral.cluster_dma", "unknown parameters bandwith"]),
    "dma_l1_not_a_memory": (edited("bandwidth = 8 ", 'bandwidth = 8\nl1 = "tcdm" '),
                            ["peripheral.cluster_dma.l1 = 'tcdm'", "no memory"]),
    "eu_demux_a_string": (edited("demux = 0x10204000", 'demux = "0x10204000"'),
                          ["peripheral.event_unit.demux = '0x10204000'"]),
    "eu_trigger_latency_negative": (edited("demux = 0x10204000", "demux = 0x10204000\n"
                                                                 "trigger_latency = -3"),
                                    ["peripheral.event_unit.trigger_latency = -3"]),
    "eu_100m_barriers": (edited("demux = 0x10204000", "demux = 0x10204000\n"
                                                      "barriers = 100_000_000"),
                         ["peripheral.event_unit.barriers = 100000000", "0..16"]),
    "eu_dispatch_depth_0": (edited("demux = 0x10204000", "demux = 0x10204000\n"
                                                         "dispatch_depth = 0"),
                            ["peripheral.event_unit.dispatch_depth = 0"]),
    "eu_window_on_l2": (edited("base = 0x10200800", "base = 0x1C000800"),
                        ["peripheral.event_unit", "memory.l2", "overlaps"]),
    "eu_demux_on_l2": (edited("demux = 0x10204000", "demux = 0x1C000000"),
                       ["peripheral.event_unit window 1", "overlaps", "memory.l2"]),
    "dma_alias_on_eu_demux": (edited("alias = 0x10204400", "alias = 0x10204000"),
                              ["peripheral.cluster_dma window 1", "overlaps",
                               "peripheral.event_unit window 1"]),
    "dma_alias_beyond_4_gib": (edited("alias = 0x10204400", "alias = 0x1000000000"),
                               ["peripheral.cluster_dma.alias = 68719476736"]),
    "ima_weights_file_5": (edited("pcm_noise = false", "pcm_noise = false\nweights_file = 5"),
                           ["peripheral.ima.weights_file = 5", "string"]),
    "ima_pcm_noise_no": (edited("pcm_noise = false", 'pcm_noise = "no"'),
                         ["peripheral.ima.pcm_noise = 'no'", "true or false"]),
    "ima_huge_array_count": (edited("arrays = 1 ", "arrays = 100_000_000 "),
                             ["peripheral.ima.arrays = 100000000"]),
    "ima_analog_ns_negative": (edited("analog_ns = 130", "analog_ns = -130"),
                               ["peripheral.ima.analog_ns = -130"]),
    "ima_analog_ns_nan": (edited("analog_ns = 130", "analog_ns = nan"),
                          ["peripheral.ima.analog_ns = nan"]),
    "stdout_unknown_parameter": (edited('plugin = "stdout"', 'plugin = "stdout"\nbaud = 9600'),
                                 ["peripheral.stdout", "unknown parameters baud"]),
    "deeply_nested_arrays": ("x = " + "[" * 5000 + "]" * 5000 + "\n" + DEFAULT_TOML,
                             ["nested too deeply"]),
}


@pytest.mark.parametrize("name", PLATFORM_CASES)
def test_malformed_platform_is_one_line_error(tmp_path, capsys, hello, name):
    text, fragments = PLATFORM_CASES[name]
    path = tmp_path / f"{name}.toml"
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    line = expect_error(capsys, hello, "--platform", path)
    assert str(path) in line
    for fragment in fragments:
        assert fragment in line, line


def test_ima_weights_file_not_a_regular_file(tmp_path, capsys, hello):
    path = tmp_path / "p.toml"
    path.write_text(edited("pcm_noise = false", f'pcm_noise = false\nweights_file = "{tmp_path}"'))
    line = expect_error(capsys, hello, "--platform", path)
    assert "peripheral.ima.weights_file" in line and "directory" in line


# ---------------------------------------------------------------- ELF reproducers

def patch_elf(raw: bytes, offset: int, value: int) -> bytes:
    b = bytearray(raw)
    b[offset:offset + 4] = struct.pack("<I", value & 0xFFFFFFFF)
    return bytes(b)


def phdr_offset(raw: bytes, index: int, field: str) -> int:
    phoff, = struct.unpack_from("<I", raw, 28)
    phentsize, = struct.unpack_from("<H", raw, 42)
    return phoff + index * phentsize + 4 * PHDR_FIELDS.index(field)


def phdr(raw: bytes, index: int, field: str) -> int:
    return struct.unpack_from("<I", raw, phdr_offset(raw, index, field))[0]


def load_segments(raw: bytes) -> list[int]:
    """Program header numbers of the PT_LOAD segments."""
    phnum, = struct.unpack_from("<H", raw, 44)
    return [i for i in range(phnum) if phdr(raw, i, "p_type") == 1]


def set_phdr(raw: bytes, index: int, **fields) -> bytes:
    for field, value in fields.items():
        raw = patch_elf(raw, phdr_offset(raw, index, field), value)
    return raw


def elf_case(raw: bytes, name: str) -> tuple[bytes, list[str]]:
    """(mutated bytes, fragments the error line must hold) of ELF reproducer `name`."""
    loads = load_segments(raw)
    code = next(i for i in loads if phdr(raw, i, "p_flags") & 1)
    data = next(i for i in loads if not phdr(raw, i, "p_flags") & 1)
    if name == "filesz_above_memsz":
        memsz = phdr(raw, code, "p_memsz")
        return set_phdr(raw, code, p_memsz=memsz // 2), [f"segment {code}", "p_filesz", "p_memsz"]
    if name == "no_executable_segment":
        for i in loads:
            raw = set_phdr(raw, i, p_flags=phdr(raw, i, "p_flags") & ~1)
        return raw, ["no executable segment"]
    if name == "code_in_l1_and_l2":
        return (set_phdr(raw, data, p_paddr=0x10000000, p_vaddr=0x10000000, p_flags=5),
                ["executable segments in 2 memories", f"segment {data}", "l1", "l2"])
    if name == "odd_entry":
        entry, = struct.unpack_from("<I", raw, E_ENTRY)
        return patch_elf(raw, E_ENTRY, entry | 1), ["entry point", "odd"]
    if name == "segment_beyond_4_gib":
        return (set_phdr(raw, data, p_paddr=0xFFFFFFF0, p_memsz=0x100, p_filesz=0),
                [f"segment {data}", "32-bit address space"])
    if name == "segment_outside_memories":
        return (set_phdr(raw, data, p_paddr=0x40000000, p_vaddr=0x40000000),
                [f"segment {data}", "outside every memory"])
    raise KeyError(name)


ELF_CASES = ["filesz_above_memsz", "no_executable_segment", "code_in_l1_and_l2", "odd_entry",
             "segment_beyond_4_gib", "segment_outside_memories"]


@pytest.mark.parametrize("name", ELF_CASES)
def test_malformed_elf_is_one_line_error(tmp_path, capsys, hello, name):
    raw, fragments = elf_case(hello.read_bytes(), name)
    path = tmp_path / f"{name}.elf"
    path.write_bytes(raw)
    line = expect_error(capsys, path)
    assert str(path) in line
    for fragment in fragments:
        assert fragment in line, line


# ---------------------------------------------------------------- the real command

def iss_run(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "iss.cli", "run", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def assert_one_line_error(r: subprocess.CompletedProcess, *fragments: str) -> None:
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("iss: error: "), r.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("role", ["firmware", "platform"])
def test_fifo_is_refused_without_blocking(tmp_path, hello, role):
    """Nobody writes the FIFO: opening it for reading the ordinary way would block forever."""
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    args = [fifo] if role == "firmware" else [hello, "--platform", fifo]
    assert_one_line_error(iss_run(*args), str(fifo), "not a regular file")


def test_command_prints_one_line_for_a_bad_plugin_parameter(tmp_path, hello):
    path = tmp_path / "p.toml"
    path.write_text(edited("bandwidth = 8 ", "bandwidth = 0 "))
    assert_one_line_error(iss_run(hello, "--platform", path), str(path),
                          "peripheral.cluster_dma.bandwidth = 0")


# ---------------------------------------------------------------- seeded fuzz

SEED = 0x1514
N_PLATFORM, N_ELF = 200, 150          # mutants; ~2 s of loading in all
N_FULL = 8                            # accepted mutants of each kind also built as a Simulator
EDGE_NUMBERS = ["0", "-1", "1", "4095", "0x1000", "0xFFFFFFFF", "0x100000000",
                "9223372036854775807", "-9223372036854775808", "1.5", "inf", "nan", "1e300"]
EDGE_VALUES = EDGE_NUMBERS + ['"x"', '""', "true", "false", "[]", "[1, [2]]", "{}",
                              "{ a = 1 }", "1979-05-27"]
EDGE_WORDS = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x10000000, 0x1C000000, 0xFFFFF000]
TOML_SYNTAX = [ord(c) for c in '\0\t\n"\',.=[]{}#']
NUMBER = re.compile(r"(?<![\w.])-?(0x[0-9A-Fa-f_]+|\d[\d_]*)(?![\w.])")


def mutate_platform(rng: random.Random, text: str) -> tuple[str, str]:
    """(mutated text, what was done)."""
    kind = rng.choice(["truncate", "byte", "number", "value", "drop_line", "dup_line", "insert"])
    lines = text.splitlines(keepends=True)
    if kind == "truncate":
        n = rng.randrange(len(text))
        return text[:n], f"truncate at {n}"
    if kind == "byte":
        i = rng.randrange(len(text))
        c = chr(rng.choice(TOML_SYNTAX + [rng.randrange(32, 127)]))
        return text[:i] + c + text[i + 1:], f"char {i} = {c!r}"
    if kind in ("number", "value"):
        matches = list(NUMBER.finditer(text))
        m = rng.choice(matches)
        new = rng.choice(EDGE_NUMBERS if kind == "number" else EDGE_VALUES)
        return text[:m.start()] + new + text[m.end():], f"{m.group()} at {m.start()} -> {new}"
    i = rng.randrange(len(lines))
    if kind == "drop_line":
        return "".join(lines[:i] + lines[i + 1:]), f"drop line {i + 1}"
    if kind == "dup_line":
        return "".join(lines[:i + 1] + lines[i:]), f"duplicate line {i + 1}"
    key = rng.choice(["barriers", "dispatch_depth", "latency", "bandwidth", "demux", "alias",
                      "arrays", "rows", "pcm_noise", "weights_file", "event", "name", "size"])
    new = f"{key} = {rng.choice(EDGE_VALUES)}\n"
    return "".join(lines[:i] + [new] + lines[i:]), f"insert {new.strip()!r} before line {i + 1}"


def mutate_elf(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    kind = rng.choice(["truncate", "flip_header", "flip_any", "phdr", "ehdr"])
    if kind == "truncate":
        n = rng.randrange(len(raw))
        return raw[:n], f"truncate at {n}"
    if kind in ("flip_header", "flip_any"):
        b = bytearray(raw)
        span = 52 + 32 * 8 if kind == "flip_header" else len(raw)
        hits = [rng.randrange(span) for _ in range(rng.randint(1, 4))]
        for i in hits:
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b), f"flip bits at {hits}"
    value = rng.choice(EDGE_WORDS + [rng.getrandbits(32), len(raw), len(raw) + 1])
    if kind == "phdr":
        phnum, = struct.unpack_from("<H", raw, 44)
        i, field = rng.randrange(phnum), rng.choice(PHDR_FIELDS)
        return set_phdr(raw, i, **{field: value}), f"phdr {i} {field} = 0x{value:x}"
    field, offset, size = rng.choice([("e_entry", 24, 4), ("e_phoff", 28, 4), ("e_shoff", 32, 4),
                                      ("e_phentsize", 42, 2), ("e_phnum", 44, 2),
                                      ("e_shentsize", 46, 2), ("e_shnum", 48, 2),
                                      ("e_shstrndx", 50, 2)])
    b = bytearray(raw)
    b[offset:offset + size] = (value & ((1 << 8 * size) - 1)).to_bytes(size, "little")
    return bytes(b), f"{field} = 0x{value & ((1 << 8 * size) - 1):x}"


def accepted(load, what: str) -> bool:
    """True if load() returned, False if it raised IssError; anything else fails the test."""
    try:
        load()
        return True
    except IssError as e:
        assert "\n" not in str(e), f"{what}: multi-line error {e!r}"
        return False
    except Exception as e:     # noqa: BLE001 - the point of the test
        pytest.fail(f"{what}: {type(e).__name__}: {e}")


def build_platform(path: Path) -> None:
    """load_platform, then every plugin's constructor and the window check (on the test
    stand-in simulator: what Simulator does with a platform before the firmware matters)."""
    platform = load_platform(path)
    sim = FakeSim()
    sim.platform = platform
    build_peripherals(sim)


def test_fuzz_platform_text(tmp_path, hello):
    from iss.simulator import Simulator
    rng = random.Random(SEED)
    full = 0
    for case in range(N_PLATFORM):
        text, what = mutate_platform(rng, DEFAULT_TOML)
        path = tmp_path / f"p{case}.toml"
        path.write_text(text)
        what = f"platform case {case} ({what})"
        if accepted(lambda path=path: build_platform(path), what) and full < N_FULL:
            full += 1
            accepted(lambda path=path: Simulator(hello, path, cores=1, output=io.StringIO()), what)
    assert full == N_FULL       # the mutants are not all rejected


def test_fuzz_elf_bytes(tmp_path, hello):
    from iss.simulator import Simulator
    rng = random.Random(SEED + 1)
    raw = hello.read_bytes()
    platform = load_platform()
    full = 0
    for case in range(N_ELF):
        data, what = mutate_elf(rng, raw)
        path = tmp_path / f"e{case}.elf"
        path.write_bytes(data)
        what = f"ELF case {case} ({what})"
        if accepted(lambda path=path: SharedMemory(platform).load(load_elf(path)), what) and full < N_FULL:
            full += 1
            accepted(lambda path=path: Simulator(path, platform, cores=1, output=io.StringIO()), what)
    assert full == N_FULL

