"""Core timing micro-tests: every rule of the timing table in docs/cluster.md against a cycle
count computed by hand from the cited sources (ids in firmware/isa_tests/timing_harness.inc).

The programs are firmware/isa_tests/timing_*.S.  Each measured section is

    TSTART                  csrr s10, mcycle
    <code under test>
    TEND name, E[, A]       csrr s11, mcycle; print "timing name: measured s11-s10, expected E"

where E (and A, the expectation under ``--timing accurate`` when it differs) is written in the
source next to the hand computation (4 for the first csrr + the cycles of the code).  The
expectations are read from the SOURCE here, never from the simulator: the printed "expected"
is only there to make a failing run readable by hand.

A program header may say
    TIMING_REQUIRES: event_unit     skipped unless the default platform has an event unit
    TIMING_CORES: N                 run with --cores N (default 1)
    TIMING_DYNAMIC: name            the expectation of `name` depends on cycle stamps that
                                    the firmware reads (it prints the formula's value)
Every program runs in both timing modes: the rules hold in both, except the misaligned-access
rows (accurate mode only), which have their own E/A pair.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from iss.toolchain import firmware_dir

FW = firmware_dir()
REPO = Path(__file__).resolve().parent.parent
SOURCES = {p.stem: p for p in sorted((FW / "isa_tests").glob("timing_*.S"))}
MODES = ("fast", "accurate")

TEND = re.compile(r"^\s*TEND\s+(\w+)\s*,\s*(\d+)\s*(?:,\s*(\d+)\s*)?$", re.M)
REPORT = re.compile(r"^timing (\w+): measured (-?\d+), expected (-?\d+)"
                    r"(?: \(fast\) / (-?\d+) \(accurate\))?(?: \(te=(-?\d+) ts=(-?\d+)\))?$", re.M)


def _header(text: str, key: str) -> list[str]:
    return re.findall(rf"\b{key}:\s*(\w+)", text)


def _program_info(name: str) -> dict:
    text = SOURCES[name].read_text()
    sections = [(m.group(1), int(m.group(2)), int(m.group(3) or m.group(2)))
                for m in TEND.finditer(text)]
    cores = _header(text, "TIMING_CORES")
    return {
        "sections": sections,                       # [(name, expected fast, expected accurate)]
        "dynamic": _header(text, "TIMING_DYNAMIC"),
        "requires": _header(text, "TIMING_REQUIRES"),
        "cores": int(cores[0]) if cores else 1,
    }


PROGRAMS = {name: _program_info(name) for name in SOURCES}
STATIC_CASES = [(prog, sec, mode) for prog, info in PROGRAMS.items()
                for sec, _, _ in info["sections"] for mode in MODES]
DYNAMIC_CASES = [(prog, sec, mode) for prog, info in PROGRAMS.items()
                 for sec in info["dynamic"] for mode in MODES]


def _platform_has(plugin: str) -> bool:
    toml = REPO / "iss" / "platforms" / "pulp_imc_cluster.toml"
    try:
        data = tomllib.loads(toml.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return (any(p.get("plugin") == plugin for p in data.get("peripheral", []))
            and (REPO / "plugins" / f"{plugin}.py").is_file())


def _skip_unless_available(prog: str) -> None:
    for need in PROGRAMS[prog]["requires"]:
        if not _platform_has(need):
            pytest.skip(f"{prog} needs the '{need}' peripheral (not in the default platform yet)")


@pytest.fixture(scope="module")
def run_timing(firmware_elf):
    """run_timing(prog, mode) -> (returncode, stdout, stderr), one simulator run per pair."""
    cache: dict[tuple[str, str], tuple[int, str, str]] = {}

    def run(prog: str, mode: str):
        key = (prog, mode)
        if key not in cache:
            elf = firmware_elf(prog)
            cmd = [sys.executable, "-m", "iss.cli", "run", "--cores", str(PROGRAMS[prog]["cores"]),
                   "--timing", mode, "--quiet", str(elf)]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
            cache[key] = (r.returncode, r.stdout, r.stderr)
        return cache[key]

    return run


def _reports(stdout: str) -> dict[str, re.Match]:
    return {m.group(1): m for m in REPORT.finditer(stdout)}


def _why_missing(prog: str, mode: str, rc: int, out: str, err: str) -> str:
    tail = "\n".join((err.strip().splitlines() or ["(no stderr)"])[-5:])
    return (f"{prog} [--timing {mode}] printed no report for this section "
            f"(exit code {rc}); stderr:\n{tail}\nstdout:\n{out[-1500:]}")


# ------------------------------------------------------------------ harness self-checks

def test_timing_programs_found():
    assert len(SOURCES) >= 8
    for prog, info in PROGRAMS.items():
        names = [s[0] for s in info["sections"]] + info["dynamic"]
        assert names, f"{prog}: no TEND sections"
        assert len(names) == len(set(names)), f"{prog}: duplicate section names"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("prog", sorted(PROGRAMS))
def test_timing_program_completes(run_timing, prog, mode):
    """The program runs to the end, reports every section in source order, and the expectation
    it prints is the one written in the source (the harness itself is right)."""
    _skip_unless_available(prog)
    rc, out, err = run_timing(prog, mode)
    info = PROGRAMS[prog]
    assert rc == 0 and "timing done" in out, _why_missing(prog, mode, rc, out, err)
    printed = [m.group(1) for m in REPORT.finditer(out)]
    assert printed == [s[0] for s in info["sections"]] + info["dynamic"]
    reports = _reports(out)
    for name, fast, acc in info["sections"]:
        m = reports[name]
        assert int(m.group(3)) == fast and int(m.group(4) or m.group(3)) == acc, name


# ------------------------------------------------------------------ one test per rule/section

@pytest.mark.parametrize("prog,section,mode", STATIC_CASES,
                         ids=[f"{p}-{s}-{m}" for p, s, m in STATIC_CASES])
def test_timing_section(run_timing, prog, section, mode):
    _skip_unless_available(prog)
    rc, out, err = run_timing(prog, mode)
    m = _reports(out).get(section)
    assert m is not None, _why_missing(prog, mode, rc, out, err)
    _, fast, acc = next(s for s in PROGRAMS[prog]["sections"] if s[0] == section)
    expected = fast if mode == "fast" else acc
    measured = int(m.group(2))
    assert measured == expected, (
        f"{section} [--timing {mode}]: measured {measured} cycles, expected {expected} "
        f"(4 for the csrr mcycle + the hand count in firmware/isa_tests/{prog}.S)")


@pytest.mark.parametrize("prog,section,mode", DYNAMIC_CASES,
                         ids=[f"{p}-{s}-{m}" for p, s, m in DYNAMIC_CASES])
def test_timing_dynamic_section(run_timing, prog, section, mode):
    """Sections whose expectation comes from a formula over cycle stamps (elw sleep)."""
    _skip_unless_available(prog)
    rc, out, err = run_timing(prog, mode)
    m = _reports(out).get(section)
    assert m is not None, _why_missing(prog, mode, rc, out, err)
    measured, expected = int(m.group(2)), int(m.group(3))
    if m.group(5) is not None:
        te, ts = int(m.group(5)), int(m.group(6))
        assert te > ts, f"{section}: the event (te={te}) came before the wait (ts={ts}): no sleep"
    assert measured == expected, (
        f"{section} [--timing {mode}]: measured {measured}, expected {expected} "
        f"(formula in firmware/isa_tests/{prog}.S; {m.group(0)})")
