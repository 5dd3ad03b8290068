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
                          capture_output=True, text=True, timeout=600)


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
