"""Debugging CORE-V code at original PCs: `iss debug` and `iss gdbserver` on a kernel with a
post-increment load outside any loop (translated into plain RV32 in a normal run,
iss/shadow.py) and a hardware loop whose body loads with post-increment (run by the loop
engine in a normal run, iss/hwloop_engine.py): a breakpoint inside the loop body stops
there on every iteration, `stepi` through a post-increment load advances the PC by one
instruction and the base by 4, and the registers show original addresses. Expected values
are the program's arithmetic, worked by hand below.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from test_debug_shell import printed
from test_gdbserver import RspClient, reg, served, stop_fields
from test_xpulp_engine import cv_lp

from iss import toolchain
from iss.debugger.shell import run_script
from iss.elf import load_elf
from iss.simulator import Simulator

WORDS = (10, 20, 30, 40, 50)
ITERATIONS = 4
# main: a1 = words; a2 = words[0] (load_pi), then a2 += words[1..4] in the loop: 150
SOURCE = f"""
    .option norvc
    .text
    .globl main
main:
    la a1, words
    li a2, 0
    .globl load_pi
load_pi:
    cv.lw a4, (a1), 4
    add a2, a2, a4
    .word {cv_lp("setupi", 0, value=ITERATIONS, offset=4 + 2 * 4):#010x}
    .globl loop_body
loop_body:
    cv.lw a4, (a1), 4
    add a2, a2, a4
    mv a0, a2
    ret
    .data
    .balign 4
    .globl words
words: .word {", ".join(map(str, WORDS))}
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("debug_xpulp")
    (out / "kernel.S").write_text(SOURCE)
    return toolchain.compile_firmware([out / "kernel.S"], out / "kernel.elf", isa="corev")


@pytest.fixture(scope="module")
def symbols(kernel) -> dict[str, int]:
    return load_elf(kernel).symbols


def test_the_kernel_runs_translated_and_in_the_engine(kernel):
    """What the debuggers must not change: the result, with translation and the engine on."""
    sim = Simulator(kernel, output=io.StringIO())
    result = sim.run()
    assert result.exit_code == sum(WORDS)
    assert sim.custom.translation == "on"
    assert sim.custom.engine.loops, "the loop body is not the engine's"


def test_debugger_session_at_original_pcs(kernel, symbols):
    load_pi, body, words = symbols["load_pi"], symbols["loop_body"], symbols["words"]
    out = run_script(kernel, [
        "break load_pi", "run", "p/x $pc", "p/x $a1",
        "stepi", "p/x $pc", "p/x $a1", "p $a4",            # through a post-increment load
        "break loop_body", "continue", "p/x $pc", "p $a2",
        "stepi", "p/x $pc", "p $a4",
        "continue", "p/x $pc", "p $a2", "p/x $a1",          # the next iteration
        "info registers", "delete", "continue"])
    assert printed(out) == [
        f"0x{load_pi:x}", f"0x{words:x}",
        f"0x{load_pi + 4:x}", f"0x{words + 4:x}", "10",
        f"0x{body:x}", "10",
        f"0x{body + 4:x}", "20",
        f"0x{body:x}", "30", f"0x{words + 8:x}"]
    assert re.search(rf"^pc\s+0x{body:x}\b", out, re.M), out
    assert re.search(rf"^a1\s+0x{words + 8:x}\b", out, re.M), out
    assert f"exited with code {sum(WORDS):02o}]" in out, out         # gdb: octal


def test_gdbserver_session_at_original_pcs(kernel, symbols):
    load_pi, body, words = symbols["load_pi"], symbols["loop_body"], symbols["words"]
    with served(kernel) as (server, _):
        c = RspClient(server.port)
        c.no_ack()
        assert c.cmd(f"Z0,{load_pi:x},4") == "OK"
        fields = stop_fields(c.cmd("c"))
        assert reg(fields["20"]) == load_pi and reg(c.cmd("pb")) == words      # pc, a1
        assert stop_fields(c.cmd("s"))["signal"] == "05"
        assert reg(c.cmd("p20")) == load_pi + 4
        assert reg(c.cmd("pb")) == words + 4 and reg(c.cmd("pe")) == WORDS[0]   # a1, a4
        assert c.cmd(f"z0,{load_pi:x},4") == "OK"
        assert c.cmd(f"Z0,{body:x},4") == "OK"
        seen = []
        for _ in range(ITERATIONS):                  # every iteration stops in the body
            fields = stop_fields(c.cmd("c"))
            seen.append((reg(fields["20"]), reg(c.cmd("pc"))))                 # pc, a2
        assert seen == [(body, sum(WORDS[:k + 1])) for k in range(ITERATIONS)]
        registers = c.cmd("g")                       # x0..x31, pc: 8 hex digits each
        assert reg(registers[32 * 8:33 * 8]) == body
        assert reg(registers[11 * 8:12 * 8]) == words + 4 * ITERATIONS
        assert c.cmd(f"z0,{body:x},4") == "OK"
        assert c.cmd("c") == f"W{sum(WORDS):02x}"
        c.send("k")
        assert c.closed_by_server()
