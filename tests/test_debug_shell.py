"""The gdb-like debugger shell (iss debug / iss.debugger.shell).

Expected addresses come from the ELF (pyelftools: symbol table, DWARF line table, section
bytes), expected values from the C sources, never from the shell's own output.  Most tests
run in-process through run_script(); a few drive `python -m iss.cli debug -x FILE --batch`.
The small test program (DBGTEST_C) is built -O0 (frames, every C line has code) into
tests/.fwcache/debug_shell/.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from fwbuild import build_c

from iss import toolchain
from iss.debugger.shell import Shell, run_script

REPO = Path(__file__).resolve().parent.parent

DBGTEST_C = """\
#include <stdio.h>

volatile int counter = 1;
const int table[8] = {1, -2, 3, 0x12345678, 5, 6, 7, 8};
const char message[] = "hello, debugger";
const short shorts[4] = {-1, 2, 0x7fff, 4};
const unsigned char bytes[4] = {0x41, 0x42, 0x00, 0xff};

__attribute__((noinline)) int add3(int a, int b, int c)
{
    int s = a + b;             /* LINE_ADD3_BODY */
    return s + c;              /* LINE_ADD3_RET */
}

__attribute__((noinline)) int twice(int x)
{
    int y = add3(x, x, 0);     /* LINE_TWICE_CALL */
    return y;                  /* LINE_TWICE_RET */
}

int main(void)
{
    int r = twice(21);         /* LINE_MAIN_CALL */
    counter = 2;               /* LINE_STORE_2 */
    counter = counter + r;     /* LINE_STORE_44 */
    int acc = 0;
    for (int i = 0; i < 5; i++)
        acc = add3(acc, i, 1); /* LINE_LOOP_CALL */
    printf("acc=%d counter=%d %s\\n", acc, counter, message);   /* LINE_PRINT */
    return 3;                  /* LINE_RET */
}
"""

FAULT_C = """\
int main(void)
{
    __asm__ volatile(".word 0");   /* LINE_ILLEGAL */
    return 0;
}
"""

SEGV_C = """\
int main(void)
{
    *(volatile int *)0x50000000 = 1;   /* LINE_STORE */
    return 0;
}
"""


def line_of(marker: str, source: str = DBGTEST_C) -> int:
    for number, text in enumerate(source.splitlines(), 1):
        if marker in text:
            return number
    raise KeyError(marker)


def _build(name: str, source: str) -> Path:
    return build_c("debug_shell", name, source, extra_args=["-O0"])


@pytest.fixture(scope="session")
def prog() -> Path:
    return _build("dbgtest", DBGTEST_C)


# ------------------------------------------------------------------ ELF facts (pyelftools)

class ElfFacts:
    def __init__(self, path: Path):
        with open(path, "rb") as f:
            elf = ELFFile(f)
            self.symbols = {s.name: (s["st_value"], s["st_size"])
                            for s in elf.get_section_by_name(".symtab").iter_symbols()
                            if s["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT")}
            self.rows = []           # (address, file, line, is_stmt, prologue_end)
            dwarf = elf.get_dwarf_info()
            for cu in dwarf.iter_CUs():
                prog = dwarf.line_program_for_CU(cu)
                names = {i + 1: e.name.decode() for i, e in enumerate(prog.header["file_entry"])}
                for entry in prog.get_entries():
                    st = entry.state
                    if st is not None and not st.end_sequence and st.address:
                        self.rows.append((st.address, names.get(st.file), st.line,
                                          st.is_stmt, st.prologue_end))
            self.segments = [(seg["p_vaddr"], seg.data()) for seg in elf.iter_segments()
                             if seg["p_type"] == "PT_LOAD"]

    def func_range(self, name: str) -> tuple[int, int]:
        start, size = self.symbols[name]
        return start, start + size

    def after_prologue(self, name: str) -> int:
        lo, hi = self.func_range(name)
        return min(a for a, f, l, s, p in self.rows if lo <= a < hi and p)

    def line_address(self, file: str, line: int) -> int:
        return min(a for a, f, l, s, p in self.rows if f == file and l == line and s)

    def lines_in(self, name: str) -> set[int]:
        lo, hi = self.func_range(name)
        return {l for a, f, l, s, p in self.rows if lo <= a < hi}

    def read(self, address: int, size: int) -> bytes:
        for base, data in self.segments:
            if base <= address and address + size <= base + len(data):
                return data[address - base:address - base + size]
        raise KeyError(hex(address))


@pytest.fixture(scope="session")
def facts(prog) -> ElfFacts:
    return ElfFacts(prog)


def printed(out: str) -> list[str]:
    return re.findall(r"^\$\d+ = (.*)$", out, re.M)


# ------------------------------------------------------------------ breakpoints

def test_break_on_function_stops_after_prologue_with_arguments(prog, facts):
    out = run_script(prog, ["break add3", "run", "p/x $pc", "info registers a0 a1 a2",
                            "p $a0 + $a1"])
    bp = facts.after_prologue("add3")
    line = line_of("LINE_ADD3_BODY")
    assert f"Breakpoint 1 at 0x{bp:x}: file dbgtest.c, line {line}." in out
    assert f"\nBreakpoint 1, add3 (a=21, b=21, c=0) at dbgtest.c:{line}\n{line}\t    int s = a + b;" in out
    assert printed(out)[0] == f"0x{bp:x}"
    # add3(x, x, 0) with x = 21 (twice(21))
    assert re.search(r"^a0\s+0x15\s+21$", out, re.M)
    assert re.search(r"^a1\s+0x15\s+21$", out, re.M)
    assert re.search(r"^a2\s+0x0\s+0$", out, re.M)
    assert printed(out)[1] == "42"


def test_break_on_line_and_address(prog, facts):
    store = line_of("LINE_STORE_2")
    add3 = facts.symbols["add3"][0]
    out = run_script(prog, [f"break dbgtest.c:{store}", f"break *0x{add3:x}", "run",
                            "p/x $pc", "continue", "p/x $pc", "info breakpoints"])
    line_addr = facts.line_address("dbgtest.c", store)
    assert f"Breakpoint 1 at 0x{line_addr:x}: file dbgtest.c, line {store}." in out
    # *ADDR stops exactly at the symbol (before the prologue)
    assert printed(out)[0] == f"0x{add3:x}"
    # at the entry the arguments are not yet in their stack slots: any values
    m = re.search(r"Breakpoint 2, add3 \(a=-?\d+, b=-?\d+, c=-?\d+\) at dbgtest.c:(\d+)", out)
    assert m and int(m.group(1)) in (line_of('add3(int a'), line_of('add3(int a') + 1)
    assert printed(out)[1] == f"0x{line_addr:x}"
    assert f"Breakpoint 1, main () at dbgtest.c:{store}\n{store}\t    counter = 2;" in out
    table = out[out.index("Num     Type"):]
    assert re.search(rf"^1\s+breakpoint\s+keep y\s+0x{line_addr:08x} in main at dbgtest.c:{store}$",
                     table, re.M)
    assert re.search(rf"^2\s+breakpoint\s+keep y\s+0x{add3:08x}", table, re.M)
    assert "\tbreakpoint already hit 1 time" in table


def test_bare_line_number_uses_current_file(prog, facts):
    line = line_of("LINE_PRINT")
    out = run_script(prog, [f"break {line}", "run", "p/x $pc"])
    assert printed(out)[0] == f"0x{facts.line_address('dbgtest.c', line):x}"


def test_tbreak_deletes_itself_and_delete_disable(prog, facts):
    out = run_script(prog, ["tbreak add3", "break twice", "info breakpoints", "run",
                            "continue", "info breakpoints", "disable 2", "run",
                            "info breakpoints"])
    assert "Temporary breakpoint 1 at" in out
    assert re.search(r"^1\s+breakpoint\s+del\s+y", out, re.M)
    # twice is entered first, then add3 (temporary, deleted when hit)
    first = out.index("Breakpoint 2, twice (x=21)")
    second = out.index("Temporary breakpoint 1, add3 (a=21, b=21, c=0)")
    assert first < second
    after = out[second:]
    table = after[after.index("Num"):]
    assert not re.search(r"^1\s", table, re.M)
    assert re.search(r"^2\s+breakpoint\s+keep n", after, re.M)
    # disabled: the rerun goes to the end
    assert "[Inferior 1 (process 1) exited with code 03]" in after

    out = run_script(prog, ["break add3", "break twice", "delete 2", "run", "delete",
                            "info breakpoints", "continue"])
    assert "Breakpoint 1, add3 (a=21, b=21, c=0)" in out and "Breakpoint 2," not in out
    assert "No breakpoints or watchpoints." in out
    assert out.rstrip().endswith("[Inferior 1 (process 1) exited with code 03]")


def test_continue_n_ignores_crossings(prog):
    # add3 is called from twice (b=21) and then 5 times from the loop (b = i = 0..4)
    out = run_script(prog, ["break add3", "run", "continue 3", "p $a1", "info breakpoints",
                            "continue", "p $a1"])
    assert "Will ignore next 2 crossings of breakpoint 1.  Continuing." in out
    assert printed(out) == ["2", "3"]
    assert "breakpoint already hit 4 times" in out


def test_condition(prog):
    out = run_script(prog, ["break add3 if $a1 == 4", "run", "p $a0", "p $a1"])
    # acc after i = 0..3: acc_{i+1} = acc_i + i + 1 -> 1, 3, 6, 10
    assert printed(out) == ["10", "4"]


# ------------------------------------------------------------------ stepping

def test_step_next_finish_lines(prog, facts):
    out = run_script(prog, ["break main", "run", "step", "step", "next", "finish", "next",
                            "next", "next"])
    L = line_of
    expected = [
        f"Breakpoint 1, main () at dbgtest.c:{L('LINE_MAIN_CALL')}",
        f"twice (x=21) at dbgtest.c:{L('LINE_TWICE_CALL')}",           # step enters twice
        f"add3 (a=21, b=21, c=0) at dbgtest.c:{L('LINE_ADD3_BODY')}",              # step enters add3
        f"{L('LINE_ADD3_RET')}\t",                                  # next: next line
        f"Run till exit from #0  add3 (a=21, b=21, c=0) at dbgtest.c:{L('LINE_ADD3_RET')}",
        f"in twice (x=21) at dbgtest.c:{L('LINE_TWICE_CALL')}",
        "Value returned is $1 = 42",
        f"{L('LINE_TWICE_RET')}\t",
        f"main () at dbgtest.c:{L('LINE_STORE_2')}",                 # next out of twice
        f"{L('LINE_STORE_44')}\t",
    ]
    pos = 0
    for text in expected:
        found = out.find(text, pos)
        assert found >= 0, f"{text!r} not found after position {pos} in\n{out}"
        pos = found + len(text)


def test_next_steps_over_calls_and_loops(prog):
    loop = line_of("LINE_LOOP_CALL")
    out = run_script(prog, [f"break {loop}", "run", "next", "next", "delete", "until",
                            "until", "until", "until", "until", "until", "until"])
    # next over add3() never shows add3
    assert "add3 (" not in out.split("Breakpoint 1, main ()", 1)[1]
    # until does not go back into the loop: it reaches the printf line
    assert re.search(rf"^{line_of('LINE_PRINT')}\t", out, re.M)


def test_stepi_nexti_over_call(prog, facts):
    twice_lo, twice_hi = facts.func_range("twice")
    # find the call instruction of twice -> add3 by stepping instructions in the shell,
    # checking pcs against the symbol table
    sh_out = io.StringIO()
    sh = Shell(prog, out=sh_out)
    sh.execute("break twice")
    sh.execute("run")
    add3 = facts.symbols["add3"][0]
    for _ in range(40):
        pc = sh.target.hart.pc
        call, length = sh.is_call(pc)
        if call:
            break
        sh.execute("stepi")
    else:
        pytest.fail("no call found in twice")
    assert twice_lo <= pc < twice_hi
    sh.execute("nexti")
    assert sh.target.hart.pc == pc + length            # stepped over add3
    assert sh.target.hart.reg(10) == 42                 # its return value
    sh.execute("run")
    for _ in range(40):
        if sh.is_call(sh.target.hart.pc)[0]:
            break
        sh.execute("si")
    sh.execute("si")
    assert sh.target.hart.pc == add3                     # stepi enters the call
    assert "0x" in sh_out.getvalue() and "add3 (" in sh_out.getvalue()


def test_enter_repeats_step_commands(prog):
    out = io.StringIO()
    sh = Shell(prog, out=out)
    sh.execute("break main", from_tty=True)
    sh.execute("run", from_tty=True)
    sh.execute("next", from_tty=True)
    sh.execute("", from_tty=True)                 # Enter = next again
    text = out.getvalue()
    assert re.search(rf"^{line_of('LINE_STORE_2')}\t", text, re.M)
    assert re.search(rf"^{line_of('LINE_STORE_44')}\t", text, re.M)


def test_backtrace_and_finish_from_nested_call(prog, facts):
    out = run_script(prog, ["break add3", "run", "bt", "finish", "bt"])
    bt = out[out.index("#0"):]
    lines = [l for l in bt.splitlines() if l.startswith("#")]
    assert lines[0].startswith("#0  add3 (a=21, b=21, c=0) at dbgtest.c:")
    m1 = re.match(r"#1  0x([0-9a-f]+) in twice \(x=21\) at dbgtest.c:(\d+)", lines[1])
    m2 = re.match(r"#2  0x([0-9a-f]+) in main \(\) at dbgtest.c:(\d+)", lines[2])
    assert m1 and m2, lines
    lo, hi = facts.func_range("twice")
    assert lo < int(m1.group(1), 16) < hi and int(m1.group(2)) == line_of("LINE_TWICE_CALL")
    lo, hi = facts.func_range("main")
    assert lo < int(m2.group(1), 16) < hi and int(m2.group(2)) == line_of("LINE_MAIN_CALL")
    # gdb's `backtrace past-main off`: main is the outermost frame shown
    assert lines[3].startswith("#0  ") and not any("_start" in l for l in lines)
    # finish stops at the return address printed as frame #1
    assert f"0x{int(m1.group(1), 16):08x} in twice (x=21) at dbgtest.c:{line_of('LINE_TWICE_CALL')}" in out
    assert "Value returned is $1 = 42" in out


def test_finish_in_optimized_firmware(firmware_elf):
    elf = firmware_elf("kernels_selftest")
    facts = ElfFacts(elf)
    out = run_script(elf, ["break dot_int8", "run", "p/x $a0", "p/x $a1", "p $a2", "continue",
                           "p $a2", "finish", "p/x $pc"])
    # dot_int8(bin, bw, n) with n = dot_n[0] = 1, then dot_n[1] = 3
    vals = printed(out)
    assert vals[0] == f"0x{facts.symbols['bin'][0]:x}"
    assert vals[1] == f"0x{facts.symbols['bw'][0]:x}"
    assert vals[2] == "1" and vals[3] == "3"
    assert "Run till exit from #0  dot_int8 (" in out
    pc = int(vals[-1], 16)
    lo, hi = facts.func_range("main")
    assert lo < pc < hi
    assert re.search(r"Value returned is \$\d+ = -?\d+", out)


# ------------------------------------------------------------------ watchpoints

def test_watchpoint_old_and_new_values(prog, facts):
    out = run_script(prog, ["watch counter", "run", "p/x $pc", "continue", "continue"])
    assert "Hardware watchpoint 1: counter" in out
    assert "\nHardware watchpoint 1: counter\n\nOld value = 1\nNew value = 2\n" in out
    assert "\nOld value = 2\nNew value = 44\n" in out     # counter + twice(21)
    # reported right after the store of line LINE_STORE_2, in main
    pc = int(printed(out)[0], 16)
    lo, hi = facts.func_range("main")
    assert lo <= pc < hi
    assert out.rstrip().endswith("[Inferior 1 (process 1) exited with code 03]")


def test_watch_address_sizes_and_rwatch(prog, facts):
    counter = facts.symbols["counter"][0]
    out = run_script(prog, [f"watch *(char*)0x{counter:x}", "run", "delete",
                            f"rwatch *0x{counter:x}", "continue", "delete",
                            f"awatch *(short*)0x{counter:x}", "continue"])
    assert f"Hardware watchpoint 1: *(char*)0x{counter:x}" in out
    assert "Old value = 1\nNew value = 2" in out
    # the first read of counter is `counter + r` (value 2)
    assert f"Hardware read watchpoint 2: *0x{counter:x}\n\nValue = 2" in out
    assert "Hardware access (read/write) watchpoint 3" in out
    assert "Old value = 2\nNew value = 44" in out


def test_watchpoint_in_matmul(firmware_elf):
    # lcg_state starts at 12345; main fills A (16*32 lcg_next() calls, inlined, state kept
    # in a register) and then stores the state once
    state = 12345
    for _ in range(16 * 32):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
    out = run_script(firmware_elf("matmul_int8"), ["watch lcg_state", "run"])
    assert f"Old value = 12345\nNew value = {state}" in out         # uint32_t


# ------------------------------------------------------------------ print / x / set

def test_print_and_x_formats(prog, facts):
    table = facts.symbols["table"][0]
    raw = facts.read(table, 32)
    words = [int.from_bytes(raw[i:i + 4], "little", signed=True) for i in range(0, 32, 4)]
    assert words[3] == 0x12345678 and words[1] == -2
    out = run_script(prog, ["break main", "run",
                            "x/8dw table", "x/4xw &table", "x/2xg table", "x/8xb table",
                            "x/s message", "x/4dh shorts", "x/4c bytes", "x/2tb bytes",
                            "p table", "p/x table[3]", "p message", "p shorts", "p table[1] * 3 + 1",
                            "p/x 255", "p/t 10", "p/o 8", "p/c 65", "p/d 0xffffffff",
                            "p/u -1", "p sizeof(int)", "p (char)0x141",
                            "p {short}&shorts[2]", "p *(unsigned char*)&bytes[3]"])
    assert f"0x{table:x} <table>:\t1\t-2\t3\t305419896" in out
    assert f"0x{table + 16:x} <table+16>:\t5\t6\t7\t8" in out
    assert f"0x{table:x} <table>:\t0x00000001\t0xfffffffe\t0x00000003\t0x12345678" in out
    assert f"0x{table:x} <table>:\t0xfffffffe00000001\t0x1234567800000003" in out
    assert f"0x{table:x} <table>:\t0x01\t0x00\t0x00\t0x00\t0xfe\t0xff\t0xff\t0xff" in out
    assert f"0x{facts.symbols['message'][0]:x} <message>:\t\"hello, debugger\"" in out
    assert "<shorts>:\t-1\t2\t32767\t4" in out
    assert "<bytes>:\t65 'A'\t66 'B'\t0 '\\000'\t-1 '\\377'" in out
    assert "<bytes>:\t01000001\t01000010" in out
    assert printed(out) == ["{1, -2, 3, 305419896, 5, 6, 7, 8}", "0x12345678",
                            '"hello, debugger"', "{-1, 2, 32767, 4}", "-5", "0xff", "1010",
                            "010", "65 'A'", "-1", "4294967295", "4", "65 'A'", "32767", "255 '\\377'"]


def test_set_var_register_and_memory(prog, facts):
    counter = facts.symbols["counter"][0]
    out = run_script(prog, [f"break dbgtest.c:{line_of('LINE_STORE_44')}", "run",
                            "p counter", "set var counter = 40", "p counter",
                            f"set {{int}}0x{counter:x} = 7", "p counter",
                            f"set {{char}}0x{counter:x} = 9", "p counter",
                            "set $t0 = 0x1234", "p/x $t0", "p $t0 = -3", "info registers t0",
                            "continue"])
    assert printed(out) == ["2", "40", "7", "9", "0x1234", "-3"]
    assert re.search(r"^t0\s+0xfffffffd\s+-3$", out, re.M)
    assert "acc=15 counter=51 hello, debugger" in out       # 9 + 42


# ------------------------------------------------------------------ info / disassemble / list

def test_info_registers_format(prog, facts):
    out = run_script(prog, ["break main", "run", "info registers"])
    regs = out[out.index("\nra "):].strip().splitlines()
    names = [l.split()[0] for l in regs]
    assert names[:4] == ["ra", "sp", "gp", "tp"] and "fp" in names and "a0" in names
    assert names[names.index("pc"):] == ["pc", "lpstart0", "lpend0", "lpcount0",
                                        "lpstart1", "lpend1", "lpcount1"]
    for line in regs:
        # gdb: name in 15 columns, raw hex in 19 columns, natural value
        assert re.fullmatch(r"[a-z0-9]+ +0x[0-9a-f]+ +\S.*", line), line
        assert line[15:17] == "0x" and line[34] != " ", line
    pc_line = regs[names.index("pc")]
    bp = facts.after_prologue("main")
    assert pc_line.split()[1] == f"0x{bp:x}"
    assert pc_line.endswith(f"<main+{bp - facts.symbols['main'][0]}>")
    ra_line = regs[0]
    assert "<_start+" in ra_line
    a0 = [l for l in regs if l.startswith("a0 ")][0]
    value = int(a0.split()[1], 16)
    assert a0.split()[2] == str(value - (1 << 32) if value >> 31 else value)


def test_disassemble_marks_pc(prog, facts):
    out = run_script(prog, ["break add3", "run", "disassemble", "x/2i $pc",
                            "disassemble add3,+8"])
    lo, hi = facts.func_range("add3")
    bp = facts.after_prologue("add3")
    assert "Dump of assembler code for function add3:" in out
    marked = [l for l in out.splitlines() if l.startswith("=> ")]
    assert marked[0].startswith(f"=> 0x{bp:08x} <+{bp - lo}>:\t")
    assert f"   0x{lo:08x} <+0>:\t" in out
    assert "End of assembler dump." in out
    assert marked[1].startswith(f"=> 0x{bp:x} <add3+{bp - lo}>:\t")
    assert f"Dump of assembler code from 0x{lo:x} to 0x{lo + 8:x}:" in out


def test_list_info_symbol_display(prog, facts):
    table = facts.symbols["table"][0]
    out = run_script(prog, ["list add3", "list", f"info symbol 0x{table + 8:x}",
                            "info symbol main", "info symbol 0", "display counter",
                            f"break dbgtest.c:{line_of('LINE_STORE_44')}", "run",
                            "display/x $pc", "next", "info display"])
    decl = line_of("add3(int a")
    assert f"{decl - 5}\t" in out and f"{decl + 4}\t" in out
    assert f"{decl + 5}\t" in out and f"{decl + 14}\t" in out     # list continues
    assert "table + 8 in section .rodata" in out
    assert "main in section .text" in out
    assert "No symbol matches 0." in out
    assert "1: counter = 2" in out and "1: counter = 44" in out
    assert re.search(r"^2: /x \$pc = 0x[0-9a-f]+$", out, re.M)


def test_info_threads_stats_accel(prog):
    out = run_script(prog, ["break main", "run", "info threads", "thread 1", "info stats",
                            "info accel", "thread 2", "thread 9"])
    assert re.search(r"^\* 1\s+Thread 1 \(hart 0", out, re.M)
    assert re.search(r"^  8\s+Thread 8 \(hart 7", out, re.M)       # the platform's 8 cores
    assert "[Switching to thread 1 (Thread 1 (hart 0))]" in out
    # info stats (the text of monitor stats too: iss/debugger/statstext.py)
    assert re.search(r"^Instructions: [\d,]+$", out, re.M)
    assert re.search(r"^Cycles: [\d,]+$", out, re.M)
    assert re.search(r"^Stop reason: breakpoint in hart \d+$", out, re.M)
    assert "Harts: 8" in out
    assert re.search(r"^\* hart 0 \(hartid 0x0\): [\d,]+ instructions, [\d,]+ cycles, running, "
                     r"pc 0x[0-9a-f]{8} <main(\+\d+)?>$", out, re.M)
    assert "Accelerators:" in out and "0x10201000" in out      # the DW accelerator (HWPE slot)
    assert "stdout" in out and "0x1a10f000" in out
    assert "[Switching to thread 2 (Thread 2 (hart 1))]" in out
    assert "Unknown thread 9." in out


# ------------------------------------------------------------------ program end / faults

def test_exit_reporting(prog, firmware_elf):
    out = run_script(prog, ["run", "p $_exitcode", "continue"])
    assert "acc=15 counter=44 hello, debugger\n" in out
    assert "[Inferior 1 (process 1) exited with code 03]" in out
    assert printed(out) == ["3"]
    assert "The program is not being run." in out
    out = run_script(firmware_elf("hello"), ["run"])
    assert "Hello from core 0!" in out
    assert "[Inferior 1 (process 1) exited normally]" in out


def test_fault_reporting():
    elf = _build("illegal", FAULT_C)
    out = run_script(elf, ["run", "bt", "continue"])
    line = line_of("LINE_ILLEGAL", FAULT_C)
    assert "Program received signal SIGILL, Illegal instruction." in out
    assert "illegal instruction" in out            # the simulator's own message
    assert re.search(rf"^(0x[0-9a-f]+ in )?main \(\) at illegal.c:{line}$", out, re.M)
    assert "Program terminated with signal SIGILL" in out
    elf = _build("segv", SEGV_C)
    out = run_script(elf, ["run"])
    assert "Program received signal SIGSEGV, Segmentation fault." in out
    assert "0x50000000" in out


def test_restart_keeps_breakpoints(prog):
    out = run_script(prog, ["break add3", "run", "restart", "info breakpoints", "continue",
                            "p $a0", "run", "p $a0"])
    assert out.count("Breakpoint 1, add3 (a=21, b=21, c=0)") == 3
    assert printed(out) == ["21", "21"]


def test_errors_are_one_line(prog):
    commands = ["p foo", "frobnicate", "break nosuch", "x/4xw 0", "continue", "info registers",
                "p 1 +", "delete 9", "list 9999", "p $nosuch", "watch 5", "x/4q 0x1c000000",
                "info nosuch"]
    out = run_script(prog, commands)
    assert "Traceback" not in out and "internal error" not in out
    for expected in ['No symbol "foo" in current context.',
                     'Undefined command: "frobnicate".  Try "help".',
                     'Function "nosuch" not defined.',
                     "Cannot access memory at address 0x0",
                     "The program is not being run.",
                     "The program has no registers now.",
                     "A syntax error in expression",
                     "No breakpoint number 9.",
                     "out of range; ",
                     "Cannot watch constant value `5'.",
                     'Undefined output format "q".',
                     'Undefined info command: "nosuch".']:
        assert expected in out, expected
    assert len(out.strip().splitlines()) <= len(commands) + 1


def test_help(prog):
    out = run_script(prog, ["help", "help x", "help b"])
    assert "stepi (si)" in out and "x/NFU ADDR" in out and "break [LOCATION]" in out


# ------------------------------------------------------------------ the CLI (subprocess)

def _cli(args, tmp_path, script: str):
    path = tmp_path / "cmds.gdb"
    path.write_text(script)
    return subprocess.run([sys.executable, "-m", "iss.cli", "debug", *args, "-x", str(path),
                           "--batch"], capture_output=True, text=True, cwd=REPO, timeout=300)


def test_cli_batch(prog, tmp_path, facts):
    proc = _cli([str(prog)], tmp_path, "# a comment\nbreak add3\nrun\n\ninfo registers a0\n"
                                       "bt\ncontinue\ncontinue 9\n")
    assert proc.returncode == 0, proc.stderr
    assert f"Breakpoint 1 at 0x{facts.after_prologue('add3'):x}" in proc.stdout
    assert re.search(r"^a0\s+0x15\s+21$", proc.stdout, re.M)
    assert "[Inferior 1 (process 1) exited with code 03]" in proc.stdout
    assert proc.stderr == ""


def test_cli_batch_error_stops_the_file(prog, tmp_path):
    proc = _cli([str(prog)], tmp_path, "break main\nprint nosuch\nrun\n")
    assert proc.returncode == 1
    assert 'No symbol "nosuch" in current context.' in proc.stderr
    assert "Starting program" not in proc.stdout          # gdb: an error ends the file


def test_module_entry_point(prog, tmp_path):
    path = tmp_path / "c.gdb"
    path.write_text("info line add3\nquit\nrun\n")
    proc = subprocess.run([sys.executable, "-m", "iss.debugger.shell", str(prog), "-x",
                           str(path), "--batch"], capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"Line {line_of('add3(int a')} of \"dbgtest.c\"" in proc.stdout or \
        "of \"dbgtest.c\"" in proc.stdout
    assert "Starting program" not in proc.stdout                 # quit ends the script


def test_cli_bad_firmware(tmp_path):
    proc = _cli([str(tmp_path / "missing.elf")], tmp_path, "run\n")
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


def test_deadlock_is_reported(firmware_elf):
    """`run` on firmware where every core sleeps with nothing left to wake it says so and
    what each core waits for (firmware/isa_tests/deadlock.S: core 0 waits on an empty
    event mask at main's EVENT_WAIT load, the workers in the runtime's dispatch loop)."""
    elf = firmware_elf("deadlock")
    source = (toolchain.firmware_dir() / "isa_tests" / "deadlock.S").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "EVENT_WAIT: sleeps forever" in text)
    out = run_script(elf, ["run"])
    assert "Program stopped: all cores are asleep and no event is pending (deadlock): " \
           "core 0 waits for an event of mask 0x0; core 1 waits for dispatch;" in out, out
    assert f"main () at deadlock.S:{line}" in out, out


def test_info_threads_says_which_cores_sleep(firmware_elf):
    """At pi_cl_team_fork the workers sleep in the runtime's dispatch loop (an event-unit
    wait) and core 0 runs: `info threads` (and the gdbserver's thread extra info, from the
    same DebugTarget.hart_state) says so."""
    out = run_script(firmware_elf("matmul_parallel"), ["break main", "run", "break pi_cl_team_fork",
                                                        "continue", "info threads"])
    lines = [line for line in out.splitlines() if "Thread " in line]
    assert len(lines) == 8, out
    assert "asleep" not in lines[0] and lines[0].startswith("*"), out
    assert all(f"hartid 0x{i:x}, asleep, waits for dispatch)" in line
               for i, line in enumerate(lines[1:], 1)), out


def test_catch_stops_at_trap_entry(firmware_elf):
    """catch exception / interrupt stop at the handler's first instruction (mtvec's base,
    vectored for interrupts: base + 4 * line) with mcause and mepc set (issue 20 item 5):
    irq_illegal_emulation traps on words of the reserved major opcode 0x77 (its source);
    irq_timer_tick takes the timer's event line 10 (PULP_TIMER0_EVENT)."""
    out = run_script(firmware_elf("irq_illegal_emulation"),
                     ["catch exception", "run", "p $mcause", "p/x $mepc", "x/wx $mepc",
                      "p/x $pc", "p/x $mtvec", "delete", "continue"])
    m = re.search(r"Catchpoint 1 \(exception 2: illegal instruction, mepc (0x[0-9a-f]{8})\), ", out)
    assert m, out
    vals = printed(out)
    assert vals[0] == "2" and int(vals[1], 16) == int(m.group(1), 16)
    mepc = int(m.group(1), 16)
    word = re.search(rf"^0x0*{mepc:x}\b.*:\s+(0x[0-9a-f]{{8}})$", out, re.M)
    assert word and int(word.group(1), 16) & 0x7F == 0x77, out
    assert int(vals[2], 16) == int(vals[3], 16) & ~3            # mtvec's base
    assert "irq_illegal_emulation: OK" in out and "exited normally" in out

    out = run_script(firmware_elf("irq_timer_tick"),
                     ["catch interrupt", "run", "p/x $mcause", "p/x $pc", "p/x $mtvec",
                      "info breakpoints", "delete", "continue"])
    assert re.search(r"Catchpoint 1 \(interrupt 10, mepc 0x[0-9a-f]{8}\), ", out), out
    vals = printed(out)
    assert vals[0] == "0x8000000a"
    assert int(vals[1], 16) == (int(vals[2], 16) & ~3) + 4 * 10
    assert re.search(r"catchpoint\s+keep y\s+interrupt\s+breakpoint already hit 1 time", out), out
    assert "irq_timer_tick: OK" in out
