"""Firmware toolchain: `iss cc`, build_app caching, runtime/link layout, firmware contents.

The ELFs built here are also run on raw Unicorn (rv32imc builds only: Unicorn has no
CORE-V extensions) as a reference check of the runtime, the apps and the ISA tests,
independent of the simulator.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from golden import matmul_int8_checksum
from elftools.elf.elffile import ELFFile

from iss import toolchain

L2_BASE = 0x1C000000
L2_SIZE = 0x400000
L1_BASE = 0x10000000
L1_SIZE = 0x80000

ISA_TESTS = sorted(p.stem for p in (toolchain.firmware_dir() / "isa_tests").glob("*.S"))
COUNT_TESTS = [n for n in ISA_TESTS if n.startswith("count_")]
# the self-checking base-ISA programs (the others need the simulator: timing, CSRs, cluster)
CHECK_TESTS = [n for n in ISA_TESTS if n.startswith("rv32")]


def _segments(path: Path):
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        return elf, [dict(s.header) for s in elf.iter_segments()]


def _elf_info(path: Path):
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        hdr = dict(elf.header)
        segs = [dict(s.header) for s in elf.iter_segments()]
        attrs = elf.get_section_by_name(".riscv.attributes")
        attr_bytes = attrs.data() if attrs is not None else b""
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
        return elf.elfclass, hdr, segs, attr_bytes, syms


# --------------------------------------------------------------------------- iss cc

def test_cc_builds_hello(tmp_path, capsys):
    out = tmp_path / "hello.elf"
    src = toolchain.firmware_dir() / "apps" / "hello" / "main.c"
    rc = toolchain.cc_main(["-o", str(out), str(src)])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "argument unused during compilation" not in err
    elfclass, hdr, segs, attrs, syms = _elf_info(out)
    assert elfclass == 32
    assert hdr["e_machine"] == "EM_RISCV"
    assert L2_BASE <= hdr["e_entry"] < L2_BASE + L2_SIZE
    assert hdr["e_entry"] == syms["_start"]
    loads = [s for s in segs if s["p_type"] == "PT_LOAD"]
    assert any(s["p_vaddr"] == L2_BASE for s in loads)
    assert b"xcvalu" in attrs  # default isa is corev
    for name in ("main", "__global_pointer$", "__bss_start", "__bss_end", "__heap_start",
                 "__heap_end", "__l1_stack_top", "__stack_size", "printf", "exit"):
        assert name in syms, name
    assert syms["__l1_stack_top"] == L1_BASE + L1_SIZE
    assert syms["__stack_size"] == 0x1000


def test_cc_bad_source_one_line_error(tmp_path, capsys):
    src = tmp_path / "bad.c"
    src.write_text("int main(void) { return undeclared_thing; }\n")
    out = tmp_path / "bad.elf"
    rc = toolchain.cc_main(["-o", str(out), str(src)])
    err = capsys.readouterr().err
    assert rc != 0
    assert not out.exists()
    lines = [ln for ln in err.splitlines() if ln.startswith("iss cc: error")]
    assert len(lines) == 1, err
    assert "undeclared_thing" in err  # clang's diagnostic is shown
    assert "argument unused during compilation" not in err


def test_cc_usage_errors(tmp_path, capsys):
    assert toolchain.cc_main(["--isa", "foo", "-o", str(tmp_path / "x.elf"), "x.c"]) != 0
    assert toolchain.cc_main(["-o", str(tmp_path / "x.elf")]) != 0
    assert toolchain.cc_main(["-o", str(tmp_path / "x.elf"), str(tmp_path / "missing.c")]) != 0
    err = capsys.readouterr().err
    assert all(ln.startswith("iss cc: error") for ln in err.splitlines()), err


def test_cc_rv32imc(tmp_path, capsys):
    out = tmp_path / "hello.elf"
    src = toolchain.firmware_dir() / "apps" / "hello" / "main.c"
    assert toolchain.cc_main(["--isa", "rv32imc", "-O1", "-o", str(out), str(src)]) == 0
    _, _, _, attrs, _ = _elf_info(out)
    assert b"xcv" not in attrs


# --------------------------------------------------------------------------- build_app

def test_build_app_caches(tmp_path):
    t0 = time.perf_counter()
    elf = toolchain.build_app("hello", tmp_path)
    assert elf == tmp_path / "hello.elf" and elf.exists()
    mtime = elf.stat().st_mtime_ns
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = toolchain.build_app("hello", tmp_path)
    second = time.perf_counter() - t1
    assert again == elf
    assert elf.stat().st_mtime_ns == mtime  # not rebuilt
    assert second < max(first, 0.05)
    # a different isa into the same folder must rebuild
    toolchain.build_app("hello", tmp_path, isa="rv32imc")
    _, _, _, attrs, _ = _elf_info(elf)
    assert b"xcv" not in attrs


@pytest.mark.parametrize("isa", ["corev", "rv32imc"])
def test_matmul_builds(firmware_elf, isa):
    elf = firmware_elf("matmul_int8", isa=isa)
    _, hdr, segs, attrs, syms = _elf_info(elf)
    assert hdr["e_machine"] == "EM_RISCV"
    assert (b"xcvalu" in attrs) == (isa == "corev")
    # L1 data is loaded from the ELF at 0x10000000
    assert any(s["p_type"] == "PT_LOAD" and s["p_vaddr"] == L1_BASE for s in segs)


@pytest.mark.parametrize("app", ["hello", "matmul_int8"])
def test_code_and_writable_data_never_share_a_page(firmware_elf, app):
    _, _, segs, _, syms = _elf_info(firmware_elf(app))
    loads = [s for s in segs if s["p_type"] == "PT_LOAD" and s["p_memsz"]]
    ro_pages, rw_pages = set(), set()
    for s in loads:
        pages = range(s["p_vaddr"] >> 12, ((s["p_vaddr"] + s["p_memsz"] - 1) >> 12) + 1)
        (rw_pages if s["p_flags"] & 2 else ro_pages).update(pages)
    assert not (ro_pages & rw_pages)
    assert syms["__heap_start"] % 4096 == 0
    assert syms["__heap_start"] >= syms["__bss_end"]


@pytest.mark.parametrize("name", ISA_TESTS)
def test_isa_tests_build(firmware_elf, name):
    elf = firmware_elf(name)
    _, _, _, _, syms = _elf_info(elf)
    assert "main" in syms


def test_isa_test_name_forms(firmware_elf):
    a = firmware_elf("isa_tests/rv32m.S", isa="rv32imc")
    b = firmware_elf("rv32m", isa="rv32imc")
    assert a == b
    assert firmware_elf("apps/hello", isa="rv32imc").name == "hello.elf"


def expected_main_instructions(name: str) -> int:
    text = (toolchain.firmware_dir() / "isa_tests" / f"{name}.S").read_text()
    m = re.search(r"^# EXPECTED_MAIN_INSTRUCTIONS:\s*(\d+)", text, re.M)
    assert m, f"{name}.S has no EXPECTED_MAIN_INSTRUCTIONS header"
    return int(m.group(1))


# --------------------------------------------------------------------------- Unicorn reference runs

def run_on_unicorn(path: Path, max_instr: int = 20_000_000):
    """Run an rv32imc ELF on raw Unicorn: returns (stdout text, exit status, main instr count)."""
    unicorn = pytest.importorskip("unicorn")
    from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, UC_HOOK_CODE, UC_HOOK_TLB_FILL, UC_PROT_ALL
    from unicorn.riscv_const import UC_RISCV_REG_RA

    mu = unicorn.Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    mu.ctl_set_tlb_mode(unicorn.unicorn_const.UC_TLB_VIRTUAL)

    def tlb_fill(uc, vaddr, access, entry, data):
        entry.paddr = vaddr & ~0xFFF
        entry.perms = UC_PROT_ALL
        return True

    mu.hook_add(UC_HOOK_TLB_FILL, tlb_fill)
    mu.mem_map(L1_BASE, L1_SIZE)
    mu.mem_map(L2_BASE, L2_SIZE)
    out: list[str] = []
    state = {"exit": None, "in_main": False, "ret": None, "count": 0, "main_count": None}

    def mmio_read(uc, off, size, data):
        return 0

    def mmio_write(uc, off, size, value, data):
        if 0xF000 <= off < 0x10000:
            out.append(chr(value & 0xFF))
        elif off == 0x40A0:
            state["exit"] = value
            uc.emu_stop()

    mu.mmio_map(0x1A100000, 0x10000, mmio_read, None, mmio_write, None)
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]:
                mu.mem_write(seg["p_vaddr"], seg.data())
        entry = elf.header.e_entry
        main = next(s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()
                    if s.name == "main")

    def on_code(uc, addr, size, data):
        if not state["in_main"]:
            if addr == main and state["main_count"] is None:
                state["in_main"] = True
                state["ret"] = uc.reg_read(UC_RISCV_REG_RA)
                state["count"] = 1
        elif addr == state["ret"]:
            state["in_main"] = False
            state["main_count"] = state["count"]
        else:
            state["count"] += 1

    mu.hook_add(UC_HOOK_CODE, on_code)
    mu.emu_start(entry, 0xFFFFFFFF, count=max_instr)
    assert state["exit"] is not None, "firmware did not reach exit()"
    assert state["exit"] & 0x80000000
    return "".join(out), state["exit"] & 0x7FFFFFFF, state["main_count"]


@pytest.mark.parametrize("name", CHECK_TESTS)
def test_isa_tests_pass_on_unicorn(firmware_elf, name):
    _, status, _ = run_on_unicorn(firmware_elf(name, isa="rv32imc"))
    assert status == 0, f"{name}: check {status} failed"


@pytest.mark.parametrize("name", COUNT_TESTS)
def test_count_tests_on_unicorn(firmware_elf, name):
    _, status, count = run_on_unicorn(firmware_elf(name, isa="rv32imc"))
    assert status == 0
    assert count == expected_main_instructions(name)


def test_hello_on_unicorn(firmware_elf):
    out, status, _ = run_on_unicorn(firmware_elf("hello", isa="rv32imc"))
    assert status == 0
    assert out.startswith("Hello from core 0!\n")
    assert "0x1c000000" in out


def test_matmul_on_unicorn(firmware_elf):
    out, status, _ = run_on_unicorn(firmware_elf("matmul_int8", isa="rv32imc"))
    assert status == 0, out
    assert f"checksum={matmul_int8_checksum():08x}\n" in out


def test_printf_formats_on_unicorn(tmp_path):
    src = tmp_path / "fmt.c"
    src.write_text(r'''
#include <stdio.h>
#include <string.h>
#include <stdint.h>
static char buf[128];
int main(void) {
    int bad = 0;
#define T(exp, ...) do { snprintf(buf, sizeof buf, __VA_ARGS__); \
        if (strcmp(buf, exp)) { printf("FAIL [%s] != [%s]\n", buf, exp); bad++; } } while (0)
    T("42|-42|00042|   42|42   ", "%d|%i|%05d|%5d|%-5d", 42, -42, 42, 42, 42);
    T("-0042|+7| 7", "%05d|%+d|% d", -42, 7, 7);
    T("ff|FF|377|0x1f|00ab", "%x|%X|%o|%#x|%04x", 255, 255, 255, 31, 171);
    T("4294967295|-1", "%u|%d", 0xffffffffu, -1);
    T("-2147483648", "%d", (int)0x80000000);
    T("abc|  abc|ab|ab   |x|%", "%s|%5s|%.2s|%-5.2s|%c|%%", "abc", "abc", "abc", "abc", 'x');
    T("-1|255|-1|65535", "%hhd|%hhu|%hd|%hu", 255, 255, 65535, 65535);
    T("123456789012|-9000000000|ffffffffffffffff", "%lld|%lld|%llx", 123456789012LL, -9000000000LL, -1LL);
    T("12|7", "%ld|%zu", 12L, (size_t)7);
    T("0x1c000000", "%p", (void *)0x1c000000);
    T("3.14|-2.500000|1.0|0.001|  2.50", "%.2f|%f|%.1f|%.3f|%6.2f", 3.14159, -2.5, 0.96, 0.001, 2.5);
    T("(null)", "%s", (char *)0);
    T("007", "%.3d", 7);
    int n = snprintf(buf, 4, "%s", "abcdef");
    if (n != 6 || strcmp(buf, "abc")) { printf("FAIL truncation %d [%s]\n", n, buf); bad++; }
    puts("done");
    return bad;
}
''')
    out_elf = tmp_path / "fmt.elf"
    assert toolchain.cc_main(["--isa", "rv32imc", "-o", str(out_elf), str(src)]) == 0
    out, status, _ = run_on_unicorn(out_elf)
    assert status == 0, out
    assert out.endswith("done\n")
