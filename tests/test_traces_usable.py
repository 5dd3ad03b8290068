"""Traces people can use (issue 19, item 3): `--itrace-mem` memory fields (Spike commit-log
style) and `# HART <function>` lines in --itrace; `--trace-filter` and the power counters
of `--trace`. Expected values are derived by hand from the programs' sources and symbols,
or computed separately (the energy model applied to the run's stats)."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from iss.elf import load_elf


def run_itrace(elf, tmp_path, *args):
    out = tmp_path / "i.txt"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--quiet",
                        "--itrace", str(out), *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out.read_text().splitlines()


def mem_fields(lines):
    """(mnemonic, operands, 'mem ...' text) of the lines with a memory field."""
    got = []
    for line in lines:
        if line.startswith("#") or " mem 0x" not in line:
            continue
        m = re.match(r"^\d+ \d+ [0-9a-f]{8} [0-9a-f]{4,8} (\S+) (.*?) ; (.*)$", line)
        assert m, line
        got.append((m.group(1), m.group(2), m.group(3)))
    return got


def test_itrace_mem_rv32_loads_and_stores(firmware_elf, tmp_path):
    """firmware/isa_tests/rv32i_loadstore.S: every load and store of main with its address
    (buf, scratch from the symbol table + the offsets in the source) and stored value."""
    elf = firmware_elf("rv32i_loadstore")
    image = load_elf(elf)
    buf, scratch = image.symbols["buf"], image.symbols["scratch"]
    lines = run_itrace(elf, tmp_path, "--itrace-mem", "--itrace-range", "main")
    got = mem_fields(lines)

    def ld(mn, ops, rd, addr, value):
        return (mn, ops, f"{rd}=0x{value:08x} mem 0x{addr:08x}")

    def st(mn, ops, addr, value, digits):
        return (mn, ops, f"mem 0x{addr:08x} 0x{value:0{digits}x}")

    # buf: .word 0x8001ff7f, 0x12345678 (bytes 7f ff 01 80 78 56 34 12)
    expected = [
        ld("lb", "t2, 0(t0)", "t2", buf, 0x7f), ld("lb", "t2, 1(t0)", "t2", buf + 1, 0xffffffff),
        ld("lb", "t2, 3(t0)", "t2", buf + 3, 0xffffff80), ld("lbu", "t2, 1(t0)", "t2", buf + 1, 0xff),
        ld("lbu", "t2, 3(t0)", "t2", buf + 3, 0x80), ld("lb", "t2, 2(t0)", "t2", buf + 2, 1),
        ld("lh", "t2, 0(t0)", "t2", buf, 0xffffff7f), ld("lhu", "t2, 0(t0)", "t2", buf, 0xff7f),
        ld("lh", "t2, 2(t0)", "t2", buf + 2, 0xffff8001), ld("lhu", "t2, 2(t0)", "t2", buf + 2, 0x8001),
        ld("lw", "t2, 0(t0)", "t2", buf, 0x8001ff7f), ld("lh", "t2, 4(t0)", "t2", buf + 4, 0x5678),
        ld("lh", "t2, 6(t0)", "t2", buf + 6, 0x1234), ld("lb", "t2, 7(t0)", "t2", buf + 7, 0x12),
        ld("lbu", "t2, 4(t0)", "t2", buf + 4, 0x78), ld("lw", "t2, 4(t0)", "t2", buf + 4, 0x12345678),
        # t0 = buf + 8
        ld("lw", "t2, -4(t0)", "t2", buf + 4, 0x12345678), ld("lb", "t2, -8(t0)", "t2", buf, 0x7f),
        ld("lh", "t2, -6(t0)", "t2", buf + 2, 0xffff8001), ld("lbu", "t2, -5(t0)", "t2", buf + 3, 0x80),
        # t0 = scratch
        st("sw", "t1, 0(t0)", scratch, 0x11223344, 8), ld("lw", "t2, 0(t0)", "t2", scratch, 0x11223344),
        ld("lbu", "t2, 0(t0)", "t2", scratch, 0x44),
        st("sb", "t1, 1(t0)", scratch + 1, 0xaa, 2), ld("lw", "t2, 0(t0)", "t2", scratch, 0x1122aa44),
        st("sh", "t1, 2(t0)", scratch + 2, 0xbeef, 4), ld("lw", "t2, 0(t0)", "t2", scratch, 0xbeefaa44),
        st("sb", "t1, 3(t0)", scratch + 3, 0x34, 2), ld("lw", "t2, 0(t0)", "t2", scratch, 0x34efaa44),
        st("sh", "t1, 0(t0)", scratch, 0x1234, 4), ld("lw", "t2, 0(t0)", "t2", scratch, 0x34ef1234),
        ld("lh", "t2, 2(t0)", "t2", scratch + 2, 0x34ef),
        # t3 = scratch + 12
        st("sw", "t1, -8(t3)", scratch + 4, 0xcafef00d, 8),
        ld("lw", "t2, 4(t0)", "t2", scratch + 4, 0xcafef00d),
        st("sb", "t1, -1(t3)", scratch + 11, 0x80, 2), ld("lb", "t2, 11(t0)", "t2", scratch + 11, 0xffffff80),
        st("sh", "t1, -4(t3)", scratch + 8, 0x8000, 4), ld("lw", "t2, 8(t0)", "t2", scratch + 8, 0x80008000),
        ld("lhu", "t2, 8(t0)", "t2", scratch + 8, 0x8000),
        ("lw", "zero, 0(t0)", f"mem 0x{scratch:08x}"),          # into x0: no write-back
    ]
    assert got == expected


XPULP_SOURCE = """
volatile unsigned int data[4] = {0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00};
volatile unsigned int out[4];

int main(void)
{
    unsigned int *p = (unsigned int *)data, *q = (unsigned int *)out;
    unsigned int a, b, c;
    int eight = 8, minus4 = -4;
    __asm__ volatile("cv.lw %0, (%3), 4\\n\\t"
                     "cv.lw %1, (%3), %4\\n\\t"
                     "cv.lw %2, %5(%3)\\n\\t"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "+r"(p)
                     : "r"(eight), "r"(minus4) : "memory");
    __asm__ volatile("cv.sw %1, (%0), 4\\n\\t"
                     "cv.sh %2, (%0), %4\\n\\t"
                     "cv.sb %3, %5(%0)\\n\\t"
                     : "+r"(q) : "r"(a), "r"(b), "r"(c), "r"(eight), "r"(minus4) : "memory");
    return out[0] == 0x11223344 && out[1] == 0x7788 && out[2] == 0xcc ? 0 : 1;
}
"""


def test_itrace_mem_xpulp_post_increment_and_register_offset(tmp_path):
    """CORE-V / XpulpV2 loads and stores: post-increment by an immediate and by a register
    (the access at the old base), register offset (base + offset register)."""
    from iss import toolchain
    src = tmp_path / "mem.c"
    src.write_text(XPULP_SOURCE)
    elf = tmp_path / "mem.elf"
    assert toolchain.cc_main(["-o", str(elf), str(src)]) == 0
    image = load_elf(elf)
    data, out = image.symbols["data"], image.symbols["out"]
    lines = run_itrace(elf, tmp_path, "--itrace-mem", "--itrace-range", "main")
    custom = [(mn, fields) for mn, _, fields in mem_fields(lines) if mn.startswith("cv.")]
    regs = re.compile(r"\w+=0x[0-9a-f]{8} ")
    # loads: data[0] (base += 4), data[1] (base += 8), then base + (-4) = data + 8
    # stores: out[0] = data[0] (base += 4), out[1] = low half of data[1] (base += 8),
    # out + 12 - 4 = out[2] = low byte of data[2]
    assert [(mn, regs.sub("", f)) for mn, f in custom] == [
        ("cv.lw", f"mem 0x{data:08x}"), ("cv.lw", f"mem 0x{data + 4:08x}"),
        ("cv.lw", f"mem 0x{data + 8:08x}"),
        ("cv.sw", f"mem 0x{out:08x} 0x11223344"), ("cv.sh", f"mem 0x{out + 4:08x} 0x7788"),
        ("cv.sb", f"mem 0x{out + 8:08x} 0xcc")]
    # the loaded values and incremented bases are the write-back, before the mem field
    assert "=0x11223344 " in custom[0][1] and f"=0x{data + 4:08x} " in custom[0][1]
    assert "=0x55667788 " in custom[1][1] and f"=0x{data + 12:08x} " in custom[1][1]
    assert custom[2][1].startswith("a") and "=0x99aabbcc " in custom[2][1]
    assert f"=0x{out + 4:08x} " in custom[3][1] and f"=0x{out + 12:08x} " in custom[4][1]


def test_itrace_function_lines(firmware_elf, tmp_path):
    """`# HART <function>` before each run of lines of one function: crt0's _start, then
    main (the symbol table's names), and back to _start after main returns."""
    elf = firmware_elf("rv32i_loadstore")
    image = load_elf(elf)
    lines = run_itrace(elf, tmp_path, "--cores", "1")
    headers = [line for line in lines[1:] if line.startswith("#")]
    assert headers[:2] == ["# 0 <_start>", "# 0 <main>"]
    main = image.symbols["main"]
    after = lines[lines.index("# 0 <main>") + 1]
    assert int(after.split()[2], 16) == main          # main's first instruction
    body = [line for line in lines if not line.startswith("#")]
    current = None
    for line in lines[1:]:
        if line.startswith("#"):
            current = line
            continue
        pc = int(line.split()[2], 16)
        name, _ = image.function_at(pc) or (None, 0)
        if name is not None:
            assert current == f"# 0 <{name}>", line
    # without --itrace-mem the lines have no memory fields (the format of before)
    assert body and not any(" mem 0x" in line for line in body)
