"""Code entered in the middle of what the linear decode takes for a 32-bit instruction.

The load-time tables (iss/hooks.py build_prefix_table, iss/timing.py StaticTiming) are built
by decoding the code from its first byte; a jump to the upper half of a 32-bit word starts
another decode. Firmware here jumps into the upper half of `.word 0xe0810013`: the linear
decode sees `addi x0, sp, -504`, execution sees `c.bnez s1, 0` (halfword 0xe081, a branch to
itself) and loops forever. Such a block used to count 0 instructions and 0 cycles, so neither
--max-instructions nor --max-cycles stopped it and Ctrl-C was never delivered (issue 14,
item 4). The 32-bit variant (`bne s1, zero, 0` starting in the upper half of a word) was
charged 1 cycle per iteration.

Expected costs are derived by hand from the rules in docs/cluster.md: csrr mcycle 4, jalr 2,
taken branch 3, +1 for a jump or taken branch to a 32-bit instruction at a non-word-aligned
address; `csrr rd, mcycle` / `csrr rd, minstret` read the cycles / instructions before the
reading instruction. A taken branch's extra 2 (and the +1) are charged when the next block
starts, so a run stopped right after a taken branch has charged it 1. The exact finite
sections (mid-entry loops, load-use, ambiguous block ends, jumps) are timing micro-tests in
firmware/isa_tests/timing_odd_entry.S (tests/test_timing.py). No test depends on the speed of
the machine.
"""
from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys

import pytest

from iss.code_tables import F_MID
from iss.simulator import Simulator

from ptyio import read_to_end, sigint_default

# main: s2 = minstret, s3 = mcycle, then jr to the upper half of the word at odd_word
FOREVER = """
    .option norelax
    .option norvc
    .text
    .globl main
    .type main, @function
main:
    li      s1, 1
    li      a3, 1
    li      a4, 1
    la      t0, odd_word + 2
    csrr    s2, minstret
    csrr    s3, mcycle
    jr      t0
    .balign 4
odd_word:
    {body}
    .size main, . - main
"""
# the upper half of the word is the entry; the lower half 0x0013 makes the linear decode
# take the word for one 32-bit addi
BODIES = {
    "c.bnez_s1": ".word 0xe0810013",       # 0xe081: c.bnez s1, 0
    "c.bnez_a3": ".word 0xe2810013",       # 0xe281: c.bnez a3, 0
    "c.bnez_a4": ".word 0xe3010013",       # 0xe301: c.bnez a4, 0
    # bne s1, zero, 0 (0x00049063) from the upper half: its second half 0x0004 is a 16-bit
    # instruction for the linear decode, which ends where the bne ends
    "bne_s1": ".2byte 0x0013\n    bne s1, zero, odd_word + 2",
}
# cycles of one iteration: taken branch 3; the 32-bit one targets a 32-bit instruction at
# a non-word-aligned address: + 1
PER_ITERATION = {"c.bnez_s1": 3, "c.bnez_a3": 3, "c.bnez_a4": 3, "bne_s1": 4}


@pytest.fixture(scope="module")
def forever(tmp_path_factory):
    """name -> ELF of firmware that loops forever in a block entered at a mid halfword."""
    d = tmp_path_factory.mktemp("odd_entry")
    out = {}
    for name, body in BODIES.items():
        src = d / f"{name}.S"
        src.write_text(FOREVER.format(body=body))
        elf = d / f"{name}.elf"
        subprocess.run([sys.executable, "-m", "iss.cli", "cc", "--isa", "rv32imc", "-o",
                        str(elf), str(src)], check=True)
        out[name] = elf
    return out


def _run(elf, max_instructions):
    sim = Simulator(elf, output=io.StringIO(), cores=1)
    result = sim.run(max_instructions=max_instructions)
    return sim, result


def _cli(*args, timeout=300):
    """`iss run ... --json -`: (exit code, stats)."""
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", *map(str, args), "--json", "-"],
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, json.loads(r.stdout)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_entry_is_a_mid_halfword(forever, name):
    """The firmware does what the tests need: the loop's halfword is not an instruction
    start of the linear decode."""
    sim = Simulator(forever[name], output=io.StringIO(), cores=1)
    word = sim.image.symbols["odd_word"]
    assert word % 4 == 0 and sim.memory.read(word, 2) == b"\x13\x00"
    flags = sim.timing.flags[(word - sim.timing.base) >> 1:]
    assert not flags[0] & F_MID and flags[1] & F_MID


@pytest.mark.parametrize("name", sorted(BODIES))
def test_instruction_limit_stops_on_the_exact_count(forever, name):
    """Exit 4 on exactly N retired instructions (the first slice is 1 M instructions: 2.5 M
    needs several), through the CLI."""
    for n in (1000, 2_500_001):
        code, stats = _cli(forever[name], "--cores", "1", "--max-instructions", n)
        assert code == 4, stats["message"]
        assert stats["stop_reason"] == "limit" and stats["instructions"] == n


@pytest.mark.parametrize("name", sorted(BODIES))
def test_cycles_of_the_loop(forever, name):
    """From the csrr mcycle before the jump: csrr 4 + jr 2 (no jalr hazard: t0 was written
    3 instructions earlier; the bne loop: +1 for its 32-bit target at a non-word-aligned
    address) + k iterations, the last one in full: its taken branch has retired, so an
    exact-count stop charges it whichever block Unicorn stopped before."""
    per = PER_ITERATION[name]
    for n in (1000, 1001, 1010, 1_200_000):
        sim, result = _run(forever[name], n)
        hart = sim.harts[0]
        assert result.stop.reason == "limit" and hart.instret == n
        instret0, cycle0 = hart.reg(18), hart.reg(19)     # s2, s3
        k = n - instret0 - 3              # csrr minstret, csrr mcycle, jr, then the loop
        jump = 2 + (per - 3)
        assert hart.cycles - cycle0 == 4 + jump + per * k, (n, k)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_events_and_stalls_of_the_loop(forever, name):
    """Ten more iterations: ten more retired instructions, branches, taken branches, and
    compressed instructions for the 16-bit loop; 2 (+1 misaligned target) more stall cycles
    each. The profile of the run adds up to its totals."""
    from iss import profile
    runs = []
    for n in (5000, 5010):
        sim = Simulator(forever[name], output=io.StringIO(), cores=1)
        profile.enable(sim)
        result = sim.run(max_instructions=n)
        hart = sim.harts[0]
        k, values = profile.per_instruction(sim, hart)
        assert values[:, 0].sum() == hart.instret and values[:, 1].sum() == hart.cycles
        runs.append(result.stats["harts"][0])
    first, second = runs
    per = PER_ITERATION[name]
    events = {key: second["events"][key] - first["events"][key] for key in first["events"]}
    assert events == {"ld": 0, "st": 0, "jump": 0, "branch": 10, "btaken": 10,
                      "rvc": 10 if per == 3 else 0}
    stalls = {key: second["stalls"][key] - first["stalls"][key] for key in first["stalls"]}
    assert stalls["branch"] == 10 * (per - 1)
    assert sum(stalls.values()) == second["cycles"] - first["cycles"] - 10
    assert second["cycles"] - first["cycles"] == 10 * per


@pytest.mark.parametrize("name", ["c.bnez_s1", "bne_s1"])
def test_cycle_limit_stops(forever, name):
    """Exit 4 once simulated time reaches the limit: the block running then completes, so
    the run ends within one iteration past it."""
    limit = 3_000_000
    code, stats = _cli(forever[name], "--cores", "1", "--max-cycles", limit)
    assert code == 4, stats["message"]
    assert stats["stop_reason"] == "limit"
    assert limit <= stats["cycles"] < limit + PER_ITERATION[name]


def _read_until_instructions(master: int, count: int, timeout: float) -> bytes:
    """What the pty delivers until a progress line reports more than `count` instructions
    (fails after `timeout` seconds of silence: only a broken build waits that long)."""
    seen = b""
    while True:
        lines = [m for m in re.findall(rb"([\d,]+) instructions, .*?MIPS \(Ctrl-C", seen)]
        if lines and int(lines[-1].replace(b",", b"")) > count:
            return seen
        ready, _, _ = select.select([master], [], [], timeout)
        assert ready, f"no progress past {count} instructions after {timeout} s: {seen!r}"
        chunk = os.read(master, 4096)
        assert chunk, seen
        seen += chunk


def test_ctrl_c_stops_a_loop_in_one_block(forever, tmp_path):
    """All 8 cores (the others asleep), the loop never leaves its block: once the progress
    line (`--progress 0`: after every slice) shows that slices of the loop end, SIGINT
    stops the run with exit 130 and the stats."""
    stats = tmp_path / "s.json"
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "iss.cli", "run", str(forever["c.bnez_s1"]),
                             "--progress", "0", "--json", str(stats)],
                            stdout=subprocess.DEVNULL, stderr=slave, preexec_fn=sigint_default)
    os.close(slave)
    try:
        seen = _read_until_instructions(master, 3_000_000, 300)
        proc.send_signal(signal.SIGINT)
        seen += read_to_end(master)
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    s = json.loads(stats.read_text())
    assert s["stop_reason"] == "interrupted" and s["instructions"] > 3_000_000
    assert "Traceback" not in seen.decode(errors="replace")
