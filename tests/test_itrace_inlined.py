"""`--itrace-range FUNCTION` for a function inlined into others (DWARF
DW_TAG_inlined_subroutine ranges), or a one-line error (issue 19 item 4j)."""
from __future__ import annotations

import subprocess
import sys

SOURCE = """
static inline __attribute__((always_inline)) int square_add(int a, int b)
{
    return a * a + b;
}

volatile int sink;

int main(void)
{
    int s = 0;
    for (int i = 0; i < 5; i++)
        s = square_add(s & 0xff, i);
    sink = s;
    sink = square_add(sink, 3);
    return 0;
}
"""


def _build(tmp_path, *flags):
    from iss import toolchain
    src = tmp_path / "inl.c"
    src.write_text(SOURCE)
    elf = tmp_path / "inl.elf"
    assert toolchain.cc_main([*flags, "-o", str(elf), str(src)]) == 0
    return elf


def _trace(elf, function):
    return subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--quiet",
                           "--itrace", "-", "--itrace-range", function],
                          capture_output=True, text=True, timeout=600, check=False)


def test_itrace_range_of_an_inlined_function(tmp_path):
    elf = _build(tmp_path)
    from iss.elf import load_elf
    assert "square_add" not in {f[2] for f in load_elf(elf).functions}    # no symbol: inlined
    r = _trace(elf, "square_add")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if not line.startswith("#")]
    # the loop folds at -O2 (s = 148: 0, 1, 3, 12, 148); what runs is square_add(148, 3):
    # 148 * 148 = 21904 = 0x5590, + 3 = 0x5593 (an add after the multiply)
    assert len(lines) == 2, r.stdout
    assert lines[0].split()[4] == "mul" and lines[0].endswith("=0x00005590")
    assert "add" in lines[1].split()[4] and lines[1].endswith("=0x00005593")


def test_itrace_range_unknown_function_is_one_line(tmp_path):
    elf = _build(tmp_path)
    r = _trace(elf, "no_such_function")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines()[-1] == (
        "iss: error: --itrace-range: 'no_such_function' is neither LO:HI nor a function name "
        "(no symbol, and no inlined copy in the DWARF info: built with -g?)")
