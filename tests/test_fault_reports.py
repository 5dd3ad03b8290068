"""The one-line fault and deadlock reports point at the source (issue 17 item 4): the
faulting line (DWARF), the caller of a call through a null pointer (its return address in
ra), and what each sleeping core waits for. Expected lines are read off the C sources below."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SOURCES = {
    "null_call": """#include <stdio.h>
typedef int (*fn_t)(int);
volatile fn_t table[2];
int main(void)
{
    printf("calling\\n");
    int r = table[1](3);
    printf("%d\\n", r);
    return 0;
}
""",  # the call is on line 7
    "illegal": """int main(void)
{
    __asm__ volatile (".word 0x00000077");
    return 0;
}
""",  # line 3
    "deadlock": """#include <cluster.h>
int main(void)
{
    eu_evt_maskSet(1u << 5);
    eu_evt_wait();
    return 0;
}
""",
    "wfi_deadlock": """#include <irq.h>
int main(void)
{
    hal_wfi();
    return 0;
}
""",
}


@pytest.fixture(scope="module")
def elfs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    out = {}
    for name, text in SOURCES.items():
        src = tmp / f"{name}.c"
        src.write_text(text)
        elf = tmp / f"{name}.elf"
        r = subprocess.run([sys.executable, "-m", "iss.cli", "cc", "-o", str(elf), str(src)],
                           capture_output=True, text=True, timeout=300, cwd=REPO)
        assert r.returncode == 0, r.stderr
        out[name] = elf
    return out


def report(elf, *args):
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), *args],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 3, r.stderr
    return r.stderr.splitlines()[0]


def test_fault_names_its_source_line(elfs):
    line = report(elfs["illegal"])
    assert re.search(r"fault at 0x[0-9a-f]{8} <main\+0x[0-9a-f]+>: illegal instruction: .*"
                     r", at illegal\.c:3$", line), line


def test_null_call_names_the_caller(elfs):
    line = report(elfs["null_call"])
    assert "fault at 0x00000000: instruction fetch from unmapped address 0x00000000" in line
    assert re.search(r"\(pc outside memory\), called from 0x[0-9a-f]{8} <main\+0x[0-9a-f]+> "
                     r"at null_call\.c:7$", line), line


def test_deadlock_lists_what_each_core_waits_for(elfs):
    line = report(elfs["deadlock"], "--cores", "3")
    assert "all cores are asleep and no event is pending (deadlock): " in line
    # core 0 waits for event 5 (mask 1 << 5); the others wait in the dispatch FIFO
    assert ("core 0 waits for an event of mask 0x20; core 1 waits for dispatch; "
            "core 2 waits for dispatch") in line


def test_deadlock_in_wfi(elfs):
    line = report(elfs["wfi_deadlock"], "--cores", "1")
    assert "core 0 waits for wfi (no enabled interrupt line pending)" in line
