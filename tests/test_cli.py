"""Command-line rough edges (issue 19 item 4): --version, a subcommand's usage on a bad
flag, `iss cc` without -o, the ISA-flavour hint of a fault report."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from iss.cli import main as iss_main

REPO = Path(__file__).resolve().parent.parent


def _iss(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "iss.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600, check=False)


def test_version_is_the_package_version():
    expected = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    r = _iss("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"iss (pulp-imc-iss) {expected}"


@pytest.mark.parametrize("argv,usage,flag", [
    (["run", "x.elf", "--bogus"], "usage: iss run ", "--bogus"),
    (["disasm", "--bogus=3", "x.elf"], "usage: iss disasm ", "--bogus=3"),
    (["plot", "s.json", "--nope"], "usage: iss plot ", "--nope"),
    (["--bogus", "run", "x.elf"], "usage: iss [-h]", "--bogus"),     # before the subcommand
])
def test_bad_flag_prints_that_subcommands_usage(capsys, argv, usage, flag):
    with pytest.raises(SystemExit) as e:
        iss_main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert err.rstrip().splitlines()[-1].endswith(f"error: unrecognized arguments: {flag}")


def test_cc_without_output_says_where_and_never_overwrites(tmp_path):
    src = tmp_path / "x.c"
    src.write_text("int main(void) { return 7; }\n")
    r = _iss("cc", "x.c", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "iss cc: wrote x.elf (no -o given)"
    elf = tmp_path / "x.elf"
    assert elf.read_bytes()[:4] == b"\x7fELF"
    elf.write_bytes(b"mine")                         # a file of the user's: left alone
    r = _iss("cc", "x.c", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == ("iss cc: error: no -o given and x.elf exists: pass -o x.elf "
                                "to overwrite it")
    assert elf.read_bytes() == b"mine"
    r = _iss("cc", "-o", "x.elf", "x.c", cwd=tmp_path)   # explicit -o: overwrite, no message
    assert r.returncode == 0 and "wrote" not in r.stderr
    assert elf.read_bytes()[:4] == b"\x7fELF"


FLAVOUR_CASES = {
    # a CORE-V build on --isa xpulpv2: cv.max is custom-1 (0x2b), no RI5CY instruction
    "cv": ("cv.max a0, a1, a2", "xpulpv2",
           ("; hint: 'cv.max a0, a1, a2' is a corev instruction: the ISA flavour is the likely "
            "cause (this run: --isa xpulpv2; try --isa corev)")),
    # an XpulpV2 build on --isa corev: p.max a0, a1, a2 (RI5CY manual: funct7 0000010,
    # rs2 12, rs1 11, funct3 110, rd 10, opcode OP 0110011), an illegal funct7 for RV32
    "p": (".word 0x04c5e533", "corev",
          ("; hint: 'p.max a0, a1, a2' is a xpulpv2 instruction: the ISA flavour is the likely "
           "cause (this run: --isa corev; try --isa xpulpv2)")),
    # RI5CY's lpcount0 (0x7c2: riscv_defines.sv HWLoop0_COUNTER of pulpissimo-v3)
    # (CV32E40P's loop CSRs are at 0xcc0..0xcc6, its 0x7c2 is no CSR)
    "csr": ("csrr a0, 0x7c2", "corev",
            ("; hint: CSR 0x7c2 is a xpulpv2 CSR (hardware loop or performance counter): the "
             "ISA flavour is the likely cause (this run: --isa corev; try --isa xpulpv2)")),
    # a word no flavour has: no hint, in either flavour
    "bad_corev": (".word 0xffffffff", "corev", None),
    "bad_xpulpv2": (".word 0xffffffff", "xpulpv2", None),
}


@pytest.mark.parametrize("case", FLAVOUR_CASES)
def test_fault_report_hints_at_the_isa_flavour(tmp_path, case):
    from iss import toolchain
    instruction, isa, hint = FLAVOUR_CASES[case]
    src = tmp_path / "x.S"
    src.write_text(f"    .globl main\nmain:\n    {instruction}\n    li a0, 0\n    ret\n")
    elf = tmp_path / "x.elf"
    assert toolchain.cc_main(["-o", str(elf), str(src)]) == 0
    r = _iss("run", elf, "--isa", isa, "--quiet")
    assert r.returncode == 3, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("iss: hart 0 fault at "), r.stderr
    assert ": illegal instruction: " in lines[0]
    if hint is None:
        assert "hint" not in lines[0]
    else:
        assert lines[0].endswith(hint), lines[0]


@pytest.mark.parametrize("isa", ["corev", "xpulpv2"])
def test_flavour_csrs_are_emulated_by_a_run_of_that_flavour(tmp_path, isa):
    from iss import toolchain
    from iss.isa_hint import flavour_csrs
    from iss.simulator import Simulator
    src = tmp_path / "x.S"
    src.write_text("    .globl main\nmain:\n    li a0, 0\n    ret\n")
    assert toolchain.cc_main(["-o", str(tmp_path / "x.elf"), str(src)]) == 0
    sim = Simulator(str(tmp_path / "x.elf"), isa=isa, cores=1)
    assert flavour_csrs(isa) <= sim.custom.emulated_csrs
